"""Roll-call votes, one parser module per source kind, kept apart from the bill scrapers.

Each module exports `wants(url) -> bool` (is this archived payload one that carries votes?) and
`parse(body, where, tz) -> tuple[RollCallRecord, ...]`. `advocacy.collect.votes` runs them over the bodies a
source run archived, so votes need no request of their own where the source already sends them.
Registry: `VOTE_PARSERS`, keyed by source kind (one line per source).
"""

from __future__ import annotations

from typing import Protocol
from zoneinfo import ZoneInfo

from scrapers import legiscan_votes, ohio_votes, openstates_votes
from vocabulary.records import RollCallRecord


class VoteParser(Protocol):
    def wants(self, url: str) -> bool: ...

    def parse(self, body: bytes, where: str, tz: ZoneInfo) -> tuple[RollCallRecord, ...]: ...


VOTE_PARSERS: dict[str, VoteParser] = {
    "ohio": ohio_votes,
    "legiscan": legiscan_votes,
    "openstates": openstates_votes,
}
