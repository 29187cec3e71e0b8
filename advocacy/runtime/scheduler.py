"""The scheduler: jobs from config.toml, in the collaborative's zone, stored in the application's database.

- Each job has a readable, deterministic id (`scrape:<source>`, `digest`, `agenda`, `cutoff_reminder`). On start
  the stored jobs are reconciled with the configuration: an unchanged job keeps its stored next run time (so a
  slot missed while the process was down still fires), a changed one is replaced, and a stale id is removed.
- Missed slots coalesce into one run, and only within `schedule.misfire_grace_minutes`; a job never runs beside
  itself (max_instances=1): a scrape that would overlap its previous run is skipped, not stacked.
- Jobs run on daemon threads through `StepExecutor`, which hands each run the process's `Runner` and its slot;
  at shutdown the process does not wait forever on a stuck step: see `Service.stop`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from traceback import format_exc
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
    JobSubmissionEvent,
)
from apscheduler.executors.base import BaseExecutor
from apscheduler.job import Job
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING, STATE_STOPPED, BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from advocacy.app import App
from advocacy.config import Config
from advocacy.crontab import crontab_trigger
from advocacy.logs import log_event
from advocacy.models import SchedulerJob
from advocacy.runtime.jobs import Runner, Steps, execute

log = logging.getLogger("advocacy.runtime.scheduler")
EXECUTE_REF = "advocacy.runtime.jobs:execute"
STORED = "default"  # the SQLAlchemy job store: the configured jobs
TRANSIENT = "transient"  # in memory: resumes and run-now requests, rebuilt from the database at each start
STATE_NAMES = {STATE_RUNNING: "running", STATE_PAUSED: "paused", STATE_STOPPED: "stopped"}


class EveryNDays(BaseTrigger):
    """Fires at the same local wall-clock time every N days, counted from a first local datetime.

    The arithmetic is on local dates, so a 7 a.m. digest stays at 7 a.m. across daylight-saving changes
    (as in `advocacy.schedule`).
    """

    def __init__(self, first: datetime, days: int, timezone: str) -> None:
        if first.tzinfo is not None:
            raise ValueError("first must be a local time without an offset")
        self.first, self.days, self.timezone = first, days, timezone

    def _slot(self, k: int) -> datetime:
        return (self.first + timedelta(days=k * self.days)).replace(tzinfo=ZoneInfo(self.timezone))

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime:
        after, strictly = (previous_fire_time, True) if previous_fire_time else (now, False)
        local = after.astimezone(ZoneInfo(self.timezone)).replace(tzinfo=None)
        k = max(0, (local - self.first) // timedelta(days=self.days))
        slot = self._slot(k)
        while slot < after or (strictly and slot == after):
            k += 1
            slot = self._slot(k)
        return slot

    def __str__(self) -> str:
        return f"every {self.days} days at {self.first:%H:%M} from {self.first:%a %Y-%m-%d}"

    def __repr__(self) -> str:
        return f"<EveryNDays first={self.first.isoformat()} days={self.days} timezone={self.timezone!r}>"


@dataclass(frozen=True)
class JobSpec:
    id: str
    steps: tuple[str, ...]
    trigger: BaseTrigger
    description: str
    when: str  # the cadence as a person wrote it


def job_prefix(slug: str, home: bool) -> str:
    """What a collaborative's job ids start with: nothing for the host file's own (today's ids), `<slug>/` for
    every other collaborative of the host, so their locks and slots in the JobRun ledger never meet."""
    return "" if home else f"{slug}/"


def job_specs(config: Config, prefix: str = "") -> list[JobSpec]:
    """Every job the configuration asks for, with deterministic ids.

    With a `prefix` (another collaborative of the host, `job_prefix`) only the jobs it owns, their ids prefixed:
    the sources are the host's, scraped once by the host's own scrape jobs, which tag for every collaborative
    (and send the alerts that makes); its own `alerts` job sends the ones its advocate flags."""
    tz, s = config.collaborative.timezone, config.schedule
    specs = [] if prefix else [
        JobSpec(f"scrape:{source.name}", (f"scrape:{source.name}", "tag", "alerts", "billtext"),
                crontab_trigger(source.schedule, tz),
                f"scrape {source.name} ({source.kind}, {jcfg.code}), then tag, send alerts and fetch new bill text",
                f"cron {source.schedule}")
        for jcfg, source in config.sources() if source.enabled
    ]
    cutoff_reminder_first = s.call_first - timedelta(hours=s.question_cutoff_hours + s.reminder_hours_before_cutoff)
    cadence = [
        ("digest", EveryNDays(s.digest_first, s.digest_every_days, tz), "build and send the digest"),
        ("agenda", EveryNDays(s.call_first - timedelta(days=s.agenda_lead_days), s.call_every_days, tz),
         f"build and send the call agenda, {s.agenda_lead_days} days before each call"),
        ("cutoff_reminder", EveryNDays(cutoff_reminder_first, s.call_every_days, tz),
         f"remind members that questions close {s.question_cutoff_hours} h before the call"),
    ]
    specs += [JobSpec(prefix + job_id, (job_id,), trigger, description, str(trigger))
              for job_id, trigger, description in cadence]
    specs.append(JobSpec(prefix + "inbound", ("inbound",), IntervalTrigger(
        # a fixed start, so the same config makes the same trigger (and a restart keeps its next run)
        minutes=10, start_date=datetime(2000, 1, 1, tzinfo=ZoneInfo(tz)), timezone=ZoneInfo(tz)),
                         "parse replies stored but not parsed; poll the IMAP mailbox when one is configured",
                         "every 10 minutes"))
    if prefix:  # the host file's own sends its alerts after each scrape; another's scrapes are the host's
        specs.append(JobSpec(prefix + "alerts", ("alerts",), IntervalTrigger(
            minutes=10, start_date=datetime(2000, 1, 1, 0, 5, tzinfo=ZoneInfo(tz)), timezone=ZoneInfo(tz)),
                             "send the alerts the advocate flagged and any left unsent", "every 10 minutes"))
    return specs


def collaborative_jobs(app: App) -> list[JobSpec]:
    """The App's jobs as every scheduler names them: all of them for the host file's own collaborative, only its
    own (prefixed by its slug) for another of the host's."""
    return job_specs(app.config, job_prefix(app.config.collaborative.slug, app.home))


class StepExecutor(BaseExecutor):
    """Runs each job on its own daemon thread, passing the process's Runner and the slot being run.

    APScheduler's own executors call the stored function with the stored arguments only; ours need the App
    (which cannot be pickled into the job store) and the slot (so that a run can claim it). Misfires are judged
    with the App's clock.
    """

    def __init__(self, runner: Runner, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self._runner = runner
        self._clock = clock
        self._threads: set[threading.Thread] = set()
        self._threads_lock = threading.Lock()

    def _do_submit_job(self, job: Job, run_times: list[datetime]) -> None:
        thread = threading.Thread(target=self._run, args=(job, run_times), name=f"job {job.id}", daemon=True)
        with self._threads_lock:
            self._threads.add(thread)
        thread.start()

    def _run(self, job: Job, run_times: list[datetime]) -> None:
        events: list[JobExecutionEvent] = []
        try:
            for run_time in run_times:
                late = self._clock() - run_time
                if job.misfire_grace_time is not None and late > timedelta(seconds=job.misfire_grace_time):
                    events.append(JobExecutionEvent(EVENT_JOB_MISSED, job.id, job._jobstore_alias, run_time))
                    log_event(log, "job.missed", logging.WARNING, job=job.id, slot=run_time,
                              late_s=int(late.total_seconds()), grace_s=job.misfire_grace_time)
                    continue
                try:
                    retval = job.func(*job.args, runner=self._runner, scheduled_for=run_time, **job.kwargs)
                except Exception as exc:
                    log.exception("job %s raised", job.id)
                    events.append(JobExecutionEvent(EVENT_JOB_ERROR, job.id, job._jobstore_alias, run_time,
                                                    exception=exc, traceback=format_exc()))
                else:
                    events.append(JobExecutionEvent(EVENT_JOB_EXECUTED, job.id, job._jobstore_alias, run_time,
                                                    retval=retval))
        finally:
            self._run_job_success(job.id, events)
            with self._threads_lock:
                self._threads.discard(threading.current_thread())

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the runs started so far; False if some are still going after `timeout` seconds."""
        with self._threads_lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)
        return not any(t.is_alive() for t in threads)


def build_scheduler(app: App, executor: StepExecutor,
                    scheduler_cls: Callable[..., BaseScheduler] = BackgroundScheduler) -> BaseScheduler:
    scheduler = scheduler_cls(
        jobstores={STORED: SQLAlchemyJobStore(engine=app.engine, tablename=SchedulerJob.__tablename__),
                   TRANSIENT: MemoryJobStore()},
        executors={"default": executor},
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": app.config.schedule.misfire_grace_minutes * 60},
        timezone=app.config.collaborative.tz,
    )

    def skipped(event: JobSubmissionEvent) -> None:
        log_event(log, "job.skipped", job=event.job_id, reason="its previous run is still going",
                  slot=event.scheduled_run_times[-1])

    scheduler.add_listener(skipped, EVENT_JOB_MAX_INSTANCES)
    return scheduler


def _fingerprint(func_ref: str, args: Iterable[Any], trigger: BaseTrigger, name: str, grace: int | None,
                 coalesce: bool, max_instances: int) -> tuple[Any, ...]:
    return func_ref, tuple(tuple(a) if isinstance(a, list | tuple) else a for a in args), repr(trigger), name, \
        grace, coalesce, max_instances


@dataclass
class Reconciled:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def reconcile(scheduler: BaseScheduler, specs: Iterable[JobSpec], grace_s: int) -> Reconciled:
    """Make the stored jobs match the configuration, keeping the next run time of every unchanged job."""
    report = Reconciled()
    existing = {job.id: job for job in scheduler.get_jobs(jobstore=STORED)}
    wanted = set()
    for spec in specs:
        wanted.add(spec.id)
        args = (spec.id, list(spec.steps))
        job = existing.get(spec.id)
        if job is not None and _fingerprint(job.func_ref, job.args, job.trigger, job.name, job.misfire_grace_time,
                                            job.coalesce, job.max_instances) == \
                _fingerprint(EXECUTE_REF, args, spec.trigger, spec.description, grace_s, True, 1):
            report.kept.append(spec.id)
            continue
        scheduler.add_job(execute, trigger=spec.trigger, args=args, id=spec.id, name=spec.description,
                          jobstore=STORED, replace_existing=True)
        (report.updated if job is not None else report.added).append(spec.id)
    for job_id in sorted(set(existing) - wanted):
        scheduler.remove_job(job_id, jobstore=STORED)
        report.removed.append(job_id)
    return report


def stored_next_runs(app: App) -> dict[str, datetime | None]:
    """Next run time of each stored job, read from the job store's table (no scheduler needed)."""
    tz = app.config.collaborative.tz
    with app.sessions() as session:
        rows = session.execute(select(SchedulerJob.id, SchedulerJob.next_run_time)).all()
    return {job_id: None if ts is None else datetime.fromtimestamp(ts, tz) for job_id, ts in rows}


class Service:
    """The scheduler half of `advocacy run`: start (recover, reconcile, resume) and stop (finish or record)."""

    def __init__(self, app: App, steps: Steps, *,
                 scheduler_cls: Callable[..., BaseScheduler] = BackgroundScheduler) -> None:
        self.app = app
        self.runner = Runner(app, steps)
        self.specs: Mapping[str, JobSpec] = {spec.id: spec for spec in job_specs(app.config)}
        self.executor = StepExecutor(self.runner, app.now)
        self.scheduler = build_scheduler(app, self.executor, scheduler_cls)

    def state(self) -> str:
        return STATE_NAMES.get(self.scheduler.state, str(self.scheduler.state))

    def start(self) -> Reconciled:
        grace_s = self.app.config.schedule.misfire_grace_minutes * 60
        self.scheduler.start(paused=True)
        report = reconcile(self.scheduler, self.specs.values(), grace_s)
        resumes = self.runner.recover(self.specs)
        for run_id, job_id in resumes:
            self._add_transient(f"resume:{run_id}", job_id, resume_of=run_id)
        self.scheduler.resume()
        log_event(log, "service.started", jobs=len(self.specs), added=len(report.added),
                  updated=len(report.updated), removed=len(report.removed), resumed=len(resumes))
        return report

    def _add_transient(self, transient_id: str, job_id: str, **kwargs: Any) -> None:
        spec = self.specs[job_id]
        self.scheduler.add_job(execute, trigger=DateTrigger(self.app.now()), args=(job_id, list(spec.steps)),
                               kwargs=kwargs, id=transient_id, name=f"{spec.description} ({transient_id})",
                               jobstore=TRANSIENT, misfire_grace_time=None, replace_existing=True)

    def run_now(self, job_id: str) -> None:
        """Run a configured job once, now, in the background (it still takes the job's lock)."""
        if job_id not in self.specs:
            raise KeyError(f"no job {job_id!r} (configured: {', '.join(self.specs)})")
        self._add_transient(f"now:{job_id}", job_id)

    def stop(self, timeout: float) -> list[int]:
        """Stop scheduling, give the runs in flight `timeout` seconds to finish, and record the others as
        interrupted (they resume on the next start). Returns the ids of the interrupted runs."""
        if self.scheduler.state != STATE_STOPPED:
            self.scheduler.shutdown(wait=False)
        self.runner.stop_accepting()
        interrupted: list[int] = []
        if not self.runner.wait_idle(timeout):
            interrupted = self.runner.interrupt_in_flight(
                f"the service stopped and the run did not finish within {timeout:g} s; it resumes on the next start")
        log_event(log, "service.stopped", interrupted=len(interrupted))
        return interrupted
