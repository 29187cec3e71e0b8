"""The machinery of action rules: the classifications, a `Rule`, and applying an ordered list of them.

Every rule whose pattern matches adds its classifications; a matching rule with `stop` ends the search. A rule with
no classifications and `stop` is an exception ("Informally passed" in Ohio is a postponement, not a passage).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

INTRODUCED = "introduced"
REFERRED = "referred-to-committee"
HEARING = "committee-hearing"
REPORTED = "reported"
PASSED = "passed-chamber"
CONCURRED = "concurred"
VETOED = "vetoed"
SIGNED = "signed"
EFFECTIVE = "effective"
FAILED = "failed"
AMENDED = "amended"

CLASSIFICATIONS = (
    INTRODUCED,
    REFERRED,
    HEARING,
    REPORTED,
    PASSED,
    CONCURRED,
    VETOED,
    SIGNED,
    EFFECTIVE,
    FAILED,
    AMENDED,
)


@dataclass(frozen=True)
class Rule:
    pattern: str  # a regular expression, matched anywhere in the text, case-insensitively
    classifications: tuple[str, ...] = ()
    stop: bool = False
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unknown = set(self.classifications) - set(CLASSIFICATIONS)
        if unknown:
            raise ValueError(f"rule {self.pattern!r}: unknown classification(s) {sorted(unknown)}")
        object.__setattr__(self, "regex", re.compile(self.pattern, re.IGNORECASE))


def apply(rules: Sequence[Rule], text: str) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for rule in rules:
        if rule.regex.search(text):
            for name in rule.classifications:
                found.setdefault(name, None)
            if rule.stop:
                break
    return tuple(found)
