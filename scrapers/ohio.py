"""Ohio General Assembly: the LIS JSON API for bills and versions, the public site for status, documents and the
committee calendar.

The calendar window is fetched unconditionally; the bill list of a session conditionally (a 304 walks the bills
known from earlier runs, and the list is fetched in full only when one of their pages changed). The pages of one bill (versions, status or actions, documents) form a unit fetched
conditionally; a bill is rebuilt when one of them changed or when its entry in the list changed (tracked by a
fingerprint kept in `Collected.state`).

Compared with the live LIS v2 API as openstates-scrapers `scrapers/oh` reads it (a maintained scraper; its code
is not used here), and tolerant in the same places: calendar items may lack `url` (the hearing is kept from the
calendar alone); status rows may lack the chamber or committee cell and write dates in other formats; a meeting
page may answer "Internal Server Error" in a 200 (the hearing is kept without its agenda); the bills on a meeting's
agenda come from the agenda PDF linked from the meeting page (its text, via pypdf), the page's `.agenda` block
being the fallback; the bill list may take minutes (`bill_list_timeout`) and is asked for conditionally. The agenda PDF's layout and the
status page's other date formats are guessed from that scraper, not from payloads recorded here.
One broken item (a bill-list row, a version, a status row, a calendar entry) is skipped and reported.

Roll calls (`scrapers.ohio_votes`) are only on the API's actions page (`yeas`/`nays` member ids). With
`actions_from = "api"` that page is one of each bill's pages; with the status page (the default) it is fetched as
well for each bill rebuilt in the run (option `votes`, on by default): a vote adds a status row, so it is asked for
in the run that sees the vote, and not again while the bill stays unchanged. A vote the API records only after the
status page showed it waits for the bill's next change.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup, Tag
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from scrapers.base import (
    ApiKey,
    BudgetExhausted,
    Collected,
    Request,
    Run,
    each_item,
    fingerprint,
    load_json,
    parse_day,
    problems_of,
    require,
)
from scrapers.http import Fetcher, FetchError, Payload
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
STATUS_DATE_FORMATS = ("%m-%d-%Y", "%m/%d/%Y", "%Y-%m-%d", "%m/%d/%y", "%B %d, %Y", "%b %d, %Y", "%b. %d, %Y")

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
    # Roll calls: only the API's actions page carries them. Reading actions from the status page, each bill whose
    # pages changed also gets that page fetched (one request more per changed bill); false skips it.
    votes: bool = True
    documents: bool = True
    hearings: bool = True
    hearing_days_back: int = Field(default=7, ge=0)
    hearing_days_ahead: int = Field(default=28, ge=1)
    max_requests: int | None = Field(default=3000, ge=1)
    # Seconds to wait for one answer: the bill list of a whole General Assembly can take minutes to come.
    bill_list_timeout: float = Field(default=300.0, gt=0)
    page_timeout: float = Field(default=30.0, gt=0)

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
    path: str  # "" when the calendar gives no page for this meeting
    cancelled: bool
    fingerprint: str


def session_slug(session: str) -> str:
    """The site's spelling of a session: "136" -> "136", "135S1" -> "135-s1"."""
    match = re.fullmatch(r"(\d+)(?:[Ss](\d+))?", session.strip())
    if not match:
        raise ValueError(f"not an Ohio General Assembly: {session!r}")
    return match[1] if match[2] is None else f"{match[1]}-s{match[2]}"


# --- pure parsers -------------------------------------------------------------------------------------------


def _listed_bill(item: Any, at: str) -> ListedBill:
    number = require(item, "number", at, str).strip().lower()
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
    return ListedBill(
        number=number,
        identifier=identifier,
        title=(item.get("short_title") or "").strip(),
        versions_path=require(item, "versions", at, str),
        subjects=tuple(subjects),
        sponsors=sponsors,
        fingerprint=fingerprint(item),
    )


def parse_bill_list(body: bytes, where: str, skipped: list[ScrapeError] | None = None) -> list[ListedBill]:
    data = load_json(body, where)
    if not isinstance(data, list):
        raise ScrapeError(where, f"expected a list of bills, got {type(data).__name__}")
    seen: dict[str, ListedBill] = {}
    for bill in each_item(data, where, "item", _listed_bill, skipped):
        seen.setdefault(bill.number, bill)  # the API repeats some bills; the first is as good as the next
    return list(seen.values())


def _version(item: Any, at: str, api_base_url: str, tz: ZoneInfo) -> tuple[VersionRecord, str, datetime | None]:
    code = require(item, "version", at, str)
    record = VersionRecord(
        name=VERSION_NAMES.get(code.rpartition("_")[2], code),
        code=code,
        url=urljoin(api_base_url, require(item, "download", at, str)),
        html_url=urljoin(api_base_url, item.get("download_html") or ""),
    )
    effective = parse_day(item["effective_date"], "%Y-%m-%d", at, tz) if item.get("effective_date") else None
    return record, str(item.get("long_title") or "").strip(), effective


def parse_versions(body: bytes, where: str, api_base_url: str, tz: ZoneInfo,
                   skipped: list[ScrapeError] | None = None) -> VersionsInfo:
    data = load_json(body, where)
    if not isinstance(data, list) or not data:
        raise ScrapeError(where, "expected a non-empty list of versions")
    found = each_item(data, where, "version", lambda item, at: _version(item, at, api_base_url, tz), skipped)
    if not found:
        raise ScrapeError(where, "no readable version in the list")
    effective = next((e for _, _, e in found if e is not None), None)
    found.sort(key=lambda v: v[0].code)
    # "00_IN" < "01_RH" < ... : the highest code is the current text, whose long title is the current one.
    return VersionsInfo(tuple(v for v, _, _ in found), found[-1][1], effective)


def _cell(row: Tag, name: str, where: str, *, required: bool = True) -> str:
    cell = row.select_one(f".{name}-cell")
    if cell is None:
        if required:
            raise ScrapeError(where, f"status row without a {name} cell")
        return ""
    return cell.get_text(" ", strip=True)


def _status_day(text: str, where: str, tz: ZoneInfo) -> datetime:
    for fmt in STATUS_DATE_FORMATS:
        try:
            return parse_day(text, fmt, where, tz)
        except ScrapeError:
            continue
    raise ScrapeError(where, f"unreadable date {text!r} (expected e.g. 03-04-2025 or 3/4/2025)")


def _ordered(actions: list[ActionRecord]) -> tuple[ActionRecord, ...]:
    actions.sort(key=lambda a: a.when)
    ordered: list[ActionRecord] = []
    for action in actions:
        same_day = sum(1 for a in ordered if a.when.date() == action.when.date())
        ordered.append(
            ActionRecord(action.when, action.description, action.chamber, action.committee, (), same_day)
        )
    return tuple(ordered)


def _status_row(row: Tag, at: str, tz: ZoneInfo) -> ActionRecord:
    description = _cell(row, "action", at)
    if not description:
        raise ScrapeError(at, "status row with an empty action")
    chamber = _cell(row, "chamber", at, required=False)  # rows of the legislature as a whole have none
    return ActionRecord(
        when=_status_day(_cell(row, "date", at), at, tz),
        description=description,
        chamber=CHAMBERS.get(chamber.lower(), chamber),
        committee=_cell(row, "committee", at, required=False),
    )


def parse_status_page(body: bytes, where: str, tz: ZoneInfo,
                      skipped: list[ScrapeError] | None = None) -> tuple[ActionRecord, ...]:
    """Rows of `table.legislation-status-table` (newest first on the page), oldest first in the result."""
    soup = BeautifulSoup(body, "lxml")
    table = soup.select_one("table.legislation-status-table")
    if table is None:
        raise ScrapeError(where, "no table.legislation-status-table on the status page")
    rows = table.select("tbody tr")
    if not rows:
        raise ScrapeError(where, "the status table has no rows (every bill has at least its introduction)")
    actions = each_item(reversed(rows), where, "status row", lambda row, at: _status_row(row, at, tz), skipped)
    if not actions:
        raise ScrapeError(where, "no readable row in the status table")
    return _ordered(actions)


def _api_action(item: Any, at: str, tz: ZoneInfo) -> tuple[int, ActionRecord]:
    """(revno, the action) of one row of the actions API."""
    occurred = require(item, "occurred", at, str)
    try:
        when = datetime.fromisoformat(occurred)
    except ValueError as exc:
        raise ScrapeError(at, f"unreadable time {occurred!r}") from exc
    when = when.replace(tzinfo=tz) if when.tzinfo is None else when.astimezone(tz)
    description = require(item, "description", at, str).strip()
    if item.get("result"):
        description = f"{description} - {item['result']}"
    chamber = require(item, "chamber", at, str)  # the legislature as a whole: "legislature"
    revno = item.get("revno")
    return revno if isinstance(revno, int) else 0, ActionRecord(
        when=when, description=description, chamber=CHAMBERS.get(chamber.lower(), chamber),
        committee=(item.get("cmte_name") or "").strip())


def parse_actions_api(body: bytes, where: str, tz: ZoneInfo,
                      skipped: list[ScrapeError] | None = None) -> tuple[ActionRecord, ...]:
    data = load_json(body, where)
    if not isinstance(data, list) or not data:
        raise ScrapeError(where, "expected a non-empty list of actions")
    # numbered as the API lists them (so a reported item can be found), then put in the order of their revno
    found = each_item(data, where, "action", lambda item, at: _api_action(item, at, tz), skipped)
    if not found:
        raise ScrapeError(where, "no readable action in the list")
    return _ordered([action for _, action in sorted(found, key=lambda pair: pair[0])])


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


def _calendar_item(item: Any, at: str, tz: ZoneInfo) -> CalendarItem | None:
    title = require(item, "title", at, str).strip()
    if FLOOR_SESSIONS.search(title):
        return None
    raw_start = require(item, "start", at, str)
    try:
        start = datetime.fromisoformat(raw_start)
    except ValueError as exc:
        raise ScrapeError(at, f"unreadable start {raw_start!r}") from exc
    start = start.replace(tzinfo=tz) if start.tzinfo is None else start.astimezone(tz)
    path = item.get("url")
    if path is not None and not isinstance(path, str):
        raise ScrapeError(at, f"field 'url' has type {type(path).__name__}")
    return CalendarItem(title=title, start=start, path=(path or "").strip(), cancelled="cancel" in title.lower(),
                        fingerprint=fingerprint(item))


def parse_calendar(body: bytes, where: str, tz: ZoneInfo,
                   skipped: list[ScrapeError] | None = None) -> list[CalendarItem]:
    """Committee meetings of the calendar window (floor sessions are not hearings)."""
    data = load_json(body, where)
    if not isinstance(data, list):
        raise ScrapeError(where, f"expected a list of calendar items, got {type(data).__name__}")
    found = each_item(data, where, "item", lambda item, at: _calendar_item(item, at, tz), skipped)
    return [item for item in found if item is not None]


def committee_of(title: str) -> tuple[str, str]:
    """("House Primary and Secondary Education", "House") from "House Primary and Secondary Education Committee
    Meeting - CANCELED"."""
    name = re.sub(r"\s*-?\s*\b(canceled|cancelled)\b", "", title, flags=re.IGNORECASE)
    name = re.sub(r"\s+\b(committee\s+)?meeting\b", "", name, flags=re.IGNORECASE).strip(" -")
    name = re.sub(r"\s+committee$", "", name, flags=re.IGNORECASE)
    first = name.split(" ", 1)[0].lower()
    return name, CHAMBERS.get(first, "")


@dataclass(frozen=True)
class Meeting:
    location: str
    bills: tuple[str, ...]  # from the page's agenda block (the fallback when there is no agenda PDF)
    agenda_url: str  # the agenda PDF, "" when the page links none


def parse_meeting(body: bytes, where: str) -> Meeting:
    """The location, the agenda PDF's address and the bills in the agenda block of a committee meeting page."""
    soup = BeautifulSoup(body, "lxml")
    if "internal server error" in soup.get_text(" ", strip=True).lower()[:500]:
        raise ScrapeError(where, "the meeting page answered 'Internal Server Error'")
    heading = next((h for h in soup.find_all("h2") if h.get_text(strip=True).lower() == "location"), None)
    if heading is None or heading.parent is None:
        raise ScrapeError(where, "no Location section on the meeting page")
    lines = [p.get_text(" ", strip=True) for p in heading.parent.find_all("p")]
    agenda = soup.select_one(".agenda")
    return Meeting(
        location=lines[-1] if lines else "",
        bills=tuple(find_refs(agenda.get_text(" ", strip=True))) if agenda else (),
        agenda_url=_agenda_link(soup, where),
    )


def _agenda_link(soup: BeautifulSoup, where: str) -> str:
    """The meeting's agenda document: a link labelled "Agenda" that is a PDF or the page's agenda button."""
    for link in soup.select("a[href]"):
        href = str(link["href"]).strip()
        is_pdf = href.lower().split("?")[0].endswith(".pdf")
        if "agenda" in link.get_text(" ", strip=True).lower() and (is_pdf or "link-button" in (link.get("class") or [])):
            return urljoin(where, href)
    return ""


def parse_agenda_pdf(body: bytes, where: str) -> tuple[str, ...]:
    """The bills an agenda PDF names ("Am. Sub. H. B. No. 33", "HB 234"), each once, in order of mention."""
    try:
        text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise ScrapeError(where, f"not a readable PDF ({type(exc).__name__}: {exc})") from exc
    return tuple(dict.fromkeys(find_refs(text)))


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


def _api_bill_url(options: Options, session: str, number: str) -> str:
    return f"{options.api_base_url}/api/v2/general_assembly_{session}/legislation/{number}"


def _bill_pages(options: Options, session: str, listed: ListedBill) -> list[Request]:
    site = f"{options.site_base_url}/legislation/{session_slug(session)}/{listed.number}"
    api = _api_bill_url(options, session, listed.number)
    timeout = options.page_timeout
    pages = [Request(urljoin(options.api_base_url, listed.versions_path), timeout=timeout)]
    pages.append(Request(f"{site}/status" if options.actions_from == "status_page" else f"{api}/actions",
                         timeout=timeout))
    if options.documents:
        pages.append(Request(f"{site}/documents", timeout=timeout))
    return pages


def _parse_bill_unit(options: Options, jurisdiction: str, session: str, tz: ZoneInfo, listed: ListedBill,
                     pages: list[Payload], skipped: list[ScrapeError]) -> BillRecord:
    versions = parse_versions(pages[0].body, pages[0].url, options.api_base_url, tz, skipped)
    if options.actions_from == "status_page":
        actions = parse_status_page(pages[1].body, pages[1].url, tz, skipped)
    else:
        actions = parse_actions_api(pages[1].body, pages[1].url, tz, skipped)
    documents = parse_documents(pages[2].body, pages[2].url, options.site_base_url) if options.documents else ()
    url = f"{options.site_base_url}/legislation/{session_slug(session)}/{listed.number}"
    return build_bill(listed, jurisdiction, session, url, versions, actions, documents)


@dataclass
class _Bills:
    """One session's bills in one run: the list, then each bill's pages as a unit."""

    run: Run
    options: Options
    jurisdiction: str
    tz: ZoneInfo
    session: str
    old: Mapping[str, str]
    new: dict[str, str]
    bills: list[BillRecord]
    _entries: dict[str, ListedBill] | None = None

    @property
    def list_url(self) -> str:
        return f"{self.options.api_base_url}/api/v2/general_assembly_{self.session}/legislation/"

    def collect(self) -> None:
        """Conditionally: a 304 on the (large, slow) list walks the bills known from earlier runs, page by page,
        and fetches the list in full only when one of them changed (its record needs the list entry)."""
        index = self.run.get(Request(self.list_url, timeout=self.options.bill_list_timeout))
        if index.not_modified:
            known = [k.removeprefix(f"bill:{self.session}:") for k in self.old if k.startswith(f"bill:{self.session}:")]
            self.run.notes.append(f"Ohio {self.session}: the bill list is not modified; "
                                  f"{len(known)} known bill(s) checked page by page")
            listed = [self._known(number) for number in known]
        else:
            listed = self._parse(index)
            if not listed:
                self.run.notes.append(f"Ohio {self.session}: the bill list is empty")
        wanted = set(self.options.only_bills)
        for bill in listed:
            if not wanted or bill.identifier in wanted:
                self._bill(bill)

    def _parse(self, index: Payload) -> list[ListedBill]:
        skipped: list[ScrapeError] = []
        listed = parse_bill_list(index.body, self.list_url, skipped)
        self.run.skipped(skipped)
        self.run.keep(index)
        self.run.listing(len(listed))
        self._entries = {bill.number: bill for bill in listed}
        return listed

    def _known(self, number: str) -> ListedBill:
        """A bill known from the state, standing in for its list entry until one of its pages changes."""
        try:
            identifier = normalize(number)
        except BillNumberError:
            identifier = ""
        path = f"/api/v2/general_assembly_{self.session}/legislation/{number}/versions"
        return ListedBill(number, identifier, "", path, (), (), self.old[f"bill:{self.session}:{number}"])

    def _entry(self, bill: ListedBill) -> ListedBill | None:
        if self._entries is None:  # the list answered 304 and a page changed: its entry is needed after all
            self._parse(self.run.get(Request(self.list_url, timeout=self.options.bill_list_timeout),
                                     conditional=False))
        return (self._entries or {}).get(bill.number)

    def _bill(self, bill: ListedBill) -> None:
        key = f"bill:{self.session}:{bill.number}"
        if key in self.old:  # carried over until this bill is seen through, so a budget stop loses nothing
            self.new[key] = self.old[key]
        pages = self.run.unit(_bill_pages(self.options, self.session, bill),
                              changed=self.old.get(key) != bill.fingerprint)
        if pages is None:
            self.new[key] = bill.fingerprint
            return
        entry = self._entry(bill)
        if entry is None:  # gone from the list since the last run
            self.new.pop(key, None)
            return
        skipped: list[ScrapeError] = []
        try:
            record = _parse_bill_unit(self.options, self.jurisdiction, self.session, self.tz, entry, pages, skipped)
        except ScrapeError as exc:
            self.run.fail(exc)
            self.new.pop(key, None)
            return
        votes = self._votes_page(entry)
        self.run.skipped(skipped)
        self.run.accept([*pages, *votes])
        self.bills.append(record)
        self.new[key] = entry.fingerprint

    def _votes_page(self, bill: ListedBill) -> list[Payload]:
        """The API's actions page of a changed bill when actions come from the status page: only it carries roll
        calls (`scrapers.ohio_votes` reads them from the run's archive). A vote adds a status row, so the bill has
        changed in the run that sees it. A page that cannot be had is reported; the bill is kept."""
        if self.options.actions_from == "api" or not self.options.votes:
            return []
        url = f"{_api_bill_url(self.options, self.session, bill.number)}/actions"
        try:
            return [self.run.get(Request(url, timeout=self.options.page_timeout), conditional=False)]
        except FetchError as exc:
            self.run.skipped([ScrapeError(url, f"{exc}; the bill is kept without its roll calls")])
            return []


def _meeting(run: Run, options: Options, item: CalendarItem, url: str, changed: bool
             ) -> tuple[list[Payload], Meeting] | None:
    """The meeting page (and its agenda PDF) parsed, or None when unchanged. A page that cannot be had or read
    is reported; the hearing is then kept from the calendar alone (no location, no bills)."""
    if item.cancelled or not item.path:  # a cancelled meeting's page may be gone; some items link no page
        pages = run.unit([], changed=changed)
        return None if pages is None else (pages, Meeting("", (), ""))
    try:
        pages = run.unit([Request(url, timeout=options.page_timeout)], changed=changed)
        if pages is None:
            return None
        meeting = parse_meeting(pages[0].body, url)
    except (FetchError, ScrapeError) as exc:
        run.skipped([ScrapeError(url, f"{exc}; the hearing is kept from the calendar, without its agenda")])
        return [], Meeting("", (), "")
    if meeting.agenda_url:
        try:
            agenda = run.get(Request(meeting.agenda_url, timeout=options.page_timeout), conditional=False)
            bills = parse_agenda_pdf(agenda.body, agenda.url)
        except (FetchError, ScrapeError) as exc:
            run.skipped([ScrapeError(meeting.agenda_url, f"{exc}; the bills come from the meeting page instead")])
        else:
            pages.append(agenda)
            meeting = Meeting(meeting.location, bills or meeting.bills, meeting.agenda_url)
    return pages, meeting


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
    index = run.get(Request(calendar_url, params={"start": start.isoformat(), "end": end.isoformat()},
                            timeout=options.page_timeout), conditional=False)
    skipped: list[ScrapeError] = []
    items = parse_calendar(index.body, index.url, tz, skipped)
    run.skipped(skipped)
    run.keep(index)
    if not items:
        run.notes.append(f"Ohio calendar {start}..{end}: no committee meetings scheduled")
    for item in items:
        url = urljoin(f"{options.site_base_url}/schedules/", item.path) if item.path else ""
        key = f"hearing:{url or f'{item.title}@{item.start.isoformat()}'}"
        if key in old:
            new[key] = old[key]
        found = _meeting(run, options, item, url, old.get(key) != item.fingerprint)
        if found is None:
            new[key] = item.fingerprint
            continue
        pages, meeting = found
        committee, chamber = committee_of(item.title)
        run.accept(pages)
        hearings.append(
            HearingRecord(
                jurisdiction=jurisdiction,
                session=options.sessions[0],
                committee=committee,
                start=item.start,
                key=key.removeprefix("hearing:"),
                location=meeting.location,
                bills=meeting.bills,
                cancelled=item.cancelled,
                url=url,
                chamber=chamber,
            )
        )
        new[key] = item.fingerprint if pages or not url or item.cancelled else ""


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
            _Bills(run, options, jurisdiction, tz, session, old, new, bills).collect()
        if options.hearings:
            _collect_hearings(run, options, jurisdiction, tz, old, new, hearings)
    except BudgetExhausted as exc:
        run.notes.append(f"Ohio: {exc}")
        new = {**old, **new}
    return run.collected(ScrapeResult(bills=tuple(bills), hearings=tuple(hearings)), new)



def check(fetcher: Fetcher, options: Options, jurisdiction: str, tz: ZoneInfo, *, api_key: str | None = None
          ) -> list[str]:
    """A live sample: the calendar of the coming week and the first meeting page on it (the bill list of a whole
    General Assembly is not a small page; its shape is checked by every run)."""
    today = fetcher.now().astimezone(tz).date()
    calendar = fetcher.fetch(f"{options.site_base_url}/schedules/calendar-data", conditional=False,
                             params={"start": today.isoformat(), "end": (today + timedelta(days=7)).isoformat()})
    items: list[CalendarItem] = []
    found = problems_of(lambda skipped: items.extend(parse_calendar(calendar.body, calendar.url, tz, skipped)))
    page = next((i for i in items if i.path and not i.cancelled), None)
    if page is not None:
        url = urljoin(f"{options.site_base_url}/schedules/", page.path)
        meeting = fetcher.fetch(url, conditional=False, timeout=options.page_timeout)
        found += problems_of(lambda skipped: parse_meeting(meeting.body, url))
    return found
