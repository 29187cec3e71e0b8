from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from digests.channels.email import OutboxBackend
from digests.message import Address, MessageError, OutgoingMessage
from digests.model import RenderedEmail

NOW = datetime(2025, 12, 1, 14, 0, tzinfo=UTC)
EMAIL = RenderedEmail(subject="Update – Dec 1", text="Plain words.\n", html="<p>Plain words.</p>")
SENDER = Address("updates@maplevalley.example.org")


def outgoing(to: str) -> OutgoingMessage:
    return OutgoingMessage(
        recipient=Address(to),
        sender=SENDER,
        email=EMAIL,
        unsubscribe_url="https://updates.maplevalley.example.org/unsubscribe/m1",
    )


def test_outbox_writes_one_parseable_eml_per_message(tmp_path: Path) -> None:
    results = OutboxBackend(tmp_path, clock=lambda: NOW).send(
        [outgoing("rivera@cedarfalls.example.org"), outgoing("rivera@cedarfalls.example.org")]
    )
    files = sorted(tmp_path.iterdir())
    assert len(files) == 2 and {f.name for f in files} == {r.provider_id for r in results}
    for file in files:
        mail = message_from_bytes(file.read_bytes(), policy=policy.default)
        assert mail["To"] == "rivera@cedarfalls.example.org"
        assert mail["Subject"] == "Update – Dec 1"
        assert mail.get_body(("html",)).get_content().strip() == "<p>Plain words.</p>"
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_outbox_file_names_are_safe_and_no_temp_files_remain(tmp_path: Path) -> None:
    (result,) = OutboxBackend(tmp_path, clock=lambda: NOW).send(
        [outgoing("o'brien+news/x@riverbend.example.org")]
    )
    assert result.ok
    (file,) = list(tmp_path.iterdir())
    assert file.parent == tmp_path and "/" not in file.name and "'" not in file.name
    assert file.name.startswith("20251201T140000-o_brien_news_x_riverbend.example.org-")


def test_unwritable_outbox_reports_a_retryable_failure_naming_the_folder(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "outbox"
    not_a_folder.write_text("a file where the folder should be")
    results = OutboxBackend(not_a_folder / "mail", clock=lambda: NOW).send(
        [outgoing("a@x.example.org"), outgoing("b@x.example.org")]
    )
    assert [(r.ok, r.permanent) for r in results] == [(False, False), (False, False)]
    assert str(not_a_folder / "mail") in results[0].reason


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("headers", {"Reply-To": "x@y.example"}, "Reply-To"),
        ("headers", {"X-Note": "a\r\nBcc: evil@x.example"}, "line break"),
        ("unsubscribe_url", "http://plain.example/u", "https"),
        ("custom_args", {"member_id": 7}, "member_id"),
        ("reply_to", "not an address", "reply_to"),
    ],
)
def test_messages_that_would_be_malformed_are_refused(field: str, value: object, message: str) -> None:
    with pytest.raises(MessageError, match=message):
        OutgoingMessage(recipient=Address("a@x.example.org"), sender=SENDER, email=EMAIL, **{field: value})


def test_a_long_list_unsubscribe_header_is_folded_raw_never_encoded(tmp_path: Path) -> None:
    """Mail providers read List-Unsubscribe raw (RFC 2369, RFC 8058): no RFC 2047 encoded-words, even when long."""
    mailto = "mailto:questions+unsubscribe-" + "k" * 60 + "@reply.maplevalley.example.org"
    url = "https://updates.maplevalley.example.org/unsubscribe/" + "t" * 80
    message = replace(outgoing("rivera@cedarfalls.example.org"), unsubscribe_mailto=mailto, unsubscribe_url=url)
    OutboxBackend(tmp_path, clock=lambda: NOW).send([message])
    (file,) = tmp_path.iterdir()
    raw = file.read_bytes()
    assert b"=?utf-8?" not in raw.split(b"\n\n", 1)[0].replace(b"Subject: Update =?utf-8?b?4oCT?= Dec 1", b"")
    assert f"List-Unsubscribe: <{mailto}>,\n <{url}>\n".encode() in raw.replace(b"\r\n", b"\n")
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["List-Unsubscribe"] == f"<{mailto}>, <{url}>"
