"""What each scrape fetched, what it found, and what it kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from advocacy.models.base import Base, utcnow


class SourceRun(Base):
    __tablename__ = "source_run"
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64), index=True)  # the configured source name
    kind: Mapped[str] = mapped_column(String(32))  # ohio, legiscan, openstates, rss
    jurisdiction: Mapped[str] = mapped_column(String(8))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")  # running, ok, partial, failed
    # What the run started from, so that a replay asks the archive exactly what the run asked the source.
    since: Mapped[datetime | None]
    state_sha256: Mapped[str | None] = mapped_column(ForeignKey("payload_blob.sha256"))
    # How many entries the source's indexes listed (changed or not); None when it could not tell (all 304).
    listed: Mapped[int | None]
    fetched: Mapped[int] = mapped_column(default=0)
    not_modified: Mapped[int] = mapped_column(default=0)
    records: Mapped[int] = mapped_column(default=0)
    new_bills: Mapped[int] = mapped_column(default=0)
    events: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    replay_of: Mapped[int | None] = mapped_column(ForeignKey("source_run.id"))
    payloads: Mapped[list[RunPayload]] = relationship(back_populates="run", order_by="RunPayload.id")


class PayloadBlob(Base):
    """A fetched body, compressed and stored once per content hash."""

    __tablename__ = "payload_blob"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int]
    body_gz: Mapped[bytes] = mapped_column(LargeBinary)


class RunPayload(Base):
    __tablename__ = "run_payload"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("source_run.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[int] = mapped_column(default=200)
    content_type: Mapped[str] = mapped_column(String(200), default="")
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    sha256: Mapped[str] = mapped_column(ForeignKey("payload_blob.sha256"))
    run: Mapped[SourceRun] = relationship(back_populates="payloads")
    blob: Mapped[PayloadBlob] = relationship()


class HttpValidator(Base):
    """ETag / Last-Modified per URL, for conditional GET."""

    __tablename__ = "http_validator"
    url: Mapped[str] = mapped_column(String(2000), primary_key=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SourceState(Base):
    """Small per-source memory between runs (LegiScan change hashes, last counts)."""

    __tablename__ = "source_state"
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
