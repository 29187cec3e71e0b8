"""Ohio's actions API: an action that was voted on (a committee report, a floor vote) lists the members' ids
under `yeas` and `nays`. The bill is named by the URL (`.../general_assembly_136/legislation/hb12/actions`)."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from scrapers.base import load_json, require
from scrapers.votebase import tally
from vocabulary.billnum import try_normalize
from vocabulary.records import RollCallRecord, ScrapeError, VoteCastRecord

URL = re.compile(r"general_assembly_(\w+)/legislation/([a-z]+)(\d+)/actions/?(?:\?.*)?$", re.I)
CHAMBERS = {"house": "House", "senate": "Senate"}


def wants(url: str) -> bool:
    return bool(URL.search(url))


def _bill(where: str) -> tuple[str, str]:
    match = URL.search(where)
    identifier = try_normalize(f"{match.group(2)} {match.group(3)}") if match else None
    if match is None or identifier is None:
        raise ScrapeError(where, "not an Ohio actions URL naming a bill (…/general_assembly_N/legislation/hbN/actions)")
    return match.group(1), identifier


def _roll_call(item: dict, at: str, session: str, bill: str, tz: ZoneInfo) -> RollCallRecord:
    for side in ("yeas", "nays"):
        if not isinstance(item.get(side, []), list):
            raise ScrapeError(at, f"field {side!r} is not a list of member ids")
    votes = tuple(VoteCastRecord("yes", source_id=str(m)) for m in item.get("yeas", [])) + tuple(
        VoteCastRecord("no", source_id=str(m)) for m in item.get("nays", []))
    occurred = require(item, "occurred", at, str)
    try:
        when = datetime.fromisoformat(occurred)
    except ValueError as exc:
        raise ScrapeError(at, f"unreadable time {occurred!r}") from exc
    chamber = str(item.get("chamber") or "")
    committee = str(item.get("cmte_name") or "").strip()
    motion = require(item, "description", at, str).strip() + (f" ({committee})" if committee else "")
    result = str(item.get("result") or "").lower()
    yeas, nays, other = tally(votes)
    return RollCallRecord(
        key=f"ohio:{item.get('revno', '')}:{occurred}:{item.get('action', '')}", jurisdiction="OH", session=session,
        bill=bill, when=when.replace(tzinfo=tz) if when.tzinfo is None else when.astimezone(tz),
        chamber=CHAMBERS.get(chamber.lower(), chamber), motion=motion,
        passed=True if result.startswith("pass") else False if result.startswith("fail") else None,
        yeas=yeas, nays=nays, other=other, votes=votes)


def parse(body: bytes, where: str, tz: ZoneInfo) -> tuple[RollCallRecord, ...]:
    """The actions that carry `yeas` or `nays`, as roll calls of the bill the URL names."""
    session, bill = _bill(where)
    data = load_json(body, where)
    if not isinstance(data, list):
        raise ScrapeError(where, "expected a list of actions")
    return tuple(
        _roll_call(item, f"{where} [action {index}]", session, bill, tz)
        for index, item in enumerate(data)
        if isinstance(item, dict) and ("yeas" in item or "nays" in item)
    )
