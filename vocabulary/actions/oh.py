"""Ohio's own action rules, tried before the default ones (the Ohio General Assembly's wording)."""

from __future__ import annotations

from vocabulary.actions.rules import AMENDED, HEARING, REPORTED, VETOED, Rule

RULES: tuple[Rule, ...] = (
    # In Ohio "informally passed" means the bill was passed over for the day.
    Rule(r"informally passed|pass(ed)? over informally", (), stop=True),
    Rule(r"line[- ]item veto", (VETOED,), stop=True),
    Rule(r"\b(sponsor|proponent|opponent|interested party|all) testimony\b|\bbill heard\b", (HEARING,)),
    # Ohio's committee report reads "Reported - Substitute" / "Reported - Amended".
    Rule(r"^\s*reported\s*-\s*(substitute|amended)", (REPORTED, AMENDED), stop=True),
)
