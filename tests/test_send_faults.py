"""Every failure after the request left is "maybe accepted": those rows are interrupted, never retried; only a
failure that proves the request never arrived is retried. Against a SendGrid stand-in and a real SMTP server."""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from advocacy.app import App
from advocacy.outbound.digest import send_digest
from advocacy.outbound.sending import AlreadySent
from digests.channels.email import RetryPolicy, SendGridBackend
from tests.factories import MEMBERS_CSV, FakeClock, build_world
from tests.mailservers import LocalSmtpServer, SendGridStandIn
from tests.test_sending import (
    ALL_TOPICS,
    BEN,
    CARA,
    CSV,
    DEV,
    EVERYONE,
    KEY,
    Sleeps,
    make_app,
    new_digest,
    smtp_app,
    statuses,
)


@pytest.fixture
def server() -> Iterator[SendGridStandIn]:
    with SendGridStandIn(api_key=KEY) as stand_in:
        yield stand_in


@pytest.fixture
def sg_app(config_path: Path, db_url: str, clock: FakeClock, server: SendGridStandIn) -> Iterator[App]:
    app = make_app(config_path, db_url, clock, email__backend="sendgrid", email__sendgrid__host=server.url,
                   email__sendgrid__timeout="0.5")
    build_world(app, clock(), CSV)
    yield app
    app.engine.dispose()


def sendgrid(app: App, host: str, sleeps: Sleeps) -> SendGridBackend:
    return SendGridBackend(KEY, host=host, timeout=2, retry=RetryPolicy(sleep=sleeps), clock=app.clock)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens there once the socket is closed


def test_the_sendgrid_timeout_comes_from_the_config(sg_app: App) -> None:
    assert isinstance(sg_app.mail, SendGridBackend) and sg_app.mail.timeout == 0.5


@pytest.mark.parametrize("accepted", [True, False], ids=["accept-then-close", "close-before-accept"])
def test_a_connection_closed_after_the_request_was_written_is_interrupted_not_retried(
        sg_app: App, server: SendGridStandIn, accepted: bool) -> None:
    mailing_id = new_digest(sg_app)
    server.drop_next(1, accepted=accepted)  # the first request: the four members who follow every topic
    sleeps = Sleeps()
    report = send_digest(sg_app, mailing_id, sendgrid(sg_app, server.url, sleeps))

    assert sorted(report.interrupted) == sorted(ALL_TOPICS) and report.sent == 3 and sleeps == []
    assert server.attempts == 4  # the dropped request was not sent again
    assert any(line.startswith("  4 interrupted: the provider's answer was lost") for line in report.lines())
    assert not any("earlier crash" in line for line in report.lines())
    with pytest.raises(AlreadySent):  # nor on the next run
        send_digest(sg_app, mailing_id, sendgrid(sg_app, server.url, sleeps))
    received = Counter(server.recipients)
    assert max(received.values()) == 1
    assert set(received) == (set(EVERYONE) if accepted else set(EVERYONE) - set(ALL_TOPICS))
    assert {statuses(sg_app, mailing_id)[email] for email in ALL_TOPICS} == {"interrupted"}


def test_a_refused_connection_is_provably_unsent_and_the_next_run_sends_it_once(
        sg_app: App, server: SendGridStandIn) -> None:
    mailing_id = new_digest(sg_app)
    sleeps = Sleeps()
    first = send_digest(sg_app, mailing_id, sendgrid(sg_app, f"http://127.0.0.1:{closed_port()}", sleeps))
    assert first.sent == 0 and first.interrupted == [] and first.retry_later == len(EVERYONE)
    assert len(sleeps) == 4 * 3  # each of the four requests tried four times: it never reached anyone

    second = send_digest(sg_app, mailing_id, sendgrid(sg_app, server.url, sleeps))
    assert second.sent == len(EVERYONE) and Counter(server.recipients) == Counter(EVERYONE)


def test_smtp_cut_after_data_is_interrupted_and_cut_before_is_retried(
        config_path: Path, db_url: str, clock: FakeClock) -> None:
    with LocalSmtpServer() as smtp:
        smtp.drop_after_data(BEN)
        app = smtp_app(config_path, db_url, clock, smtp.host, smtp.port)
        build_world(app, clock(), MEMBERS_CSV)
        mailing_id = new_digest(app)
        report = send_digest(app, mailing_id, app.mail)
        with pytest.raises(AlreadySent):
            send_digest(app, mailing_id, app.mail)
        received = Counter(r for m in smtp.messages for r in m.rcpt_tos)
    app.engine.dispose()
    assert report.interrupted == [BEN] and report.sent == 3
    assert received == Counter([ALL_TOPICS[0], BEN, CARA, DEV])  # Ben's copy arrived once; nobody has two


def test_smtp_refused_connection_is_retried_on_the_next_run(config_path: Path, db_url: str,
                                                            clock: FakeClock) -> None:
    app = smtp_app(config_path, db_url, clock, "127.0.0.1", closed_port())
    build_world(app, clock(), MEMBERS_CSV)
    mailing_id = new_digest(app)
    first = send_digest(app, mailing_id, app.mail)
    app.engine.dispose()
    assert first.sent == 0 and first.interrupted == [] and first.retry_later == 4
    with LocalSmtpServer() as smtp:
        again = smtp_app(config_path, db_url, clock, smtp.host, smtp.port)
        second = send_digest(again, mailing_id, again.mail)
        received = Counter(r for m in smtp.messages for r in m.rcpt_tos)
    again.engine.dispose()
    assert second.sent == 4 and received == Counter([ALL_TOPICS[0], BEN, CARA, DEV])
