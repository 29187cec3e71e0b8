"""Every development reply in tests/fixtures/replies parses to exactly what its .expected.json says.

The locked part (corpus.json) is measured by `make eval-replies` only: it is never a test, so never tuned on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from advocacy.inbound.htmltext import html_to_text
from advocacy.inbound.mime import read_message
from advocacy.inbound.replies import parse_reply
from advocacy.inbound.replytext import member_text
from tests.httpserver import real_path

CORPUS = Path(__file__).parent / "fixtures" / "replies"
ALL_CASES = sorted(CORPUS.glob("*.eml"))
MANIFEST = json.loads((CORPUS / "corpus.json").read_text(encoding="utf-8"))["cases"]
CASES = [eml for eml in ALL_CASES if MANIFEST.get(eml.stem, {}).get("part") == "dev"]


def _squash(value: object) -> object:
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list):
        return [_squash(item) for item in value]
    return value


def _expected(eml: Path) -> dict:
    return json.loads(eml.with_name(eml.stem + ".expected.json").read_text(encoding="utf-8"))


def test_corpus_has_at_least_forty_replies_each_with_expectations() -> None:
    assert len(CASES) >= 40
    assert all(eml.with_name(eml.stem + ".expected.json").exists() for eml in ALL_CASES)


def test_every_reply_has_a_client_language_and_part_and_each_family_both_parts() -> None:
    assert sorted(MANIFEST) == [eml.stem for eml in ALL_CASES]
    assert all(row["part"] in ("dev", "locked") and row["client"] and row["language"] for row in MANIFEST.values())
    composed = [row for name, row in MANIFEST.items() if int(name[:3].rstrip("_")) >= 100]
    families = {row["client"] for row in composed}
    assert {"gmail", "outlook-desktop", "outlook-web", "apple-mail", "ios-mail", "android", "thunderbird",
            "yahoo"} <= families
    assert all({r["part"] for r in composed if r["client"] == family} == {"dev", "locked"} for family in families)
    assert {"en", "es", "fr", "de", "pt", "ru", "zh", "ja", "nl", "it"} == {row["language"] for row in composed}


@pytest.mark.parametrize("eml", CASES, ids=[case.stem for case in CASES])
def test_reply_parses_to_expected_result(eml: Path) -> None:
    expected = _expected(eml)
    parsed = parse_reply(eml.read_bytes())
    got = {field: _squash(getattr(parsed, field)) for field in expected}
    assert got == {field: _squash(value) for field, value in expected.items()}


@pytest.mark.parametrize("eml", CASES, ids=[case.stem for case in CASES])
def test_reply_names_the_digest_token_and_sender(eml: Path) -> None:
    parsed = parse_reply(eml.read_bytes())
    assert parsed.reply_token and parsed.reply_token.count(".") in (1, 2)
    assert parsed.sender and parsed.sender == parsed.sender.lower()
    assert parsed.message_id.startswith("<")


ALTERNATIVES = [eml for eml in CASES if (lambda p: p.plain and p.html)(read_message(eml.read_bytes(), 10**8))]


@pytest.mark.parametrize("eml", ALTERNATIVES, ids=[case.stem for case in ALTERNATIVES])
def test_html_alternative_gives_the_same_member_text_as_plain(eml: Path) -> None:
    # The plain part is preferred; the HTML path must agree so that HTML-only replies are read as well.
    parts = read_message(eml.read_bytes(), 10**8)
    assert _squash(member_text(html_to_text(parts.html or ""))) == _squash(_expected(eml)["text"])


REAL_LABELS = json.loads((CORPUS / "realdata.json").read_text(encoding="utf-8"))["cases"]
REAL_DEV = sorted(name for name, row in REAL_LABELS.items() if row["part"] == "dev")


@pytest.mark.parametrize("name", REAL_DEV)
def test_real_client_reply_or_forward_gives_the_members_text(name: str) -> None:
    # Real client formats (Apple Mail, Gmail, Outlook, Thunderbird, Yahoo... in 20 languages) and real mailing-list
    # replies (interleaved, bottom-posted), kept outside the
    # project; the locked part of them is measured by `make eval-replies` only.
    row = REAL_LABELS[name]
    raw = real_path("replies", row["file"]).read_bytes()
    got = parse_reply(raw).text if row.get("eml") else member_text(raw.decode("utf-8"))
    assert _squash(got) == _squash(row["text"])
