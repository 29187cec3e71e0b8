"""Job runs across processes and restarts: the lock and the slot claim against a second instance (SQLite and
PostgreSQL), interrupted runs resumed once on restart, failures recorded."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from advocacy import logs
from advocacy.config import Config
from advocacy.locks import db_lock
from advocacy.models import JobRun
from advocacy.runtime.jobs import Runner, StepResult, Steps
from tests.factories import frozen_fixture
from tests.scheduling import Recorder, runs, service, step_and_wait, system_app

ET = ZoneInfo("America/New_York")
SLOT = datetime(2026, 12, 1, 7, 0, tzinfo=ET)


frozen = frozen_fixture(datetime(2026, 12, 1, 12, 5, tzinfo=UTC))


def test_a_second_instance_neither_runs_beside_the_first_nor_repeats_its_slot(
        config: Config, db_url: str, frozen: time_machine.Traveller) -> None:
    recorder = Recorder()
    started, release = recorder.block("digest")
    first = Runner(system_app(config, db_url), recorder.steps_for(config))
    second = Runner(system_app(config, db_url), recorder.steps_for(config))
    outcome: dict[str, str] = {}
    worker = threading.Thread(target=lambda: outcome.update(
        first=first.execute("digest", ["digest"], scheduled_for=SLOT).status))
    worker.start()
    try:
        assert started.wait(timeout=30)
        assert second.execute("digest", ["digest"], scheduled_for=SLOT).status == "locked"
        assert second.execute("digest", ["digest"]).status == "locked"  # by hand, too
    finally:
        release.set()
        worker.join(timeout=30)
    assert outcome == {"first": "ok"}
    # The first is done and its lock released: the same slot fired late by the second is still not run again.
    assert second.execute("digest", ["digest"], scheduled_for=SLOT).status == "claimed"
    assert len(recorder.times("digest")) == 1
    assert [(r.status, r.scheduled_for) for r in runs(first.app)] == [("ok", SLOT)]


def test_a_run_left_running_by_a_killed_process_is_resumed_once_on_restart(
        config: Config, db_url: str, frozen: time_machine.Traveller) -> None:
    recorder = Recorder()
    svc = service(config, db_url, recorder)
    with svc.app.transaction() as session:  # what a process killed in the middle of a digest leaves behind
        session.add(JobRun(job="digest", scheduled_for=SLOT, started_at=SLOT, status="running"))
    svc.start()
    step_and_wait(svc)
    assert len(recorder.times("digest")) == 1
    rows = runs(svc.app, "digest")
    assert [(r.status, r.attempt, r.scheduled_for) for r in rows] == [("resumed", 1, SLOT), ("ok", 2, SLOT)]
    assert "process running it stopped" in json.loads(rows[0].detail)["error"]
    svc.stop(timeout=5)

    again = service(config, db_url, recorder)
    again.start()
    step_and_wait(again)
    assert len(recorder.times("digest")) == 1  # nothing left to resume
    again.stop(timeout=5)


def test_a_running_row_whose_job_lock_is_held_belongs_to_a_live_process_and_is_left_alone(
        config: Config, db_url: str, frozen: time_machine.Traveller) -> None:
    recorder = Recorder()
    svc = service(config, db_url, recorder)
    other = system_app(config, db_url)
    with svc.app.transaction() as session:
        session.add(JobRun(job="digest", scheduled_for=SLOT, started_at=SLOT, status="running"))
    with db_lock(other, "job:digest") as held:
        assert held
        svc.start()
        step_and_wait(svc)
    assert recorder.times("digest") == []
    assert [r.status for r in runs(svc.app, "digest")] == ["running"]
    svc.stop(timeout=5)


def test_a_run_interrupted_again_after_its_resume_is_left_for_a_person(
        config: Config, db_url: str, frozen: time_machine.Traveller) -> None:
    recorder = Recorder()
    svc = service(config, db_url, recorder)
    with svc.app.transaction() as session:
        session.add(JobRun(job="digest", scheduled_for=SLOT, attempt=1, status="resumed"))
        session.add(JobRun(job="digest", scheduled_for=SLOT, attempt=2, status="interrupted"))
    svc.start()
    step_and_wait(svc)
    assert recorder.times("digest") == []
    assert [r.status for r in runs(svc.app, "digest")] == ["resumed", "interrupted"]
    svc.stop(timeout=5)


def test_an_interrupted_run_overtaken_by_a_later_successful_one_is_not_resumed(
        config: Config, db_url: str, frozen: time_machine.Traveller) -> None:
    recorder = Recorder()
    svc = service(config, db_url, recorder)
    with svc.app.transaction() as session:
        session.add(JobRun(job="scrape:ohio-news", scheduled_for=SLOT, status="interrupted"))
        session.add(JobRun(job="scrape:ohio-news", scheduled_for=SLOT.replace(hour=8), status="ok"))
    svc.start()
    step_and_wait(svc)
    assert recorder.times("scrape:ohio-news") == []
    assert [r.status for r in runs(svc.app, "scrape:ohio-news")] == ["superseded", "ok"]
    svc.stop(timeout=5)


def test_stopping_records_a_stuck_run_as_interrupted_and_a_late_finish_still_counts(
        config: Config, sqlite_url: str, frozen: time_machine.Traveller) -> None:
    recorder = Recorder()
    started, release = recorder.block("digest")
    svc = service(config, sqlite_url, recorder)
    svc.start()
    svc.run_now("digest")
    svc.scheduler.step()  # type: ignore[attr-defined]
    assert started.wait(timeout=30)
    assert svc.runner.in_flight()
    interrupted = svc.stop(timeout=0.05)
    assert len(interrupted) == 1
    (row,) = runs(svc.app, "digest")
    assert row.status == "interrupted" and "did not finish" in json.loads(row.detail)["error"]
    release.set()  # the process did not exit after all, and the step finished: that is the truth
    assert svc.executor.join(timeout=30)
    assert [r.status for r in runs(svc.app, "digest")] == ["ok"]


def test_a_failing_step_fails_the_run_and_stops_the_steps_after_it(config: Config, sqlite_url: str) -> None:
    calls: list[str] = []
    steps = Steps()

    @steps.register("scrape:ohio-news")
    def broken(app: object) -> StepResult:
        calls.append("scrape")
        raise ConnectionError("feed unreachable")

    @steps.register("tag")
    def tag(app: object) -> StepResult:
        calls.append("tag")
        return StepResult()

    runner = Runner(system_app(config, sqlite_url), steps)
    outcome = runner.execute("scrape:ohio-news", ["scrape:ohio-news", "tag", "alerts"])
    assert outcome.status == "failed"
    assert outcome.error == "scrape:ohio-news: ConnectionError: feed unreachable"
    assert calls == ["scrape"]
    outcome = runner.execute("digest", ["digest"])
    assert outcome.status == "failed" and "no step named 'digest' in this build" in outcome.error
    assert [r.status for r in runs(runner.app)] == ["failed", "failed"]


def test_a_step_reporting_failure_is_recorded_with_its_counts(config: Config, sqlite_url: str) -> None:
    steps = Steps({"digest": lambda app: StepResult(ok=False, counts={"sent": 3, "failed": 2}, note="2 bounced")})
    runner = Runner(system_app(config, sqlite_url), steps)
    outcome = runner.execute("digest", ["digest"])
    assert (outcome.status, dict(outcome.counts), outcome.error) == ("failed", {"sent": 3, "failed": 2},
                                                                     "digest: 2 bounced")
    detail = json.loads(runs(runner.app)[0].detail)
    assert detail["steps"][0]["counts"] == {"sent": 3, "failed": 2}


@pytest.fixture
def log_stream() -> Iterator[Callable[..., io.StringIO]]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level,
             {name: logging.getLogger(name).level for name in logs.VERBOSE_LEVELS})

    def configure(**kwargs: object) -> io.StringIO:
        stream = io.StringIO()
        logs.configure(stream=stream, **kwargs)  # type: ignore[arg-type]
        return stream

    yield configure
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def _counting_runner(config: Config, sqlite_url: str) -> Runner:
    steps = Steps({"scrape:ohio-news": lambda app: StepResult(counts={"fetched": 2, "new_bills": 1}),
                   "tag": lambda app: StepResult(counts={"tagged": 1}),
                   "alerts": lambda app: StepResult(counts={"sent": 0})})
    return Runner(system_app(config, sqlite_url), steps)


def test_a_job_logs_one_structured_line_by_default_and_its_steps_when_verbose(
        config: Config, sqlite_url: str, log_stream: Callable[..., io.StringIO]) -> None:
    runner = _counting_runner(config, sqlite_url)
    quiet = log_stream()
    runner.execute("scrape:ohio-news", ["scrape:ohio-news", "tag", "alerts"])
    (line,) = quiet.getvalue().splitlines()
    assert " level=info logger=advocacy.runtime.jobs event=job.finished job=scrape:ohio-news status=ok run=1 attempt=1 " in line
    assert line.endswith(" source=ohio-news fetched=2 new_bills=1 tagged=1 sent=0")
    assert "duration_ms=" in line

    verbose = log_stream(verbose=True)
    runner.execute("scrape:ohio-news", ["scrape:ohio-news", "tag", "alerts"])
    events = [dict(f.split("=", 1) for f in line.split(" ") if "=" in f)["event"]
              for line in verbose.getvalue().splitlines()]
    assert events == ["job.started", "step.finished", "step.finished", "step.finished", "job.finished"]

    as_json = log_stream(fmt="json")
    runner.execute("scrape:ohio-news", ["scrape:ohio-news", "tag", "alerts"])
    record = json.loads(as_json.getvalue())
    assert (record["event"], record["job"], record["source"], record["tagged"]) == (
        "job.finished", "scrape:ohio-news", "ohio-news", 1)
