"""A real `advocacy digest send` killed with SIGKILL at several points, each time run again at once: nobody gets two
copies, and nobody gets none except the interrupted members the re-runs name. Counted at the SendGrid stand-in."""

from __future__ import annotations

import os
import re
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
from advocacy.models import Delivery, Member
from advocacy.outbound.sending import failures
from tests.factories import FakeClock, build_world
from tests.mailservers import SendGridStandIn
from tests.test_sending import KEY, new_digest

ROOT = Path(__file__).resolve().parent.parent
MEMBERS = 120
BATCH = 5  # members per SendGrid request: 24 requests, so there is a middle to die in, three times
CSV = "email,name,district,role,topics,alerts\n" + "".join(
    f"member{i:03d}@district{i % 17}.example.org,Member {i},District {i % 17} Schools,staff,,yes\n"
    for i in range(MEMBERS))
# Where each run dies: at the nth request the stand-in receives (counting every run), before it accepted that
# request, after it accepted it (no answer yet), or right after it answered.
KILLS = [(3, "before"), (9, "after"), (16, "answered")]


@pytest.fixture
def server() -> Iterator[SendGridStandIn]:
    with SendGridStandIn(api_key=KEY, keep_payloads=False) as stand_in:
        yield stand_in


def child_env(app: App, config_path: Path, server: SendGridStandIn) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "ADVOCACY_CONFIG": str(config_path),
            "ADVOCACY_DATABASE__URL": app.engine.url.render_as_string(hide_password=False),
            "ADVOCACY_EMAIL__BACKEND": "sendgrid", "ADVOCACY_EMAIL__SENDGRID__HOST": server.url,
            "ADVOCACY_EMAIL__SENDGRID__BATCH_SIZE": str(BATCH), "SENDGRID_API_KEY": KEY,
            "ADVOCACY_SIGNING_KEY": "kill-test-signing-key", "ADVOCACY_SESSION_SECRET": "kill-test-session"}


def digest_send(env: dict[str, str], mailing_id: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", "from advocacy.cli import main; main()", "digest", "send",
                             "--digest", str(mailing_id), "--yes"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)


def finished(process: subprocess.Popen[str]) -> tuple[int, str]:
    output, _ = process.communicate(timeout=120)
    return process.returncode, output


def run_and_kill(env: dict[str, str], mailing_id: int, server: SendGridStandIn, nth: int, when: str) -> str:
    """Start a send, SIGKILL it at the chosen moment, and return what it printed before it died."""
    reached = server.hold(nth, when)
    process = digest_send(env, mailing_id)
    watchdog = threading.Timer(120, process.kill)
    watchdog.start()
    try:
        while not reached.wait(timeout=0.05):
            assert process.poll() is None, finished(process)
        if when == "after":  # a second send meanwhile is refused in one line naming the live owner
            code, output = finished(digest_send(env, mailing_id))
            assert code == 1 and re.fullmatch(rf"digest {mailing_id}: another process is sending it \(.+\); "
                                              r"try again when it has finished\n", output), output
        process.send_signal(signal.SIGKILL)
        return finished(process)[1]
    finally:
        watchdog.cancel()
        process.kill()


def final_statuses(app: App, mailing_id: int) -> dict[str, str]:
    with app.sessions() as session:
        return dict(session.execute(select(Member.email, Delivery.status).join(Delivery)
                                    .where(Delivery.mailing_id == mailing_id)).all())


def test_kill_9_three_times_mid_send_each_rerun_at_once_gives_everyone_at_most_one_copy(
        app: App, clock: FakeClock, config_path: Path, server: SendGridStandIn) -> None:
    build_world(app, clock(), CSV)
    mailing_id = new_digest(app)
    env = child_env(app, config_path, server)
    for nth, when in KILLS:
        output = run_and_kill(env, mailing_id, server, nth, when)
        assert "another process" not in output, output  # the dead owner's lease was no obstacle
    code, output = finished(digest_send(env, mailing_id))
    assert code == 0 and "another process" not in output, output
    with app.sessions() as session:  # what `advocacy digest status` lists for the advocate
        reported = {email: reason for email, status, reason in failures(session, mailing_id)}

    received = Counter(server.recipients)
    statuses = final_statuses(app, mailing_id)
    interrupted = {email for email, status in statuses.items() if status == "interrupted"}
    assert len(statuses) == MEMBERS and set(statuses.values()) <= {"sent", "interrupted"}
    assert max(received.values()) == 1  # zero duplicates
    assert {email for email, status in statuses.items() if status == "sent"} <= set(received)
    assert set(statuses) - set(received) <= interrupted  # zero missing besides the interrupted...
    assert set(reported) == interrupted and all("not resent automatically" in r for r in reported.values())
    # ...which are at most the one request in flight at each kill: one whole request for the first two
    assert 2 * BATCH <= len(interrupted) <= 3 * BATCH
