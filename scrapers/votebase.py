"""What the vote parsers share: the words for yes and no, and a counted roll call."""

from __future__ import annotations

from collections.abc import Sequence

from vocabulary.records import VoteCastRecord

YES = frozenset({"yes", "yea", "y", "aye"})
NO = frozenset({"no", "nay", "n"})


def option(word: str) -> str:
    """A source's vote word as "yes", "no" or "other" (absent, excused, not voting, present...)."""
    cleaned = word.strip().lower()
    return "yes" if cleaned in YES else "no" if cleaned in NO else "other"


def tally(votes: Sequence[VoteCastRecord]) -> tuple[int, int, int]:
    """(yeas, nays, other) counted from the individual votes."""
    yeas = sum(v.option == "yes" for v in votes)
    nays = sum(v.option == "no" for v in votes)
    return yeas, nays, len(votes) - yeas - nays
