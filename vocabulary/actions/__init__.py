"""What an action on a bill means, from its text, by rules an advocate can read.

Rules are tried in order: a state's own rules first, then the default set (see `rules` for how a rule applies).
The machinery is `rules`, the shared rules `default`, and each state's own rules one file named for it (`oh`):
adding a state is one file plus one line in `STATE_RULES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from vocabulary.actions import default, oh
from vocabulary.actions.rules import (
    AMENDED,
    CLASSIFICATIONS,
    CONCURRED,
    EFFECTIVE,
    FAILED,
    HEARING,
    INTRODUCED,
    PASSED,
    REFERRED,
    REPORTED,
    SIGNED,
    VETOED,
    Rule,
    apply,
)

__all__ = [
    "AMENDED", "CLASSIFICATIONS", "CONCURRED", "DEFAULT_RULES", "EFFECTIVE", "FAILED", "HEARING", "INTRODUCED",
    "PASSED", "REFERRED", "REPORTED", "SIGNED", "STATE_RULES", "VETOED", "Rule", "apply", "classify", "rules_for",
]

DEFAULT_RULES: tuple[Rule, ...] = default.RULES

STATE_RULES: Mapping[str, tuple[Rule, ...]] = {
    "OH": oh.RULES,
}


@cache
def rules_for(state: str) -> tuple[Rule, ...]:
    return (*STATE_RULES.get(state.upper(), ()), *DEFAULT_RULES)


def classify(state: str, text: str) -> tuple[str, ...]:
    """The classifications of an action's text, e.g. classify("OH", "Passed - Amended") -> ("passed-chamber", "amended")."""
    return apply(rules_for(state), text)
