"""What the service process needs to run safely: locks and a record of job runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, LargeBinary, String, Text, Unicode, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from advocacy.models.base import Base, utcnow


class Lock(Base):
    __tablename__ = "lock"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class JobRun(Base):
    """One execution of a scheduled job. Inserting the row claims the slot: a second process firing the same
    slot (job, scheduled_for) gets a unique violation and stands down. A resumed run is the next attempt."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job", "scheduled_for", "attempt"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(100), index=True)
    scheduled_for: Mapped[datetime | None]  # the slot this run is for; None for a run started by hand
    attempt: Mapped[int] = mapped_column(default=1)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # running, ok, failed, interrupted; then resumed (a later attempt took it over) or superseded (a later run of
    # the same job finished first, so there is nothing left to resume)
    status: Mapped[str] = mapped_column(String(16), default="running")
    detail: Mapped[str] = mapped_column(Text, default="")


class SchedulerJob(Base):
    """APScheduler's job store table (its own layout), created by our migrations so the service needs no DDL."""

    __tablename__ = "scheduler_job"
    id: Mapped[str] = mapped_column(Unicode(191), primary_key=True)
    next_run_time: Mapped[float | None] = mapped_column(Float(25), index=True)
    job_state: Mapped[bytes] = mapped_column(LargeBinary)
