"""LegiScan `getSessionPeople`: every legislator of a session, with party, role ("Rep", "Sen") and district
("HD-007", "SD-013").

LegiScan gives no contact details and no committee rosters; the notes say so, so that the advocate knows why a
call to action shows names without phone numbers. Committees that sponsor bills are listed among the people
(`committee_sponsor: 1`); they are not legislators and are left out.
"""

from __future__ import annotations

from typing import Any

from scrapers.base import PeopleCollected, load_json, require
from scrapers.http import Fetcher
from scrapers.legiscan import ROLES, Options, _check_status
from vocabulary.records import LegislatorRecord, PeopleResult, ScrapeError
from vocabulary.rosters import district_key, party_code

NO_CONTACTS = "LegiScan lists no phone, email or office for legislators and no committee rosters"


def parse_session_people(body: bytes, where: str, jurisdiction: str) -> tuple[str, list[LegislatorRecord]]:
    """(session name, legislators) of one getSessionPeople answer."""
    data = load_json(body, where)
    _check_status(data, where)
    found = require(data, "sessionpeople", where, dict)
    session = require(require(found, "session", where, dict), "session_name", f"{where} session", str)
    records = []
    for index, person in enumerate(require(found, "people", where, list)):
        at = f"{where} [people {index}]"
        if _is_committee(person):
            continue
        role = require(person, "role", at, str)
        chamber = ROLES.get(role)
        if chamber is None:
            raise ScrapeError(at, f"unknown role {role!r} (expected Rep or Sen)")
        district = district_key(require(person, "district", at, str))
        if not district:
            raise ScrapeError(at, "empty district")
        records.append(LegislatorRecord(
            jurisdiction=jurisdiction, session=session, chamber=chamber, district=district,
            name=" ".join(require(person, "name", at, str).split()),
            source_id=str(require(person, "people_id", at, int)),
            party=party_code(str(person.get("party") or "")),
        ))
    if not records:
        raise ScrapeError(where, "no legislators among the session's people")
    return session, records


def _is_committee(person: Any) -> bool:
    return isinstance(person, dict) and bool(person.get("committee_sponsor")) and not person.get("district")


def collect_people(fetcher: Fetcher, options: Options, jurisdiction: str, *, api_key: str | None = None
                   ) -> PeopleCollected:
    if not api_key:
        raise ValueError(f"LegiScan needs an API key (the caller reads it from ${options.api_key_env})")
    if options.session_id is None:
        raise ValueError("LegiScan people need a session: set options.session_id of the LegiScan source")
    payload = fetcher.fetch(options.base_url, params={"op": "getSessionPeople", "id": options.session_id},
                            secret_params={"key": api_key}, conditional=False)
    _session, legislators = parse_session_people(payload.body, payload.url, jurisdiction)
    return PeopleCollected(PeopleResult(tuple(legislators), (), (NO_CONTACTS,)), [payload])
