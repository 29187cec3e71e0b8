"""Scheduled work on a task queue: the embedded scheduler's jobs as procrastinate tasks in the PostgreSQL database.

Turned on by `[queue] backend = "procrastinate"` (PostgreSQL only); `advocacy worker` runs a stateless worker, and
any number of them may run on any machines sharing the database.

- One periodic task, `advocacy.tick`, every minute. Procrastinate defers it once per minute however many workers
  run (a row unique on task and timestamp in `procrastinate_periodic_defers`); its queueing lock keeps at most one
  tick waiting.
- A tick reads the same job specs and triggers as the embedded scheduler (`job_specs`: cron in the collaborative's
  zone, every N days, every 10 minutes) and defers each job whose latest slot within
  `schedule.misfire_grace_minutes` has no run in the JobRun ledger yet, as that job's own task (`advocacy.job:<id>`,
  with the slot). The job's queueing lock keeps one run of it waiting (missed slots coalesce); its lock keeps one
  running.
- A job's task calls the same `Runner` as `advocacy run` with the same steps: the job's database lock, the JobRun
  ledger (one run per job and slot) and the per-member delivery rows stay the last guards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import procrastinate
from apscheduler.triggers.base import BaseTrigger
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.schema import SchemaManager
from sqlalchemy import select, text

from advocacy.app import App
from advocacy.config import ConfigError
from advocacy.logs import log_event
from advocacy.models import JobRun
from advocacy.runtime.jobs import Runner, Steps
from advocacy.runtime.scheduler import JobSpec, job_specs

log = logging.getLogger("advocacy.runtime.queue")
TICK = "advocacy.tick"
TICK_CRON = "* * * * *"
JOB_TASK = "advocacy.job:"
SCHEMA_LOCK = 0x61647663  # pg advisory lock: one process installs procrastinate's tables


def job_task_name(job_id: str) -> str:
    return JOB_TASK + job_id


def require_postgres(app: App) -> None:
    if app.engine.dialect.name != "postgresql":
        raise ConfigError(f'[queue] backend = "procrastinate" needs a PostgreSQL database; [database] url is '
                          f'{app.engine.dialect.name} (on SQLite keep backend = "embedded" and run `advocacy run`)')


def conninfo(app: App) -> str:
    """The App's database as a libpq URI (its search_path option included, so the queue lives beside the app)."""
    return app.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def ensure_schema(app: App) -> bool:
    """Install procrastinate's tables and functions in the App's schema unless there; True if it installed them."""
    require_postgres(app)
    with app.engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
        if conn.scalar(text("SELECT to_regclass('procrastinate_jobs')")) is not None:
            return False
        conn.connection.driver_connection.execute(SchemaManager.get_schema())  # type: ignore[union-attr]
    log_event(log, "queue.schema_installed")
    return True


def due_slot(trigger: BaseTrigger, at: datetime, window: timedelta) -> datetime | None:
    """The latest fire time of `trigger` in (at - window, at], or None."""
    latest = None
    fire = trigger.get_next_fire_time(None, at - window + timedelta(microseconds=1))
    while fire is not None and fire <= at:
        latest = fire
        fire = trigger.get_next_fire_time(fire, at)
    return latest


def grace(app: App) -> timedelta:
    return max(timedelta(minutes=app.config.schedule.misfire_grace_minutes), timedelta(minutes=1))


def defer_due(app: App, queue: procrastinate.App, specs: Sequence[JobSpec], at: datetime) -> list[str]:
    """Defer each job with a slot due at `at` that has no run yet; returns the ids deferred."""
    deferred = []
    with app.sessions() as session:
        for spec in specs:
            slot = due_slot(spec.trigger, at, grace(app))
            if slot is None or session.scalar(select(JobRun.id).where(
                    JobRun.job == spec.id, JobRun.scheduled_for == slot).limit(1)) is not None:
                continue
            try:
                queue.tasks[job_task_name(spec.id)].defer(slot=slot.isoformat())
            except AlreadyEnqueued:
                log_event(log, "job.skipped", job=spec.id, reason="a run of it is already waiting", slot=slot)
                continue
            log_event(log, "job.deferred", logging.DEBUG, job=spec.id, slot=slot)
            deferred.append(spec.id)
    return deferred


def _job_task(runner: Runner, spec: JobSpec) -> Callable[..., str]:
    def run_job(slot: str | None = None, resume_of: int | None = None) -> str:
        outcome = runner.execute(spec.id, spec.steps, scheduled_for=datetime.fromisoformat(slot) if slot else None,
                                 resume_of=resume_of)
        return outcome.status

    run_job.__name__ = run_job.__qualname__ = job_task_name(spec.id)
    return run_job


def build_queue(app: App, steps: Steps) -> tuple[procrastinate.App, Runner]:
    """The procrastinate App with a task per configured job and the periodic tick, and the Runner they share."""
    require_postgres(app)
    queue = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(app)),
                              periodic_defaults={"max_delay": grace(app).total_seconds()})
    runner = Runner(app, steps)
    specs = job_specs(app.config)
    for spec in specs:
        lock = f"job:{spec.id}"
        queue.task(name=job_task_name(spec.id), lock=lock, queueing_lock=lock)(_job_task(runner, spec))

    def tick(timestamp: int) -> list[str]:
        return defer_due(app, queue, specs, datetime.fromtimestamp(timestamp, UTC))

    queue.periodic(cron=TICK_CRON)(queue.task(name=TICK, queueing_lock=TICK)(tick))
    return queue, runner


def defer_resumes(app: App, queue: procrastinate.App, runner: Runner) -> list[int]:
    """At a worker's start: runs left running by a worker that died are resumed once, as in `advocacy run`."""
    resumed = []
    for run_id, job_id in runner.recover(spec.id for spec in job_specs(app.config)):
        try:
            queue.tasks[job_task_name(job_id)].defer(resume_of=run_id)
        except AlreadyEnqueued:
            continue
        resumed.append(run_id)
    return resumed
