from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from advocacy.app import App
from advocacy.config import Config, Secrets
from advocacy.locks import advisory_key, db_lock
from advocacy.models import Lock
from tests.factories import FakeClock


@pytest.fixture
def other_app(config: Config, db_url: str, clock: FakeClock) -> Iterator[App]:
    """A second process's view: its own engine and connections on the same database."""
    application = App(config, secrets=Secrets.from_env({}), clock=clock, database_url=db_url)
    yield application
    application.engine.dispose()


def test_a_second_instance_does_not_get_a_lock_the_first_holds(app: App, other_app: App) -> None:
    with db_lock(app, "job:digest") as first:
        assert first
        with db_lock(other_app, "job:digest") as second:
            assert not second
        with db_lock(other_app, "job:agenda") as unrelated:
            assert unrelated
    with db_lock(other_app, "job:digest") as after_release:
        assert after_release


def test_two_holders_in_one_process_exclude_each_other_too(app: App) -> None:
    with db_lock(app, "job:digest") as first, db_lock(app, "job:digest") as second:
        assert first and not second


def test_a_lock_is_released_when_the_body_raises(app: App, other_app: App) -> None:
    with pytest.raises(RuntimeError), db_lock(app, "job:digest") as acquired:
        assert acquired
        raise RuntimeError("send failed")
    with db_lock(other_app, "job:digest") as acquired:
        assert acquired


def test_an_expired_sqlite_lock_row_is_taken_over(sqlite_app: App, clock: FakeClock, config: Config) -> None:
    other = App(config, secrets=Secrets.from_env({}), clock=clock, database_url=str(sqlite_app.engine.url))
    with db_lock(sqlite_app, "job:digest", ttl=timedelta(minutes=30)) as first:
        assert first
        with db_lock(other, "job:digest") as early:
            assert not early
        clock.advance(minutes=31)
        with db_lock(other, "job:digest") as late:
            assert late
            with sqlite_app.sessions() as session:
                owner = session.scalar(select(Lock.owner).where(Lock.name == "job:digest"))
            assert owner is not None and owner.split(":")[1].isdigit()
    other.engine.dispose()


def test_a_sqlite_lock_left_by_a_dead_process_on_this_machine_is_taken_over(sqlite_app: App) -> None:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                           text=True, check=True)
    dead_owner = f"{socket.gethostname()}:{int(child.stdout)}:deadbeef"
    now = sqlite_app.now()
    with sqlite_app.transaction() as session:
        session.add(Lock(name="job:digest", owner=dead_owner, acquired_at=now, expires_at=now + timedelta(hours=2)))
    with db_lock(sqlite_app, "job:digest") as acquired:
        assert acquired
    with sqlite_app.transaction() as session:
        session.add(Lock(name="job:digest", owner="elsewhere.example:1:cafe", acquired_at=now,
                         expires_at=now + timedelta(hours=2)))
    with db_lock(sqlite_app, "job:digest") as acquired:
        assert not acquired  # another machine's live-looking lock is respected until it expires


HOLDER = """
import sys
from advocacy.app import App
from advocacy.config import Secrets, load_config
from advocacy.locks import db_lock

app = App(load_config(sys.argv[1], env={}), secrets=Secrets.from_env({}), database_url=sys.argv[2])
with db_lock(app, "job:digest") as acquired:
    print("held" if acquired else "refused", flush=True)
    sys.stdin.readline()
"""


def test_a_lock_held_by_a_killed_process_is_free_again(app: App, config_path: object) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(config_path), str(app.engine.url.render_as_string(
        hide_password=False))], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with db_lock(app, "job:digest") as acquired:
            assert not acquired
    finally:
        holder.kill()
        holder.wait(timeout=30)
    with db_lock(app, "job:digest") as acquired:
        assert acquired


def test_advisory_keys_are_scoped_by_schema_so_two_deployments_in_one_database_never_block_each_other() -> None:
    assert advisory_key("send:digest:1", "public") == advisory_key("send:digest:1")
    assert advisory_key("send:digest:1", "collab_a") != advisory_key("send:digest:1", "collab_b")
    assert advisory_key("send:digest:1", "collab_a") != advisory_key("send:digest:1")
