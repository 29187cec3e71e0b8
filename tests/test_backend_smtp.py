from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import icalendar
import pytest

from digests import examples
from digests.channels.email import SmtpBackend
from digests.invite import call_invite
from digests.message import Address, OutgoingMessage
from digests.render import EmailRenderer
from tests.mailservers import LocalSmtpServer

NOW = datetime(2025, 12, 1, 14, 0, tzinfo=UTC)
SENDER = Address("updates@maplevalley.example.org", "Maple Valley Schools Collaborative")


@pytest.fixture
def smtp() -> Iterator[LocalSmtpServer]:
    with LocalSmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def renderer() -> EmailRenderer:
    return EmailRenderer()


def outgoing(renderer: EmailRenderer, to: str, **extra) -> OutgoingMessage:
    return OutgoingMessage(
        recipient=Address(to, "Dr. Rivera"),
        sender=SENDER,
        email=renderer.digest(examples.digest()),
        reply_to=Address("reply+tok123@in.maplevalley.example.org"),
        unsubscribe_url="https://updates.maplevalley.example.org/unsubscribe/m1",
        unsubscribe_mailto="mailto:unsubscribe+m1@maplevalley.example.org",
        headers={"X-Digest-Id": "d42"},
        **extra,
    )


def backend(smtp: LocalSmtpServer) -> SmtpBackend:
    return SmtpBackend(smtp.host, smtp.port, starttls=False, timeout=5, clock=lambda: NOW)


def test_smtp_delivers_text_and_html_with_member_headers(smtp, renderer) -> None:
    message = outgoing(renderer, "rivera@cedarfalls.example.org")
    (result,) = backend(smtp).send([message])

    assert result.ok and result.status == 250 and result.provider_id.endswith("@maplevalley.example.org>")
    (received,) = smtp.messages
    assert received.mail_from == "updates@maplevalley.example.org"
    assert received.rcpt_tos == ["rivera@cedarfalls.example.org"]
    mail = received.message
    assert mail.get_content_type() == "multipart/alternative"
    assert mail["Subject"] == message.email.subject
    assert mail["From"] == "Maple Valley Schools Collaborative <updates@maplevalley.example.org>"
    assert mail["To"].addresses[0].display_name == "Dr. Rivera"
    assert mail["To"].addresses[0].addr_spec == "rivera@cedarfalls.example.org"
    assert mail["Reply-To"] == "reply+tok123@in.maplevalley.example.org"
    assert mail["List-Unsubscribe"] == (
        "<mailto:unsubscribe+m1@maplevalley.example.org>, "
        "<https://updates.maplevalley.example.org/unsubscribe/m1>"
    )
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["X-Digest-Id"] == "d42"
    assert mail["Message-ID"] == result.provider_id
    assert mail["Date"] == "Mon, 01 Dec 2025 14:00:00 +0000"
    # SMTP carries CRLF line ends; the content is otherwise exactly what was rendered.
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = mail.get_body(("html",)).get_content().replace("\r\n", "\n")
    assert text == message.email.text
    assert html.strip() == message.email.html.strip()


def test_refused_recipient_is_permanent_and_the_rest_still_go(smtp, renderer) -> None:
    smtp.refuse("gone@oldvalley.example.org")
    results = backend(smtp).send(
        [
            outgoing(renderer, "gone@oldvalley.example.org"),
            outgoing(renderer, "rivera@cedarfalls.example.org"),
        ]
    )
    assert not results[0].ok and results[0].permanent and results[0].status == 550
    assert "No such mailbox" in results[0].reason
    assert results[1].ok
    assert [m.rcpt_tos for m in smtp.messages] == [["rivera@cedarfalls.example.org"]]


def test_unreachable_server_fails_every_message_as_retryable(renderer) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    results = SmtpBackend("127.0.0.1", port, starttls=False, timeout=2).send(
        [outgoing(renderer, "a@x.example.org"), outgoing(renderer, "b@x.example.org")]
    )
    assert [(r.recipient, r.ok, r.permanent) for r in results] == [
        ("a@x.example.org", False, False),
        ("b@x.example.org", False, False),
    ]
    assert f"127.0.0.1:{port}" in results[0].reason


def test_agenda_with_calendar_invite_arrives_as_a_request(smtp, renderer) -> None:
    agenda = examples.agenda()
    attendee = Address("rivera@cedarfalls.example.org", "Dr. Rivera")
    invite = call_invite(
        agenda, uid="call-2025-12-09@maplevalley.example.org", organizer=SENDER, attendee=attendee, now=NOW
    )
    message = OutgoingMessage(
        recipient=attendee, sender=SENDER, email=renderer.agenda(agenda), attachments=(invite,)
    )
    assert backend(smtp).send([message])[0].ok

    mail = smtp.messages[0].message
    assert mail.get_content_type() == "multipart/mixed"
    assert mail.get_body(("plain",)).get_content().startswith("MAPLE VALLEY SCHOOLS COLLABORATIVE")
    (part,) = list(mail.iter_attachments())
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    calendar = icalendar.Calendar.from_ical(part.get_content())
    assert calendar["METHOD"] == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert event["UID"] == "call-2025-12-09@maplevalley.example.org"
    assert event.decoded("DTSTART") == agenda.start
    assert str(event["ATTENDEE"]) == "mailto:rivera@cedarfalls.example.org"
