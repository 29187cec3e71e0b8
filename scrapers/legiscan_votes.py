"""LegiScan `getRollCall`: one roll call with each legislator's vote (by people_id). The bill is LegiScan's
`bill_id`, matched to the stored bill whose source id it is."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from scrapers.base import load_json, parse_day, require
from scrapers.votebase import option
from vocabulary.records import RollCallRecord, ScrapeError, VoteCastRecord

CHAMBERS = {"H": "House", "S": "Senate", "A": "Assembly", "J": "Joint"}


def wants(url: str) -> bool:
    return "op=getRollCall" in url


def parse(body: bytes, where: str, tz: ZoneInfo) -> tuple[RollCallRecord, ...]:
    data = load_json(body, where)
    if isinstance(data, dict) and data.get("status") not in (None, "OK"):
        raise ScrapeError(where, f"LegiScan answered status {data.get('status')!r}: {data.get('alert', '')}")
    roll = require(data, "roll_call", where, dict)
    votes = []
    for index, vote in enumerate(require(roll, "votes", where, list)):
        at = f"{where} [votes {index}]"
        votes.append(VoteCastRecord(option(str(require(vote, "vote_text", at, str))),
                                    source_id=str(require(vote, "people_id", at, int))))
    yea, nay = require(roll, "yea", where, int), require(roll, "nay", where, int)
    other = int(roll.get("nv") or 0) + int(roll.get("absent") or 0)
    return (RollCallRecord(
        key=f"legiscan:{require(roll, 'roll_call_id', where, int)}",
        bill_source_id=str(require(roll, "bill_id", where, int)),
        when=parse_day(require(roll, "date", where, str), "%Y-%m-%d", where, tz),
        chamber=CHAMBERS.get(str(roll.get("chamber", "")), str(roll.get("chamber", ""))),
        motion=str(roll.get("desc") or "").strip(), passed=bool(roll.get("passed")) if "passed" in roll else None,
        yeas=yea, nays=nay, other=other, votes=tuple(votes)),)
