"""Database locks: of all the processes pointed at one database, at most one does a given thing at a time.

`with db_lock(app, "job:digest") as acquired:` never waits; it says whether this process got the lock, and the
caller stands down if not. PostgreSQL uses a session advisory lock on a connection of its own (released by the
server if the process dies). SQLite has no such thing, so a row in the `lock` table is claimed with a conditional
INSERT / UPDATE; an expired row, or one whose owner was a process on this machine that is gone, can be taken over.

A lease taken with `heartbeat=True` (the send lease) keeps a short ttl on SQLite and a thread renews it while it is
held: a holder that dies on another machine is given up after one ttl, not after the longest job could take.
`holder(app, name)` says, in one line, who holds a lock now.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import Connection, Engine, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from advocacy.app import App
from advocacy.logs import log_event
from advocacy.models import Lock

log = logging.getLogger("advocacy.locks")
DEFAULT_TTL = timedelta(hours=2)
HEARTBEAT_TTL = timedelta(minutes=2)  # a heartbeat lease is renewed every third of this


def advisory_key(name: str, schema: str = "public") -> int:
    """A stable signed 64-bit key per lock name and schema (PostgreSQL advisory locks are keyed by bigint and
    shared by the whole database: two deployments in two schemas of one database must not block each other)."""
    scope = "" if schema == "public" else f"{schema}:"
    return int.from_bytes(hashlib.sha256(f"advocacy:{scope}{name}".encode()).digest()[:8], "big", signed=True)


def _schema(conn: Connection) -> str:
    return str(conn.execute(text("SELECT current_schema()")).scalar() or "public")


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _owner_is_gone(owner: str) -> bool:
    """True only when the owner was a process on this machine that no longer exists."""
    try:
        host, pid_text, _token = owner.rsplit(":", 2)
        pid = int(pid_text)
    except ValueError:
        return False
    if host != socket.gethostname() or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by another user
        return False
    return False


@contextmanager
def _advisory_lock(engine: Engine, name: str) -> Iterator[bool]:
    # Autocommit, so the connection holding a long lock is not also holding an open transaction.
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    acquired = False
    try:
        key = advisory_key(name, _schema(conn))
        # Named after this process, so that `holder` can say who holds the lock.
        conn.execute(text("SELECT set_config('application_name', :n, false)"), {"n": f"advocacy {new_owner()}"})
        acquired = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        yield acquired
    finally:
        try:
            if acquired:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        except Exception:
            # A connection we cannot unlock on must not go back to the pool still holding the lock.
            conn.invalidate()
            raise
        finally:
            conn.close()


def _claim_row(app: App, name: str, owner: str, ttl: timedelta) -> bool:
    now = app.now()
    values = {"owner": owner, "acquired_at": now, "expires_at": now + ttl}
    try:
        with app.transaction() as session:
            session.execute(insert(Lock).values(name=name, **values))
        return True
    except IntegrityError:
        pass
    with app.transaction() as session:
        taken = session.execute(
            update(Lock).where(Lock.name == name, Lock.expires_at < now).values(**values),
            execution_options={"synchronize_session": False},
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            return True
        holder = session.scalar(select(Lock.owner).where(Lock.name == name))
        if holder is None or not _owner_is_gone(holder):
            return False
        # Claim it only if it still belongs to the dead process: another survivor may be doing the same.
        taken = session.execute(
            update(Lock).where(Lock.name == name, Lock.owner == holder).values(**values),
            execution_options={"synchronize_session": False},
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            log_event(log, "lock.taken_over", logging.WARNING, lock=name, previous_owner=holder)
            return True
    return False


def _beat(app: App, name: str, owner: str, ttl: timedelta, stop: threading.Event) -> None:
    """Renew the lease every third of its ttl until told to stop."""
    while not stop.wait(ttl.total_seconds() / 3):
        try:
            with app.transaction() as session:
                session.execute(update(Lock).where(Lock.name == name, Lock.owner == owner)
                                .values(expires_at=app.now() + ttl),
                                execution_options={"synchronize_session": False})
        except Exception as exc:  # a missed beat is not fatal; the next one may get through
            log_event(log, "lock.heartbeat_failed", logging.WARNING, lock=name, error=str(exc))


@contextmanager
def _row_lock(app: App, name: str, ttl: timedelta, heartbeat: bool) -> Iterator[bool]:
    owner = new_owner()
    acquired = _claim_row(app, name, owner, ttl)
    stop = threading.Event()
    if acquired and heartbeat:
        threading.Thread(target=_beat, args=(app, name, owner, ttl, stop), daemon=True,
                         name=f"lease {name}").start()
    try:
        yield acquired
    finally:
        stop.set()
        if acquired:
            with app.transaction() as session:
                released = session.execute(
                    delete(Lock).where(Lock.name == name, Lock.owner == owner),
                    execution_options={"synchronize_session": False},
                )
            if released.rowcount != 1:  # type: ignore[attr-defined]
                log_event(log, "lock.lost", logging.WARNING, lock=name, ttl_s=int(ttl.total_seconds()),
                          hint="held longer than its ttl and taken over; raise the ttl")


@contextmanager
def db_lock(app: App, name: str, ttl: timedelta = DEFAULT_TTL, *, heartbeat: bool = False) -> Iterator[bool]:
    """Try once to take the named lock; yields whether it was acquired and releases it on exit.

    `ttl` matters on SQLite only: how long a lock row protects its holder if the holder vanishes without
    releasing it and cannot be seen to be gone (another machine). Without `heartbeat`, keep it longer than the
    longest job; with it, a thread renews the row every ttl/3, so a short ttl (`HEARTBEAT_TTL`) is enough.
    """
    if app.engine.dialect.name == "postgresql":
        with _advisory_lock(app.engine, name) as acquired:
            yield acquired
    else:
        with _row_lock(app, name, ttl, heartbeat) as acquired:
            yield acquired


def holder(app: App, name: str) -> str:
    """Who holds the named lock, in a few words ("host:pid, lease renewed until 21:50:03 UTC"); "" if nobody."""
    if app.engine.dialect.name == "postgresql":
        with app.engine.connect() as conn:
            key = advisory_key(name, _schema(conn)) & 0xFFFFFFFFFFFFFFFF
            row = conn.execute(text(
                "SELECT a.application_name, a.pid, a.backend_start FROM pg_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                "AND l.classid = :hi AND l.objid = :lo AND l.objsubid = 1"), {"hi": key >> 32, "lo": key & 0xFFFFFFFF},
            ).first()
        if row is None:
            return ""
        who = str(row[0]).removeprefix("advocacy ").rsplit(":", 1)[0] or f"database session {row[1]}"
        return f"{who}, connected since {row[2]:%Y-%m-%d %H:%M} UTC"
    with app.sessions() as session:
        lock = session.get(Lock, name)
    if lock is None:
        return ""
    return (f"{lock.owner.rsplit(':', 1)[0]}, since {lock.acquired_at:%Y-%m-%d %H:%M} UTC, "
            f"lease until {lock.expires_at:%H:%M:%S} UTC")
