"""LegiScan API: `getMasterListRaw` says which bills changed (by `change_hash`), `getBill` only for those.

The caller keeps the hashes: it passes the known ones in as `state` ({bill_id: change_hash}) and stores the
returned `Collected.state`. A bill whose getBill fails to parse keeps its old hash, so it is asked for again.
Every request is a query against a monthly allowance; `max_queries` stops a run before it spends too many.

Checked against real `getBill` answers (Alaska 2011, Arkansas 2012, Georgia 2023; ../shared/realdata/legiscan, see
tests/fixtures/SOURCES.md). What they taught:
- `sponsor_type_id`: 0 a generic sponsor, 1 primary, 2 co-sponsor, 3 joint (a joint sponsor shares the primary
  sponsorship). Where a state gives only generic sponsors (Alaska), the first by `sponsor_order` (then as listed)
  is the primary one and the others co-sponsors.
- History rows may carry `"chamber": ""` and `chamber_id: 0`. The chamber then comes from `chamber_id` (matched
  against the bill's `body_id` / `current_body_id`), else from the text ("House ...", "SENATE ...", "(H)", "(S)"),
  else it is the chamber the bill was last in: the bill's own body until a row says it was transmitted to the
  other (Alaska: "TRANSMITTED TO (S)").
- One broken item (a master-list entry, a history row, a sponsor, a text, a calendar entry) is skipped and
  reported; the rest of the bill is kept. `votes` are not read here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from scrapers.base import (
    ApiKey,
    BudgetExhausted,
    Collected,
    Request,
    Run,
    each_item,
    load_json,
    parse_day,
    problems_of,
    require,
)
from scrapers.http import Fetcher
from vocabulary.billnum import BillNumberError, normalize
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

STATUS_NAMES = {1: "Introduced", 2: "Engrossed", 3: "Enrolled", 4: "Passed", 5: "Vetoed", 6: "Failed"}
PROGRESS_NAMES = {
    **STATUS_NAMES,
    7: "Veto Override",
    8: "Chaptered",
    9: "Referred to Committee",
    10: "Reported from Committee (Do Pass)",
    11: "Reported from Committee (Do Not Pass)",
    12: "Draft",
}
BODIES = {"H": "House", "S": "Senate", "A": "Assembly", "J": "Joint"}
ROLES = {"Rep": "House", "Sen": "Senate"}
GENERIC_SPONSOR, PRIMARY_SPONSOR, COSPONSOR, JOINT_SPONSOR = 0, 1, 2, 3
LEADING_CHAMBER = re.compile(r"^\s*(?:(House|Senate|Assembly)\b|\((H|S|A)\))", re.IGNORECASE)
TRANSMITTED = re.compile(r"\btransmitted to (?:the )?\(?(H|S|A|House|Senate|Assembly)\b\)?", re.IGNORECASE)

API_KEY = ApiKey(env="LEGISCAN_API_KEY", label="LegiScan")


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str = "https://api.legiscan.com/"
    api_key_env: str = API_KEY.env
    # A LegiScan session id; None follows the state's current session.
    session_id: int | None = None
    # Queries allowed in one run (the master list counts as one).
    max_queries: int = Field(default=250, ge=1)


@dataclass(frozen=True)
class MasterEntry:
    bill_id: int
    number: str
    change_hash: str


def _check_status(data: Any, where: str) -> None:
    if not isinstance(data, dict):
        raise ScrapeError(where, f"expected a JSON object, got {type(data).__name__}")
    status = data.get("status", "OK")  # files saved from the API may have lost the envelope's status
    if status != "OK":
        alert = data.get("alert")
        message = alert.get("message") if isinstance(alert, dict) else None
        raise ScrapeError(where, f"LegiScan answered {status}: {message or 'no message'}")


def parse_master_list(body: bytes, where: str, skipped: list[ScrapeError] | None = None) -> list[MasterEntry]:
    data = load_json(body, where)
    _check_status(data, where)
    masterlist = require(data, "masterlist", where, dict)
    rows = [item for key, item in masterlist.items() if key != "session"]
    return each_item(rows, where, "masterlist entry", _master_entry, skipped)


def _master_entry(item: Any, at: str) -> MasterEntry:
    return MasterEntry(
        bill_id=require(item, "bill_id", at, int),
        number=require(item, "number", at, str),
        change_hash=require(item, "change_hash", at, str),
    )


def _named_chamber(text: str) -> str:
    """ "House Prefiled" -> "House", "(S) READ THE FIRST TIME" -> "Senate"; "" when the text names none."""
    found = LEADING_CHAMBER.match(text)
    if not found:
        return ""
    return found[1].title() if found[1] else BODIES[found[2].upper()]


def _event(event: Any, at: str, tz: ZoneInfo, jurisdiction: str, session: str, identifier: str) -> HearingRecord:
    day = require(event, "date", at, str)
    clock = (event.get("time") or "").strip()
    start = parse_day(day, "%Y-%m-%d", at, tz)
    if clock:
        try:
            hour, minute = (int(part) for part in clock.split(":")[:2])
        except ValueError as exc:
            raise ScrapeError(at, f"unreadable time {clock!r}") from exc
        start = start.replace(hour=hour, minute=minute)
    description = (event.get("description") or "").strip()
    kind = (event.get("type") or "Hearing").strip()
    return HearingRecord(
        jurisdiction=jurisdiction,
        session=session,
        committee=description or kind,
        start=start,
        # No meeting id in LegiScan: the day and the committee name one meeting; the time is left out
        # so that a moved start reads as a reschedule of the same meeting.
        key=f"legiscan:{jurisdiction}:{kind}:{day}:{description}",
        location=(event.get("location") or "").strip(),
        bills=(identifier,),
        chamber=_named_chamber(description),
    )


def _identifier(bill: dict[str, Any], where: str) -> str:
    number = require(bill, "bill_number", where, str)
    try:
        return normalize(number)
    except BillNumberError as exc:
        raise ScrapeError(where, f"unreadable bill_number {number!r}") from exc


def _status(bill: dict[str, Any], where: str, tz: ZoneInfo, skipped: list[ScrapeError] | None) -> str:
    """The bill's status by name; a code we cannot name falls back to the latest step of its progress."""

    def step(item: Any, at: str) -> tuple[datetime, int]:
        return parse_day(require(item, "date", at, str), "%Y-%m-%d", at, tz), require(item, "event", at, int)

    progress = each_item(require(bill, "progress", where, list), where, "progress", step, skipped)
    status = STATUS_NAMES.get(require(bill, "status", where, int), "")
    if not status and progress:
        status = PROGRESS_NAMES.get(max(progress)[1], "")
    return status


def _bodies(bill: dict[str, Any]) -> dict[int, str]:
    """LegiScan's chamber ids of this bill's state, as far as the bill tells them: its body, its current body,
    its committee's chamber."""
    known: dict[int, str] = {}
    committee = bill.get("committee") if isinstance(bill.get("committee"), dict) else {}
    for code_key, id_key, holder in (("body", "body_id", bill), ("current_body", "current_body_id", bill),
                                     ("chamber", "chamber_id", committee)):
        code, number = holder.get(code_key), holder.get(id_key)
        if isinstance(number, int) and number and code in BODIES:
            known[number] = BODIES[code]
    return known


def _explicit(step: Any, bodies: Mapping[int, str]) -> str:
    code, number = step.get("chamber"), step.get("chamber_id")
    return (BODIES.get(code) if isinstance(code, str) else None) or bodies.get(number if isinstance(number, int) else 0, "")


def _actions(bill: dict[str, Any], where: str, tz: ZoneInfo, skipped: list[ScrapeError] | None
             ) -> tuple[ActionRecord, ...]:
    bodies = _bodies(bill)
    history = require(bill, "history", where, list)
    # A state whose rows carry chambers leaves them blank for what no chamber did ("Act 386", a veto): those
    # stay without one. Only where no row carries one (Alaska) does a row inherit the chamber the bill is in.
    inherit = not any(isinstance(step, dict) and _explicit(step, bodies) for step in history)
    current = BODIES.get(bill.get("body") or "", "")

    def action(step: Any, at: str) -> ActionRecord:
        nonlocal current
        when = parse_day(require(step, "date", at, str), "%Y-%m-%d", at, tz)
        text = require(step, "action", at, str).strip()
        chamber = _explicit(step, bodies) or _named_chamber(text) or (current if inherit else "")
        current = chamber or current
        if moved := TRANSMITTED.search(text):  # the rows after this one happen in the other chamber
            current = BODIES.get(moved[1].upper()) or moved[1].title()
        return ActionRecord(when, text, chamber)

    actions: list[ActionRecord] = []
    for found in each_item(history, where, "history", action, skipped):
        same_day = sum(1 for a in actions if a.when == found.when)
        actions.append(replace(found, order=same_day))
    return tuple(actions)


def _sponsors(bill: dict[str, Any], where: str, skipped: list[ScrapeError] | None) -> tuple[SponsorRecord, ...]:
    def sponsor(person: Any, at: str) -> tuple[int, int, SponsorRecord]:
        kind = person.get("sponsor_type_id", GENERIC_SPONSOR)
        record = SponsorRecord(
            name=require(person, "name", at, str).strip(),
            primary=kind in (PRIMARY_SPONSOR, JOINT_SPONSOR),
            party=person.get("party") or "",
            district=person.get("district") or "",
            chamber=ROLES.get(person.get("role") or "", ""),
        )
        order = person.get("sponsor_order")
        return (kind, order if isinstance(order, int) else 0, record)

    found = each_item(require(bill, "sponsors", where, list), where, "sponsors", sponsor, skipped)
    ranked = sorted(range(len(found)), key=lambda i: (found[i][1], i))  # by sponsor_order, then as listed
    ordered = [(found[i][0], found[i][2]) for i in ranked]
    explicit = any(kind in (PRIMARY_SPONSOR, JOINT_SPONSOR) for kind, _ in ordered)
    result = []
    for position, (kind, record) in enumerate(ordered):
        if kind == GENERIC_SPONSOR:  # only generic sponsors: the first named is the primary one
            record = replace(record, primary=not explicit and position == 0)
        result.append(record)
    return tuple(result)
def _version(text: Any, at: str, tz: ZoneInfo) -> VersionRecord:
    link = text.get("state_link") or require(text, "url", at, str)
    return VersionRecord(
        name=require(text, "type", at, str),
        code=str(require(text, "doc_id", at, int)),
        when=parse_day(require(text, "date", at, str), "%Y-%m-%d", at, tz),
        url=link,
        html_url=link if text.get("mime") == "text/html" else "",
    )


def _document(doc: Any, at: str, tz: ZoneInfo, kind_of: str | None) -> DocumentRecord:
    kind = kind_of or require(doc, "type", at, str).lower()
    return DocumentRecord(
        kind=kind,
        title=(doc.get("title") or doc.get("type") or kind).strip(),
        url=doc.get("state_link") or require(doc, "url", at, str),
        when=parse_day(doc["date"], "%Y-%m-%d", at, tz) if doc.get("date") else None,
    )


def _documents(bill: dict[str, Any], where: str, tz: ZoneInfo, skipped: list[ScrapeError] | None
               ) -> tuple[DocumentRecord, ...]:
    """Supplements (each one's type, lowercased, is its kind) and amendments."""
    documents: list[DocumentRecord] = []
    for key, kind_of in (("supplements", None), ("amendments", "amendment")):
        build = partial(_document, tz=tz, kind_of=kind_of)
        documents.extend(each_item(bill.get(key) or [], where, key, build, skipped))
    return tuple(documents)


def parse_bill(body: bytes, where: str, tz: ZoneInfo, jurisdiction: str, skipped: list[ScrapeError] | None = None
               ) -> tuple[BillRecord, tuple[HearingRecord, ...]]:
    """A `getBill` answer (with or without its {"status": "OK"} envelope) -> the bill and its calendar.

    With a `skipped` list, a broken item inside the bill is reported there and left out; without, it raises."""
    data = load_json(body, where)
    _check_status(data, where)
    bill = require(data, "bill", where, dict)
    identifier = _identifier(bill, where)
    session = require(require(bill, "session", where, dict), "session_name", where, str)
    title = require(bill, "title", where, str).strip()
    description = require(bill, "description", where, str).strip()
    committee = bill.get("committee")
    record = BillRecord(
        jurisdiction=jurisdiction,
        session=session,
        identifier=identifier,
        title=title,
        synopsis=description if description != title else "",
        status=_status(bill, where, tz, skipped),
        url=bill.get("state_link") or bill.get("url") or "",
        source_id=str(require(bill, "bill_id", where, int)),
        committee=committee.get("name", "") if isinstance(committee, dict) else "",
        subjects=tuple(each_item(require(bill, "subjects", where, list), where, "subjects",
                                 lambda s, at: require(s, "subject_name", at, str), skipped)),
        sponsors=_sponsors(bill, where, skipped),
        actions=_actions(bill, where, tz, skipped),
        versions=tuple(each_item(require(bill, "texts", where, list), where, "texts", partial(_version, tz=tz),
                                 skipped)),
        documents=_documents(bill, where, tz, skipped),
    )
    event = partial(_event, tz=tz, jurisdiction=jurisdiction, session=session, identifier=identifier)
    return record, tuple(each_item(require(bill, "calendar", where, list), where, "calendar", event, skipped))


def merge_hearings(hearings: list[HearingRecord]) -> tuple[HearingRecord, ...]:
    """One record per meeting, with every bill that meeting takes up."""
    merged: dict[str, HearingRecord] = {}
    for hearing in hearings:
        known = merged.get(hearing.key)
        if known is None:
            merged[hearing.key] = hearing
        else:
            bills = tuple(dict.fromkeys((*known.bills, *hearing.bills)))
            merged[hearing.key] = replace(known, bills=bills)
    return tuple(merged.values())


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
    """Bills whose change_hash differs from `state`; `since` is not needed (the hashes say what changed)."""
    if not api_key:
        raise ValueError(f"LegiScan needs an API key (the caller reads it from ${options.api_key_env})")
    run = Run(fetcher, options.max_queries)
    secret = {"key": api_key}
    hashes = dict(state or {})
    params: dict[str, str | int] = {"op": "getMasterListRaw"}
    params.update({"id": options.session_id} if options.session_id else {"state": jurisdiction})
    bills: list[BillRecord] = []
    hearings: list[HearingRecord] = []
    index = run.get(Request(options.base_url, params=params, secret_params=secret))
    if index.not_modified:
        run.notes.append(f"LegiScan {jurisdiction}: master list not modified")
        return run.collected(ScrapeResult(), hashes)
    skipped: list[ScrapeError] = []
    entries = parse_master_list(index.body, index.url, skipped)
    run.skipped(skipped)
    run.keep(index)
    run.listing(len(entries))
    if not entries:
        run.notes.append(f"LegiScan {jurisdiction}: the master list holds no bills")
    changed = [e for e in entries if hashes.get(str(e.bill_id)) != e.change_hash]
    for position, entry in enumerate(changed):
        request = Request(options.base_url, params={"op": "getBill", "id": entry.bill_id}, secret_params=secret)
        try:
            # The hash already says it changed; a 304 would leave nothing to parse.
            payload = run.get(request, conditional=False)
        except BudgetExhausted:
            run.notes.append(
                f"LegiScan {jurisdiction}: stopped at the budget of {options.max_queries} queries; "
                f"{len(changed) - position} changed bill(s) left for the next run"
            )
            break
        skipped = []
        try:
            record, found = parse_bill(payload.body, payload.url, tz, jurisdiction, skipped)
        except ScrapeError as exc:
            run.fail(exc)
            continue
        run.skipped(skipped)
        run.accept([payload])
        bills.append(record)
        hearings.extend(found)
        hashes[str(entry.bill_id)] = entry.change_hash
    return run.collected(ScrapeResult(bills=tuple(bills), hearings=merge_hearings(hearings)), hashes)


def check(fetcher: Fetcher, options: Options, jurisdiction: str, tz: ZoneInfo, *, api_key: str | None = None
          ) -> list[str]:
    """A live sample (the master list and its first bill, two queries): what the parsers would miss in it."""
    if not api_key:
        return [f"no API key (set ${options.api_key_env})"]
    secret = {"key": api_key}
    params: dict[str, str | int] = {"op": "getMasterListRaw"}
    params.update({"id": options.session_id} if options.session_id else {"state": jurisdiction})
    index = fetcher.fetch(options.base_url, params=params, secret_params=secret, conditional=False)
    entries: list[MasterEntry] = []
    found = problems_of(lambda skipped: entries.extend(parse_master_list(index.body, index.url, skipped)))
    if found or not entries:
        return found or [f"{index.url}: the master list holds no bills"]
    bill = fetcher.fetch(options.base_url, params={"op": "getBill", "id": entries[0].bill_id},
                         secret_params=secret, conditional=False)
    return problems_of(lambda skipped: parse_bill(bill.body, bill.url, tz, jurisdiction, skipped))
