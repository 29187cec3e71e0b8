"""`advocacy run` killed with SIGKILL during the digest job, then started again: the resume finishes the send in
that same start (the dead owner's locks are no obstacle), and nobody gets two copies."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from advocacy.app import App
from advocacy.models import JobRun
from tests.factories import FakeClock, build_world
from tests.mailservers import SendGridStandIn
from tests.test_scheduler_service import _eventually, _free_port
from tests.test_send_kill import BATCH, CSV, MEMBERS, ROOT, child_env, final_statuses
from tests.test_sending import KEY, new_digest

CHILD = r'''
import sys
from advocacy import logs
from advocacy.app import App
from advocacy.cli.service import serve
from advocacy.config import Secrets, load_config
from advocacy.runtime import steps as real
from advocacy.runtime.jobs import Steps

port, mode = sys.argv[1:3]
logs.configure()
app = App(load_config(), secrets=Secrets.from_env())
steps = Steps()
steps.register("digest")(real.digest)  # the real digest step, and only it: nothing else reaches out


def started(service):
    if mode == "first":
        service.run_now("digest")


sys.exit(serve(app, steps, host="127.0.0.1", port=int(port), stop_timeout=0.5, on_started=started))
'''


@pytest.fixture
def server() -> Iterator[SendGridStandIn]:
    with SendGridStandIn(api_key=KEY, keep_payloads=False) as stand_in:
        yield stand_in


def service(env: dict[str, str], mode: str, log: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", CHILD, str(_free_port()), mode], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=log.open("w"), stdin=subprocess.DEVNULL, text=True)


def digest_runs(app: App) -> list[tuple[str, int]]:
    with app.sessions() as session:
        return [(r.status, r.attempt) for r in session.scalars(
            select(JobRun).where(JobRun.job == "digest").order_by(JobRun.id))]


def test_a_service_killed_mid_digest_resumes_and_finishes_the_send_on_its_next_start(
        app: App, clock: FakeClock, config_path: Path, server: SendGridStandIn, tmp_path: Path) -> None:
    build_world(app, clock(), CSV)
    mailing_id = new_digest(app)
    env = child_env(app, config_path, server)
    reached = server.hold(2, "after")
    first = service(env, "first", tmp_path / "first.log")
    watchdog = threading.Timer(120, first.kill)
    watchdog.start()
    try:
        while not reached.wait(timeout=0.05):
            assert first.poll() is None, (tmp_path / "first.log").read_text()
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        watchdog.cancel()
        first.kill()
    assert digest_runs(app) == [("running", 1)]  # nobody recorded the end: the process just vanished

    second = service(env, "run", tmp_path / "second.log")
    try:
        _eventually(lambda: digest_runs(app) == [("resumed", 1), ("ok", 2)], "the resumed digest run", 120)
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0
    finally:
        second.kill()
    received = Counter(server.recipients)
    statuses = final_statuses(app, mailing_id)
    interrupted = {email for email, status in statuses.items() if status == "interrupted"}
    assert max(received.values()) == 1 and set(received) == set(statuses) and len(statuses) == MEMBERS
    assert len(interrupted) == BATCH  # the request in flight at the kill: accepted, so not resent
    assert {status for email, status in statuses.items() if email not in interrupted} == {"sent"}
    assert "SendInProgress" not in (tmp_path / "second.log").read_text()
