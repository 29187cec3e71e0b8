"""The task queue (`[queue] backend = "procrastinate"`, PostgreSQL): two workers defer and run a slot once, a job's
task runs the scheduler's steps through the same Runner, the ledger stands down a repeat, and health shows the queue.
On SQLite only the configuration errors are tested (the queue needs PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import procrastinate
import pytest
import time_machine
from click.testing import CliRunner
from procrastinate.periodic import PeriodicDeferrer
from sqlalchemy import text

from advocacy.app import App, system_clock
from advocacy.cli import EXIT_CONFIG, cli
from advocacy.collect.ingest import Store, ensure_jurisdiction
from advocacy.config import Config, ConfigError, Queue, Secrets, load_config
from advocacy.models import JobRun
from advocacy.runtime import steps as step
from advocacy.runtime.health import format_report, health_report
from advocacy.runtime.jobs import StepResult
from advocacy.runtime.pipeline import make_tagger, tagging_turn
from advocacy.runtime.queue import (
    TICK,
    build_queue,
    defer_due,
    defer_resumes,
    due_slot,
    ensure_schema,
    grace,
    job_task_name,
    migrations_between,
)
from advocacy.runtime.scheduler import job_specs
from advocacy.tagging.store import tag_bills
from tests.factories import funding_bill
from tests.scheduling import Recorder, runs
from vocabulary.records import ScrapeResult

ET = ZoneInfo("America/New_York")
SLOT = datetime(2026, 12, 1, 7, 0, tzinfo=ET)  # config.toml's first digest: a Tuesday, 7 a.m.


def queued(config: Config) -> Config:
    return config.model_copy(update={"queue": Queue(backend="procrastinate")})


@pytest.fixture
def pg_url(db_url: str) -> str:
    if db_url.startswith("sqlite"):
        pytest.skip("the task queue runs on PostgreSQL only")
    return db_url


def worker_app(config: Config, url: str) -> App:
    """One worker process's App: its own engine, on the system clock (which time_machine moves)."""
    return App(queued(config), secrets=Secrets.from_env({}), clock=system_clock, database_url=url)


@pytest.fixture
def workers(config: Config, pg_url: str) -> Iterator[list[tuple[App, procrastinate.App, Recorder]]]:
    made = []
    for _ in range(2):
        app = worker_app(config, pg_url)
        recorder = Recorder()
        steps = recorder.steps_for(app.config)
        queue, _runner = build_queue(app, lambda _queue, _app, steps=steps: steps)  # type: ignore[misc]
        made.append((app, queue, recorder))
    ensure_schema(made[0][0])
    yield made
    for app, _queue, _recorder in made:
        app.engine.dispose()


async def deferrer_pass(queue: procrastinate.App, at: float) -> None:
    """One pass of a worker's periodic deferrer (procrastinate's own loop body), at `at`."""
    deferrer = PeriodicDeferrer(registry=queue.periodic_registry, **queue.periodic_defaults)
    await deferrer.defer_jobs(deferrer.get_previous_tasks(at=at))


async def _work(queues: list[procrastinate.App], at: float) -> None:
    """What each worker does at `at`: its periodic deferrer's pass, then its jobs until none are left."""
    for queue in queues:
        async with queue.open_async():
            await deferrer_pass(queue, at)
    async with queues[0].open_async(), queues[1].open_async():
        await asyncio.gather(*(q.run_worker_async(wait=False, install_signal_handlers=False, listen_notify=False)
                               for q in queues))


def _jobs(app: App) -> list[tuple[str, str, dict]]:
    with app.engine.connect() as conn:
        return [(r.task_name, r.status, r.args) for r in conn.execute(text(
            "SELECT task_name, status::text AS status, args FROM procrastinate_jobs ORDER BY id"))]


def test_two_workers_defer_a_slot_once_and_each_due_job_runs_its_scheduler_steps_once(
        workers: list[tuple[App, procrastinate.App, Recorder]]) -> None:
    app = workers[0][0]
    specs = {spec.id: spec for spec in job_specs(app.config)}
    due = {job for job, spec in specs.items() if due_slot(spec.trigger, SLOT, grace(app)) is not None}
    assert {"digest", "inbound", "scrape:ohio-news"} <= due  # 7:00, 7:00 and 6:45 within the grace
    assert "scrape:ohio-legislature" not in due  # its last slot was 18:15 the evening before
    with time_machine.travel(SLOT + timedelta(seconds=3), tick=True):
        asyncio.run(_work([q for _, q, _ in workers], time.time()))
    jobs = _jobs(app)
    assert [name for name, _, _ in jobs].count(TICK) == 1  # both workers' deferrers, one tick
    assert sorted(name for name, _, _ in jobs if name != TICK) == sorted(job_task_name(j) for j in due)
    assert {status for _, status, _ in jobs} == {"succeeded"}
    calls = [name for _, _, recorder in workers for name, _ in recorder.calls]
    expected = [step for job in due for step in specs[job].steps]  # the scheduler's steps, each once
    assert sorted(calls) == sorted(expected)
    ledger = runs(app)
    assert sorted((r.job, r.status) for r in ledger) == sorted((job, "ok") for job in due)
    digest_run = next(r for r in ledger if r.job == "digest")
    assert digest_run.scheduled_for == SLOT
    assert [s["step"] for s in json.loads(digest_run.detail)["steps"]] == list(specs["digest"].steps)


def test_a_late_tick_defers_nothing_and_a_repeated_job_task_is_stood_down_by_the_ledger(
        workers: list[tuple[App, procrastinate.App, Recorder]]) -> None:
    (app, queue, recorder), (_, other, other_recorder) = workers
    specs = job_specs(app.config)
    with time_machine.travel(SLOT + timedelta(seconds=3), tick=True):
        asyncio.run(_work([queue, other], time.time()))
        ran = len(recorder.calls) + len(other_recorder.calls)
        with queue.open():
            assert defer_due(app, queue, specs, SLOT) == []  # every due slot has its run in the ledger
            queue.tasks[job_task_name("digest")].defer(slot=SLOT.isoformat())  # e.g. deferred by hand again
        asyncio.run(_work([queue, other], time.time()))
    assert len(recorder.calls) + len(other_recorder.calls) == ran
    assert [r.status for r in runs(app, "digest")] == ["ok"]


def test_a_run_left_running_by_a_killed_worker_is_resumed_once_by_the_next_worker_to_start(
        workers: list[tuple[App, procrastinate.App, Recorder]]) -> None:
    app, _, _ = workers[0]
    with app.transaction() as session:  # what a worker killed in the middle of a digest leaves behind
        session.add(JobRun(job="digest", scheduled_for=SLOT, started_at=SLOT, status="running"))
    recorder = Recorder()
    with time_machine.travel(SLOT + timedelta(seconds=3), tick=True):
        for attempt in range(2):  # a worker starts; later another one does
            queue, runner = build_queue(app, lambda _queue, _app: recorder.steps_for(app.config))
            with queue.open():
                assert len(defer_resumes(app, queue, runner)) == (1 if attempt == 0 else 0)
            asyncio.run(_work([queue, workers[1][1]], time.time()))
    assert len(recorder.times("digest")) + len(workers[1][2].times("digest")) == 1  # whichever worker took it
    rows = runs(app, "digest")
    assert [(r.status, r.attempt, r.scheduled_for) for r in rows] == [("resumed", 1, SLOT), ("ok", 2, SLOT)]


def test_the_job_queue_keeps_one_waiting_run_per_job_and_health_shows_depth_and_oldest(
        workers: list[tuple[App, procrastinate.App, Recorder]]) -> None:
    app, queue, _recorder = workers[0]
    with time_machine.travel(SLOT, tick=True), queue.open():
        assert set(defer_due(app, queue, job_specs(app.config), SLOT)) >= {"digest", "inbound"}
        depth = len(_jobs(app))
        assert defer_due(app, queue, job_specs(app.config), SLOT + timedelta(minutes=10)) == []  # still waiting
        assert len(_jobs(app)) == depth
        report = health_report(app, None)
    assert report["queue"]["depth"] == depth
    assert report["queue"]["workers_alive"] == 0
    assert report["queue"]["oldest_waiting"] is not None
    assert report["scheduler"]["state"] == "queue"
    assert "no `advocacy worker` is alive: scheduled jobs are not running" in report["attention"]
    assert f"queue      {depth} waiting, oldest waiting since" in format_report(report)
    assert "; 0 running; 0 worker(s) alive" in format_report(report)

    async def a_worker_beats() -> None:
        async with queue.open_async():
            await queue.job_manager.register_worker()

    asyncio.run(a_worker_beats())
    report = health_report(app, None)
    assert report["queue"]["workers_alive"] == 1
    assert not any("advocacy worker" in item for item in report["attention"])


def test_the_queue_on_sqlite_is_a_configuration_error_naming_the_setting(tmp_path: Path, config_path: Path) -> None:
    edited = tmp_path / "queued.toml"
    edited.write_text(config_path.read_text() + '\n[queue]\nbackend = "procrastinate"\n')
    with pytest.raises(ConfigError, match=r'\[queue\] backend = "procrastinate" needs a PostgreSQL'):
        load_config(edited, env={})
    assert load_config(edited, env={"ADVOCACY_DATABASE__URL": "postgresql+psycopg://db/advocacy"}).queue.backend \
        == "procrastinate"


def test_building_the_queue_on_a_sqlite_app_refuses_naming_the_setting(sqlite_app: App) -> None:
    with pytest.raises(ConfigError, match=r'\[queue\] backend = "procrastinate" needs a PostgreSQL database'):
        build_queue(sqlite_app, lambda _queue, _app: Recorder().steps_for(sqlite_app.config))


def test_advocacy_worker_without_the_queue_configured_says_which_setting(config_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(config_path), "worker"])
    assert result.exit_code == EXIT_CONFIG
    assert '[queue] backend = "procrastinate"' in result.output


def test_migrations_between_two_versions_are_the_files_above_the_first_up_to_the_second(tmp_path: Path) -> None:
    for name in ("03.00.00_01_a.sql", "03.01.00_01_pre_b.sql", "03.01.00_50_post_b.sql", "03.04.00_01_c.sql",
                 "03.11.00_01_d.sql"):
        (tmp_path / name).write_text("")
    assert [p.name for p in migrations_between("3.0.0", "3.10.0", tmp_path)] == [
        "03.01.00_01_pre_b.sql", "03.01.00_50_post_b.sql", "03.04.00_01_c.sql"]
    assert migrations_between("3.10.0", "3.10.0", tmp_path) == []


def test_db_upgrade_on_the_queue_installs_procrastinates_tables_and_records_their_version(
        app: App, config_path: Path, pg_url: str) -> None:
    edited = config_path.with_name("queued.toml")
    edited.write_text(config_path.read_text() + '\n[queue]\nbackend = "procrastinate"\n')

    def upgrade() -> str:
        result = CliRunner().invoke(cli, ["--config", str(edited), "db", "upgrade"],
                                    env={"ADVOCACY_DATABASE__URL": pg_url})
        assert result.exit_code == 0, result.output
        return result.output

    def note() -> str:
        with app.engine.connect() as conn:
            return conn.scalar(text("SELECT obj_description('procrastinate_jobs'::regclass, 'pg_class')"))

    ensure_schema(app)
    assert f"procrastinate {procrastinate.__version__}'s tables already there" in upgrade()
    assert note() == f"procrastinate {procrastinate.__version__}"
    with app.engine.begin() as conn:  # as a release of this project on procrastinate 3.4 left it
        conn.execute(text("COMMENT ON TABLE procrastinate_jobs IS 'procrastinate 3.4.0'"))
    assert f"task queue: procrastinate 3.4.0 -> {procrastinate.__version__} (0 migration(s))" in upgrade()
    assert note() == f"procrastinate {procrastinate.__version__}"


def test_a_tick_fails_the_task_of_a_dead_worker_and_resumes_its_run_once(
        workers: list[tuple[App, procrastinate.App, Recorder]]) -> None:
    (app, queue, recorder), (_, other, other_recorder) = workers

    async def a_worker_takes_the_digest_and_dies() -> None:
        async with queue.open_async():
            worker_id = await queue.job_manager.register_worker()
            await queue.configure_task(job_task_name("digest"), lock="job:digest",
                                       queueing_lock="job:digest").defer_async(slot=SLOT.isoformat())
            assert await queue.job_manager.fetch_job(None, worker_id) is not None
        with app.transaction() as session:
            session.add(JobRun(job="digest", scheduled_for=SLOT, started_at=SLOT, status="running"))
        with app.engine.begin() as conn:  # its heartbeat grows old
            conn.execute(text("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour'"))

    asyncio.run(a_worker_takes_the_digest_and_dies())
    report = health_report(app, None)
    assert (report["queue"]["running"], report["queue"]["orphaned"]) == (1, 1)
    assert any("1 task(s) were running on a worker that stopped answering" in a for a in report["attention"])
    with time_machine.travel(SLOT + timedelta(minutes=2), tick=True):
        asyncio.run(_work([queue, other], time.time()))
        asyncio.run(_work([queue, other], time.time() + 60))  # the next minute's tick: nothing more
    assert len(recorder.times("digest")) + len(other_recorder.times("digest")) == 1
    assert [(r.status, r.attempt) for r in runs(app, "digest")] == [("resumed", 1), ("ok", 2)]
    statuses = [(name, status) for name, status, _ in _jobs(app) if name == job_task_name("digest")]
    assert statuses == [(job_task_name("digest"), "failed"), (job_task_name("digest"), "succeeded")]
    assert health_report(app, None)["queue"]["orphaned"] == 0


def test_a_catch_up_tag_on_one_worker_waits_for_another_workers_tagging_and_then_finds_nothing_stale(
        app: App, pg_url: str) -> None:
    with app.transaction() as session:  # a scrape stored a bill; its worker is about to tag it
        oh = ensure_jurisdiction(session, "OH", "Ohio", "America/New_York")
        changed = Store(session, oh, source="test", now=app.now()).store_result(
            ScrapeResult(bills=(funding_bill(),))).changed_bill_ids
    done: list[StepResult] = []
    with app.transaction() as session:
        tagging_turn(session)
        other = threading.Thread(target=lambda: done.append(step.tag(app)))  # another worker's catch-up
        other.start()
        other.join(timeout=1.0)
        assert other.is_alive() and not done  # it waits for this worker's turn to end
        tag_bills(session, make_tagger(app.config), changed, app.now())
    other.join(timeout=30)
    assert done and done[0].counts["tagged"] == 0  # this worker tagged it: nothing was left stale


def test_the_first_tick_of_an_hour_deletes_tasks_that_succeeded_more_than_a_week_ago(
        workers: list[tuple[App, procrastinate.App, Recorder]]) -> None:
    app, queue, _recorder = workers[0]
    with time_machine.travel(SLOT + timedelta(seconds=3), tick=True):
        asyncio.run(_work([queue, workers[1][1]], time.time()))
        done = [(name, json.dumps(args, sort_keys=True)) for name, _, args in _jobs(app)]
        with app.engine.begin() as conn:  # a week and a day pass for the tasks done so far
            conn.execute(text("UPDATE procrastinate_events SET at = at - interval '8 days'"))
    # 7:01, not the hour's first tick (the workers' own deferrers read the clock too: it must say 7:01)
    with time_machine.travel(SLOT + timedelta(minutes=1, seconds=3), tick=True):
        asyncio.run(_work([queue, workers[1][1]], time.time()))
        assert len(_jobs(app)) == len(done) + 1
    with time_machine.travel(SLOT + timedelta(hours=1, seconds=3), tick=True):
        asyncio.run(_work([queue, workers[1][1]], time.time()))
    left = [(name, json.dumps(args, sort_keys=True)) for name, _, args in _jobs(app)]
    assert [name for name, _ in left].count(TICK) == 2  # 7:01's and 8:00's, newer than a week
    assert not set(done) & set(left)
