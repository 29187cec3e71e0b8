"""What an action on a bill means, from its text, by rules an advocate can read.

Rules are tried in order: a state's own rules first, then the default set. Every rule whose pattern matches adds
its classifications; a matching rule with `stop` ends the search. A rule with no classifications and `stop` is an
exception ("Informally passed" in Ohio is a postponement, not a passage).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

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


DEFAULT_RULES: tuple[Rule, ...] = (
    # Things that look like a milestone but are not one.
    Rule(r"emergency clause", (), stop=True),
    Rule(r"refuse[sd]? to concur|non-?concur", (), stop=True),
    Rule(r"amendments?\b.*\b(failed|rejected|withdrawn|tabled)", (), stop=True),
    Rule(r"amendments?\b.*\badopted|adopted\b.*\bamendments?", (AMENDED,), stop=True),
    Rule(r"veto(ed)? overrid", (), stop=True),
    # Conclusive outcomes.
    Rule(r"\bvetoe?d?\b|\bveto\b", (VETOED,), stop=True),
    Rule(r"signed by (the )?governor|governor signed|approved by (the )?governor|signed into law", (SIGNED,), stop=True),
    Rule(r"^\s*effective\b|\bbec(ame|omes) (law|effective)", (EFFECTIVE,), stop=True),
    Rule(r"do not pass|\bfailed\b|\bdefeated\b|indefinitely postponed|\bdied\b", (FAILED,), stop=True),
    # Steps that may combine ("read the first time and referred", "passed as amended").
    Rule(r"\bintroduced\b|\bpre-?filed\b|read (the )?first time|\bfirst reading\b", (INTRODUCED,)),
    Rule(r"\b(re-?)?refer(red|s)?\b(\s+\w+){0,3}\s+(to|in)\b", (REFERRED,)),
    Rule(r"\bhearing\b|\btestimony\b", (HEARING,)),
    Rule(r"\breported\b|returned by the committee|recommended (do )?pass|\bdo pass\b", (REPORTED,)),
    Rule(r"\bconcur(red|s)?\b|\bconcurrence\b", (CONCURRED,), stop=True),
    Rule(r"\bpass(ed|es)\b|\badopted\b", (PASSED,)),
    Rule(r"\bamended\b|\bsubstitute\b", (AMENDED,)),
)

STATE_RULES: Mapping[str, tuple[Rule, ...]] = {
    "OH": (
        # In Ohio "informally passed" means the bill was passed over for the day.
        Rule(r"informally passed|pass(ed)? over informally", (), stop=True),
        Rule(r"line[- ]item veto", (VETOED,), stop=True),
        Rule(r"\b(sponsor|proponent|opponent|interested party|all) testimony\b|\bbill heard\b", (HEARING,)),
        # Ohio's committee report reads "Reported - Substitute" / "Reported - Amended".
        Rule(r"^\s*reported\s*-\s*(substitute|amended)", (REPORTED, AMENDED), stop=True),
    ),
}


@cache
def rules_for(state: str) -> tuple[Rule, ...]:
    return (*STATE_RULES.get(state.upper(), ()), *DEFAULT_RULES)


def apply(rules: Sequence[Rule], text: str) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for rule in rules:
        if rule.regex.search(text):
            for name in rule.classifications:
                found.setdefault(name, None)
            if rule.stop:
                break
    return tuple(found)


def classify(state: str, text: str) -> tuple[str, ...]:
    """The classifications of an action's text, e.g. classify("OH", "Passed - Amended") -> ("passed-chamber", "amended")."""
    return apply(rules_for(state), text)
