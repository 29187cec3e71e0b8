"""Helpers for driving the real scheduler on a controllable clock (shared by tests/test_scheduler*.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import select

from advocacy.app import App, system_clock
from advocacy.config import Config, Secrets, load_config
from advocacy.models import JobRun
from advocacy.runtime.jobs import StepResult, Steps
from advocacy.runtime.scheduler import Service, job_specs


class SteppedScheduler(BaseScheduler):
    """The real scheduler logic with no timer thread: due jobs are processed when the test calls `step()`.

    Combined with time_machine (which moves `datetime.now` for APScheduler and the App alike), a test decides
    exactly when "now" is and how often the scheduler looks.
    """

    def wakeup(self) -> None:
        pass

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)

    def step(self) -> None:
        self._process_jobs()


@dataclass
class Recorder:
    """Real steps that record when they ran; any one of them can be made to block until released."""

    calls: list[tuple[str, datetime]] = field(default_factory=list)
    gates: dict[str, tuple[threading.Event, threading.Event]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def block(self, name: str) -> tuple[threading.Event, threading.Event]:
        """Make step `name` wait: returns (started, release)."""
        self.gates[name] = (threading.Event(), threading.Event())
        return self.gates[name]

    def step(self, name: str) -> Callable[[App], StepResult]:
        def run(app: App) -> StepResult:
            with self.lock:
                self.calls.append((name, app.now()))
            if name in self.gates:
                started, release = self.gates[name]
                started.set()
                if not release.wait(timeout=30):
                    raise TimeoutError(f"step {name} was never released")
            return StepResult(counts={"done": 1})

        return run

    def steps_for(self, config: Config) -> Steps:
        steps = Steps()
        for name in sorted({n for spec in job_specs(config) for n in spec.steps}):
            steps.add(name, self.step(name))
        return steps

    def times(self, name: str) -> list[datetime]:
        with self.lock:
            return [when for step, when in self.calls if step == name]


def system_app(config: Config, db_url: str) -> App:
    """An App on the system clock, which time_machine controls in these tests."""
    return App(config, secrets=Secrets.from_env({}), clock=system_clock, database_url=db_url)


def service(config: Config, db_url: str, recorder: Recorder) -> Service:
    return Service(system_app(config, db_url), recorder.steps_for(config), scheduler_cls=SteppedScheduler)


def step_and_wait(svc: Service) -> None:
    svc.scheduler.step()  # type: ignore[attr-defined]
    assert svc.executor.join(timeout=30), "a job did not finish"


def runs(app: App, job: str | None = None) -> list[JobRun]:
    with app.sessions() as session:
        query = select(JobRun).order_by(JobRun.id)
        if job is not None:
            query = query.where(JobRun.job == job)
        return list(session.scalars(query))


def edited_config(config_path: Path, old: str, new: str) -> Config:
    text = config_path.read_text()
    assert old in text, old
    edited = config_path.with_name("edited.toml")
    edited.write_text(text.replace(old, new))
    return load_config(edited, env={})
