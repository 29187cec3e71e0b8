"""Job runs: what the scheduler wakes up, done at most once per slot, under a database lock, recorded in JobRun.

The scheduler only wakes things up; the database decides. A run first takes the job's lock (`job:<id>`), then
claims its slot by inserting the JobRun row (unique on job, slot and attempt), and only then runs its steps. A
second process firing the same job meets the lock or the claimed slot and stands down; the per-member delivery
rows written by the sending steps remain the last guard.

Steps are named callables `(app) -> StepResult` in a `Steps` registry that the composition root fills. Jobs
stored by the scheduler refer to steps by name only, so a stored job stays valid whatever the functions are.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from advocacy.app import App
from advocacy.locks import DEFAULT_TTL, db_lock
from advocacy.logs import log_event
from advocacy.models import JobRun

log = logging.getLogger("advocacy.runtime.jobs")


@dataclass(frozen=True)
class StepResult:
    ok: bool = True
    counts: Mapping[str, int] = field(default_factory=dict)  # e.g. {"fetched": 3, "new_bills": 1, "sent": 41}
    note: str = ""


Step = Callable[[App], StepResult]


class UnknownStep(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


class Steps:
    """Step name -> callable. Names: `scrape:<source>`, `tag`, `alerts`, `digest`, `agenda`, `cutoff_reminder`."""

    def __init__(self, steps: Mapping[str, Step] | None = None) -> None:
        self._steps: dict[str, Step] = {}
        for name, step in (steps or {}).items():
            self.add(name, step)

    def add(self, name: str, step: Step) -> None:
        if name in self._steps:
            raise ValueError(f"step {name!r} is registered twice")
        self._steps[name] = step

    def register(self, name: str) -> Callable[[Step], Step]:
        def decorator(step: Step) -> Step:
            self.add(name, step)
            return step

        return decorator

    def get(self, name: str) -> Step:
        try:
            return self._steps[name]
        except KeyError:
            raise UnknownStep(f"no step named {name!r} in this build "
                              f"(registered: {', '.join(sorted(self._steps)) or 'none'})") from None

    def __contains__(self, name: object) -> bool:
        return name in self._steps

    def names(self) -> list[str]:
        return sorted(self._steps)


@dataclass(frozen=True)
class RunOutcome:
    job: str
    status: str  # ok, failed; or, having done nothing: locked, claimed (slot already taken), stopping
    run_id: int | None = None
    duration_s: float = 0.0
    counts: Mapping[str, int] = field(default_factory=dict)
    error: str = ""


def _source_of(job_id: str) -> dict[str, str]:
    return {"source": job_id.split(":", 1)[1]} if job_id.startswith("scrape:") else {}


class Runner:
    """Runs jobs for one process: knows the App and the steps, and which runs are in flight (for shutdown)."""

    def __init__(self, app: App, steps: Steps, *, lock_ttl: timedelta = DEFAULT_TTL, max_attempts: int = 2,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.steps = steps
        self.lock_ttl = lock_ttl
        self.max_attempts = max_attempts  # the first attempt and one resume after an interruption
        self._monotonic = monotonic
        self._active: dict[int, int | None] = {}  # token -> JobRun id once claimed
        self._tokens = itertools.count()
        self._changed = threading.Condition()
        self._stopping = False

    # -- running -------------------------------------------------------------------------------------------

    def execute(self, job_id: str, steps: Sequence[str], *, scheduled_for: datetime | None = None,
                resume_of: int | None = None) -> RunOutcome:
        with self._changed:
            if self._stopping:
                return RunOutcome(job_id, "stopping")
            token = next(self._tokens)
            self._active[token] = None
        try:
            return self._execute(token, job_id, steps, scheduled_for, resume_of)
        finally:
            with self._changed:
                del self._active[token]
                self._changed.notify_all()

    def _execute(self, token: int, job_id: str, steps: Sequence[str], scheduled_for: datetime | None,
                 resume_of: int | None) -> RunOutcome:
        started = self._monotonic()
        with db_lock(self.app, f"job:{job_id}", self.lock_ttl) as acquired:
            if not acquired:
                log_event(log, "job.skipped", job=job_id, reason="another process holds its lock",
                          **_source_of(job_id))
                return RunOutcome(job_id, "locked")
            claimed = self._claim(job_id, scheduled_for, resume_of)
            if claimed is None:
                log_event(log, "job.skipped", job=job_id, reason="slot already claimed", slot=scheduled_for,
                          resume_of=resume_of, **_source_of(job_id))
                return RunOutcome(job_id, "claimed")
            run_id, attempt = claimed
            with self._changed:
                self._active[token] = run_id
            log_event(log, "job.started", logging.DEBUG, job=job_id, run=run_id, attempt=attempt,
                      slot=scheduled_for, **_source_of(job_id))
            results, error = self._run_steps(job_id, steps)
            status = "failed" if error or not all(r["ok"] for r in results) else "ok"
            self._finish(run_id, status, results, error)
        counts: dict[str, int] = {}
        for r in results:
            for key, value in r["counts"].items():
                counts[key] = counts.get(key, 0) + value
        duration = self._monotonic() - started
        log_event(log, "job.finished" if status == "ok" else "job.failed",
                  logging.INFO if status == "ok" else logging.ERROR,
                  job=job_id, status=status, run=run_id, attempt=attempt, duration_ms=round(duration * 1000),
                  **_source_of(job_id), **counts, **({"error": error} if error else {}))
        return RunOutcome(job_id, status, run_id, duration, counts, error)

    def _run_steps(self, job_id: str, steps: Sequence[str]) -> tuple[list[dict[str, Any]], str]:
        results: list[dict[str, Any]] = []
        for name in steps:
            began = self._monotonic()
            try:
                result = self.steps.get(name)(self.app)
            except Exception as exc:
                log.exception("step %s of job %s raised", name, job_id)
                results.append({"step": name, "ok": False, "counts": {}, "note": "",
                                "ms": round((self._monotonic() - began) * 1000)})
                return results, f"{name}: {type(exc).__name__}: {exc}"
            ms = round((self._monotonic() - began) * 1000)
            results.append({"step": name, "ok": result.ok, "counts": dict(result.counts), "note": result.note,
                            "ms": ms})
            log_event(log, "step.finished", logging.DEBUG, job=job_id, step=name, ok=result.ok, duration_ms=ms,
                      **_source_of(name), **dict(result.counts))
            if not result.ok:  # later steps work on what this one should have produced
                return results, f"{name}: {result.note or 'failed'}"
        return results, ""

    def _claim(self, job_id: str, scheduled_for: datetime | None, resume_of: int | None) -> tuple[int, int] | None:
        """Insert the running row; None if another process already has this slot (or this resume)."""
        attempt = 1
        try:
            with self.app.transaction() as session:
                if resume_of is not None:
                    old = session.get(JobRun, resume_of)
                    took = session.execute(
                        update(JobRun).where(JobRun.id == resume_of, JobRun.status == "interrupted")
                        .values(status="resumed"),
                        execution_options={"synchronize_session": False},
                    )
                    if old is None or took.rowcount != 1:  # type: ignore[attr-defined]
                        return None
                    scheduled_for, attempt = old.scheduled_for, old.attempt + 1
                row = JobRun(job=job_id, scheduled_for=scheduled_for, attempt=attempt, started_at=self.app.now(),
                             status="running")
                session.add(row)
                session.flush()
                return row.id, attempt
        except IntegrityError:
            return None

    def _finish(self, run_id: int, status: str, results: list[dict[str, Any]], error: str) -> None:
        detail = json.dumps({"steps": results, **({"error": error} if error else {})})
        with self.app.transaction() as session:
            # Also from "interrupted": a run that finished while the process was giving up on it did finish.
            session.execute(
                update(JobRun).where(JobRun.id == run_id, JobRun.status.in_(("running", "interrupted")))
                .values(status=status, finished_at=self.app.now(), detail=detail),
                execution_options={"synchronize_session": False},
            )

    # -- stopping and starting again -----------------------------------------------------------------------

    def stop_accepting(self) -> None:
        with self._changed:
            self._stopping = True

    def wait_idle(self, timeout: float | None) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: not self._active, timeout)

    def in_flight(self) -> list[int]:
        with self._changed:
            return [run_id for run_id in self._active.values() if run_id is not None]

    def interrupt_in_flight(self, reason: str) -> list[int]:
        """Record the runs still going as interrupted (the process is about to exit under them)."""
        run_ids = self.in_flight()
        if run_ids:
            with self.app.transaction() as session:
                session.execute(
                    update(JobRun).where(JobRun.id.in_(run_ids), JobRun.status == "running")
                    .values(status="interrupted", finished_at=self.app.now(), detail=json.dumps({"error": reason})),
                    execution_options={"synchronize_session": False},
                )
            for run_id in run_ids:
                log_event(log, "job.interrupted", logging.WARNING, run=run_id, reason=reason)
        return run_ids

    def recover(self, configured: Iterable[str]) -> list[tuple[int, str]]:
        """At start: runs left "running" by a process that is gone become interrupted; returns the interrupted
        runs to resume once, as (run id, job id).

        A "running" row is only touched if its job's lock is free: otherwise another live process is running it.
        """
        configured = set(configured)
        with self.app.sessions() as session:
            running = list(session.scalars(select(JobRun).where(JobRun.status == "running")))
        for row in running:
            with db_lock(self.app, f"job:{row.job}", self.lock_ttl) as free:
                if not free:
                    continue
                with self.app.transaction() as session:
                    session.execute(
                        update(JobRun).where(JobRun.id == row.id, JobRun.status == "running")
                        .values(status="interrupted", finished_at=self.app.now(),
                                detail=json.dumps({"error": "found running at start: the process running it stopped"})),
                        execution_options={"synchronize_session": False},
                    )
                log_event(log, "job.interrupted", logging.WARNING, job=row.job, run=row.id,
                          reason="its process stopped before it finished")
        resumable: list[tuple[int, str]] = []
        with self.app.transaction() as session:
            newest_first = select(JobRun).where(JobRun.status == "interrupted").order_by(JobRun.id.desc())
            for row in session.scalars(newest_first):
                later_ok = session.scalar(select(JobRun.id).where(
                    JobRun.job == row.job, JobRun.status == "ok", JobRun.id > row.id).limit(1))
                if later_ok is not None or any(job == row.job for _, job in resumable):
                    row.status = "superseded"  # a later run did, or will do, the same work
                elif row.job not in configured:
                    log_event(log, "job.not_resumed", logging.WARNING, job=row.job, run=row.id,
                              reason="no longer configured")
                elif row.attempt >= self.max_attempts:
                    log_event(log, "job.not_resumed", logging.ERROR, job=row.job, run=row.id, attempt=row.attempt,
                              reason="interrupted again after a resume; needs a person")
                else:
                    resumable.append((row.id, row.job))
        return resumable


def execute(job_id: str, steps: Sequence[str], *, runner: Runner | None = None,
            scheduled_for: datetime | None = None, resume_of: int | None = None) -> RunOutcome:
    """The function every stored job names. Its positional arguments are plain data (the job store pickles
    them); `StepExecutor` adds the process's Runner and the slot being run as keywords."""
    if runner is None:
        raise TypeError(f"job {job_id!r} must be run by advocacy.runtime.scheduler.StepExecutor, which supplies the runner")
    return runner.execute(job_id, tuple(steps), scheduled_for=scheduled_for, resume_of=resume_of)
