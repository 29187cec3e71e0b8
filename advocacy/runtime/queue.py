"""Scheduled work on a task queue: the embedded scheduler's jobs as procrastinate tasks in the PostgreSQL database.

Turned on by `[queue] backend = "procrastinate"` (PostgreSQL only); `advocacy worker` runs a stateless worker, and
any number of them may run on any machines sharing the database.

- One periodic task, `advocacy.tick`, every minute. Procrastinate defers it once per minute however many workers
  run (a row unique on task and timestamp in `procrastinate_periodic_defers`); its queueing lock keeps at most one
  tick waiting.
- A host of several collaboratives (`[host] collaboratives`) is one queue: a worker has an App per collaborative
  (one engine) and a task per job of each (`host_jobs`). The host's sources are scraped once, by the host file's
  own scrape jobs, whose steps tag, alert and run saved searches for every collaborative; each other
  collaborative's own jobs (digest, agenda, reminder, inbound) run on its own schedule under ids prefixed by its
  slug (`north/digest`), so their locks and JobRun slots never meet another's. A send helper names its digest's
  collaborative.
- A tick reads the same job specs and triggers as the embedded scheduler (`job_specs`: cron in the collaborative's
  zone, every N days, every 10 minutes) and defers each job whose latest slot within
  `schedule.misfire_grace_minutes` has no run in the JobRun ledger yet, as that job's own task (`advocacy.job:<id>`,
  with the slot). The job's queueing lock keeps one run of it waiting (missed slots coalesce); its lock keeps one
  running.
- A job's task calls the same `Runner` as `advocacy run` with the same steps: the job's database lock, the JobRun
  ledger (one run per job and slot) and the per-member delivery rows stay the last guards.
- On a host of several, tagging is spread over the workers: after a scrape, one `advocacy.tag` task per
  collaborative following the source's jurisdiction (`tag_elsewhere`), with the changed bills and events (a scrape
  that changed nothing: a catch-up for those with stale bills, one waiting at most); one collaborative's tasks run
  one at a time (lock `tag:<slug>`), each tags and sends the alerts that made. Another collaborative's own
  `alerts` job sends what its advocate flags. A tag task whose worker died is deferred again.
- A digest is sent in batches by several workers: before sending, the digest step defers one `advocacy.send` task
  per other live worker; each joins the send and claims pending members a request at a time beside the first
  (`advocacy.outbound.sending`, `join`), so each member is still sent once.
- A worker killed mid-job: its task stays "doing" under the job's lock until its heartbeat is `STALLED_AFTER_S` old;
  the next tick (or the next worker to start) fails that task, marks the run interrupted and defers its resume.
- The first tick of each hour deletes the tasks that succeeded more than `KEEP_FINISHED` ago.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import procrastinate
from apscheduler.triggers.base import BaseTrigger
from procrastinate import utils
from procrastinate.exceptions import AlreadyEnqueued, ConnectorException
from procrastinate.jobs import Status
from procrastinate.schema import SchemaManager
from sqlalchemy import select, text

from advocacy.app import App
from advocacy.config import ConfigError
from advocacy.logs import log_event
from advocacy.models import JobRun, Mailing
from advocacy.outbound.digest import join_digest
from advocacy.runtime.health import TAG_TASK, WORKER_ALIVE
from advocacy.runtime.jobs import Runner, Steps
from advocacy.runtime.scheduler import JobSpec, collaborative_jobs
from advocacy.runtime.steps import TagElsewhere, tag_for

log = logging.getLogger("advocacy.runtime.queue")
TICK = "advocacy.tick"
TICK_CRON = "* * * * *"
JOB_TASK = "advocacy.job:"
SEND = "advocacy.send"
TAG = TAG_TASK
SCHEMA_LOCK = 0x61647663  # pg advisory lock: one process installs procrastinate's tables
HEARTBEAT_S = 10.0  # a worker's heartbeat (procrastinate's default)
POLL_S = 1.0  # how often an idle worker looks for tasks due later (a send helper's retry); new ones are notified
STALLED_AFTER_S = 30.0  # a worker silent this long is dead: its tasks are failed and their runs resumed
KEEP_FINISHED = timedelta(days=7)  # succeeded tasks are deleted after this, once an hour (failed ones are kept)
MAX_HELPERS = 16  # workers joining one send at most
VERSION_NOTE = "procrastinate "  # the schema's version, kept as a comment on procrastinate_jobs

# the steps of one collaborative's App, given the queue (the digest step defers helpers on it)
StepsFor = Callable[[procrastinate.App, App], Steps]


def job_task_name(job_id: str) -> str:
    return JOB_TASK + job_id


def require_postgres(app: App) -> None:
    if app.engine.dialect.name != "postgresql":
        raise ConfigError(f'[queue] backend = "procrastinate" needs a PostgreSQL database; [database] url is '
                          f'{app.engine.dialect.name} (on SQLite keep backend = "embedded" and run `advocacy run`)')


def conninfo(app: App) -> str:
    """The App's database as a libpq URI (its search_path option included, so the queue lives beside the app)."""
    return app.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass(frozen=True)
class SchemaChange:
    before: str | None  # the version installed before (None: none was)
    after: str
    applied: tuple[str, ...] = ()  # migration files run

    def line(self) -> str:
        if self.before is None:
            return f"task queue: installed procrastinate {self.after}'s tables"
        if self.before == self.after:
            return f"task queue: procrastinate {self.after}'s tables already there"
        return f"task queue: procrastinate {self.before} -> {self.after} ({len(self.applied)} migration(s))"


def _version(text_: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text_)[:3])


def migrations_between(before: str, after: str, folder: Path | None = None) -> list[Path]:
    """procrastinate's migration files for versions above `before` up to `after`, in order (`03.01.00_01_x.sql`:
    a file names the version it belongs to; "pre" and "post" files both run, the workers being stopped)."""
    folder = folder or Path(SchemaManager.get_migrations_path())
    low, high = _version(before), _version(after)
    return sorted(p for p in folder.glob("*.sql") if low < _version(p.name.split("_")[0]) <= high)


def ensure_schema(app: App) -> SchemaChange:
    """Install procrastinate's tables and functions in the App's schema, or bring them to the installed library's
    version with its migration files (the version is kept as a comment on its jobs table)."""
    require_postgres(app)
    current = procrastinate.__version__
    with app.engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
        raw = conn.connection.driver_connection
        applied: list[Path] = []
        if conn.scalar(text("SELECT to_regclass('procrastinate_jobs')")) is None:
            before = None
            raw.execute(SchemaManager.get_schema())  # type: ignore[union-attr]
        else:
            note = conn.scalar(text("SELECT obj_description('procrastinate_jobs'::regclass, 'pg_class')")) or ""
            # no note: installed by `advocacy worker` before versions were kept, with this same library
            before = note.removeprefix(VERSION_NOTE) if note.startswith(VERSION_NOTE) else current
            applied = migrations_between(before, current)
            for path in applied:
                raw.execute(path.read_text())  # type: ignore[union-attr]
        conn.execute(text(f"COMMENT ON TABLE procrastinate_jobs IS '{VERSION_NOTE}{current}'"))
    change = SchemaChange(before, current, tuple(p.name for p in applied))
    if change.before != change.after:
        log_event(log, "queue.schema_installed", before=before, after=current, migrations=len(applied))
    return change


def workers_alive(app: App) -> int:
    """Workers whose heartbeat is recent, by the database's clock (heartbeats are written with its `now()`)."""
    with app.engine.connect() as conn:
        return int(conn.scalar(text("SELECT count(*) FROM procrastinate_workers "
                                    "WHERE last_heartbeat > now() - make_interval(secs => :s)"),
                               {"s": WORKER_ALIVE.total_seconds()}) or 0)


async def release_stalled(queue: procrastinate.App, stalled_after: float = STALLED_AFTER_S) -> list[int]:
    """Fail the tasks of workers silent for `stalled_after` seconds (killed): a job's task would otherwise hold
    its lock forever. The run it was doing is resumed from the JobRun ledger (`defer_resumes`)."""
    released = []
    for job in await queue.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
        assert job.id is not None
        try:
            await queue.job_manager.finish_job_by_id_async(job.id, Status.FAILED, delete_job=False)
        except ConnectorException:  # another worker starting at the same time released it first
            continue
        log_event(log, "task.stalled", logging.WARNING, task=job.task_name, task_id=job.id,
                  reason=f"its worker sent no heartbeat for {stalled_after:g} s")
        if job.task_name == TAG:  # its changes are tagged nowhere else: again, on another worker
            await queue.configure_task(TAG, lock=job.lock).defer_async(**job.task_kwargs)
        released.append(job.id)
    return released


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


class NotSendingYet(Exception):
    """The send a helper was called to has not started yet (its members are being written): try again shortly."""


def _send_task(apps: Sequence[App]) -> Callable[..., str]:
    by_slug = {app.config.collaborative.slug: app for app in apps}

    def send(mailing_id: int, collaborative: str | None = None) -> str:
        """Join the send of one digest (of the collaborative `collaborative`, by default the host file's own):
        claim its pending members beside the worker sending it."""
        app = by_slug[collaborative] if collaborative else apps[0]
        with app.sessions() as session:
            status = session.scalar(select(Mailing.status).where(Mailing.id == mailing_id))
        if status == "draft":
            raise NotSendingYet(f"digest {mailing_id} is still being prepared")
        if status != "sending":
            return f"nothing to do: digest {mailing_id} is {status}"
        try:
            report = join_digest(app, mailing_id, app.mail)
        except ValueError as exc:  # it finished meanwhile
            return str(exc)
        log_event(log, "send.joined", mailing=mailing_id, sent=report.sent, requests=report.requests)
        return f"sent {report.sent}"

    return send


def _tag_task(apps: Sequence[App]) -> Callable[..., str]:
    by_slug = {app.config.collaborative.slug: app for app in apps}

    def tag(collaborative: str, bill_ids: list[int], event_ids: list[int]) -> str:
        """A scrape's changes tagged for one collaborative of the host (`steps.tag_for`)."""
        if collaborative not in by_slug:
            raise ConfigError(f"advocacy.tag: no collaborative {collaborative!r} on this host "
                              f"({', '.join(by_slug)}): was it removed from [host] collaboratives?")
        result = tag_for(by_slug[collaborative], bill_ids, event_ids)
        log_event(log, "tag.finished", collaborative=collaborative, bills=len(bill_ids), events=len(event_ids),
                  ok=result.ok, **dict(result.counts))
        if not result.ok:
            raise RuntimeError(f"tagging for {collaborative}: {result.note or 'failed'}")
        return f"tagged for {collaborative}: {dict(result.counts)}"

    return tag


def tag_elsewhere(queue: procrastinate.App) -> TagElsewhere:
    """The scrape step's hand-over: one `advocacy.tag` task for a collaborative with the scrape's changes (with
    none: a catch-up of its stale bills, one waiting at most)."""

    def defer(other: App, changed: Sequence[int], event_ids: Sequence[int]) -> int | None:
        slug = other.config.collaborative.slug
        catch_up = not changed and not event_ids  # at most one waiting per collaborative
        try:
            return queue.configure_task(TAG, lock=f"tag:{slug}", queueing_lock=f"tag-catch-up:{slug}" if catch_up
                                        else None).defer(collaborative=slug, bill_ids=list(changed),
                                                         event_ids=list(event_ids))
        except AlreadyEnqueued:
            return None

    return defer


def call_for_help(app: App, queue: procrastinate.App) -> Callable[[int], list[int]]:
    """The digest step's helpers: one `advocacy.send` task per other live worker, for a send not started yet. A
    send resumed after a crash goes alone: its first sender must find itself alone to mark the crash's leftovers."""

    def call(mailing_id: int) -> list[int]:
        with app.sessions() as session:
            if session.scalar(select(Mailing.status).where(Mailing.id == mailing_id)) != "draft":
                return []
        helpers = min(max(workers_alive(app) - 1, 0), MAX_HELPERS)
        slug = app.config.collaborative.slug
        ids = [queue.tasks[SEND].defer(mailing_id=mailing_id, collaborative=slug) for _ in range(helpers)]
        log_event(log, "send.helpers", logging.DEBUG, mailing=mailing_id, helpers=helpers)
        return ids

    return call


def host_jobs(app: App, others: Sequence[App] = ()) -> list[tuple[App, list[JobSpec]]]:
    """Each collaborative's App with its jobs: the host file's own (the scrapes and its own jobs, today's ids), then
    each other collaborative's own jobs, their ids prefixed by its slug (`job_prefix`)."""
    return [(one, collaborative_jobs(one)) for one in (app, *others)]


def build_queue(app: App, steps_for: StepsFor, others: Sequence[App] = ()) -> tuple[procrastinate.App, Runner]:
    """The procrastinate App with a task per configured job of every collaborative of the host (`app`, the host
    file's own, and `others`), the send helpers' task and the periodic tick; and the host's own Runner (each
    collaborative's jobs run on a Runner of its App)."""
    require_postgres(app)
    queue = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(app)),
                              periodic_defaults={"max_delay": grace(app).total_seconds()})
    plan = host_jobs(app, others)
    runners = [Runner(one, steps_for(queue, one)) for one, _specs in plan]
    for runner, (_one, specs) in zip(runners, plan, strict=True):
        for spec in specs:
            lock = f"job:{spec.id}"
            queue.task(name=job_task_name(spec.id), lock=lock, queueing_lock=lock)(_job_task(runner, spec))
    queue.task(name=SEND, retry=procrastinate.RetryStrategy(max_attempts=120, wait=1, retry_exceptions={
        NotSendingYet}))(_send_task([app, *others]))
    queue.task(name=TAG, retry=procrastinate.RetryStrategy(max_attempts=3, wait=30))(_tag_task([app, *others]))
    configured = [spec.id for _one, specs in plan for spec in specs]

    def due(timestamp: int) -> list[str]:
        defer_resumes(app, queue, runners[0], configured)
        at = datetime.fromtimestamp(timestamp, UTC)
        return [job for one, specs in plan for job in defer_due(one, queue, specs, at)]

    async def tick(timestamp: int) -> list[str]:
        await release_stalled(queue)
        if timestamp % 3600 < 60:
            await queue.job_manager.delete_old_jobs(nb_hours=int(KEEP_FINISHED.total_seconds() // 3600))
        return await utils.sync_to_async(due, timestamp)

    queue.periodic(cron=TICK_CRON)(queue.task(name=TICK, queueing_lock=TICK)(tick))
    return queue, runner


def defer_resumes(app: App, queue: procrastinate.App, runner: Runner, configured: Sequence[str] | None = None
                  ) -> list[int]:
    """At a worker's start and at each tick: runs left running by a worker that died (their job's lock is free) are
    resumed once, as in `advocacy run`. `configured`: the host's job ids (by default the App's own jobs)."""
    resumed = []
    resumable = runner.recover(configured if configured is not None else [spec.id for spec in collaborative_jobs(app)])
    if resumable:  # helpers called to an interrupted send would join its resume before it marks the crash's rows
        for helper in queue.job_manager.list_jobs(task=SEND, status="todo"):
            assert helper.id is not None
            queue.job_manager.cancel_job_by_id(helper.id)
    for run_id, job_id in resumable:
        try:
            queue.tasks[job_task_name(job_id)].defer(resume_of=run_id)
        except AlreadyEnqueued:
            continue
        resumed.append(run_id)
    return resumed


def start(app: App, queue: procrastinate.App, runner: Runner, configured: Sequence[str] | None = None) -> list[int]:
    """What a worker does before it takes tasks: fail the tasks of dead workers, defer the resumes of their runs."""

    async def release() -> None:
        async with queue.open_async():
            await release_stalled(queue)

    utils.async_to_sync(release)
    with queue.open():
        return defer_resumes(app, queue, runner, configured)
