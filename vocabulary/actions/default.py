"""The rules every state shares, tried after the state's own."""

from __future__ import annotations

from vocabulary.actions.rules import (
    AMENDED,
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
)

RULES: tuple[Rule, ...] = (
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
