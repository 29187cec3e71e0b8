"""LegiScan API: `getMasterListRaw` says which bills changed (by `change_hash`), `getBill` only for those.

The caller keeps the hashes: it passes the known ones in as `state` ({bill_id: change_hash}) and stores the
returned `Collected.state`. A bill whose getBill fails to parse keeps its old hash, so it is asked for again.
Every request is a query against a monthly allowance; `max_queries` stops a run before it spends too many.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from scrapers.base import ApiKey, BudgetExhausted, Collected, Request, Run, load_json, parse_day, require
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
PRIMARY_SPONSOR_TYPES = {0, 1}  # 0 generic sponsor, 1 primary; 2 is a cosponsor, 3 a joint sponsor
LEADING_CHAMBER = re.compile(r"^(House|Senate|Assembly)\b")

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


def parse_master_list(body: bytes, where: str) -> list[MasterEntry]:
    data = load_json(body, where)
    _check_status(data, where)
    masterlist = require(data, "masterlist", where, dict)
    entries = []
    for key, item in masterlist.items():
        if key == "session":
            continue
        at = f"{where} [masterlist {key}]"
        entries.append(
            MasterEntry(
                bill_id=require(item, "bill_id", at, int),
                number=require(item, "number", at, str),
                change_hash=require(item, "change_hash", at, str),
            )
        )
    return entries


def _chamber(code: Any, text: str = "") -> str:
    if isinstance(code, str) and code in BODIES:
        return BODIES[code]
    found = LEADING_CHAMBER.match(text)
    return found[1] if found else ""


def _hearings(
    bill: dict[str, Any], where: str, tz: ZoneInfo, jurisdiction: str, session: str, identifier: str
) -> tuple[HearingRecord, ...]:
    hearings = []
    for index, event in enumerate(require(bill, "calendar", where, list)):
        at = f"{where} [calendar {index}]"
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
        hearings.append(
            HearingRecord(
                jurisdiction=jurisdiction,
                session=session,
                committee=description or kind,
                start=start,
                # No meeting id in LegiScan: the day and the committee name one meeting; the time is left out
                # so that a moved start reads as a reschedule of the same meeting.
                key=f"legiscan:{jurisdiction}:{kind}:{day}:{description}",
                location=(event.get("location") or "").strip(),
                bills=(identifier,),
                chamber=_chamber(None, description),
            )
        )
    return tuple(hearings)


def _identifier(bill: dict[str, Any], where: str) -> str:
    number = require(bill, "bill_number", where, str)
    try:
        return normalize(number)
    except BillNumberError as exc:
        raise ScrapeError(where, f"unreadable bill_number {number!r}") from exc


def _status(bill: dict[str, Any], where: str, tz: ZoneInfo) -> str:
    """The bill's status by name; a code we cannot name falls back to the latest step of its progress."""
    progress = []
    for index, step in enumerate(require(bill, "progress", where, list)):
        at = f"{where} [progress {index}]"
        event = require(step, "event", at, int)
        progress.append((parse_day(require(step, "date", at, str), "%Y-%m-%d", at, tz), event))
    status = STATUS_NAMES.get(require(bill, "status", where, int), "")
    if not status and progress:
        status = PROGRESS_NAMES.get(max(progress)[1], "")
    return status


def _actions(bill: dict[str, Any], where: str, tz: ZoneInfo) -> tuple[ActionRecord, ...]:
    actions: list[ActionRecord] = []
    for index, step in enumerate(require(bill, "history", where, list)):
        at = f"{where} [history {index}]"
        when = parse_day(require(step, "date", at, str), "%Y-%m-%d", at, tz)
        text = require(step, "action", at, str).strip()
        same_day = sum(1 for a in actions if a.when == when)
        actions.append(ActionRecord(when, text, _chamber(step.get("chamber"), text), order=same_day))
    return tuple(actions)


def _sponsors(bill: dict[str, Any], where: str) -> tuple[SponsorRecord, ...]:
    sponsors = []
    for index, person in enumerate(require(bill, "sponsors", where, list)):
        at = f"{where} [sponsors {index}]"
        sponsors.append(
            SponsorRecord(
                name=require(person, "name", at, str).strip(),
                primary=person.get("sponsor_type_id", 0) in PRIMARY_SPONSOR_TYPES,
                party=person.get("party") or "",
                district=person.get("district") or "",
                chamber=ROLES.get(person.get("role") or "", ""),
            )
        )
    return tuple(sponsors)


def _versions(bill: dict[str, Any], where: str, tz: ZoneInfo) -> tuple[VersionRecord, ...]:
    versions = []
    for index, text in enumerate(require(bill, "texts", where, list)):
        at = f"{where} [texts {index}]"
        link = text.get("state_link") or require(text, "url", at, str)
        versions.append(
            VersionRecord(
                name=require(text, "type", at, str),
                code=str(require(text, "doc_id", at, int)),
                when=parse_day(require(text, "date", at, str), "%Y-%m-%d", at, tz),
                url=link,
                html_url=link if text.get("mime") == "text/html" else "",
            )
        )
    return tuple(versions)


def _documents(bill: dict[str, Any], where: str, tz: ZoneInfo) -> tuple[DocumentRecord, ...]:
    """Supplements (each one's type, lowercased, is its kind) and amendments."""
    documents = []
    for key, kind_of in (("supplements", None), ("amendments", "amendment")):
        for index, doc in enumerate(bill.get(key) or []):
            at = f"{where} [{key} {index}]"
            kind = kind_of or require(doc, "type", at, str).lower()
            documents.append(
                DocumentRecord(
                    kind=kind,
                    title=(doc.get("title") or doc.get("type") or kind).strip(),
                    url=doc.get("state_link") or require(doc, "url", at, str),
                    when=parse_day(doc["date"], "%Y-%m-%d", at, tz) if doc.get("date") else None,
                )
            )
    return tuple(documents)


def parse_bill(body: bytes, where: str, tz: ZoneInfo, jurisdiction: str) -> tuple[BillRecord, tuple[HearingRecord, ...]]:
    """A `getBill` answer (with or without its {"status": "OK"} envelope) -> the bill and its calendar."""
    data = load_json(body, where)
    _check_status(data, where)
    bill = require(data, "bill", where, dict)
    identifier = _identifier(bill, where)
    session = require(require(bill, "session", where, dict), "session_name", where, str)
    title = require(bill, "title", where, str).strip()
    description = require(bill, "description", where, str).strip()
    status = _status(bill, where, tz)
    actions, sponsors = _actions(bill, where, tz), _sponsors(bill, where)
    versions, documents = _versions(bill, where, tz), _documents(bill, where, tz)
    committee = bill.get("committee")
    record = BillRecord(
        jurisdiction=jurisdiction,
        session=session,
        identifier=identifier,
        title=title,
        synopsis=description if description != title else "",
        status=status,
        url=bill.get("state_link") or bill.get("url") or "",
        source_id=str(require(bill, "bill_id", where, int)),
        committee=committee.get("name", "") if isinstance(committee, dict) else "",
        subjects=tuple(
            require(s, "subject_name", where, str) for s in require(bill, "subjects", where, list)
        ),
        sponsors=sponsors,
        actions=actions,
        versions=versions,
        documents=documents,
    )
    return record, _hearings(bill, where, tz, jurisdiction, session, identifier)


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
    entries = parse_master_list(index.body, index.url)
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
        try:
            record, found = parse_bill(payload.body, payload.url, tz, jurisdiction)
        except ScrapeError as exc:
            run.fail(exc)
            continue
        run.accept([payload])
        bills.append(record)
        hearings.extend(found)
        hashes[str(entry.bill_id)] = entry.change_hash
    return run.collected(ScrapeResult(bills=tuple(bills), hearings=merge_hearings(hearings)), hashes)
