"""A host of two collaboratives on the task queue (PostgreSQL), worked by two workers: one tick scrapes Ohio once
for the host, tags the new bills in both collaboratives' queues, and sends each collaborative's digest to its own
members once (counted at the SendGrid stand-in); the next tick in the same slots does nothing. `advocacy run`
refuses a host of several, naming the file and the setting. On SQLite the queue does not run."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import procrastinate
import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import func, select, text

from advocacy.app import App, system_clock
from advocacy.cli import EXIT_CONFIG, cli
from advocacy.cli.worker import host_steps
from advocacy.config import Config, Secrets, load_host
from advocacy.models import BillRelevance, JobRun
from advocacy.runtime import steps as step
from advocacy.runtime.health import health_report
from advocacy.runtime.jobs import StepResult
from advocacy.runtime.pipeline import ranker_path, tagging_turn
from advocacy.runtime.queue import TAG, build_queue, ensure_schema, host_jobs, release_stalled, tag_elsewhere
from advocacy.runtime.scheduler import collaborative_jobs, job_specs
from tests.collaboratives import host_config, tag_stale
from tests.factories import MEMBERS_CSV, import_members
from tests.httpserver import FixtureServer
from tests.mailservers import SendGridStandIn
from tests.test_queue import _work
from tests.test_scrape import API, serve_ohio
from tests.test_sending import KEY

ET = ZoneInfo("America/New_York")
TICK_AT = datetime(2026, 12, 1, 7, 15, 3, tzinfo=ET)  # the scrape's 7:15 slot; both digests' 7:00, within the grace
NORTH_CSV = "email,name,district,role,topics,alerts\n" + "".join(
    f"north{i}@lakes{i % 2}.example.org,North Member {i},Lakes {i % 2} Schools,staff,,yes\n" for i in range(3))
LEGISLATURE = 'schedule = "15 7-18 * * 1-5"           # hourly on weekdays\n'


def host_files(tmp_path: Path, server: FixtureServer) -> Path:
    """The two-collaborative host, its Ohio source on the fixture server and its news feed off."""
    path = host_config(tmp_path)
    text = path.read_text()
    assert LEGISLATURE in text and 'schedule = "45 6-18 * * 1-5"\n' in text
    text = text.replace(LEGISLATURE, LEGISLATURE + f'[jurisdictions.sources.options]\napi_base_url = '
                                                   f'"{server.base_url}"\nsite_base_url = "{server.base_url}"\n')
    path.write_text(text.replace('schedule = "45 6-18 * * 1-5"\n', 'schedule = "45 6-18 * * 1-5"\nenabled = false\n'))
    return path


def host(path: Path, url: str, sendgrid: SendGridStandIn) -> list[Config]:
    return load_host(path, env={"ADVOCACY_QUEUE__BACKEND": "procrastinate", "ADVOCACY_DATABASE__URL": url,
                                "ADVOCACY_EMAIL__BACKEND": "sendgrid", "ADVOCACY_EMAIL__SENDGRID__HOST": sendgrid.url,
                                "ADVOCACY_HTTP__MIN_INTERVAL": "0", "ADVOCACY_SCHEDULE__SKIP_EMPTY_DIGEST": "false"})


def worker(configs: list[Config], url: str) -> tuple[list[App], procrastinate.App]:
    """One worker process: an App per collaborative (one engine), the queue of every collaborative's jobs."""
    home = App(configs[0], secrets=Secrets.from_env({"SENDGRID_API_KEY": KEY}), clock=system_clock,
               database_url=url)
    others = [home.beside(config) for config in configs[1:]]
    queue, _runner = build_queue(home, host_steps(home, others), others)
    return [home, *others], queue


def ledger(app: App) -> list[tuple[str, str]]:
    with app.sessions() as session:
        return sorted((r.job, r.status) for r in session.scalars(select(JobRun)))


def test_one_tick_on_a_host_of_two_scrapes_ohio_once_tags_both_queues_and_mails_each_digest_to_its_own_members(
        tmp_path: Path, db_url: str) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("the task queue runs on PostgreSQL only")
    with FixtureServer() as server, SendGridStandIn(api_key=KEY) as sendgrid:
        serve_ohio(server)
        configs = host(host_files(tmp_path, server), db_url, sendgrid)
        (home, north), queue = worker(configs, db_url)
        (second, _), other = worker(configs, db_url)
        ensure_schema(home)
        import_members(home)
        import_members(north, NORTH_CSV)
        assert [spec.id for _, specs in host_jobs(home, [north]) for spec in specs] == [
            *(spec.id for spec in job_specs(home.config)),
            "north/digest", "north/agenda", "north/cutoff_reminder", "north/inbound", "north/alerts"]
        assert ranker_path(north.config) != ranker_path(home.config)  # each learns from its own decisions
        with time_machine.travel(TICK_AT, tick=True):
            asyncio.run(_work([queue, other], time.time()))
        first = ledger(home)
        assert first == sorted([("digest", "ok"), ("inbound", "ok"), ("north/alerts", "ok"), ("north/digest", "ok"),
                                ("north/inbound", "ok"),
                                ("scrape:ohio-legislature", "ok")])
        assert len(server.requests_to(f"{API}/")) == 1  # Ohio's bill list: one scrape for the host
        with home.engine.connect() as conn:  # each collaborative's tagging: its own task, on whichever worker took it
            assert sorted(conn.execute(text("SELECT args->>'collaborative', status::text FROM procrastinate_jobs "
                                            "WHERE task_name = :task"), {"task": TAG}).all()) == [
                ("default", "succeeded"), ("north", "succeeded")]
        for app in (home, north):  # both queues tagged, nothing left for either collaborative's catch-up
            with app.sessions() as session:
                assert session.scalar(select(func.count(BillRelevance.id))) == 3
            assert tag_stale(app, app.now()) == 0
        copies = Counter(sendgrid.recipients)
        home_members = {line.split(",")[0] for line in MEMBERS_CSV.splitlines()[1:]}
        north_members = {line.split(",")[0] for line in NORTH_CSV.splitlines()[1:]}
        assert set(copies) == home_members | north_members and max(copies.values()) == 1
        senders: dict[str, set[str]] = {}
        for request in sendgrid.requests:
            senders.setdefault((request.payload or {})["from"]["email"], set()).update(request.recipients)
        assert senders == {"updates@heartland-collab.example.org": home_members,
                           "updates@northern-lakes.example.org": north_members}

        requests, mails = len(server.log), len(sendgrid.requests)
        with time_machine.travel(TICK_AT + timedelta(minutes=1), tick=True):  # the next tick: the same slots
            asyncio.run(_work([queue, other], time.time()))
        assert ledger(home) == first
        assert (len(server.log), len(sendgrid.requests)) == (requests, mails)
        home.engine.dispose()
        second.engine.dispose()


def test_advocacy_run_refuses_a_host_of_several_collaboratives_naming_the_file_and_the_queue(tmp_path: Path) -> None:
    path = host_config(tmp_path)
    result = CliRunner().invoke(cli, ["--config", str(path), "run"])
    assert result.exit_code == EXIT_CONFIG
    assert f"{path}: [host] collaboratives lists north" in result.output
    assert '[queue] backend = "procrastinate"' in result.output and "advocacy worker" in result.output


def test_another_collaboratives_jobs_are_only_its_own_under_ids_prefixed_by_its_slug(tmp_path: Path,
                                                                                    sqlite_url: str) -> None:
    home_config, north_config = load_host(host_config(tmp_path), env={})
    home = App(home_config, secrets=Secrets.from_env({}), database_url=sqlite_url)
    north = home.beside(north_config)
    assert north.engine is home.engine and (home.home, north.home) == (True, False)
    assert [spec.id for spec in collaborative_jobs(home)] == [spec.id for spec in job_specs(home_config)]
    assert [(spec.id, spec.steps) for spec in collaborative_jobs(north)] == [
        ("north/digest", ("digest",)), ("north/agenda", ("agenda",)), ("north/cutoff_reminder", ("cutoff_reminder",)),
        ("north/inbound", ("inbound",)), ("north/alerts", ("alerts",))]
    listed = CliRunner().invoke(cli, ["--config", str(tmp_path / "config.toml"), "--collaborative", "north", "jobs"],
                                env={"ADVOCACY_DATABASE__URL": sqlite_url})
    assert listed.exit_code == 0, listed.output
    assert "north/digest" in listed.output and "scrape:" not in listed.output
    home.engine.dispose()


def test_one_collaboratives_tagging_does_not_wait_for_anothers(tmp_path: Path, db_url: str) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("the tagging turn is a PostgreSQL advisory lock")
    home_config, north_config = load_host(host_config(tmp_path), env={})
    home = App(home_config, secrets=Secrets.from_env({}), database_url=db_url)
    north = home.beside(north_config)
    done: list[StepResult] = []
    with home.transaction() as session:
        tagging_turn(session)  # the host's own collaborative is tagging on one worker
        other = threading.Thread(target=lambda: done.append(step.tag(north)))  # north's catch-up on another
        other.start()
        other.join(timeout=30)
        assert not other.is_alive() and done and done[0].ok  # it did not wait for the host's turn
    home.engine.dispose()


@pytest.fixture
def queued_host(tmp_path: Path, db_url: str) -> Iterator[tuple[App, App, procrastinate.App]]:
    """The host of two on the queue (PostgreSQL): home, north and one worker's queue, its tables installed."""
    if db_url.startswith("sqlite"):
        pytest.skip("the task queue runs on PostgreSQL only")
    with FixtureServer() as server, SendGridStandIn(api_key=KEY) as sendgrid:
        (home, north), queue = worker(host(host_files(tmp_path, server), db_url, sendgrid), db_url)
        ensure_schema(home)
        yield home, north, queue
        home.engine.dispose()


def test_a_tag_task_whose_worker_died_is_deferred_again_with_the_same_changes(
        queued_host: tuple[App, App, procrastinate.App]) -> None:
    home, north, queue = queued_host
    with queue.open():
        tag_elsewhere(queue)(north, [3, 1], [7])
    with home.engine.begin() as conn:  # a worker took it, then died: its heartbeat is an hour old
        dead = conn.scalar(text("INSERT INTO procrastinate_workers (last_heartbeat) "
                                "VALUES (now() - interval '1 hour') RETURNING id"))
        conn.execute(text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w"), {"w": dead})

    async def release() -> list[int]:
        async with queue.open_async():
            return await release_stalled(queue)

    assert len(asyncio.run(release())) == 1
    with home.engine.connect() as conn:
        rows = conn.execute(text("SELECT status::text, lock, args FROM procrastinate_jobs WHERE task_name = :t "
                                 "ORDER BY id"), {"t": TAG}).all()
    changes = {"collaborative": "north", "bill_ids": [3, 1], "event_ids": [7]}
    assert [tuple(row) for row in rows] == [("failed", "tag:north", changes), ("todo", "tag:north", changes)]


def test_health_names_a_collaboratives_failed_tagging_until_a_later_tag_task_succeeds(
        queued_host: tuple[App, App, procrastinate.App]) -> None:
    home, north, queue = queued_host
    with queue.open():
        tag_elsewhere(queue)(north, [1], [])

    def finish(status: str) -> None:
        with home.engine.begin() as conn:
            conn.execute(text("UPDATE procrastinate_jobs SET status = CAST(:s AS procrastinate_job_status) "
                              "WHERE status = 'todo'"), {"s": status})

    finish("failed")  # three attempts failed
    failed = health_report(north, None)
    assert failed["queue"]["tagging_failed"] == 1 and failed["status"] == "degraded"
    assert any("1 tagging task(s) failed" in item for item in failed["attention"])
    assert health_report(home, None)["queue"]["tagging_failed"] == 0  # the host's own collaborative is fine
    with queue.open():
        tag_elsewhere(queue)(north, [2], [])
    finish("succeeded")
    assert health_report(north, None)["queue"]["tagging_failed"] == 0


def test_on_the_queue_the_alerts_step_sends_without_waiting_for_a_collaborative_busy_tagging(
        tmp_path: Path, db_url: str) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("the tagging turn is a PostgreSQL advisory lock")
    home_config, north_config = load_host(host_config(tmp_path), env={})
    home = App(home_config, secrets=Secrets.from_env({}), database_url=db_url)
    north = home.beside(north_config)
    done: list[StepResult] = []
    with north.transaction() as session:
        tagging_turn(session)  # north's tag task is tagging on another worker
        other = threading.Thread(target=lambda: done.append(step.alerts(north, wait=False)))
        other.start()
        other.join(timeout=30)
        assert not other.is_alive() and done and done[0].ok  # it did not wait: the tag task makes the alerts
        assert done[0].counts["created"] == 0
    home.engine.dispose()
