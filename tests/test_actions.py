from __future__ import annotations

import json

import pytest

from tests.httpserver import real_path
from vocabulary.actions import DEFAULT_RULES, Rule, apply, classify


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Introduced", ("introduced",)),
        ("Refer to Committee", ("referred-to-committee",)),
        ("Re-referred to the Committee on Finance", ("referred-to-committee",)),
        ("Sponsor Testimony", ("committee-hearing",)),
        ("Reported - Substitute", ("reported", "amended")),
        ("Reported - Amended", ("reported", "amended")),
        ("Passed", ("passed-chamber",)),
        ("Passed - Amended", ("passed-chamber", "amended")),
        ("Concurred in Senate amendments", ("concurred",)),
        ("Refused to concur in Senate amendments", ()),
        ("Signed by the Governor", ("signed",)),
        ("Vetoed by the Governor", ("vetoed",)),
        ("Line-Item Veto", ("vetoed",)),
        ("Effective 7/6/25", ("effective",)),
        ("Informally Passed", ()),  # Ohio: passed over for the day, not a passage
        ("Amendment failed", ()),
        ("Failed to pass", ("failed",)),
    ],
)
def test_ohio_action_texts(text: str, expected: tuple[str, ...]) -> None:
    assert classify("OH", text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "House Read the first time, rules suspended, read the second time and referred to the Committee on JOINT BUDGET COMMITTEE",
            ("introduced", "referred-to-committee"),
        ),
        ("House Returned by the Committee Do Pass", ("reported",)),
        ("Senate Read the third time and passed.", ("passed-chamber",)),
        ("House EMERGENCY CLAUSE ADOPTED", ()),
        ("Reported from committee, do not pass", ("failed",)),
        ("Committee amendment adopted", ("amended",)),
        ("Bill heard in committee", ()),  # "heard" alone is Ohio's wording, not in the default set
    ],
)
def test_default_rules(text: str, expected: tuple[str, ...]) -> None:
    assert classify("AR", text) == expected


def test_state_overrides_apply_only_to_their_state() -> None:
    assert classify("OH", "Informally Passed") == ()
    assert classify("MA", "Informally Passed") == ("passed-chamber",)
    assert classify("oh", "Bill heard") == ("committee-hearing",)


def test_stop_ends_the_search_and_rules_are_plain_data() -> None:
    rules = (Rule(r"tabled", (), stop=True), *DEFAULT_RULES)
    assert apply(rules, "Motion to pass tabled") == ()
    assert apply(DEFAULT_RULES, "Motion to pass tabled") == ()  # nothing else matched "pass" alone either
    assert apply(DEFAULT_RULES, "Bill passed and tabled") == ("passed-chamber",)
    assert apply(rules, "Bill passed and tabled") == ()


def test_a_rule_with_an_unknown_classification_is_refused() -> None:
    with pytest.raises(ValueError, match="passage"):
        Rule(r"passed", ("passage",))


def test_every_real_arkansas_history_line_gets_an_answer_without_error() -> None:
    folder = real_path("legiscan")
    texts = [
        step["action"]
        for path in sorted(folder.glob("*.json"))
        for step in json.loads(path.read_text())["bill"]["history"]
    ]
    found = {text: classify("AR", text) for text in texts}
    assert found["House Read the third time and passed and ordered transmitted to the Senate."] == ("passed-chamber",)
    assert found["House Prefiled"] == ("introduced",)
