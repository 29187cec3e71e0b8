"""Run the configured sources: fetch politely, archive every body received, store records, report what changed.

Per source: the run row and what the run starts from (the source's state, its `since`) are written first; the raw
bodies are archived in their own transaction (a fetched payload is never lost, even if parsing or storing fails,
so a failed run can be replayed and studied); then records, the source's state and the conditional-GET validators
are stored in one transaction (nothing half-written: a failure leaves earlier data untouched and the next run
fetches again). One source failing never stops the others.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from advocacy.app import App
from advocacy.collect.ingest import Store, ensure_jurisdiction
from advocacy.config import JurisdictionConfig, Source
from advocacy.locks import db_lock
from advocacy.models import HttpValidator, PayloadBlob, RunPayload, SourceRun, SourceState
from scrapers.base import Collected
from scrapers.http import Fetcher, FetchError, MemoryValidatorStore, Payload, remember
from vocabulary.records import ScrapeError

log = logging.getLogger("advocacy.collect.scrape")
SERVICE = "advocacy-legislative-updates/0.1"
# A source whose index listed at least this many entries last time and nothing now has most likely changed its
# layout (or is serving an error page with a 200): a failed run, not a quiet day.
SUSPICIOUS_DROP = 10
# A replay never sends a real key anywhere; this stands in for it (and is stripped when matching the archive).
REPLAY_KEY = "replay-without-key"

Progress = Callable[[str], None]
Sleep = Callable[[float], None]
Monotonic = Callable[[], float]


@dataclass
class SourceSummary:
    name: str
    run_id: int
    status: str  # ok, partial, failed
    fetched: int = 0
    not_modified: int = 0
    records: int = 0
    listed: int | None = None
    archived: int = 0
    new_bills: int = 0
    updated_bills: int = 0
    events: int = 0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    changed_bill_ids: list[int] = field(default_factory=list)
    event_ids: list[int] = field(default_factory=list)

    def line(self) -> str:
        text = (f"{self.name}: {self.status}; fetched {self.fetched}, not modified {self.not_modified}, "
                f"new bills {self.new_bills}, updated {self.updated_bills}, events {self.events}")
        if self.errors:
            text += f"; {len(self.errors)} error(s)"
        return text


class DbValidators:
    """ETag / Last-Modified per URL, read from the database; written only once the records are stored."""

    def __init__(self, session: Session, now: datetime | None = None) -> None:
        self.session = session
        self.now = now

    def get(self, url: str) -> tuple[str | None, str | None] | None:
        row = self.session.get(HttpValidator, url)
        return (row.etag, row.last_modified) if row else None

    def put(self, url: str, etag: str | None, last_modified: str | None) -> None:
        row = self.session.get(HttpValidator, url)
        if row is None:
            row = HttpValidator(url=url, etag=etag, last_modified=last_modified)
            self.session.add(row)
        else:
            row.etag, row.last_modified = etag, last_modified
        if self.now is not None:
            row.updated_at = self.now


class ReplayValidators:
    """Claims a validator for every URL, so that what the past run got as 304 is answered 304 by the archive."""

    def get(self, url: str) -> tuple[str | None, str | None] | None:
        return ('"replay"', None)

    def put(self, url: str, etag: str | None, last_modified: str | None) -> None:
        pass


class RecordingFetcher(Fetcher):
    """A Fetcher that keeps every body it received, parsed or not: the archive of the run."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.received: list[Payload] = []

    def fetch(self, url: str, **kwargs: Any) -> Payload:
        payload = super().fetch(url, **kwargs)
        self.received.append(payload)
        return payload


def _blob(session: Session, body: bytes) -> str:
    digest = hashlib.sha256(body).hexdigest()
    if session.get(PayloadBlob, digest) is None:
        session.add(PayloadBlob(sha256=digest, size=len(body), body_gz=gzip.compress(body)))
        session.flush()
    return digest


def archive(session: Session, run_id: int, payloads: Iterable[Payload]) -> int:
    """Keep each body received (compressed, stored once per content hash) with the run that fetched it."""
    count = 0
    seen: set[tuple[str, str]] = set()
    for payload in payloads:
        if payload.not_modified or (payload.url, payload.sha256) in seen:
            continue
        seen.add((payload.url, payload.sha256))
        _blob(session, payload.body)
        session.add(RunPayload(run_id=run_id, url=payload.url, status=payload.status,
                               content_type=payload.content_type, fetched_at=payload.fetched_at,
                               sha256=payload.sha256))
        count += 1
    return count


def archived_bodies(session: Session, run_id: int) -> dict[str, tuple[bytes, str]]:
    """URL -> (body, content type) of one run's archive; the last body wins when a URL was fetched twice."""
    return {
        p.url: (gzip.decompress(p.blob.body_gz), p.content_type)
        for p in session.scalars(select(RunPayload).where(RunPayload.run_id == run_id).order_by(RunPayload.id))
    }


def save_state(session: Session, name: str, state: Mapping[str, str]) -> None:
    """The state is what the source returned, whole: keys it dropped (a bill gone from the list) go too."""
    rows = {row.key: row for row in session.scalars(select(SourceState).where(SourceState.source == name))}
    gone = [key for key in rows if key not in state]
    for start in range(0, len(gone), 500):
        session.execute(delete(SourceState).where(SourceState.source == name,
                                                  SourceState.key.in_(gone[start:start + 500])))
    for key, value in state.items():
        if key not in rows:
            session.add(SourceState(source=name, key=key, value=value))
        elif rows[key].value != value:
            rows[key].value = value


def known_validators(session: Session) -> MemoryValidatorStore:
    """Every URL's validators, read once: a long scrape holds no database transaction open while it fetches."""
    store = MemoryValidatorStore()
    for row in session.scalars(select(HttpValidator)):
        store.put(row.url, row.etag, row.last_modified)
    return store


def _source_options(jcfg: JurisdictionConfig, source: Source) -> object:
    options = source.parsed_options()
    # A source that follows sessions follows the jurisdiction's unless it names its own.
    if hasattr(options, "sessions") and "sessions" not in source.options:
        options = options.model_copy(update={"sessions": list(jcfg.sessions)})
    return options


def missing_key(app: App, source: Source) -> str | None:
    """Why this source cannot run for want of a key (naming the environment variable), or None."""
    need, env = source.module.API_KEY, source.key_env()
    if need is None or app.secrets.api_key(env):
        return None
    return f"{source.name} needs a {need.label} API key: set the environment variable {env}"


def _replay_transport(bodies: Mapping[str, tuple[bytes, str]], run_id: int) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        url = request.url
        for name, value in url.params.multi_items():
            if value == REPLAY_KEY:  # a key sent as a query parameter is never part of the archived URL
                url = url.copy_remove_param(name)
        found = bodies.get(str(url))
        if found is not None:
            body, ctype = found
            return httpx.Response(200, content=body, headers={"Content-Type": ctype} if ctype else {})
        if "if-none-match" in request.headers or "if-modified-since" in request.headers:
            return httpx.Response(304)  # the past run got 304 here (or never parsed it): nothing to parse
        return httpx.Response(404, text=f"{url} is not in the archive of run {run_id}")

    return httpx.MockTransport(handler)


def _cursor(state: Mapping[str, str]) -> datetime | None:
    """A source's own "changed since" cursor (Open States' newest `updated_at`), when it keeps one."""
    text = state.get("updated_since")
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


@dataclass
class _Start:
    run_id: int
    since: datetime | None
    state: dict[str, str]
    baseline: tuple[int, int] | None  # (run id, entries listed) of the last successful run that listed any
    now: Callable[[], datetime]


def last_good_run(session: Session, source: str) -> SourceRun | None:
    """The source's last good run: the newest run (by start) that was not a replay and ended "ok" (complete).

    One meaning for every reader: the dashboard's "Last good run", `/healthz`'s `last_success` and staleness, and
    the `since` the next run starts from. A "partial" run is not good: the next run asks again from the last
    complete one, so nothing it skipped is lost, and a source that keeps skipping items goes stale on /healthz.
    A replay studies a past run offline: it says nothing of the source now.
    """
    return session.scalar(select(SourceRun).where(
        SourceRun.source == source, SourceRun.replay_of.is_(None), SourceRun.status == "ok")
        .order_by(SourceRun.started_at.desc(), SourceRun.id.desc()).limit(1))


def _start(app: App, jcfg: JurisdictionConfig, source: Source, replay_of: int | None) -> _Start:
    now = app.now()
    with app.transaction() as session:
        # Under the source's lock (run_source), a run still "running" was killed.
        session.execute(update(SourceRun).where(SourceRun.source == source.name, SourceRun.status == "running")
                        .values(status="interrupted", finished_at=now,
                                error="the process stopped during this run; nothing of it was stored"))
        run = SourceRun(source=source.name, kind=source.kind, jurisdiction=jcfg.code, started_at=now,
                        replay_of=replay_of)
        session.add(run)
        if replay_of is not None:
            original = session.get(SourceRun, replay_of)
            if original is None:
                raise ValueError(f"no source run {replay_of}")
            blob = session.get(PayloadBlob, original.state_sha256) if original.state_sha256 else None
            state = json.loads(gzip.decompress(blob.body_gz)) if blob else {}
            started = original.started_at
            run.since, run.state_sha256 = original.since, original.state_sha256
            session.flush()
            # A replay asks what the past run asked: its clock (Ohio's calendar window), its since, its state.
            return _Start(run.id, original.since, state, None, lambda: started)
        state = {s.key: s.value for s in session.scalars(select(SourceState).where(SourceState.source == source.name))}
        good = last_good_run(session, source.name)
        listed = session.execute(
            select(SourceRun.id, SourceRun.listed)
            .where(SourceRun.source == source.name, SourceRun.replay_of.is_(None),
                   SourceRun.status.in_(("ok", "partial")), SourceRun.listed.is_not(None))
            .order_by(SourceRun.id.desc()).limit(1)
        ).first()
        run.since = _cursor(state) or (good.started_at if good else None)
        run.state_sha256 = _blob(session, json.dumps(state, sort_keys=True).encode()) if state else None
        session.flush()
        return _Start(run.id, run.since, state, (listed[0], listed[1]) if listed else None, app.now)


def _finish(app: App, run_id: int, summary: SourceSummary, error: str = "") -> None:
    with app.transaction() as session:
        row = session.get(SourceRun, run_id)
        assert row is not None
        row.status, row.finished_at, row.error = summary.status, app.now(), error or "\n".join(summary.errors)
        row.fetched, row.not_modified, row.records, row.listed = (summary.fetched, summary.not_modified,
                                                                  summary.records, summary.listed)
        row.new_bills, row.events = summary.new_bills, summary.events


def _store(app: App, jcfg: JurisdictionConfig, source: Source, run_id: int, collected: Collected,
           summary: SourceSummary, *, replay: bool) -> None:
    """Records, the source's state and the validators, in one transaction: all of it or none of it."""
    with app.transaction() as session:
        jurisdiction = ensure_jurisdiction(session, jcfg.code, jcfg.name, jcfg.timezone)
        report = Store(session, jurisdiction, source=source.name, now=app.now(),
                       run_id=run_id).store_result(collected.result)
        if not replay:
            save_state(session, source.name, collected.state)
            remember(DbValidators(session, app.now()), collected.payloads)
        session.flush()
        summary.new_bills = report.bills["insert"]
        summary.updated_bills = report.bills["update"]
        summary.events = len(report.events)
        summary.changed_bill_ids = list(report.changed_bill_ids)
        summary.event_ids = [e.id for e in report.events]
        summary.status = "partial" if summary.errors else "ok"
        row = session.get(SourceRun, run_id)
        assert row is not None
        row.status, row.finished_at, row.error = summary.status, app.now(), "\n".join(summary.errors)
        row.fetched, row.not_modified, row.records, row.listed = (summary.fetched, summary.not_modified,
                                                                  summary.records, summary.listed)
        row.new_bills, row.events = summary.new_bills, summary.events


def run_source(app: App, jcfg: JurisdictionConfig, source: Source, *, replay_of: int | None = None,
               client: httpx.Client | None = None, sleep: Sleep = time.sleep,
               monotonic: Monotonic = time.monotonic) -> SourceSummary:
    """One run of one source (or the replay of a past run, offline). Never raises for the source's faults.

    One run of a source at a time, whoever starts it (the scheduler, `advocacy scrape`, a replay): so a run
    still marked "running" when the lock is free was killed, and two runs never store the same events at once.
    """
    with db_lock(app, f"source:{source.name}") as acquired:
        if not acquired:
            return SourceSummary(name=source.name, run_id=0, status="failed",
                                 errors=[f"{source.name}: another run of this source is in progress; "
                                         "try again when it has finished"])
        return _run_source(app, jcfg, source, replay_of=replay_of, client=client, sleep=sleep,
                           monotonic=monotonic)


def _fail(app: App, summary: SourceSummary, message: str) -> SourceSummary:
    summary.status = "failed"
    summary.errors.append(message)
    log.warning("source=%s run=%s failed: %s", summary.name, summary.run_id, message)
    _finish(app, summary.run_id, summary)
    return summary


def _replay_client(app: App, replay_of: int) -> httpx.Client | None:
    """A client answering from the archive of run `replay_of`; None when that run archived nothing."""
    with app.sessions() as session:
        bodies = archived_bodies(session, replay_of)
    return httpx.Client(transport=_replay_transport(bodies, replay_of)) if bodies else None


def _fetcher(app: App, source: Source, start: _Start, client: httpx.Client | None, *, replaying: bool,
             sleep: Sleep, monotonic: Monotonic) -> RecordingFetcher:
    """A replay asks the archive once, without waiting; a run asks the network politely, conditionally, within
    the body size cap (the source's `max_body_mb`, else `[http] max_body_mb`) and `[http] deadline`."""
    http = app.config.http
    with app.sessions() as session:
        validators = ReplayValidators() if replaying else known_validators(session)
    return RecordingFetcher(
        service=SERVICE, contact=app.config.collaborative.contact_email,
        validators=validators,
        client=client, timeout=http.timeout, retries=0 if replaying else http.retries,
        backoff=http.backoff, min_interval=0 if replaying else http.min_interval,
        sleep=sleep, clock=monotonic, now=start.now, deadline=http.deadline,
        max_bytes=int((source.max_body_mb or http.max_body_mb) * 1024 * 1024),
    )


def _collect(jcfg: JurisdictionConfig, source: Source, start: _Start, fetcher: RecordingFetcher,
             api_key: str | None) -> tuple[Collected | None, str]:
    """The source's records, or None and why not."""
    try:
        collected = source.module.collect(fetcher, _source_options(jcfg, source), jcfg.code, jcfg.tz, start.since,
                                          state=start.state, api_key=api_key)
    except (ScrapeError, FetchError, ValueError) as exc:  # each names its URL, field or setting
        return None, str(exc)
    except Exception as exc:  # a bug in one source fails that source only; the others still run
        log.exception("source=%s run=%s collect crashed", source.name, start.run_id)
        return None, f"{type(exc).__name__}: {exc}"
    return collected, ""


def _count(summary: SourceSummary, collected: Collected) -> None:
    summary.fetched, summary.not_modified = collected.fetched, collected.not_modified
    summary.records = len(collected.result)
    summary.listed = collected.listed
    summary.errors = [str(e) for e in collected.errors]
    summary.notes = list(collected.result.notes)


def _suspicious_drop(source: Source, start: _Start, collected: Collected, received: list[Payload]) -> str | None:
    """Why an empty listing, where the last good run listed many, is a broken source rather than a quiet day."""
    if not (start.baseline and collected.listed == 0 and start.baseline[1] >= SUSPICIOUS_DROP):
        return None
    urls = list(dict.fromkeys(p.url for p in received if not p.not_modified))
    where = ", ".join(urls[:3]) + (f" and {len(urls) - 3} more" if len(urls) > 3 else "") or source.name
    return (f"{where}: listed nothing where run {start.baseline[0]} listed {start.baseline[1]}; "
            "has the source changed its layout? Nothing was stored.")


def _run_source(app: App, jcfg: JurisdictionConfig, source: Source, *, replay_of: int | None,
                client: httpx.Client | None, sleep: Sleep, monotonic: Monotonic) -> SourceSummary:
    start = _start(app, jcfg, source, replay_of)
    summary = SourceSummary(name=source.name, run_id=start.run_id, status="failed")
    replaying = replay_of is not None
    if not replaying and (problem := missing_key(app, source)):
        return _fail(app, summary, problem)
    if replaying:  # a replay never sends a real key anywhere
        api_key = REPLAY_KEY if source.module.API_KEY is not None else None
    else:
        api_key = app.secrets.api_key(source.key_env())
    owns_client = client is None or replaying
    if replay_of is not None:
        client = _replay_client(app, replay_of)
        if client is None:
            return _fail(app, summary, f"run {replay_of} archived no payloads (every request was answered 304): "
                                       "nothing to replay")
    fetcher = _fetcher(app, source, start, client, replaying=replaying, sleep=sleep, monotonic=monotonic)
    try:
        collected, error = _collect(jcfg, source, start, fetcher, api_key)
    finally:
        if owns_client:
            fetcher.close()
    received = list(fetcher.received)

    summary.fetched = sum(1 for p in received if not p.not_modified)
    summary.not_modified = sum(1 for p in received if p.not_modified)
    with app.transaction() as session:
        summary.archived = archive(session, start.run_id, received)
    if collected is None:
        return _fail(app, summary, error)
    _count(summary, collected)
    if problem := _suspicious_drop(source, start, collected, received):
        return _fail(app, summary, problem)
    try:
        _store(app, jcfg, source, start.run_id, collected, summary, replay=replaying)
    except Exception as exc:  # storing failed: none of it was written; the payloads stay archived
        log.exception("source=%s run=%s store failed", source.name, start.run_id)
        summary.new_bills = summary.updated_bills = summary.events = 0
        summary.changed_bill_ids, summary.event_ids = [], []
        return _fail(app, summary, f"storing failed, nothing of this run was kept: {type(exc).__name__}: {exc}")
    log.info("source=%s run=%s %s", source.name, start.run_id, summary.line())
    return summary


def selected_sources(app: App, names: Iterable[str] | None = None) -> list[tuple[JurisdictionConfig, Source]]:
    """The sources named (enabled or not), or every enabled source; an unknown name is a ValueError."""
    wanted = set(names or [])
    configured = app.config.sources()
    unknown = wanted - {s.name for _, s in configured}
    if unknown:
        raise ValueError(f"no source named {', '.join(sorted(unknown))} in the configuration "
                         f"(configured: {', '.join(s.name for _, s in configured) or 'none'})")
    return [(j, s) for j, s in configured if (s.name in wanted if wanted else s.enabled)]


def run_sources(app: App, names: Iterable[str] | None = None, *, progress: Progress | None = None,
                client: httpx.Client | None = None, sleep: Sleep = time.sleep,
                monotonic: Monotonic = time.monotonic) -> list[SourceSummary]:
    pairs = selected_sources(app, names)
    summaries = []
    for index, (jcfg, source) in enumerate(pairs, 1):
        if progress:
            progress(f"[{index}/{len(pairs)}] {source.name} ({source.kind}, {jcfg.code}) ...")
        summary = run_source(app, jcfg, source, client=client, sleep=sleep, monotonic=monotonic)
        if progress:
            progress(f"[{index}/{len(pairs)}] {summary.line()}")
            for error in summary.errors:
                progress(f"    error: {error}")
            for note in summary.notes:
                progress(f"    note: {note}")
        summaries.append(summary)
    return summaries


def replay(app: App, run_id: int) -> SourceSummary:
    """Re-parse and re-store what a past run fetched, from the archive, without the network."""
    with app.sessions() as session:
        run = session.get(SourceRun, run_id)
        if run is None:
            raise ValueError(f"no source run {run_id}")
        name = run.source
        original = run.replay_of or run_id  # replaying a replay replays the original
    for jcfg, source in app.config.sources():
        if source.name == name:
            return run_source(app, jcfg, source, replay_of=original)
    raise ValueError(f"run {run_id} is of source {name!r}, which is no longer configured")


def last_runs(session: Session) -> dict[str, SourceRun]:
    """The latest run (not a replay) of each source that has run."""
    latest = (select(func.max(SourceRun.id)).where(SourceRun.replay_of.is_(None))
              .group_by(SourceRun.source).scalar_subquery())
    return {run.source: run for run in session.scalars(select(SourceRun).where(SourceRun.id.in_(latest)))}
