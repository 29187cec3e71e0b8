"""Open States API v3: `GET /people` (with `include=offices`) and `GET /committees` (with
`include=memberships`), page by page.

A person's seat is `current_role` (`org_classification` "lower"/"upper", `district`); phone and address come
from the capitol office when there is one. A committee's chamber is not named in the answer (only its parent's
id), so it is read from its members' seats: all in one chamber means that chamber, a mix means a joint committee.
"""

from __future__ import annotations

from typing import Any

from scrapers.base import PeopleCollected, load_json, require
from scrapers.http import Fetcher
from scrapers.openstates import Options
from vocabulary.records import (
    CommitteeMemberRecord,
    CommitteeRecord,
    LegislatorRecord,
    PeopleResult,
    ScrapeError,
)
from vocabulary.rosters import chamber_name, district_key, party_code, role_key


def _page(body: bytes, where: str) -> tuple[list[Any], int]:
    data = load_json(body, where)
    results = require(data, "results", where, list)
    pagination = require(data, "pagination", where, dict)
    return results, require(pagination, "max_page", f"{where} pagination", int)


def _office(person: dict[str, Any]) -> tuple[str, str]:
    offices = [o for o in person.get("offices") or [] if isinstance(o, dict)]
    offices.sort(key=lambda o: o.get("classification") != "capitol")  # the capitol office first
    phone = next((o["voice"] for o in offices if o.get("voice")), "")
    address = next((o["address"] for o in offices if o.get("address")), "")
    return phone, "\n".join(part.strip() for part in address.split(";")) if address else ""


def parse_people_page(body: bytes, where: str, jurisdiction: str, session: str
                      ) -> tuple[list[LegislatorRecord], int]:
    """(legislators, max_page) of one page of `GET /people`."""
    results, max_page = _page(body, where)
    records = []
    for index, person in enumerate(results):
        at = f"{where} [results {index}]"
        role = require(person, "current_role", at, dict)
        chamber = chamber_name(str(role.get("org_classification") or ""))
        if chamber not in ("House", "Senate"):
            continue  # governors and other executives share the endpoint
        district = district_key(require(role, "district", f"{at} current_role", (str, int)))
        if not district:
            raise ScrapeError(at, "empty district in current_role")
        phone, address = _office(person)
        records.append(LegislatorRecord(
            jurisdiction=jurisdiction, session=session, chamber=chamber, district=district,
            name=" ".join(require(person, "name", at, str).split()), source_id=require(person, "id", at, str),
            party=party_code(str(person.get("party") or "")), phone=phone, email=str(person.get("email") or ""),
            office_address=address, photo_url=str(person.get("image") or ""),
        ))
    return records, max_page


def parse_committees_page(body: bytes, where: str, jurisdiction: str, session: str
                          ) -> tuple[list[CommitteeRecord], int]:
    results, max_page = _page(body, where)
    committees = []
    for index, item in enumerate(results):
        at = f"{where} [results {index}]"
        members = []
        chambers = set()
        for position, membership in enumerate(require(item, "memberships", at, list)):
            here = f"{at} [memberships {position}]"
            person = membership.get("person") or {} if isinstance(membership, dict) else {}
            seat = (person.get("current_role") or {}) if isinstance(person, dict) else {}
            chambers.add(chamber_name(str(seat.get("org_classification") or "")))
            members.append(CommitteeMemberRecord(
                name=" ".join(require(membership, "person_name", here, str).split()),
                role=role_key(str(membership.get("role") or "")),
                source_id=str(person.get("id") or ""),
            ))
        chambers.discard("")
        chamber = chambers.pop() if len(chambers) == 1 else "Joint"
        committees.append(CommitteeRecord(jurisdiction, session, chamber, " ".join(require(item, "name", at, str)
                                          .split()), tuple(members), require(item, "id", at, str)))
    return committees, max_page


def _pages(fetcher: Fetcher, url: str, params: dict[str, Any], headers: dict[str, str], max_pages: int,
           parse: Any) -> tuple[list[Any], list[Any]]:
    found: list[Any] = []
    payloads = []
    page, last = 1, 1
    while page <= min(last, max_pages):
        payload = fetcher.fetch(url, params={**params, "page": page}, headers=headers, conditional=False)
        items, last = parse(payload.body, payload.url)
        found.extend(items)
        payloads.append(payload)
        page += 1
    return found, payloads


def collect_people(fetcher: Fetcher, options: Options, jurisdiction: str, *, api_key: str | None = None,
                   session: str | None = None) -> PeopleCollected:
    if not api_key:
        raise ValueError(f"Open States needs an API key (the caller reads it from ${options.api_key_env})")
    session = session or options.session or ""
    base = options.base_url.rstrip("/")
    headers = {"X-API-KEY": api_key}
    where_ = options.jurisdiction or jurisdiction.lower()
    legislators, payloads = _pages(
        fetcher, f"{base}/people", {"jurisdiction": where_, "include": "offices", "per_page": 50}, headers,
        options.max_pages, lambda body, url: parse_people_page(body, url, jurisdiction, session))
    if not legislators:
        raise ScrapeError(f"{base}/people", f"no legislators for {where_}")
    committees, more = _pages(
        fetcher, f"{base}/committees",
        {"jurisdiction": where_, "classification": "committee", "include": "memberships", "per_page": 20},
        headers, options.max_pages, lambda body, url: parse_committees_page(body, url, jurisdiction, session))
    return PeopleCollected(PeopleResult(tuple(legislators), tuple(committees)), payloads + more)
