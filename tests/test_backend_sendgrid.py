from __future__ import annotations

import base64
import socket
from collections.abc import Iterator

import pytest

from digests.channels.email import RetryPolicy, SendGridBackend
from digests.message import Address, Attachment, OutgoingMessage
from digests.model import RenderedEmail
from tests.mailservers import SendGridStandIn

KEY = "SG.test-key"
EMAIL = RenderedEmail(subject="Legislative update", text="Plain words.\n", html="<p>Plain words.</p>")
SENDER = Address("updates@maplevalley.example.org", "Maple Valley Schools Collaborative")


def member(i: int, email: RenderedEmail = EMAIL, reply_to: Address | None = None, **extra) -> OutgoingMessage:
    fields = {
        "unsubscribe_url": f"https://updates.maplevalley.example.org/unsubscribe/m{i}",
        "unsubscribe_mailto": f"mailto:unsubscribe+m{i}@maplevalley.example.org",
        "headers": {"X-Digest-Id": "d42"},
        "custom_args": {"mailing_id": "d42", "member_id": f"m{i}"},
        "categories": ("digest",),
        **extra,
    }
    recipient = Address(f"super{i}@district{i}.example.org", f"Superintendent {i}")
    return OutgoingMessage(recipient=recipient, sender=SENDER, email=email, reply_to=reply_to, **fields)


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def server() -> Iterator[SendGridStandIn]:
    with SendGridStandIn(api_key=KEY) as stand_in:
        yield stand_in


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def backend(server: SendGridStandIn, sleeps: Sleeps, **options) -> SendGridBackend:
    return SendGridBackend(KEY, host=server.url, retry=RetryPolicy(sleep=sleeps), **options)


def test_identical_emails_share_one_request_with_a_personalization_per_member(server, sleeps) -> None:
    results = backend(server, sleeps).send([member(i) for i in range(3)])

    assert [r.ok for r in results] == [True, True, True]
    assert {r.provider_id for r in results} == {"standin-1"}
    assert [r.recipient for r in results] == [f"super{i}@district{i}.example.org" for i in range(3)]
    (payload,) = server.payloads
    assert payload["subject"] == "Legislative update"
    assert [c["type"] for c in payload["content"]] == ["text/plain", "text/html"]
    assert payload["categories"] == ["digest"]
    assert "mail_settings" not in payload
    assert len(payload["personalizations"]) == 3
    second = payload["personalizations"][1]
    assert second["to"] == [{"email": "super1@district1.example.org", "name": "Superintendent 1"}]
    assert second["custom_args"] == {"mailing_id": "d42", "member_id": "m1"}
    assert second["headers"] == {
        "List-Unsubscribe": "<mailto:unsubscribe+m1@maplevalley.example.org>, "
        "<https://updates.maplevalley.example.org/unsubscribe/m1>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "X-Digest-Id": "d42",
    }


def test_more_than_1000_members_are_split_into_requests_of_at_most_1000(server, sleeps) -> None:
    messages = [member(i) for i in range(2345)]
    results = backend(server, sleeps).send(messages)

    assert all(r.ok for r in results)
    assert [r.personalizations for r in server.requests] == [1000, 1000, 345]
    assert server.recipients == [m.recipient.email for m in messages]


def test_members_with_different_content_or_reply_to_get_separate_requests(server, sleeps) -> None:
    other = RenderedEmail(subject="Legislative update", text="Other words.\n", html="<p>Other words.</p>")
    reply_a = Address("reply+tokenA@in.maplevalley.example.org")
    messages = [member(0), member(1, email=other), member(2), member(3, reply_to=reply_a)]
    results = backend(server, sleeps).send(messages)

    assert all(r.ok for r in results)
    assert sorted(server.recipients) == sorted(m.recipient.email for m in messages)
    by_first = {p["personalizations"][0]["to"][0]["email"]: p for p in server.payloads}
    assert len(by_first["super0@district0.example.org"]["personalizations"]) == 2  # members 0 and 2
    assert by_first["super3@district3.example.org"]["reply_to"] == {
        "email": "reply+tokenA@in.maplevalley.example.org"
    }
    assert "reply_to" not in by_first["super0@district0.example.org"]
    assert len(server.requests) == 3


def test_sandbox_mode_is_requested_and_counts_as_sent(server, sleeps) -> None:
    results = backend(server, sleeps, sandbox=True).send([member(0)])
    assert results[0].ok and results[0].status == 200
    assert server.payloads[0]["mail_settings"] == {"sandbox_mode": {"enable": True}}


def test_rate_limited_request_waits_as_told_then_succeeds(server, sleeps) -> None:
    server.fail_next(1, 429, retry_after="7")
    results = backend(server, sleeps).send([member(0), member(1)])
    assert all(r.ok and r.status == 202 for r in results)
    assert sleeps == [7.0]
    assert server.attempts == 2


def test_server_errors_are_retried_with_backoff(server, sleeps) -> None:
    server.fail_next(2, 500)
    results = backend(server, sleeps).send([member(0)])
    assert results[0].ok
    assert sleeps == [1.0, 2.0]
    assert server.attempts == 3


def test_retries_that_run_out_leave_a_retryable_failure(server, sleeps) -> None:
    server.fail_next(4, 503)
    (result,) = backend(server, sleeps).send([member(0)])
    assert not result.ok and not result.permanent and result.status == 503
    assert server.attempts == 4 and len(sleeps) == 3


def test_a_retry_after_longer_than_the_policy_allows_is_left_to_the_scheduler(server, sleeps) -> None:
    server.fail_next(1, 429, retry_after="3600")
    (result,) = backend(server, sleeps).send([member(0)])
    assert not result.ok and not result.permanent and result.status == 429
    assert "3600" in result.reason
    assert sleeps == [] and server.attempts == 1


def test_bad_request_is_permanent_and_not_retried(server, sleeps) -> None:
    too_many_categories = member(0, categories=tuple(f"c{i}" for i in range(11)))
    (result,) = backend(server, sleeps).send([too_many_categories])
    assert not result.ok and result.permanent and result.status == 400
    assert "categories" in result.reason
    assert sleeps == [] and server.attempts == 1


def test_wrong_api_key_is_permanent(server, sleeps) -> None:
    results = SendGridBackend("SG.wrong", host=server.url, retry=RetryPolicy(sleep=sleeps)).send([member(0)])
    assert results[0].permanent and results[0].status == 401
    assert sleeps == []


def test_unreachable_service_is_retryable(sleeps) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    results = SendGridBackend(
        KEY, host=f"http://127.0.0.1:{port}", retry=RetryPolicy(attempts=2, sleep=sleeps), timeout=2
    ).send([member(0)])
    assert not results[0].ok and not results[0].permanent and results[0].status is None
    assert sleeps == [1.0]


def test_calendar_invite_travels_as_a_base64_attachment(server, sleeps) -> None:
    invite = Attachment(
        "invite.ics",
        b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n",
        "text/calendar",
        (("method", "REQUEST"),),
    )
    backend(server, sleeps).send([member(0, attachments=(invite,))])
    (attachment,) = server.payloads[0]["attachments"]
    assert attachment["filename"] == "invite.ics"
    assert attachment["type"] == "text/calendar; method=REQUEST"
    assert base64.b64decode(attachment["content"]).startswith(b"BEGIN:VCALENDAR")


def test_parallel_workers_keep_results_in_message_order(server, sleeps) -> None:
    messages = [member(i, reply_to=Address(f"reply+t{i}@in.maplevalley.example.org")) for i in range(12)]
    results = backend(server, sleeps, max_workers=4).send(messages)
    assert [r.recipient for r in results] == [m.recipient.email for m in messages]
    assert all(r.ok for r in results) and len(server.requests) == 12
