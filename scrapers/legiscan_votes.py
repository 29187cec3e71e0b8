"""LegiScan: `getBill` lists a bill's roll calls with their tallies; `getRollCall` gives one roll call with each
legislator's vote (by people_id), under the same key, so it completes the tally when fetched. The bill is
LegiScan's `bill_id`, matched to the stored bill whose source id it is."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from scrapers.base import load_json, parse_day, require
from scrapers.votebase import option
from vocabulary.records import RollCallRecord, ScrapeError, VoteCastRecord

CHAMBERS = {"H": "House", "S": "Senate", "A": "Assembly", "J": "Joint"}


def wants(url: str) -> bool:
    return "op=getRollCall" in url or "op=getBill" in url


def parse(body: bytes, where: str, tz: ZoneInfo) -> tuple[RollCallRecord, ...]:
    data = load_json(body, where)
    if isinstance(data, dict) and data.get("status") not in (None, "OK"):
        raise ScrapeError(where, f"LegiScan answered status {data.get('status')!r}: {data.get('alert', '')}")
    if isinstance(data, dict) and "bill" in data:
        bill = require(data, "bill", where, dict)
        bill_id = require(bill, "bill_id", where, int)
        return tuple(_roll_call({**roll, "bill_id": bill_id}, f"{where} [votes {n}]", tz)
                     for n, roll in enumerate(bill.get("votes") or ()))
    return (_roll_call(require(data, "roll_call", where, dict), where, tz),)


def _roll_call(roll: dict, where: str, tz: ZoneInfo) -> RollCallRecord:
    votes = []
    for index, vote in enumerate(roll.get("votes") or ()):
        at = f"{where} [votes {index}]"
        votes.append(VoteCastRecord(option(str(require(vote, "vote_text", at, str))),
                                    source_id=str(require(vote, "people_id", at, int))))
    yea, nay = require(roll, "yea", where, int), require(roll, "nay", where, int)
    other = int(roll.get("nv") or 0) + int(roll.get("absent") or 0)
    return RollCallRecord(
        key=f"legiscan:{require(roll, 'roll_call_id', where, int)}",
        bill_source_id=str(require(roll, "bill_id", where, int)),
        when=parse_day(require(roll, "date", where, str), "%Y-%m-%d", where, tz),
        chamber=CHAMBERS.get(str(roll.get("chamber", "")), str(roll.get("chamber", ""))),
        motion=str(roll.get("desc") or "").strip(), passed=bool(roll.get("passed")) if "passed" in roll else None,
        yeas=yea, nays=nay, other=other, votes=tuple(votes))
