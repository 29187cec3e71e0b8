"""The send lease knows whether its owner lives: a dead owner's lease is taken over at once, a live one is named."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from advocacy.app import App
from advocacy.config import Config, Secrets
from advocacy.locks import db_lock
from advocacy.models import Delivery, Lock
from advocacy.outbound import sending
from advocacy.outbound.digest import create_digest, send_digest
from digests.channels.email import OutboxBackend
from tests.factories import FakeClock, build_world


@pytest.fixture
def world(app: App, clock: FakeClock) -> App:
    build_world(app, clock())
    return app


@pytest.fixture
def other_app(config: Config, db_url: str, clock: FakeClock) -> Iterator[App]:
    """A second process's view: its own engine and connections on the same database."""
    application = App(config, secrets=Secrets.from_env({}), clock=clock, database_url=db_url)
    yield application
    application.engine.dispose()


def new_digest(app: App) -> int:
    with app.transaction() as session:
        return create_digest(session, app.config, app.now()).id


def deliveries(app: App, mailing_id: int) -> int:
    with app.sessions() as session:
        return session.scalar(select(func.count(Delivery.id)).where(Delivery.mailing_id == mailing_id)) or 0


def dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                           check=True)
    return int(child.stdout)


def test_a_second_send_of_a_draft_says_another_process_is_sending_before_writing_any_row(
        world: App, other_app: App, tmp_path: Path) -> None:
    mailing_id = new_digest(world)
    with sending.lease(other_app, mailing_id, f"digest {mailing_id}"), \
            pytest.raises(sending.SendInProgress) as refused:
        send_digest(world, mailing_id, OutboxBackend(tmp_path / "outbox"))
    message = str(refused.value)
    assert message.startswith(f"digest {mailing_id}: another process is sending it (")
    assert "\n" not in message and socket.gethostname() in message
    assert deliveries(world, mailing_id) == 0  # refused before `prepare`: no raw unique violation possible
    report = send_digest(world, mailing_id, OutboxBackend(tmp_path / "outbox"))
    assert report.sent > 0 and deliveries(world, mailing_id) == report.sent + report.skipped


def test_a_lease_left_by_a_dead_process_on_this_machine_is_taken_over_at_once(
        sqlite_app: App, clock: FakeClock, tmp_path: Path) -> None:
    build_world(sqlite_app, clock())
    mailing_id = new_digest(sqlite_app)
    now = sqlite_app.now()
    with sqlite_app.transaction() as session:
        session.add(Lock(name=f"send:{mailing_id}", owner=f"{socket.gethostname()}:{dead_pid()}:deadbeef",
                         acquired_at=now, expires_at=now + timedelta(minutes=30)))
    report = send_digest(sqlite_app, mailing_id, OutboxBackend(tmp_path / "outbox"))
    assert report.sent > 0


def test_a_lease_of_another_machine_holds_while_its_heartbeat_is_fresh_and_not_once_it_is_stale(
        sqlite_app: App, clock: FakeClock, tmp_path: Path) -> None:
    build_world(sqlite_app, clock())
    mailing_id = new_digest(sqlite_app)
    now = sqlite_app.now()
    with sqlite_app.transaction() as session:
        session.add(Lock(name=f"send:{mailing_id}", owner="elsewhere.example:4242:cafe", acquired_at=now,
                         expires_at=now + sending.HEARTBEAT_TTL))
    with pytest.raises(sending.SendInProgress, match=r"elsewhere\.example:4242, since .* lease until"):
        send_digest(sqlite_app, mailing_id, OutboxBackend(tmp_path / "outbox"))
    clock.advance(minutes=3)  # no beat for longer than the lease: that machine's process is gone
    assert send_digest(sqlite_app, mailing_id, OutboxBackend(tmp_path / "outbox")).sent > 0


def test_the_heartbeat_renews_a_sqlite_lease_while_it_is_held(sqlite_app: App, clock: FakeClock) -> None:
    with db_lock(sqlite_app, "send:demo", timedelta(seconds=0.3), heartbeat=True) as acquired:
        assert acquired
        clock.advance(minutes=10)
        deadline = time.monotonic() + 3
        expires = None
        while time.monotonic() < deadline:
            with sqlite_app.sessions() as session:
                expires = session.scalar(select(Lock.expires_at).where(Lock.name == "send:demo"))
            if expires is not None and expires > clock() - timedelta(seconds=1):
                break
            time.sleep(0.05)
        assert expires is not None and expires >= clock()
    with sqlite_app.sessions() as session:
        assert session.get(Lock, "send:demo") is None
