"""Several processes share one send on PostgreSQL: a second `advocacy digest send --join` claims batches of the
same digest's deliveries beside the first (FOR UPDATE SKIP LOCKED), and every member gets exactly one copy,
counted at the SendGrid stand-in. SQLite keeps one sender."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from advocacy.app import App
from advocacy.models import Mailing
from advocacy.outbound import sending
from digests.channels.email import OutboxBackend
from tests.factories import FakeClock, build_world
from tests.mailservers import SendGridStandIn
from tests.test_send_kill import ROOT, child_env, digest_send, final_statuses, finished
from tests.test_sending import KEY, new_digest

MEMBERS = 150
CSV = "email,name,district,role,topics,alerts\n" + "".join(
    f"worker{i:03d}@district{i % 13}.example.org,Worker {i},District {i % 13} Schools,staff,,yes\n"
    for i in range(MEMBERS))


@pytest.fixture
def server() -> Iterator[SendGridStandIn]:
    with SendGridStandIn(api_key=KEY, keep_payloads=False) as stand_in:
        yield stand_in


def sent_count(output: str, mailing_id: int) -> int:
    found = re.search(rf"^digest {mailing_id}: sent (\d+),", output, re.MULTILINE)
    assert found, output
    return int(found.group(1))


def test_two_processes_share_one_send_on_postgres_with_no_duplicate_and_none_missing(
        app: App, clock: FakeClock, config_path: Path, server: SendGridStandIn, tmp_path: Path) -> None:
    build_world(app, clock(), CSV)
    mailing_id = new_digest(app)
    if app.engine.dialect.name != "postgresql":  # SQLite keeps one sender: joining is refused, nothing sent
        with pytest.raises(ValueError, match="PostgreSQL only"):
            sending.send(app, mailing_id, OutboxBackend(tmp_path / "outbox"), lambda d, m: None, join=True)  # type: ignore[arg-type,return-value]
        assert final_statuses(app, mailing_id) == {}
        return
    env = child_env(app, config_path, server)
    # The first request waits unanswered until a second one waits beside it: the first process cannot finish
    # before the second has joined, and the second request (the first sends one at a time) is the joiner's.
    first_waits = server.gate(2)
    first = digest_send(env, mailing_id)
    assert first_waits.wait(60), finished(first)  # the first process has prepared the send and is sending
    joined = finished(subprocess.Popen(
        [sys.executable, "-c", "from advocacy.cli import main; main()", "digest", "send", "--digest",
         str(mailing_id), "--join"], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, text=True))
    code, output = finished(first)
    assert code == 0 and joined[0] == 0, (output, joined)

    received = Counter(server.recipients)
    statuses = final_statuses(app, mailing_id)
    assert len(statuses) == MEMBERS and set(statuses.values()) == {"sent"}
    assert max(received.values()) == 1 and set(received) == set(statuses)  # no duplicate, none missing
    assert sent_count(output, mailing_id) > 0 and sent_count(joined[1], mailing_id) > 0  # both did a share
    assert sent_count(output, mailing_id) + sent_count(joined[1], mailing_id) == MEMBERS
    with app.sessions() as session:
        assert session.scalar(select(Mailing.status).where(Mailing.id == mailing_id)) == "sent"
