"""The service as deployed: a real process stopped with SIGTERM mid-send, restarted, finishing without sending
twice; and the `advocacy jobs` / `advocacy status` commands."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import select

from advocacy.app import App
from advocacy.cli import cli
from advocacy.models import Delivery, JobRun, Member

CHILD = r'''
import sys, threading
from sqlalchemy import select
from advocacy import logs
from advocacy.app import App
from advocacy.cli.service import serve
from advocacy.config import Secrets, load_config
from advocacy.runtime.jobs import StepResult, Steps
from advocacy.models import Delivery, Mailing, Member

config_path, db_url, outbox, port, mode = sys.argv[1:6]
logs.configure()
app = App(load_config(config_path, env={}), secrets=Secrets.from_env({}), database_url=db_url)
steps = Steps()


@steps.register("digest")
def digest(app):
    """Idempotent like the real one: a delivery row per member, written before the send, skips the sent."""
    with app.transaction() as s:
        d = s.scalar(select(Mailing).where(Mailing.key == "test-digest"))
        if d is None:
            d = Mailing(key="test-digest", period_end=app.now(), status="sending")
            s.add(d)
            s.flush()
        mailing_id = d.id
        members = [(m.id, m.email) for m in s.scalars(select(Member).order_by(Member.id))]
    sent = 0
    for position, (member_id, email) in enumerate(members):
        if position == 1 and mode == "block":
            print("blocked", flush=True)
            threading.Event().wait()  # a send that hangs until the process is stopped
        with app.transaction() as s:
            if s.scalar(select(Delivery).where(Delivery.mailing_id == mailing_id, Delivery.member_id == member_id)):
                continue
            s.add(Delivery(mailing_id=mailing_id, member_id=member_id, status="sent", sent_at=app.now()))
            with open(outbox, "a") as fh:
                fh.write(email + "\n")
        sent += 1
    return StepResult(counts={"sent": sent})


def started(service):
    if mode == "block":
        service.run_now("digest")


sys.exit(serve(app, steps, host="127.0.0.1", port=int(port), stop_timeout=0.5, on_started=started))
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _eventually(check: Callable[[], object], what: str, timeout: float = 30.0) -> object:
    """Wait for another process to get somewhere (this polls; it does not stand in for time passing)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except (httpx.HTTPError, OSError):
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _start(config_path: Path, db_url: str, outbox: Path, port: int, mode: str, log: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", CHILD, str(config_path), db_url, str(outbox), str(port), mode],
                            stdout=subprocess.PIPE, stderr=log.open("w"), text=True, cwd=config_path.parent)


def _runs(app: App, job: str = "digest") -> list[tuple[str, int]]:
    """The runs of one job (the service also runs its 10-minute inbound job on real time meanwhile)."""
    with app.sessions() as session:
        return [(r.status, r.attempt) for r in session.scalars(
            select(JobRun).where(JobRun.job == job).order_by(JobRun.id))]


def test_sigterm_mid_send_records_the_run_and_a_restart_finishes_it_without_duplicates(
        sqlite_app: App, config_path: Path, tmp_path: Path) -> None:
    with sqlite_app.transaction() as session:
        for name in ("Avery Quill", "Bo Lindqvist", "Cam Oduya"):
            session.add(Member(email=f"{name.split()[0].lower()}@district.example.org", name=name))
    db_url = sqlite_app.engine.url.render_as_string(hide_password=False)
    outbox = tmp_path / "outbox.txt"

    first = _start(config_path, db_url, outbox, _free_port(), "block", tmp_path / "first.log")
    watchdog = threading.Timer(60, first.kill)
    watchdog.start()
    try:
        assert first.stdout is not None
        assert first.stdout.readline().strip() == "blocked", (tmp_path / "first.log").read_text()
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0, (tmp_path / "first.log").read_text()
    finally:
        watchdog.cancel()
        first.kill()
    assert _runs(sqlite_app) == [("interrupted", 1)]
    assert outbox.read_text().splitlines() == ["avery@district.example.org"]
    first_log = (tmp_path / "first.log").read_text()
    assert "event=job.interrupted" in first_log and "event=service.stopped interrupted=1" in first_log

    port = _free_port()
    second = _start(config_path, db_url, outbox, port, "run", tmp_path / "second.log")
    try:
        _eventually(lambda: _runs(sqlite_app) == [("resumed", 1), ("ok", 2)], "the resumed run")
        health = _eventually(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json(), "/healthz")
        assert health["scheduler"] == {"state": "running"}  # type: ignore[index]
        assert health["jobs"]["digest"]["last_status"] == "ok"  # type: ignore[index]
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0
    finally:
        second.kill()
    assert outbox.read_text().splitlines() == [
        "avery@district.example.org", "bo@district.example.org", "cam@district.example.org"]
    with sqlite_app.sessions() as session:
        assert session.scalar(select(JobRun).where(JobRun.status == "ok")).detail.count('"sent": 2') == 1  # type: ignore[union-attr]
        assert len(list(session.scalars(select(Delivery)))) == 3
    second_log = (tmp_path / "second.log").read_text()
    assert "event=job.finished job=digest status=ok" in second_log and "sent=2" in second_log
    assert "event=service.stopped interrupted=0" in second_log


@pytest.fixture
def migrated_config(config_path: Path) -> Path:
    result = CliRunner().invoke(cli, ["--config", str(config_path), "db", "upgrade"])
    assert result.exit_code == 0, result.output
    return config_path


def test_jobs_lists_next_runs_in_the_collaboratives_zone(migrated_config: Path) -> None:
    with time_machine.travel(datetime(2026, 11, 28, 17, 0, tzinfo=UTC), tick=False):  # Saturday noon in Ohio
        result = CliRunner().invoke(cli, ["--config", str(migrated_config), "jobs"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["JOB", "NEXT", "RUN", "(America/New_York)", "SCHEDULE", "LAST", "RUN"]
    rows = {line.split()[0]: line for line in lines[1:6]}
    assert "Mon 2026-11-30 07:15 EST *" in rows["scrape:ohio-legislature"]
    assert "cron 15 7-18 * * 1-5" in rows["scrape:ohio-legislature"]
    assert "Tue 2026-12-01 07:00 EST *" in rows["digest"]
    assert "every 14 days at 07:00 from Tue 2026-12-01" in rows["digest"]
    assert "Tue 2026-12-01 10:00 EST" in rows["agenda"]
    assert "no step" not in result.output  # the composition root registers every step a job names
    assert "* not stored yet" in result.output


def test_status_without_a_running_service_reports_from_the_database(migrated_config: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    result = CliRunner().invoke(cli, ["--config", str(migrated_config), "status", "--url", url])
    assert result.exit_code == 1
    assert "scheduler  unknown" in result.output
    assert f"the service did not answer at {url}" in result.output
    assert "database   reachable" in result.output
    as_json = CliRunner().invoke(cli, ["--config", str(migrated_config), "status", "--url", url, "--json"])
    report = json.loads(as_json.output)
    assert report["status"] == "degraded" and report["database"]["ok"] is True
