"""Open States API v3: a page of `GET /bills` asked with `include=votes` carries each bill's vote events, with
counts and each voter's name (and ocd-person id when Open States matched the person)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from scrapers.base import load_json, require
from scrapers.votebase import option
from vocabulary.billnum import BillNumberError, normalize
from vocabulary.records import RollCallRecord, ScrapeError, VoteCastRecord

CHAMBERS = {"lower": "House", "upper": "Senate", "legislature": "Joint"}


def wants(url: str) -> bool:
    return "/bills" in url and "votes" in url


def _when(text: str, at: str, tz: ZoneInfo) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ScrapeError(at, f"unreadable start_date {text!r}") from exc
    return value.replace(tzinfo=tz) if value.tzinfo is None else value.astimezone(tz)


def _event(event: Any, at: str, bill: tuple[str, str, str], tz: ZoneInfo) -> RollCallRecord:
    counts = {str(c.get("option", "")): int(c.get("value") or 0)
              for c in require(event, "counts", at, list) if isinstance(c, dict)}
    votes = tuple(
        VoteCastRecord(option(str(v.get("option", ""))), name=str(v.get("voter_name") or ""),
                       source_id=str((v.get("voter") or {}).get("id") or ""))
        for v in require(event, "votes", at, list) if isinstance(v, dict))
    organization = event.get("organization") or {}
    result = str(event.get("result") or "").lower()
    return RollCallRecord(
        key=f"openstates:{require(event, 'id', at, str)}", jurisdiction=bill[0], session=bill[1], bill=bill[2],
        when=_when(require(event, "start_date", at, str), at, tz),
        chamber=CHAMBERS.get(str(organization.get("classification", "")), str(organization.get("name", ""))),
        motion=str(event.get("motion_text") or "").strip(),
        passed=True if result == "pass" else False if result == "fail" else None,
        yeas=counts.get("yes", 0), nays=counts.get("no", 0),
        other=sum(v for k, v in counts.items() if k not in ("yes", "no")), votes=votes)


def _jurisdiction(item: Any) -> str:
    name = str((item.get("jurisdiction") or {}).get("id", ""))  # ocd-jurisdiction/country:us/state:oh/government
    for part in name.split("/"):
        if part.startswith("state:"):
            return part[len("state:"):].upper()
    return ""


def parse(body: bytes, where: str, tz: ZoneInfo) -> tuple[RollCallRecord, ...]:
    data = load_json(body, where)
    out: list[RollCallRecord] = []
    for index, item in enumerate(require(data, "results", where, list)):
        at = f"{where} [results {index}]"
        try:
            identifier = normalize(require(item, "identifier", at, str))
        except BillNumberError as exc:
            raise ScrapeError(at, f"unreadable identifier {item.get('identifier')!r}") from exc
        bill = (_jurisdiction(item), require(item, "session", at, str), identifier)
        out += [_event(event, f"{at} [votes {n}]", bill, tz) for n, event in enumerate(item.get("votes") or ())]
    return tuple(out)
