from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from advocacy.inbound.replies import Attribution, ParsedReply, parse_reply, reply_summary
from advocacy.inbound.replytext import member_text, split_questions

FIXTURES = Path(__file__).parent / "fixtures" / "replies"
REPLY_TO = "questions+2t.pp2xwid72xvbilxn@reply.example.org"


def _mail(
    body: bytes, *, content_type: str = 'text/plain; charset="utf-8"', cte: str = "8bit", extra: str = ""
) -> bytes:
    head = (
        "From: Dana Whitfield <DWhitfield@CedarCreek.example.org>\r\n"
        f"To: Lakeshore Schools Collaborative <{REPLY_TO}>\r\n"
        "Cc: Angela Brooks <abrooks@cedarcreek.example.org>, tkeller@maplevalley.example.org\r\n"
        "Subject: Re: Legislative Digest: March 4, 2025\r\n"
        "Date: Wed, 5 Mar 2025 08:01:17 -0500\r\n"
        "Message-ID: <reply-1@cedarcreek.example.org>\r\n"
        "In-Reply-To: <digest-101@lakeshore-collab.example.org>\r\n"
        "References: <digest-100@lakeshore-collab.example.org>\r\n"
        " <digest-101@lakeshore-collab.example.org>\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n"
        f"Content-Transfer-Encoding: {cte}\r\n{extra}\r\n"
    )
    return head.encode("ascii") + body


def test_headers_are_read_and_sender_lowercased() -> None:
    parsed = parse_reply(_mail(b"What is the status of HB 58?\r\n"))
    assert parsed.sender == "dwhitfield@cedarcreek.example.org"
    assert parsed.sender_name == "Dana Whitfield"
    assert parsed.to == [REPLY_TO]
    assert parsed.cc == ["abrooks@cedarcreek.example.org", "tkeller@maplevalley.example.org"]
    assert parsed.subject == "Re: Legislative Digest: March 4, 2025"
    assert parsed.date == datetime(2025, 3, 5, 8, 1, 17, tzinfo=timezone(timedelta(hours=-5)))
    assert parsed.message_id == "<reply-1@cedarcreek.example.org>"
    assert parsed.in_reply_to == "<digest-101@lakeshore-collab.example.org>"
    assert parsed.references == [
        "<digest-100@lakeshore-collab.example.org>",
        "<digest-101@lakeshore-collab.example.org>",
    ]
    assert parsed.reply_token == "2t.pp2xwid72xvbilxn"
    assert parsed.questions == ["What is the status of HB 58?"] and parsed.bills == ["HB 58"]
    assert parsed.problems == []


def test_content_hash_is_sha256_of_the_raw_bytes() -> None:
    raw = _mail(b"Is SB 22 retroactive?\r\n")
    assert parse_reply(raw).content_hash == hashlib.sha256(raw).hexdigest()
    assert parse_reply(raw) == parse_reply(raw)


def test_oversized_message_records_problem_and_still_reads_headers() -> None:
    raw = _mail(b"Is SB 22 retroactive?\r\n" + b"x" * (12 * 2**20))
    parsed = parse_reply(raw)
    assert parsed.problems == ["oversized: 12 MB > 5 MB limit"]
    assert parsed.sender == "dwhitfield@cedarcreek.example.org"
    assert parsed.reply_token == "2t.pp2xwid72xvbilxn"
    assert parsed.text == "" and parsed.questions == [] and not parsed.is_question
    assert parsed.size == len(raw)


def test_size_limit_is_a_parameter() -> None:
    raw = _mail(b"Is SB 22 retroactive?\r\n")
    assert parse_reply(raw, max_bytes=len(raw)).problems == []
    assert parse_reply(raw, max_bytes=100).problems[0].startswith("oversized: ")


def test_unknown_charset_is_read_as_utf8_and_reported() -> None:
    body = "Is the “floor” in HB 305 fixed?\r\n".encode()
    parsed = parse_reply(_mail(body, content_type="text/plain; charset=x-klingon"))
    assert parsed.text == "Is the “floor” in HB 305 fixed?"
    assert parsed.problems == ["unknown charset: text/plain declared x-klingon, read as utf-8"]


def test_undecodable_part_keeps_what_can_be_read_and_says_so() -> None:
    body = b"Is HB 305 \x81\x8d\x90 retroactive?\r\n\xff\xfe"  # not UTF-8 and not windows-1252 either
    parsed = parse_reply(_mail(body, content_type="text/plain; charset=utf-8"))
    assert parsed.problems == [
        "undecodable part: text/plain is not valid utf-8; unreadable characters replaced"
    ]
    assert parsed.text.startswith("Is HB 305") and parsed.bills == ["HB 305"]


def test_damaged_base64_is_reported() -> None:
    good = base64.b64encode(b"Could the call cover SB 22?").decode()
    parsed = parse_reply(_mail((good[:-3] + "*!").encode(), cte="base64"))
    assert any(p.startswith("undecodable part: text/plain has damaged base64") for p in parsed.problems)


def test_attachment_only_message_lists_the_attachment() -> None:
    parsed = parse_reply((FIXTURES / "39_attachment_only.eml").read_bytes())
    assert parsed.problems == ["attachment only"]
    assert [(a.filename, a.content_type, a.size, a.inline) for a in parsed.attachments] == [
        ("Cedar Creek HB 305 impact.pdf", "application/pdf", 24000, False)
    ]
    assert not parsed.is_question


def test_attachment_beside_a_question_is_listed_without_a_problem() -> None:
    parsed = parse_reply((FIXTURES / "40_question_with_attachment.eml").read_bytes())
    assert [a.filename for a in parsed.attachments] == ["FY25 Five Year Forecast.pdf"]
    assert parsed.problems == [] and parsed.is_question


def test_empty_reply_is_neither_text_nor_question() -> None:
    parsed = parse_reply((FIXTURES / "24_empty_reply.eml").read_bytes())
    assert (parsed.text, parsed.is_question, parsed.problems) == ("", False, ["empty reply"])


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage",
        b"Subject: =?utf-8?b?broken\r\n\r\nhi",
        b"Content-Type: multipart/mixed\r\n\r\nno boundary",
        "From: Zoë <zoe@example.org>\r\n\r\nWhat about HB 58?".encode("latin-1"),
    ],
)
def test_bad_input_never_raises(raw: bytes) -> None:
    parsed = parse_reply(raw)
    assert isinstance(parsed, ParsedReply)
    assert parsed.content_hash == hashlib.sha256(raw).hexdigest()


def test_auto_submitted_no_is_a_person() -> None:
    parsed = parse_reply(_mail(b"Is SB 22 retroactive?\r\n", extra="Auto-Submitted: no\r\n"))
    assert not parsed.auto_reply and parsed.is_question


def test_auto_reply_has_no_questions_even_when_it_asks() -> None:
    body = b"Did you mean to reach the business office?\r\n"
    parsed = parse_reply(_mail(body, extra="Auto-Submitted: auto-replied\r\n"))
    assert parsed.auto_reply and parsed.auto_reply_reason == "Auto-Submitted: auto-replied"
    assert parsed.questions == [] and not parsed.is_question


def test_summary_without_resolver_leaves_member_and_digest_empty() -> None:
    parsed = parse_reply((FIXTURES / "02_gmail_numbered_questions.eml").read_bytes())
    summary = reply_summary(parsed)
    assert summary == {
        "text": parsed.text,
        "questions": parsed.questions,
        "bills": ["SB 22", "HB 58", "HB 410"],
        "auto_reply": False,
        "member": None,
        "digest": None,
        "problems": [],
    }


def test_summary_uses_the_callers_attribution() -> None:
    parsed = parse_reply((FIXTURES / "44_asterisk_bullets_member_token.eml").read_bytes())
    seen: list[ParsedReply] = []

    def resolve(reply: ParsedReply) -> Attribution:
        seen.append(reply)
        return Attribution(member={"email": reply.sender}, digest={"token": reply.reply_token})

    summary = reply_summary(parsed, resolve)
    assert seen == [parsed]
    assert summary["member"] == {"email": "kodonnell@stillwater.example.com"}
    assert summary["digest"] == {"token": "2w.h.5u7vqbiqpjsj5le4"}


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (
            "Sent from my desk, not my phone: is SB 22 final?\n\nSent from my iPhone",
            "Sent from my desk, not my phone: is SB 22 final?",
        ),
        (
            "Hi,\n\nThank you!\n\nWhat's the timeline on HB 58?\n\nBest,\nJane",
            "Hi,\n\nThank you!\n\nWhat's the timeline on HB 58?",
        ),
        ("Is HB 58 funded?\n\nSincerely,\n\nJane Doe, Ph.D.\nSuperintendent", "Is HB 58 funded?"),
        ("Our district is Maple Valley City Schools.", "Our district is Maple Valley City Schools."),
        ("Agreed", "Agreed"),
        (
            "CAUTION: This email originated from outside of the organization.\n\nIs HB 58 funded?",
            "Is HB 58 funded?",
        ),
    ],
)
def test_member_text_rules(body: str, text: str) -> None:
    assert member_text(body) == text


def test_a_single_bullet_is_not_a_list() -> None:
    assert split_questions("Only one thing:\n- is SB 22 final?") == ["Only one thing: - is SB 22 final?"]


def test_numbered_items_separated_by_blank_lines_stay_separate() -> None:
    assert split_questions("1. Is SB 22 final?\n\n2. Is HB 58 funded?\n   Our board asks.") == [
        "Is SB 22 final?",
        "Is HB 58 funded? Our board asks.",
    ]


def test_last_line_mentioning_a_district_in_a_sentence_is_kept() -> None:
    body = "Is HB 58 funded?\nSame question for our district\n\nThanks,\nJane Doe\nTreasurer"
    assert member_text(body) == "Is HB 58 funded?\nSame question for our district"
