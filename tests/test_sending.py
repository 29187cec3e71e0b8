"""Sending a digest exactly once: through the real `sendgrid` client to a local stand-in, and through real SMTP."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import select

from advocacy.app import App
from advocacy.config import Config, Secrets, load_config
from advocacy.models import Delivery, Mailing, Member
from advocacy.outbound.content import MEMBER_TOKEN
from advocacy.outbound.digest import create_digest, send_digest
from advocacy.outbound.outgoing import read_member_token
from advocacy.outbound.sending import AlreadySent, SendInProgress, counts, failures
from advocacy.people.members import find_member, unsubscribe
from advocacy.tokens import read_reply_address
from digests.channels.email import OutboxBackend, RetryPolicy, SendGridBackend, SendResult
from digests.message import OutgoingMessage
from tests.factories import MEMBERS_CSV, FakeClock, build_world
from tests.mailservers import LocalSmtpServer, SendGridStandIn

KEY = "SG.test-key"
BASE = "https://updates.heartland.example.org"
# Three more members who follow every topic: with Ana, four members who get the very same email.
CSV = MEMBERS_CSV + "".join(f"extra{i}@pineview.example.org,Extra Reader {i},Pineview Local Schools,staff,,yes\n"
                            for i in range(1, 4))
ALL_TOPICS = ["ana.rivera@cedarfalls.example.org", *(f"extra{i}@pineview.example.org" for i in range(1, 4))]
BEN, CARA, DEV = ("ben.osei@maplevalley.example.org", "cara.lind@riverbend.example.org",
                  "dev.patel@oakridge.example.org")
EVERYONE = [*ALL_TOPICS, BEN, CARA, DEV]


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


class Crash(BaseException):
    """The process dies: nothing after this line of the sending code runs."""


class CrashingBackend:
    """A real backend in a process that dies at its Nth request: just before handing it over, or just after."""

    def __init__(self, backend: SendGridBackend, at: int, *, before: bool) -> None:
        self.backend, self.at, self.before, self.calls = backend, at, before, 0
        self.batch_size = backend.batch_size

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        self.calls += 1
        if self.calls == self.at and self.before:
            raise Crash
        results = self.backend.send(messages)
        if self.calls == self.at:
            raise Crash
        return results


def make_app(config_path: Path, db_url: str, clock: FakeClock, **overrides: str) -> App:
    env = {f"ADVOCACY_{k.upper()}": v for k, v in overrides.items()}
    config: Config = load_config(config_path, env=env)
    return App(config, secrets=Secrets.from_env({"SENDGRID_API_KEY": KEY}), clock=clock, database_url=db_url)


def smtp_app(config_path: Path, db_url: str, clock: FakeClock, host: str, port: int) -> App:
    """An App whose email goes over plain SMTP to `host:port` (a local test server, or a closed port)."""
    return make_app(config_path, db_url, clock, email__backend="smtp", email__smtp__host=host,
                    email__smtp__port=str(port), email__smtp__starttls="false")


@pytest.fixture
def server() -> Iterator[SendGridStandIn]:
    with SendGridStandIn(api_key=KEY) as stand_in:
        yield stand_in


@pytest.fixture
def sg_app(config_path: Path, db_url: str, clock: FakeClock, server: SendGridStandIn) -> Iterator[App]:
    app = make_app(config_path, db_url, clock, collaborative__base_url=BASE, email__backend="sendgrid",
                   email__sendgrid__host=server.url)
    build_world(app, clock(), CSV)
    yield app
    app.engine.dispose()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def backend(app: App, server: SendGridStandIn, sleeps: Sleeps) -> SendGridBackend:
    return SendGridBackend(KEY, host=server.url, retry=RetryPolicy(sleep=sleeps), clock=app.clock)


def new_digest(app: App) -> int:
    with app.transaction() as session:
        return create_digest(session, app.config, app.now()).id


def statuses(app: App, mailing_id: int) -> dict[str, str]:
    with app.sessions() as session:
        return dict(session.execute(select(Member.email, Delivery.status).join(Delivery)
                                    .where(Delivery.mailing_id == mailing_id)).all())


def test_members_with_the_same_email_share_one_request_with_their_own_links(sg_app: App,
                                                                           server: SendGridStandIn) -> None:
    mailing_id = new_digest(sg_app)
    report = send_digest(sg_app, mailing_id, sg_app.mail)

    assert (report.sent, report.failed, report.requests) == (7, 0, 4)
    # one request per distinct email: everyone-topics, literacy, funding+choice, levies
    assert [r.personalizations for r in server.requests] == [4, 1, 1, 1]
    assert sorted(server.recipients) == sorted(EVERYONE)
    payload = server.payloads[0]
    assert read_reply_address(sg_app.signing_key, payload["reply_to"]["email"]) == mailing_id
    assert payload["reply_to"]["email"].endswith("@reply.heartland-collab.example.org")
    assert sorted(payload["categories"]) == ["digest", "legislative-update"]
    assert "mail_settings" not in payload
    html = next(c["value"] for c in payload["content"] if c["type"] == "text/html")
    assert f"{BASE}/m/{MEMBER_TOKEN}/unsubscribe" in html  # filled in by SendGrid, per personalization
    with sg_app.sessions() as session:
        ids = {m.email: m.id for m in session.scalars(select(Member))}
    for p in payload["personalizations"]:
        (to,) = p["to"]
        member_id = ids[to["email"]]
        assert p["custom_args"] == {"mailing_id": str(mailing_id), "member_id": str(member_id), "kind": "digest",
                                   "collaborative": "default"}
        token = p["substitutions"][MEMBER_TOKEN]
        assert read_member_token(sg_app, token) == member_id
        assert p["headers"]["List-Unsubscribe"] == (
            f"<mailto:questions+unsubscribe@reply.heartland-collab.example.org?subject=unsubscribe%20{token}>, "
            f"<{BASE}/m/{token}/unsubscribe>")
        assert p["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert set(statuses(sg_app, mailing_id).values()) == {"sent"}
    with sg_app.sessions() as session:
        digest = session.get(Mailing, mailing_id)
        assert digest is not None and digest.status == "sent" and digest.sent_at == sg_app.now()
        provider_ids = set(session.scalars(select(Delivery.provider_id).where(Delivery.mailing_id == mailing_id)))
    assert provider_ids == {"standin-1", "standin-2", "standin-3", "standin-4"}


def test_sandbox_mode_is_set_from_config(config_path: Path, db_url: str, clock: FakeClock,
                                         server: SendGridStandIn) -> None:
    app = make_app(config_path, db_url, clock, email__backend="sendgrid", email__sendgrid__host=server.url,
                   email__sendgrid__sandbox="true")
    build_world(app, clock(), CSV)
    report = send_digest(app, new_digest(app), app.mail)
    assert report.sent == 7
    assert all(p["mail_settings"] == {"sandbox_mode": {"enable": True}} for p in server.payloads)
    # a plain-http install offers only the mailto unsubscribe: RFC 8058 one-click needs https
    headers = server.payloads[0]["personalizations"][0]["headers"]
    assert "List-Unsubscribe-Post" not in headers and headers["List-Unsubscribe"].startswith("<mailto:")


def test_a_429_is_retried_after_the_time_the_server_asks_for(sg_app: App, server: SendGridStandIn,
                                                             sleeps: Sleeps) -> None:
    server.fail_next(1, 429, retry_after="3")
    report = send_digest(sg_app, new_digest(sg_app), backend(sg_app, server, sleeps))
    assert report.sent == 7 and sleeps == [3.0]
    assert sorted(server.recipients) == sorted(EVERYONE)


def test_5xx_that_outlasts_the_retries_goes_back_to_pending_and_the_next_run_sends_it(
        sg_app: App, server: SendGridStandIn, sleeps: Sleeps) -> None:
    server.fail_next(4, 500)
    mailing_id = new_digest(sg_app)
    first = send_digest(sg_app, mailing_id, backend(sg_app, server, sleeps))
    assert (first.sent, first.failed, first.retry_later) == (3, 4, 4) and sleeps == [1.0, 2.0, 4.0]
    with sg_app.sessions() as session:
        assert session.get(Mailing, mailing_id).status == "sending"  # type: ignore[union-attr]
        assert counts(session, mailing_id) == {"sent": 3, "failed": 4}
    second = send_digest(sg_app, mailing_id, backend(sg_app, server, sleeps))
    assert (second.sent, second.failed) == (4, 0)
    assert Counter(server.recipients) == Counter(EVERYONE)  # each exactly once
    with sg_app.sessions() as session:
        assert session.get(Mailing, mailing_id).status == "sent"  # type: ignore[union-attr]
        attempts = dict(session.execute(select(Member.email, Delivery.attempts).join(Delivery)).all())
    assert attempts[ALL_TOPICS[0]] == 2 and attempts[BEN] == 1


def test_a_permanent_4xx_is_recorded_with_its_reason_and_shown_to_the_advocate(
        sg_app: App, server: SendGridStandIn, sleeps: Sleeps) -> None:
    server.fail_next(1, 400)
    mailing_id = new_digest(sg_app)
    report = send_digest(sg_app, mailing_id, backend(sg_app, server, sleeps))
    assert (report.sent, report.failed, report.retry_later) == (3, 4, 0) and sleeps == []
    assert sorted(email for email, _ in report.permanent) == sorted(ALL_TOPICS)
    assert any("permanent failure for ana.rivera@cedarfalls.example.org: SendGrid 400" in line
               for line in report.lines())
    with sg_app.sessions() as session:
        # nothing more will happen to it by itself: the digest counts as sent
        assert session.get(Mailing, mailing_id).status == "sent"  # type: ignore[union-attr]
        problems = failures(session, mailing_id)
    assert [(email, status) for email, status, _ in problems] == [(e, "failed") for e in sorted(ALL_TOPICS)]
    assert all("SendGrid 400" in reason and "scripted 400" in reason for _, _, reason in problems)


@pytest.mark.parametrize("before", [False, True], ids=["after-the-request", "before-the-request"])
def test_a_crash_and_a_rerun_never_give_anyone_two_copies(sg_app: App, server: SendGridStandIn, sleeps: Sleeps,
                                                          before: bool) -> None:
    mailing_id = new_digest(sg_app)
    with pytest.raises(Crash):
        send_digest(sg_app, mailing_id, CrashingBackend(backend(sg_app, server, sleeps), 2, before=before))
    assert statuses(sg_app, mailing_id)[BEN] == "sending"  # the one request in flight

    resumed = send_digest(sg_app, mailing_id, backend(sg_app, server, sleeps))
    assert resumed.sent == 2 and resumed.interrupted == [BEN]
    assert any("interrupted by an earlier crash" in line and BEN in line for line in resumed.lines())
    received = Counter(server.recipients)
    assert max(received.values()) == 1
    assert set(received) == set(EVERYONE) - ({BEN} if before else set())
    final = statuses(sg_app, mailing_id)
    assert final[BEN] == "interrupted" and {final[e] for e in EVERYONE if e != BEN} == {"sent"}

    # the digest is done: sending it again is refused, and only an explicit resend reaches Ben
    with pytest.raises(AlreadySent, match="--resend-to"):
        send_digest(sg_app, mailing_id, backend(sg_app, server, sleeps))
    again = send_digest(sg_app, mailing_id, backend(sg_app, server, sleeps), resend=[BEN.upper()])
    assert again.sent == 1
    assert Counter(server.recipients)[BEN] == (2 if not before else 1)
    assert statuses(sg_app, mailing_id)[BEN] == "sent"


def test_a_member_who_unsubscribes_before_a_resumed_send_is_skipped(sg_app: App, server: SendGridStandIn,
                                                                    sleeps: Sleeps) -> None:
    mailing_id = new_digest(sg_app)
    with pytest.raises(Crash):
        send_digest(sg_app, mailing_id, CrashingBackend(backend(sg_app, server, sleeps), 2, before=False))
    with sg_app.transaction() as session:
        member = find_member(session, CARA)
        assert member is not None
        unsubscribe(session, member, sg_app.now())
    report = send_digest(sg_app, mailing_id, backend(sg_app, server, sleeps))
    assert (report.sent, report.skipped) == (1, 1)
    assert CARA not in server.recipients
    with sg_app.sessions() as session:
        row = session.scalars(select(Delivery).join(Member).where(Member.email == CARA)).one()
    assert (row.status, row.error) == ("skipped", "unsubscribed")


def test_a_second_process_cannot_send_the_same_digest_at_the_same_time(sg_app: App, tmp_path: Path) -> None:
    mailing_id = new_digest(sg_app)
    seen: list[BaseException] = []

    class Meddling(OutboxBackend):
        def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
            if not seen:
                try:
                    send_digest(sg_app, mailing_id, OutboxBackend(tmp_path / "other"))
                except SendInProgress as exc:
                    seen.append(exc)
            return super().send(messages)

    report = send_digest(sg_app, mailing_id, Meddling(tmp_path / "outbox", clock=sg_app.clock))
    assert report.sent == 7 and len(seen) == 1 and "another process is sending it" in str(seen[0])
    assert not (tmp_path / "other").exists()
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 7


def test_the_smtp_backend_delivers_to_a_real_smtp_server_and_records_refusals(
        config_path: Path, db_url: str, clock: FakeClock) -> None:
    with LocalSmtpServer() as smtp:
        smtp.refuse(DEV)
        app = smtp_app(config_path, db_url, clock, smtp.host, smtp.port)
        build_world(app, clock(), MEMBERS_CSV)
        mailing_id = new_digest(app)
        report = send_digest(app, mailing_id, app.mail)
        messages = list(smtp.messages)
    assert (report.sent, report.failed) == (3, 1)
    assert report.permanent == [(DEV, "dev.patel@oakridge.example.org: 5.1.1 No such mailbox")]
    assert sorted(r for m in messages for r in m.rcpt_tos) == sorted([ALL_TOPICS[0], BEN, CARA])
    with app.sessions() as session:
        ids = {m.email: m.id for m in session.scalars(select(Member))}
    for received in messages:
        message = received.message
        (to,) = received.rcpt_tos
        assert received.mail_from == "updates@heartland-collab.example.org"
        assert message.get_content_type() == "multipart/alternative"
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert MEMBER_TOKEN not in text + html
        token = text.split("/m/")[1].split("/")[0]
        assert read_member_token(app, token) == ids[to]
        assert read_reply_address(app.signing_key, message["Reply-To"].addresses[0].addr_spec) == mailing_id
        assert message["List-Unsubscribe"].startswith("<mailto:questions+unsubscribe@")
    app.engine.dispose()


def test_resend_to_named_members_refuses_a_digest_not_yet_sent_to_everyone(sqlite_app: App, clock: FakeClock) -> None:
    build_world(sqlite_app, clock())
    with sqlite_app.transaction() as session:
        mailing_id = create_digest(session, sqlite_app.config, sqlite_app.now()).id
    with pytest.raises(ValueError, match="has not been sent yet"):
        send_digest(sqlite_app, mailing_id, sqlite_app.mail, resend=["someone@example.org"])
    report = send_digest(sqlite_app, mailing_id, sqlite_app.mail)  # everyone still gets it
    assert report.sent > 1


def test_an_error_while_composing_leaves_the_rows_pending_and_the_next_run_sends_them(
        sqlite_app: App, clock: FakeClock) -> None:
    from advocacy.outbound import sending
    from advocacy.outbound.outgoing import compose_with
    from digests.model import RenderedEmail
    from digests.render import RenderError

    build_world(sqlite_app, clock())
    with sqlite_app.transaction() as session:
        digest = create_digest(session, sqlite_app.config, sqlite_app.now())
        sending.prepare(session, digest, list(session.scalars(select(Member))), sqlite_app.now())
        mailing_id = digest.id
    email = RenderedEmail(subject="Update", text="Text", html="<p>HTML</p>")

    def broken(member: Member) -> RenderedEmail:
        raise RenderError("template blew up")

    with pytest.raises(RenderError):
        sending.send(sqlite_app, mailing_id, sqlite_app.mail, compose_with(sqlite_app, broken))
    with sqlite_app.sessions() as session:
        assert counts(session, mailing_id) == {"pending": len(list(session.scalars(select(Member))))}
    report = sending.send(sqlite_app, mailing_id, sqlite_app.mail, compose_with(sqlite_app, lambda m: email))
    assert report.interrupted == [] and report.sent > 1


def test_a_request_that_timed_out_is_not_retried_and_nobody_gets_two_copies(
        sg_app: App, server: SendGridStandIn, sleeps: Sleeps) -> None:
    mailing_id = new_digest(sg_app)
    server.stall_next(1)  # the first request (four members) is accepted, but the answer comes too late
    slow = SendGridBackend(KEY, host=server.url, timeout=0.3, retry=RetryPolicy(sleep=sleeps), clock=sg_app.clock)
    report = send_digest(sg_app, mailing_id, slow)
    assert len(report.interrupted) == 4 and report.sent == 3
    assert server.attempts == 4  # the stalled request was not sent again
    with pytest.raises(AlreadySent):  # the rest went out; the interrupted four wait for an explicit resend
        send_digest(sg_app, mailing_id, slow)
    assert server.attempts == 4
    assert sorted(server.recipients) == sorted(EVERYONE)  # each member handed to SendGrid exactly once
    assert sorted(statuses(sg_app, mailing_id).values()).count("interrupted") == 4
