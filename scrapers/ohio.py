"""Ohio General Assembly: the LIS JSON API for bills and versions, the public site for status, documents and the
committee calendar.

Indexes (the bill list of a session, the calendar window) are fetched unconditionally: every other request is
derived from them. The pages of one bill (versions, status or actions, documents) form a unit fetched
conditionally; a bill is rebuilt when one of them changed or when its entry in the list changed (tracked by a
fingerprint kept in `Collected.state`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup, Tag
from pydantic import BaseModel, ConfigDict, Field, field_validator

from scrapers.base import (
    ApiKey,
    BudgetExhausted,
    Collected,
    Request,
    Run,
    fingerprint,
    load_json,
    parse_day,
    require,
)
from scrapers.http import Fetcher, Payload
from vocabulary.billnum import BillNumberError, find_refs, normalize
from vocabulary.records import (
    ActionRecord,
    BillRecord,
    DocumentRecord,
    HearingRecord,
    ScrapeError,
    ScrapeResult,
    SponsorRecord,
    VersionRecord,
)

VERSION_NAMES = {
    "IN": "As Introduced",
    "RH": "As Reported by House Committee",
    "PH": "As Passed by the House",
    "RS": "As Reported by Senate Committee",
    "PS": "As Passed by the Senate",
    "EN": "As Enrolled",
}
CHAMBERS = {"house": "House", "senate": "Senate", "governor": "Governor", "joint": "Joint"}
FLOOR_SESSIONS = re.compile(r"\b(house|senate) session\b", re.IGNORECASE)

API_KEY: ApiKey | None = None  # the Ohio API is open


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_base_url: str = "https://search-prod.lis.state.oh.us"
    site_base_url: str = "https://www.legislature.ohio.gov"
    # General Assemblies to follow, e.g. ["136"] or ["136", "135S1"]. The first one owns the calendar's hearings.
    sessions: list[str] = Field(default_factory=lambda: ["136"], min_length=1)
    # Only these bills (normalized, e.g. "HB 96") get their detail pages fetched; empty means every bill.
    only_bills: list[str] = Field(default_factory=list)
    # Actions from the public status page (complete, includes governor and effective rows) or the JSON API.
    actions_from: Literal["status_page", "api"] = "status_page"
    documents: bool = True
    hearings: bool = True
    hearing_days_back: int = Field(default=7, ge=0)
    hearing_days_ahead: int = Field(default=28, ge=1)
    max_requests: int | None = Field(default=3000, ge=1)

    @field_validator("only_bills")
    @classmethod
    def _normalized(cls, value: list[str]) -> list[str]:
        return [normalize(text) for text in value]  # BillNumberError is a ValueError: pydantic reports it

    @field_validator("sessions")
    @classmethod
    def _known_sessions(cls, value: list[str]) -> list[str]:
        for session in value:
            session_slug(session)
        return value


@dataclass(frozen=True)
class ListedBill:
    number: str  # the API's own key, e.g. "hb96"
    identifier: str  # normalized, e.g. "HB 96"
    title: str
    versions_path: str
    subjects: tuple[str, ...]
    sponsors: tuple[SponsorRecord, ...]
    fingerprint: str


@dataclass(frozen=True)
class VersionsInfo:
    versions: tuple[VersionRecord, ...]
    long_title: str
    effective: datetime | None


@dataclass(frozen=True)
class CalendarItem:
    title: str
    start: datetime
    path: str
    cancelled: bool
    fingerprint: str


def session_slug(session: str) -> str:
    """The site's spelling of a session: "136" -> "136", "135S1" -> "135-s1"."""
    match = re.fullmatch(r"(\d+)(?:[Ss](\d+))?", session.strip())
    if not match:
        raise ValueError(f"not an Ohio General Assembly: {session!r}")
    return match[1] if match[2] is None else f"{match[1]}-s{match[2]}"


# --- pure parsers -------------------------------------------------------------------------------------------


def parse_bill_list(body: bytes, where: str) -> list[ListedBill]:
    data = load_json(body, where)
    if not isinstance(data, list):
        raise ScrapeError(where, f"expected a list of bills, got {type(data).__name__}")
    seen: dict[str, ListedBill] = {}
    for index, item in enumerate(data):
        at = f"{where} [item {index}]"
        number = require(item, "number", at, str).strip().lower()
        if number in seen:  # the API repeats some bills; the first is as good as the next
            continue
        name = require(item, "name", at, str)
        try:
            identifier = normalize(name)
        except BillNumberError as exc:
            raise ScrapeError(at, f"unreadable bill name {name!r}") from exc
        subjects: dict[str, None] = {}
        for subject in require(item, "subjects", at, list):
            for part in ("primary", "secondary"):
                text = (subject.get(part) or "").strip() if isinstance(subject, dict) else ""
                if text:
                    subjects.setdefault(text, None)
        sponsors = tuple(
            SponsorRecord(name=require(s, "full_name", at, str).strip(), primary=primary)
            for key, primary in (("sponsors", True), ("cosponsors", False))
            for s in require(item, key, at, list)
        )
        seen[number] = ListedBill(
            number=number,
            identifier=identifier,
            title=(item.get("short_title") or "").strip(),
            versions_path=require(item, "versions", at, str),
            subjects=tuple(subjects),
            sponsors=sponsors,
            fingerprint=fingerprint(item),
        )
    return list(seen.values())


def parse_versions(body: bytes, where: str, api_base_url: str, tz: ZoneInfo) -> VersionsInfo:
    data = load_json(body, where)
    if not isinstance(data, list) or not data:
        raise ScrapeError(where, "expected a non-empty list of versions")
    versions = []
    effective = None
    for index, item in enumerate(data):
        at = f"{where} [version {index}]"
        code = require(item, "version", at, str)
        versions.append(
            VersionRecord(
                name=VERSION_NAMES.get(code.rpartition("_")[2], code),
                code=code,
                url=urljoin(api_base_url, require(item, "download", at, str)),
                html_url=urljoin(api_base_url, item.get("download_html") or ""),
            )
        )
        if item.get("effective_date") and effective is None:
            effective = parse_day(item["effective_date"], "%Y-%m-%d", at, tz)
    versions.sort(key=lambda v: v.code)
    # "00_IN" < "01_RH" < ... : the highest code is the current text, whose long title is the current one.
    latest = max(data, key=lambda i: i["version"])
    return VersionsInfo(tuple(versions), str(latest.get("long_title") or "").strip(), effective)


def _cell(row: Tag, name: str, where: str) -> str:
    cell = row.select_one(f".{name}-cell")
    if cell is None:
        raise ScrapeError(where, f"status row without a {name} cell")
    return cell.get_text(" ", strip=True)


def _ordered(actions: list[ActionRecord]) -> tuple[ActionRecord, ...]:
    actions.sort(key=lambda a: a.when)
    ordered: list[ActionRecord] = []
    for action in actions:
        same_day = sum(1 for a in ordered if a.when.date() == action.when.date())
        ordered.append(
            ActionRecord(action.when, action.description, action.chamber, action.committee, (), same_day)
        )
    return tuple(ordered)


def parse_status_page(body: bytes, where: str, tz: ZoneInfo) -> tuple[ActionRecord, ...]:
    """Rows of `table.legislation-status-table` (newest first on the page), oldest first in the result."""
    soup = BeautifulSoup(body, "lxml")
    table = soup.select_one("table.legislation-status-table")
    if table is None:
        raise ScrapeError(where, "no table.legislation-status-table on the status page")
    rows = table.select("tbody tr")
    if not rows:
        raise ScrapeError(where, "the status table has no rows (every bill has at least its introduction)")
    actions = []
    for row in reversed(rows):
        description = _cell(row, "action", where)
        if not description:
            raise ScrapeError(where, "status row with an empty action")
        chamber = _cell(row, "chamber", where)
        actions.append(
            ActionRecord(
                when=parse_day(_cell(row, "date", where), "%m-%d-%Y", where, tz),
                description=description,
                chamber=CHAMBERS.get(chamber.lower(), chamber),
                committee=_cell(row, "committee", where),
            )
        )
    return _ordered(actions)


def parse_actions_api(body: bytes, where: str, tz: ZoneInfo) -> tuple[ActionRecord, ...]:
    data = load_json(body, where)
    if not isinstance(data, list) or not data:
        raise ScrapeError(where, "expected a non-empty list of actions")
    actions = []
    for index, item in enumerate(sorted(data, key=lambda i: i.get("revno", 0) if isinstance(i, dict) else 0)):
        at = f"{where} [action {index}]"
        occurred = require(item, "occurred", at, str)
        try:
            when = datetime.fromisoformat(occurred)
        except ValueError as exc:
            raise ScrapeError(at, f"unreadable time {occurred!r}") from exc
        when = when.replace(tzinfo=tz) if when.tzinfo is None else when.astimezone(tz)
        description = require(item, "description", at, str).strip()
        if item.get("result"):
            description = f"{description} - {item['result']}"
        chamber = require(item, "chamber", at, str)
        actions.append(
            ActionRecord(
                when=when,
                description=description,
                chamber=CHAMBERS.get(chamber.lower(), chamber),
                committee=(item.get("cmte_name") or "").strip(),
            )
        )
    return _ordered(actions)


def _document_kind(heading: str) -> str:
    lowered = heading.lower()
    for needle, kind in (("analys", "analysis"), ("fiscal", "fiscal note"), ("testimony", "testimony")):
        if needle in lowered:
            return kind
    return lowered


def parse_documents(body: bytes, where: str, site_base_url: str) -> tuple[DocumentRecord, ...]:
    soup = BeautifulSoup(body, "lxml")
    sections = soup.select("section.legislation-section")
    if not sections:
        raise ScrapeError(where, "no section.legislation-section on the documents page")
    documents = []
    for section in sections:
        heading = section.find("h2")
        if heading is None:
            raise ScrapeError(where, "a document section without its h2 heading")
        title = heading.get_text(" ", strip=True)
        if "legislation text" in title.lower():  # versions come from the API, with their codes
            continue
        for link in section.select("li a[href]"):
            label = link.find("span", class_=lambda c: not c)
            note = (label or link).get_text(" ", strip=True)
            documents.append(
                DocumentRecord(
                    kind=_document_kind(title),
                    title=f"{title}: {note}" if note else title,
                    url=urljoin(site_base_url + "/", str(link["href"]).strip()),
                )
            )
    return tuple(documents)


def parse_calendar(body: bytes, where: str, tz: ZoneInfo) -> list[CalendarItem]:
    """Committee meetings of the calendar window (floor sessions are not hearings)."""
    data = load_json(body, where)
    if not isinstance(data, list):
        raise ScrapeError(where, f"expected a list of calendar items, got {type(data).__name__}")
    items = []
    for index, item in enumerate(data):
        at = f"{where} [item {index}]"
        title = require(item, "title", at, str).strip()
        if FLOOR_SESSIONS.search(title):
            continue
        raw_start = require(item, "start", at, str)
        try:
            start = datetime.fromisoformat(raw_start)
        except ValueError as exc:
            raise ScrapeError(at, f"unreadable start {raw_start!r}") from exc
        start = start.replace(tzinfo=tz) if start.tzinfo is None else start.astimezone(tz)
        items.append(
            CalendarItem(
                title=title,
                start=start,
                path=require(item, "url", at, str),
                cancelled="cancel" in title.lower(),
                fingerprint=fingerprint(item),
            )
        )
    return items


def committee_of(title: str) -> tuple[str, str]:
    """("House Primary and Secondary Education", "House") from "House Primary and Secondary Education Committee
    Meeting - CANCELED"."""
    name = re.sub(r"\s*-?\s*\b(canceled|cancelled)\b", "", title, flags=re.IGNORECASE)
    name = re.sub(r"\s+\b(committee\s+)?meeting\b", "", name, flags=re.IGNORECASE).strip(" -")
    name = re.sub(r"\s+committee$", "", name, flags=re.IGNORECASE)
    first = name.split(" ", 1)[0].lower()
    return name, CHAMBERS.get(first, "")


def parse_meeting(body: bytes, where: str) -> tuple[str, tuple[str, ...]]:
    """The location and the bills on the agenda of a committee meeting page."""
    soup = BeautifulSoup(body, "lxml")
    heading = next((h for h in soup.find_all("h2") if h.get_text(strip=True).lower() == "location"), None)
    if heading is None or heading.parent is None:
        raise ScrapeError(where, "no Location section on the meeting page")
    lines = [p.get_text(" ", strip=True) for p in heading.parent.find_all("p")]
    location = lines[-1] if lines else ""
    agenda = soup.select_one(".agenda")
    bills = tuple(find_refs(agenda.get_text(" ", strip=True))) if agenda else ()
    return location, bills


def build_bill(
    listed: ListedBill,
    jurisdiction: str,
    session: str,
    url: str,
    versions: VersionsInfo,
    actions: tuple[ActionRecord, ...],
    documents: tuple[DocumentRecord, ...],
) -> BillRecord:
    if versions.effective and not any(
        a.description.lower().startswith("effective") and a.when.date() == versions.effective.date()
        for a in actions
    ):
        same_day = sum(1 for a in actions if a.when.date() == versions.effective.date())
        actions = (*actions, ActionRecord(versions.effective, "Effective", "Governor", order=same_day))
    committee = next((a.committee for a in reversed(actions) if a.committee), "")
    return BillRecord(
        jurisdiction=jurisdiction,
        session=session,
        identifier=listed.identifier,
        title=listed.title or versions.long_title,
        synopsis=versions.long_title,
        status=versions.versions[-1].name if versions.versions else "",
        url=url,
        source_id=f"{session}/{listed.number}",
        committee=committee,
        subjects=listed.subjects,
        sponsors=listed.sponsors,
        actions=actions,
        versions=versions.versions,
        documents=documents,
    )


# --- collection ---------------------------------------------------------------------------------------------


def _bill_pages(options: Options, session: str, listed: ListedBill) -> list[Request]:
    site = f"{options.site_base_url}/legislation/{session_slug(session)}/{listed.number}"
    api = f"{options.api_base_url}/api/v2/general_assembly_{session}/legislation/{listed.number}"
    pages = [Request(urljoin(options.api_base_url, listed.versions_path))]
    pages.append(Request(f"{site}/status" if options.actions_from == "status_page" else f"{api}/actions"))
    if options.documents:
        pages.append(Request(f"{site}/documents"))
    return pages


def _parse_bill_unit(
    options: Options, jurisdiction: str, session: str, tz: ZoneInfo, listed: ListedBill, pages: list[Payload]
) -> BillRecord:
    versions = parse_versions(pages[0].body, pages[0].url, options.api_base_url, tz)
    if options.actions_from == "status_page":
        actions = parse_status_page(pages[1].body, pages[1].url, tz)
    else:
        actions = parse_actions_api(pages[1].body, pages[1].url, tz)
    documents = parse_documents(pages[2].body, pages[2].url, options.site_base_url) if options.documents else ()
    url = f"{options.site_base_url}/legislation/{session_slug(session)}/{listed.number}"
    return build_bill(listed, jurisdiction, session, url, versions, actions, documents)


def _collect_bills(
    run: Run,
    options: Options,
    jurisdiction: str,
    tz: ZoneInfo,
    session: str,
    old: Mapping[str, str],
    new: dict[str, str],
    bills: list[BillRecord],
) -> None:
    list_url = f"{options.api_base_url}/api/v2/general_assembly_{session}/legislation/"
    index = run.get(list_url, conditional=False)
    listed = parse_bill_list(index.body, list_url)
    run.keep(index)
    run.listing(len(listed))
    if not listed:
        run.notes.append(f"Ohio {session}: the bill list is empty")
    wanted = set(options.only_bills)
    for bill in listed:
        if wanted and bill.identifier not in wanted:
            continue
        key = f"bill:{session}:{bill.number}"
        if key in old:  # carried over until this bill is seen through, so a budget stop loses nothing
            new[key] = old[key]
        pages = run.unit(_bill_pages(options, session, bill), changed=old.get(key) != bill.fingerprint)
        if pages is None:
            new[key] = bill.fingerprint
            continue
        try:
            record = _parse_bill_unit(options, jurisdiction, session, tz, bill, pages)
        except ScrapeError as exc:
            run.fail(exc)
            new.pop(key, None)
            continue
        run.accept(pages)
        bills.append(record)
        new[key] = bill.fingerprint


def _collect_hearings(
    run: Run,
    options: Options,
    jurisdiction: str,
    tz: ZoneInfo,
    old: Mapping[str, str],
    new: dict[str, str],
    hearings: list[HearingRecord],
) -> None:
    today = run.fetcher.now().astimezone(tz).date()
    start, end = today - timedelta(days=options.hearing_days_back), today + timedelta(days=options.hearing_days_ahead)
    calendar_url = f"{options.site_base_url}/schedules/calendar-data"
    index = run.get(Request(calendar_url, params={"start": start.isoformat(), "end": end.isoformat()}), conditional=False)
    items = parse_calendar(index.body, index.url, tz)
    run.keep(index)
    if not items:
        run.notes.append(f"Ohio calendar {start}..{end}: no committee meetings scheduled")
    for item in items:
        url = urljoin(f"{options.site_base_url}/schedules/", item.path)
        key = f"hearing:{url}"
        if key in old:
            new[key] = old[key]
        changed = old.get(key) != item.fingerprint
        # A cancelled meeting's page may already be gone; the calendar says all we need.
        pages = run.unit([] if item.cancelled else [url], changed=changed)
        if pages is None:
            new[key] = item.fingerprint
            continue
        try:
            location, bills = parse_meeting(pages[0].body, url) if pages else ("", ())
        except ScrapeError as exc:
            run.fail(exc)
            new.pop(key, None)
            continue
        committee, chamber = committee_of(item.title)
        run.accept(pages)
        hearings.append(
            HearingRecord(
                jurisdiction=jurisdiction,
                session=options.sessions[0],
                committee=committee,
                start=item.start,
                key=url,
                location=location,
                bills=bills,
                cancelled=item.cancelled,
                url=url,
                chamber=chamber,
            )
        )
        new[key] = item.fingerprint


def collect(
    fetcher: Fetcher,
    options: Options,
    jurisdiction: str,
    tz: ZoneInfo,
    since: datetime | None,
    *,
    state: Mapping[str, str] | None = None,
    api_key: str | None = None,
) -> Collected:
    """Bills of every session in `options.sessions`, and committee hearings around today.

    `since` and `api_key` are not used: the Ohio API is open and has no "changed since" filter; conditional
    requests and the bill-list fingerprints in `state` do that job.
    """
    run = Run(fetcher, options.max_requests)
    old = dict(state or {})
    new: dict[str, str] = {}
    bills: list[BillRecord] = []
    hearings: list[HearingRecord] = []
    try:
        for session in options.sessions:
            _collect_bills(run, options, jurisdiction, tz, session, old, new, bills)
        if options.hearings:
            _collect_hearings(run, options, jurisdiction, tz, old, new, hearings)
    except BudgetExhausted as exc:
        run.notes.append(f"Ohio: {exc}")
        new = {**old, **new}
    return run.collected(ScrapeResult(bills=tuple(bills), hearings=tuple(hearings)), new)

