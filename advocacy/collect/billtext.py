"""Fetch each bill version's text once, extract it (`scrapers.billtext`) and store it with where it came from.

Politely: through the sources' `Fetcher` (User-Agent with our contact, a per-host interval, retries that honour
Retry-After, conditional requests with the stored validators). Once per version: a version with a stored text is
not fetched again unless asked (`refetch`); a refetch whose bytes hash the same is not extracted again, and bytes
already extracted for another version (same content hash) are copied, not parsed twice. Each version is stored
in its own transaction: one broken link among many is recorded with its reason, and the others go on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import httpx
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from advocacy.app import App
from advocacy.collect.compare import Comparison, compare
from advocacy.collect.scrape import SERVICE, DbValidators, known_validators
from advocacy.models import BillVersion, VersionText
from scrapers.billtext import extract
from scrapers.http import Fetcher, FetchError, Payload, remember

Progress = Callable[[str], None]
Sleep = Callable[[float], None]


@dataclass
class TextReport:
    fetched: int = 0
    extracted: int = 0
    reused: int = 0  # same bytes as a text already extracted
    unchanged: int = 0  # a refetch answered 304 or with the same bytes
    problems: list[str] = field(default_factory=list)
    bill_ids: set[int] = field(default_factory=set)

    def line(self) -> str:
        text = (f"bill text: {self.fetched} fetched, {self.extracted} extracted, {self.reused} reused, "
                f"{self.unchanged} unchanged")
        return text + (f"; {len(self.problems)} could not be extracted" if self.problems else "")


def link(version: BillVersion) -> str:
    """HTML where the source offers it (cleaner than a PDF's text layer), else the main link."""
    return version.html_url or version.url


def pending(session: Session, bill_ids: Iterable[int] | None = None, *, refetch: bool = False,
            retry_failed: bool = False) -> list[int]:
    """Ids of the versions to fetch: never fetched, or (asked) failed before, or (asked) all of them."""
    query = select(BillVersion.id).outerjoin(VersionText, VersionText.version_id == BillVersion.id)
    if not refetch:
        missing = VersionText.id.is_(None)
        query = query.where(or_(missing, VersionText.status == "failed") if retry_failed else missing)
    if bill_ids is not None:
        query = query.where(BillVersion.bill_id.in_(list(bill_ids)))
    return list(session.scalars(query.order_by(BillVersion.bill_id.desc(), BillVersion.id)))


def make_fetcher(app: App, client: httpx.Client | None = None, sleep: Sleep = time.sleep) -> Fetcher:
    http = app.config.http
    with app.sessions() as session:
        validators = known_validators(session)
    return Fetcher(service=SERVICE, contact=app.config.collaborative.contact_email, validators=validators,
                   client=client, timeout=http.timeout, retries=http.retries, backoff=http.backoff,
                   min_interval=http.min_interval, sleep=sleep, now=app.now)


def _row(session: Session, version: BillVersion) -> VersionText:
    row = session.scalar(select(VersionText).where(VersionText.version_id == version.id))
    if row is None:
        row = VersionText(version_id=version.id, bill_id=version.bill_id, url=link(version), status="failed")
        session.add(row)
    return row


def _fill(session: Session, row: VersionText, payload: Payload, report: TextReport) -> None:
    """The row's text from the payload: reused when the same bytes were extracted before, else extracted now."""
    row.content_type, row.content_hash, row.fetched_at = payload.content_type, payload.sha256, payload.fetched_at
    twin = session.scalar(select(VersionText).where(VersionText.content_hash == payload.sha256,
                                                    VersionText.status == "ok", VersionText.id != row.id))
    if twin is not None:
        row.text, row.pages, row.status, row.problem = twin.text, twin.pages, "ok", ""
        report.reused += 1
        return
    found = extract(payload.body, payload.content_type, payload.url)
    row.text, row.pages, row.problem = found.text, found.pages, found.problem
    row.status = "ok" if found.text.strip() else ("empty" if found.kind == "pdf" else "failed")
    report.extracted += int(bool(found.text.strip()))
    if found.problem:
        report.problems.append(found.problem)


def fetch_version(app: App, fetcher: Fetcher, version_id: int, report: TextReport) -> None:
    with app.transaction() as session:
        version = session.get(BillVersion, version_id)
        if version is None:
            return
        row = _row(session, version)
        url = row.url = link(version)
        row.fetched_at = app.now()
        if not url:
            row.status, row.problem = "failed", f"version {version.name!r} of bill {version.bill_id} has no link"
            report.problems.append(row.problem)
            return
        try:
            payload = fetcher.fetch(url, conditional=row.status == "ok")
        except FetchError as exc:
            if row.status != "ok":  # a text we have stays; a refetch that fails loses nothing
                row.status, row.problem = "failed", str(exc)
            report.problems.append(str(exc))
            return
        report.fetched += 1
        report.bill_ids.add(version.bill_id)
        if payload.not_modified or (row.status == "ok" and payload.sha256 == row.content_hash):
            report.unchanged += 1
            return
        _fill(session, row, payload, report)
        remember(DbValidators(session, app.now()), [payload])


def fetch_texts(app: App, bill_ids: Iterable[int] | None = None, *, refetch: bool = False,
                retry_failed: bool = False, client: httpx.Client | None = None, sleep: Sleep = time.sleep,
                progress: Progress | None = None, limit: int | None = None) -> TextReport:
    """Fetch and store the text of every version that has none yet (of `bill_ids`, or of every bill); at most
    `limit` versions, the newest bills first, so that a scheduled step stays short (the rest wait for the next)."""
    with app.sessions() as session:
        ids = pending(session, bill_ids, refetch=refetch, retry_failed=retry_failed)[:limit]
    report = TextReport()
    if not ids:
        return report
    with make_fetcher(app, client, sleep) as fetcher:
        for version_id in ids:
            known = len(report.problems)
            fetch_version(app, fetcher, version_id, report)
            for problem in report.problems[known:] if progress else ():
                progress(problem)  # type: ignore[misc]
    return report


class NoText(LookupError):
    """A version asked for a comparison has no extracted text (yet, or ever)."""


def version_texts(session: Session, bill_id: int) -> list[tuple[BillVersion, VersionText | None]]:
    """Each version of the bill, oldest first, with its stored text row if it has one."""
    rows = session.execute(
        select(BillVersion, VersionText).outerjoin(VersionText, VersionText.version_id == BillVersion.id)
        .where(BillVersion.bill_id == bill_id)
        .order_by(BillVersion.when.is_(None).desc(), BillVersion.when, BillVersion.code, BillVersion.id))
    return [(version, text) for version, text in rows]


def compare_versions(session: Session, bill_id: int, old_id: int | None = None,
                     new_id: int | None = None) -> Comparison:
    """Two versions of a bill compared; by default the last two that have text."""
    with_text = [(v, t) for v, t in version_texts(session, bill_id) if t is not None and t.status == "ok"]
    chosen = {v.id: (v, t) for v, t in with_text}
    if old_id is None or new_id is None:
        if len(with_text) < 2:
            raise NoText(f"bill {bill_id} has {len(with_text)} version(s) with text: two are needed to compare")
        old_id, new_id = with_text[-2][0].id, with_text[-1][0].id
    missing = [str(i) for i in (old_id, new_id) if i not in chosen]
    if missing:
        raise NoText(f"version(s) {', '.join(missing)} of bill {bill_id} have no extracted text")
    (old, old_text), (new, new_text) = chosen[old_id], chosen[new_id]
    assert old_text is not None and new_text is not None
    return compare(old_text.text, new_text.text, old.name, new.name)
