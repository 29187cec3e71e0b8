"""Ohio General Assembly members and committee rosters from the LIS JSON API (v2).

`/api/v2/general_assembly_{GA}/legislators/` lists every member of the General Assembly, in the same member
objects the API uses for bill sponsors (`chamber`, `full_name`, `district`, `member_lpid`, `active`,
`party: "party_republican_1"`), with contact fields beside them when the API gives them. Members who left
mid-session stay in the list with `active: false`; their successor holds the seat.
`/committees/` lists the committees of the General Assembly, each linking to its member list, where every member
carries a `position` ("Chair", "Vice Chair", "Ranking Member", "Member").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from scrapers.base import PeopleCollected, load_json, require
from scrapers.http import Fetcher
from scrapers.ohio import Options
from vocabulary.records import (
    CommitteeMemberRecord,
    CommitteeRecord,
    LegislatorRecord,
    PeopleResult,
    ScrapeError,
)
from vocabulary.rosters import chamber_name, district_key, party_code, role_key

# Contact fields have had more than one name in the API's history; the first present wins.
PHONE = ("phone", "phone_number", "office_phone")
EMAIL = ("email", "email_address")
OFFICE = ("office", "office_address", "address")
PHOTO = ("image", "photo", "photo_url", "image_url")


@dataclass(frozen=True)
class ListedCommittee:
    lpid: str
    name: str
    chamber: str
    members_path: str


def _first(item: dict[str, Any], names: tuple[str, ...]) -> str:
    for name in names:
        value = item.get(name)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split()) if name not in OFFICE else value.strip()
    return ""


def _list(body: bytes, where: str, what: str) -> list[Any]:
    data = load_json(body, where)
    if isinstance(data, dict) and isinstance(data.get("items"), list):  # some v2 lists come wrapped
        data = data["items"]
    if not isinstance(data, list):
        raise ScrapeError(where, f"expected a list of {what}, got {type(data).__name__}")
    return data


def parse_legislators(body: bytes, where: str, jurisdiction: str, session: str,
                      api_base_url: str = "") -> list[LegislatorRecord]:
    """Active members of both chambers. An inactive member is left out: the seat's current holder is listed."""
    records = []
    for index, item in enumerate(_list(body, where, "legislators")):
        at = f"{where} [item {index}]"
        if isinstance(item, dict) and item.get("active") is False:
            continue
        raw_chamber = require(item, "chamber", at, str)
        chamber = chamber_name(raw_chamber)
        if chamber not in ("House", "Senate"):
            raise ScrapeError(at, f"unknown chamber {raw_chamber!r}")
        district = district_key(require(item, "district", at, (str, int)))
        if not district:
            raise ScrapeError(at, "empty district")
        name = " ".join(require(item, "full_name", at, str).split())
        if not name:
            raise ScrapeError(at, "empty full_name")
        photo = _first(item, PHOTO)
        records.append(LegislatorRecord(
            jurisdiction=jurisdiction, session=session, chamber=chamber, district=district, name=name,
            source_id=str(item.get("member_lpid") or item.get("member_id") or f"{chamber}-{district}"),
            party=party_code(str(item.get("party") or "")),
            phone=_first(item, PHONE), email=_first(item, EMAIL), office_address=_first(item, OFFICE),
            photo_url=urljoin(api_base_url + "/", photo) if photo and api_base_url else photo,
        ))
    if not records:
        raise ScrapeError(where, "no active legislators in the list")
    return records


def parse_committees(body: bytes, where: str) -> list[ListedCommittee]:
    committees = []
    for index, item in enumerate(_list(body, where, "committees")):
        at = f"{where} [item {index}]"
        lpid = require(item, "lpid", at, str)
        committees.append(ListedCommittee(
            lpid=lpid,
            name=" ".join(require(item, "name", at, str).split()),
            chamber=chamber_name(str(item.get("chamber") or "")) or "Joint",
            members_path=str(item.get("members") or f"committees/{lpid}/members/"),
        ))
    return committees


def parse_committee_members(body: bytes, where: str) -> tuple[CommitteeMemberRecord, ...]:
    members = []
    for index, item in enumerate(_list(body, where, "committee members")):
        at = f"{where} [item {index}]"
        members.append(CommitteeMemberRecord(
            name=" ".join(require(item, "full_name", at, str).split()),
            role=role_key(str(item.get("position") or item.get("role") or "")),
            source_id=str(item.get("member_lpid") or ""),
        ))
    return tuple(members)


def collect_people(fetcher: Fetcher, options: Options, jurisdiction: str, *, api_key: str | None = None,
                   session: str | None = None) -> PeopleCollected:
    """Legislators and committee rosters of `session` (default: the first of `options.sessions`)."""
    session = session or options.sessions[0]
    base = f"{options.api_base_url}/api/v2/general_assembly_{session}/"
    collected = PeopleCollected(PeopleResult())
    listing = fetcher.fetch(base + "legislators/", conditional=False)
    legislators = parse_legislators(listing.body, listing.url, jurisdiction, session, options.api_base_url)
    collected.payloads.append(listing)
    index = fetcher.fetch(base + "committees/", conditional=False)
    listed = parse_committees(index.body, index.url)
    collected.payloads.append(index)
    committees = []
    notes = []
    for committee in listed:
        page = fetcher.fetch(urljoin(base, committee.members_path), conditional=False)
        try:
            members = parse_committee_members(page.body, page.url)
        except ScrapeError as exc:  # one bad roster should not hide the others; it is reported
            notes.append(str(exc))
            continue
        collected.payloads.append(page)
        committees.append(CommitteeRecord(jurisdiction, session, committee.chamber, committee.name, members,
                                          committee.lpid))
    collected.result = PeopleResult(tuple(legislators), tuple(committees), tuple(notes))
    return collected
