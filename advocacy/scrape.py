"""Run the configured sources: fetch politely, archive every parsed body, store records, report what changed.

Per source: the raw payloads are archived in their own transaction first (a fetched payload is never lost, even
if storing fails), then records, the source's state and the conditional-GET validators are stored in one
transaction (nothing half-written: a failure leaves earlier data untouched and the next run fetches again).
One source failing never stops the others.
"""

from __future__ import annotations

import gzip
import inspect
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from advocacy.app import App
from advocacy.config import JurisdictionConfig, Source
from advocacy.ingest import Store, StoreReport, ensure_jurisdiction
from advocacy.models import HttpValidator, PayloadBlob, RunPayload, SourceRun, SourceState
from advocacy.records import ScrapeError
from scrapers import SOURCES
from scrapers.http import Fetcher, FetchError, Payload, remember

log = logging.getLogger("advocacy.scrape")
SERVICE = "advocacy-legislative-updates/0.1"
# A source that returned at least this many records last time and nothing now has most likely changed its layout.
SUSPICIOUS_DROP = 10

Progress = Callable[[str], None]


@dataclass
class SourceSummary:
    name: str
    run_id: int
    status: str  # ok, partial, failed
    fetched: int = 0
    not_modified: int = 0
    records: int = 0
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

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, url: str) -> tuple[str | None, str | None] | None:
        row = self.session.get(HttpValidator, url)
        return (row.etag, row.last_modified) if row else None

    def put(self, url: str, etag: str | None, last_modified: str | None) -> None:
        row = self.session.get(HttpValidator, url)
        if row is None:
            self.session.add(HttpValidator(url=url, etag=etag, last_modified=last_modified))
        else:
            row.etag, row.last_modified = etag, last_modified


def archive(session: Session, run_id: int, payloads: Iterable[Payload]) -> int:
    count = 0
    for payload in payloads:
        if payload.not_modified:
            continue
        if session.get(PayloadBlob, payload.sha256) is None:
            session.add(PayloadBlob(sha256=payload.sha256, size=len(payload.body), body_gz=gzip.compress(payload.body)))
            session.flush()
        session.add(RunPayload(run_id=run_id, url=payload.url, status=payload.status,
                               content_type=payload.content_type, fetched_at=payload.fetched_at,
                               sha256=payload.sha256))
        count += 1
    return count


def _source_options(jcfg: JurisdictionConfig, source: Source) -> object:
    options = source.parsed_options()
    # A source that follows sessions follows the jurisdiction's unless it names its own.
    if hasattr(options, "sessions") and "sessions" not in source.options:
        options = options.model_copy(update={"sessions": list(jcfg.sessions)})
    return options


def _api_key(app: App, kind: str) -> str | None:
    return {"legiscan": app.secrets.legiscan_api_key, "openstates": app.secrets.openstates_api_key}.get(kind)


def _replay_transport(app: App, run_id: int) -> httpx.MockTransport:
    with app.sessions() as session:
        bodies = {
            p.url: (gzip.decompress(p.blob.body_gz), p.content_type)
            for p in session.scalars(select(RunPayload).where(RunPayload.run_id == run_id))
        }
    if not bodies:
        raise ValueError(f"run {run_id} archived no payloads to replay")

    def handler(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        # API keys travel as extra query parameters: match on the archived public URL.
        for candidate, (body, ctype) in bodies.items():
            if candidate == url or url.startswith(candidate + ("&" if "?" in candidate else "?")):
                return httpx.Response(200, content=body, headers={"Content-Type": ctype})
        return httpx.Response(404, text=f"not in the archive of run {run_id}")

    return httpx.MockTransport(handler)


def run_source(app: App, jcfg: JurisdictionConfig, source: Source, *, replay_of: int | None = None,
               client: httpx.Client | None = None) -> SourceSummary:
    module = SOURCES[source.kind]
    now = app.now()
    with app.transaction() as session:
        run = SourceRun(source=source.name, kind=source.kind, jurisdiction=jcfg.code, started_at=now,
                        replay_of=replay_of)
        session.add(run)
        session.flush()
        run_id = run.id
        last_ok = session.scalar(
            select(SourceRun).where(SourceRun.source == source.name, SourceRun.status.in_(("ok", "partial")),
                                    SourceRun.replay_of.is_(None), SourceRun.id != run_id)
            .order_by(SourceRun.id.desc()).limit(1)
        )
        since, last_records = (last_ok.started_at, last_ok.records) if last_ok else (None, 0)
        state = {} if replay_of else {
            s.key: s.value for s in session.scalars(select(SourceState).where(SourceState.source == source.name))
        }
    summary = SourceSummary(name=source.name, run_id=run_id, status="failed")

    def fail(message: str) -> SourceSummary:
        summary.errors.append(message)
        log.warning("source=%s run=%s failed: %s", source.name, run_id, message)
        with app.transaction() as session:
            row = session.get(SourceRun, run_id)
            assert row is not None
            row.status, row.error, row.finished_at = "failed", message, app.now()
            row.fetched, row.not_modified = summary.fetched, summary.not_modified
        return summary

    http = app.config.http
    if replay_of is not None:
        client = httpx.Client(transport=_replay_transport(app, replay_of))
    with app.sessions() as read_session:
        fetcher = Fetcher(
            service=SERVICE, contact=app.config.collaborative.contact_email,
            validators=None if replay_of else DbValidators(read_session), client=client,
            timeout=http.timeout, retries=0 if replay_of else http.retries, backoff=http.backoff,
            min_interval=0 if replay_of else http.min_interval, now=app.clock,
        )
        kwargs: dict[str, object] = {"state": state}
        if "api_key" in inspect.signature(module.collect).parameters:
            kwargs["api_key"] = _api_key(app, source.kind) or ("replay" if replay_of else None)
        try:
            collected = module.collect(fetcher, _source_options(jcfg, source), jcfg.code, jcfg.tz, since, **kwargs)
        except (ScrapeError, FetchError, ValueError) as exc:
            return fail(str(exc))
        finally:
            if replay_of is not None:
                fetcher.close()

    summary.fetched, summary.not_modified = collected.fetched, collected.not_modified
    summary.records = len(collected.result)
    summary.errors = [str(e) for e in collected.errors]
    summary.notes = list(collected.result.notes)
    with app.transaction() as session:
        archive(session, run_id, collected.payloads)
    if (summary.records == 0 and summary.not_modified == 0 and last_records >= SUSPICIOUS_DROP
            and not summary.notes):
        return fail(f"returned nothing where the previous run returned {last_records} records; "
                    "has the source changed its layout?")
    try:
        with app.transaction() as session:
            jurisdiction = ensure_jurisdiction(session, jcfg.code, jcfg.name, jcfg.timezone)
            report: StoreReport = Store(session, jurisdiction, source=source.name, now=app.now(),
                                        run_id=run_id).store_result(collected.result)
            if replay_of is None:
                for key, value in collected.state.items():
                    session.merge(SourceState(source=source.name, key=key, value=value))
                remember(DbValidators(session), collected.payloads)
            session.flush()
            summary.new_bills = report.bills["insert"]
            summary.updated_bills = report.bills["update"]
            summary.events = len(report.events)
            summary.changed_bill_ids = list(report.changed_bill_ids)
            summary.event_ids = [e.id for e in report.events]
            summary.status = "partial" if summary.errors else "ok"
            row = session.get(SourceRun, run_id)
            assert row is not None
            row.status, row.finished_at = summary.status, app.now()
            row.fetched, row.not_modified, row.records = summary.fetched, summary.not_modified, summary.records
            row.new_bills, row.events = summary.new_bills, summary.events
            row.error = "\n".join(summary.errors)
    except Exception as exc:  # storing failed: nothing of it was written; the payloads stay archived
        log.exception("source=%s run=%s store failed", source.name, run_id)
        return fail(f"storing failed: {type(exc).__name__}: {exc}")
    log.info("source=%s run=%s %s", source.name, run_id, summary.line())
    return summary


def run_sources(app: App, names: Iterable[str] | None = None, *, progress: Progress | None = None,
                client: httpx.Client | None = None) -> list[SourceSummary]:
    wanted = set(names or [])
    pairs = [(j, s) for j, s in app.config.sources() if (s.name in wanted if wanted else s.enabled)]
    unknown = wanted - {s.name for _, s in app.config.sources()}
    if unknown:
        raise ValueError(f"no source named {', '.join(sorted(unknown))} in the configuration "
                         f"(configured: {', '.join(s.name for _, s in app.config.sources())})")
    summaries = []
    for index, (jcfg, source) in enumerate(pairs, 1):
        if progress:
            progress(f"[{index}/{len(pairs)}] {source.name} ({source.kind}, {jcfg.code}) ...")
        summary = run_source(app, jcfg, source, client=client)
        if progress:
            progress(f"[{index}/{len(pairs)}] {summary.line()}")
            for error in summary.errors:
                progress(f"    error: {error}")
            for note in summary.notes:
                progress(f"    note: {note}")
        summaries.append(summary)
    return summaries


def replay(app: App, run_id: int) -> SourceSummary:
    with app.sessions() as session:
        run = session.get(SourceRun, run_id)
        if run is None:
            raise ValueError(f"no source run {run_id}")
        name = run.source
    for jcfg, source in app.config.sources():
        if source.name == name:
            return run_source(app, jcfg, source, replay_of=run_id)
    raise ValueError(f"run {run_id} is of source {name!r}, which is no longer configured")


def last_runs(session: Session) -> dict[str, SourceRun]:
    latest: dict[str, SourceRun] = {}
    for run in session.scalars(select(SourceRun).order_by(SourceRun.id)):
        latest[run.source] = run
    return latest


