"""Real `advocacy worker` processes on PostgreSQL: two workers share a digest's send (the digest job's task and a
send task on the other worker), both are killed with SIGKILL mid-send, and two new workers resume the run once and
finish the send; every member gets at most one copy, counted at the SendGrid stand-in. On SQLite the queue does not
run (its configuration error is tested in tests/test_queue.py)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import procrastinate
import pytest
from sqlalchemy import select, text

from advocacy.app import App
from advocacy.models import JobRun, Mailing
from advocacy.runtime.queue import SEND, conninfo, ensure_schema, job_task_name
from tests.factories import FakeClock, build_world
from tests.mailservers import SendGridStandIn
from tests.test_scheduler_service import _eventually
from tests.test_send_kill import ROOT, child_env, final_statuses
from tests.test_sending import KEY, new_digest

MEMBERS = 150
BATCH = 5  # members per SendGrid request: 30 requests
CSV = "email,name,district,role,topics,alerts\n" + "".join(
    f"queued{i:03d}@district{i % 11}.example.org,Queued {i},District {i % 11} Schools,staff,,yes\n"
    for i in range(MEMBERS))
SLOT = datetime(2026, 12, 1, 7, 0, tzinfo=ZoneInfo("America/New_York"))


@pytest.fixture
def server() -> Iterator[SendGridStandIn]:
    with SendGridStandIn(api_key=KEY, keep_payloads=False) as stand_in:
        stand_in.latency = 0.1  # a provider's round trip: the send lasts long enough for the helper to join
        yield stand_in


def queued_config(config_path: Path) -> Path:
    """The project's configuration on the queue, its sources idle and a one-minute grace, so that the workers'
    own ticks (real time) defer nothing that reaches out or mails: only the digest task the test defers runs."""
    text_ = config_path.read_text()
    for schedule in ('schedule = "15 7-18 * * 1-5"', 'schedule = "45 6-18 * * 1-5"'):
        assert schedule in text_
        text_ = text_.replace(schedule, schedule + "\nenabled = false")
    text_ = text_.replace("misfire_grace_minutes = 180", "misfire_grace_minutes = 1")
    path = config_path.with_name("queued.toml")
    path.write_text(text_ + '\n[queue]\nbackend = "procrastinate"\n')
    return path


def worker(env: dict[str, str], log: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", "from advocacy.cli import main; main()", "worker"], env=env,
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log.open("w"), stdin=subprocess.DEVNULL,
                            text=True)


def scalar(app: App, sql: str) -> object:
    with app.engine.connect() as conn:
        return conn.scalar(text(sql))


def digest_runs(app: App) -> list[tuple[str, int]]:
    with app.sessions() as session:
        return [(r.status, r.attempt) for r in session.scalars(
            select(JobRun).where(JobRun.job == "digest").order_by(JobRun.id))]


def defer_digest(app: App) -> None:
    """What a tick at the digest's slot defers (the job's task, with its locks)."""
    queue = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(app)))
    lock = "job:digest"
    with queue.open():
        queue.configure_task(job_task_name("digest"), lock=lock, queueing_lock=lock).defer(slot=SLOT.isoformat())


def stop(processes: list[subprocess.Popen[str]], sig: signal.Signals) -> list[int]:
    for process in processes:
        process.send_signal(sig)
    return [process.wait(timeout=60) for process in processes]


def test_two_workers_killed_mid_send_are_replaced_and_the_digest_finishes_with_no_member_mailed_twice(
        app: App, clock: FakeClock, config_path: Path, server: SendGridStandIn, tmp_path: Path) -> None:
    if app.engine.dialect.name != "postgresql":
        pytest.skip("the task queue runs on PostgreSQL only")
    build_world(app, clock(), CSV)
    mailing_id = new_digest(app)
    ensure_schema(app)
    env = {**child_env(app, config_path, server), "ADVOCACY_CONFIG": str(queued_config(config_path)),
           "ADVOCACY_EMAIL__SENDGRID__BATCH_SIZE": str(BATCH)}
    first = [worker(env, tmp_path / f"first{n}.log") for n in range(2)]
    watchdog = threading.Timer(180, lambda: [p.kill() for p in first])
    watchdog.start()
    try:
        _eventually(lambda: scalar(app, "SELECT count(*) FROM procrastinate_workers") == 2, "two workers", 60)
        reached = server.hold(20, "after")
        defer_digest(app)
        while not reached.wait(timeout=0.05):
            assert all(p.poll() is None for p in first), (tmp_path / "first0.log").read_text()
        assert scalar(app, f"SELECT count(*) FROM procrastinate_jobs WHERE task_name = '{SEND}'") == 1
        assert stop(first, signal.SIGKILL) == [-9, -9]  # the machine died
    finally:
        watchdog.cancel()
        for process in first:
            process.kill()
    assert digest_runs(app) == [("running", 1)]
    # Time passes: the dead workers' heartbeats grow old (the database's clock, moved as time_machine moves ours).
    with app.engine.begin() as conn:
        conn.execute(text("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour'"))

    second = [worker(env, tmp_path / f"second{n}.log") for n in range(2)]
    try:
        _eventually(lambda: digest_runs(app) == [("resumed", 1), ("ok", 2)], "the resumed digest run", 120)
        assert stop(second, signal.SIGTERM) == [0, 0]
    finally:
        for process in second:
            process.kill()
    received = Counter(server.recipients)
    statuses = final_statuses(app, mailing_id)
    assert len(statuses) == MEMBERS and max(received.values()) == 1
    assert set(statuses.values()) <= {"sent", "interrupted"}  # interrupted: in flight at the kill, not resent
    assert {email for email, status in statuses.items() if status == "sent"} <= set(received)
    assert 0 < sum(status == "interrupted" for status in statuses.values()) <= 2 * BATCH  # one request per worker
    with app.sessions() as session:
        assert session.scalar(select(Mailing.status).where(Mailing.id == mailing_id)) == "sent"
    with app.engine.connect() as conn:
        tasks = {(r.task_name, r.status) for r in conn.execute(text(
            "SELECT task_name, status::text AS status FROM procrastinate_jobs"))}
    assert (job_task_name("digest"), "failed") in tasks  # the killed worker's task, failed when found stalled
    assert (job_task_name("digest"), "succeeded") in tasks  # the resume
    assert {status for name, status in tasks if name == SEND} <= {"failed", "cancelled", "succeeded"}
