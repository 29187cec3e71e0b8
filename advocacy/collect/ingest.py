"""Store scraped records and report what really changed.

Storing a bill reports insert, update or no-op; only inserts and updates feed change events and the tagger.
Every event is keyed on its content (jurisdiction, session, bill, date, normalized text, occurrence), so the
same payload twice, a source that re-orders its lists, or a re-run after a crash records nothing twice.

New bills (most of a first scrape) are written in bulk with SQLAlchemy Core, a chunk at a time: one executemany
per table (ids of new bills and events come back through RETURNING), and nothing of a chunk stays in memory after
it. Bills that changed go through the ORM (few per scrape); their objects are released after each chunk too.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session, selectinload

from advocacy.models import (
    Action,
    Bill,
    BillVersion,
    ChangeEvent,
    Document,
    Hearing,
    Jurisdiction,
    LegislativeSession,
    NewsItem,
    Sponsor,
)
from vocabulary import actions as action_rules
from vocabulary.records import (
    ActionRecord,
    BillRecord,
    HearingRecord,
    NewsRecord,
    ScrapeResult,
    is_comment_period,
)

Outcome = Literal["insert", "update", "noop"]
FLUSH_EVERY = 1000  # bills written per chunk: few round trips, memory bounded by the chunk, not the scrape
CHUNK = 500  # keys per IN (...) query: well under every database's limit on bound parameters

_BILL, _EVENT = Bill.__table__, ChangeEvent.__table__
_SPONSOR, _ACTION, _VERSION, _DOCUMENT = (Sponsor.__table__, Action.__table__, BillVersion.__table__,
                                          Document.__table__)
_CHILDREN = (_SPONSOR, _ACTION, _VERSION, _DOCUMENT)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """A recorded change event, as the report keeps it: plain values, no ORM object (and no bill) kept alive."""

    id: int
    key: str
    kind: str
    summary: str
    bill_id: int | None = None
    hearing_id: int | None = None
    news_id: int | None = None
    occurred_at: datetime | None = None

    @classmethod
    def of(cls, event: ChangeEvent) -> StoredEvent:
        return cls(event.id, event.key, event.kind, event.summary, event.bill_id, event.hearing_id, event.news_id,
                   event.occurred_at)


@dataclass
class StoreReport:
    bills: Counter[str] = field(default_factory=Counter)  # insert / update / noop
    hearings: Counter[str] = field(default_factory=Counter)
    news: Counter[str] = field(default_factory=Counter)
    events: list[StoredEvent] = field(default_factory=list)
    changed_bill_ids: list[int] = field(default_factory=list)  # inserted or updated: for the tagger

    @property
    def new_bills(self) -> int:
        return self.bills["insert"]

    def merge(self, other: StoreReport) -> None:
        self.bills.update(other.bills)
        self.hearings.update(other.hearings)
        self.news.update(other.news)
        self.events.extend(other.events)
        self.changed_bill_ids.extend(other.changed_bill_ids)


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def _norm_text(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _local_day(when: datetime, tz: ZoneInfo) -> str:
    return when.astimezone(tz).date().isoformat()


_LISTED = frozenset({"sponsors", "actions", "versions", "documents", "subjects"})
_FIELDS = tuple(f.name for f in fields(BillRecord))


def record_hash(record: BillRecord) -> str:
    """A hash of what the bill says, blind to the order in which the source listed things.

    The records are flat frozen dataclasses, so their repr is a faithful, cheap serialization (no deep copies:
    this runs for every bill of every scrape, changed or not).
    """
    parts = []
    for name in _FIELDS:
        value = getattr(record, name)
        parts.append(f"{name}={sorted(map(repr, value)) if name in _LISTED else value!r}")
    return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()


def action_keys(bill_key: str, actions: Iterable[ActionRecord], tz: ZoneInfo) -> list[str]:
    """Content keys: the nth identical (day, text) action of a bill is the same action on every scrape."""
    seen: Counter[tuple[str, str]] = Counter()
    keys = []
    for act in actions:
        ident = (_local_day(act.when, tz), _norm_text(act.description))
        keys.append(_digest(bill_key, *ident, seen[ident]))
        seen[ident] += 1
    return keys


def ensure_jurisdiction(session: Session, code: str, name: str, timezone: str) -> Jurisdiction:
    found = session.scalar(select(Jurisdiction).where(Jurisdiction.code == code))
    if found is None:
        found = Jurisdiction(code=code, name=name, timezone=timezone)
        session.add(found)
        session.flush()
    elif (found.name, found.timezone) != (name, timezone):
        found.name, found.timezone = name, timezone
    return found


def ensure_session(session: Session, jurisdiction: Jurisdiction, identifier: str) -> LegislativeSession:
    found = session.scalar(
        select(LegislativeSession).where(
            LegislativeSession.jurisdiction_id == jurisdiction.id, LegislativeSession.identifier == identifier
        )
    )
    if found is None:
        found = LegislativeSession(jurisdiction_id=jurisdiction.id, identifier=identifier, jurisdiction=jurisdiction)
        session.add(found)
        session.flush()
    return found


class Store:
    """Stores one source run's records into one session; the caller owns the transaction."""

    def __init__(self, session: Session, jurisdiction: Jurisdiction, *, source: str, now: datetime,
                 run_id: int | None = None) -> None:
        self.session = session
        self.jurisdiction = jurisdiction
        self.tz = ZoneInfo(jurisdiction.timezone)
        self.source = source
        self.now = now
        self.run_id = run_id
        self.report = StoreReport()
        self._sessions: dict[str, LegislativeSession] = {}
        self._bills: dict[tuple[int, str], Bill] = {}
        self._classified: dict[str, list[str]] = {}
        self._pending: dict[str, ChangeEvent] = {}  # events not yet checked against the stored ones
        self._changed_ids: set[int] = set()

    # -- events ----------------------------------------------------------------------------------------------
    def _event(self, kind: str, key: str, summary: str, *, bill: Bill | None = None,
               hearing: Hearing | None = None, news: NewsItem | None = None,
               occurred_at: datetime | None = None) -> None:
        key = _digest(kind, key)
        if key in self._pending:
            return
        self._pending[key] = ChangeEvent(
            key=key, kind=kind, jurisdiction_id=self.jurisdiction.id, summary=summary, occurred_at=occurred_at,
            detected_at=self.now, run_id=self.run_id, bill=bill, hearing=hearing,
            news_id=news.id if news else None,
        )

    def _write_events(self) -> None:
        """Add the queued events that were never recorded before, checking their keys in bulk; flushes."""
        pending = list(self._pending.items())
        self._pending = {}
        known = self._known_event_keys([key for key, _ in pending])
        added = []
        for key, event in pending:
            if key not in known:
                known.add(key)
                self.session.add(event)
                added.append(event)
        self.session.flush()
        self.report.events.extend(StoredEvent.of(event) for event in added)

    def _known_event_keys(self, keys: list[str]) -> set[str]:
        known: set[str] = set()
        for start in range(0, len(keys), CHUNK):
            known.update(self.session.scalars(
                select(ChangeEvent.key).where(ChangeEvent.key.in_(keys[start:start + CHUNK]))
            ))
        return known

    def _check(self, jurisdiction: str, what: str) -> None:
        if jurisdiction != self.jurisdiction.code:
            raise ValueError(f"{jurisdiction} {what}: a record for {jurisdiction} cannot be stored under "
                             f"{self.jurisdiction.code}")

    def _classify(self, description: str) -> list[str]:
        """An action's classification by the state's rules (sessions repeat the same few texts thousands of times)."""
        found = self._classified.get(description)
        if found is None:
            found = self._classified[description] = list(action_rules.classify(self.jurisdiction.code, description))
        return list(found)

    # -- lookups ---------------------------------------------------------------------------------------------
    def _session_for(self, identifier: str) -> LegislativeSession:
        if identifier not in self._sessions:
            self._sessions[identifier] = ensure_session(self.session, self.jurisdiction, identifier)
        return self._sessions[identifier]

    def _known(self, records: list[BillRecord]) -> dict[tuple[int, str], tuple[int, str]]:
        """(session id, identifier) -> (bill id, content hash) of the stored bills among `records`."""
        by_session: dict[int, list[str]] = {}
        for rec in records:
            by_session.setdefault(self._session_for(rec.session).id, []).append(rec.identifier)
        known = {}
        for session_id, identifiers in by_session.items():
            wanted = list(dict.fromkeys(identifiers))
            for start in range(0, len(wanted), CHUNK):
                for bill_id, identifier, digest in self.session.execute(
                    select(Bill.id, Bill.identifier, Bill.content_hash)
                    .where(Bill.session_id == session_id, Bill.identifier.in_(wanted[start:start + CHUNK]))
                ):
                    known[(session_id, identifier)] = (bill_id, digest)
        return known

    def _load(self, bill_ids: list[int]) -> None:
        """The bills about to change, with their sponsors, actions, versions and documents, in a few queries."""
        wanted = list(dict.fromkeys(bill_ids))
        for start in range(0, len(wanted), CHUNK):
            for bill in self.session.scalars(
                select(Bill).where(Bill.id.in_(wanted[start:start + CHUNK])).options(
                    selectinload(Bill.sponsors), selectinload(Bill.actions), selectinload(Bill.versions),
                    selectinload(Bill.documents),
                )
            ):
                self._bills[(bill.session_id, bill.identifier)] = bill

    # -- bills -----------------------------------------------------------------------------------------------
    def store_bills(self, records: Iterable[BillRecord]) -> None:
        records = list(records)
        for rec in records:
            self._check(rec.jurisdiction, f"{rec.session} {rec.identifier}")
        for start in range(0, len(records), FLUSH_EVERY):
            self._store_chunk(records[start:start + FLUSH_EVERY])

    def _store_chunk(self, records: list[BillRecord]) -> None:
        """New bills in bulk, changed ones through the ORM, unchanged ones not at all; nothing kept afterwards."""
        known = self._known(records)
        fresh: list[tuple[int, BillRecord, str]] = []
        changing: list[tuple[BillRecord, str]] = []
        for rec in records:
            session_id, digest = self._session_for(rec.session).id, record_hash(rec)
            found = known.get((session_id, rec.identifier))
            if found is None:
                known[(session_id, rec.identifier)] = (0, digest)  # a repeat in this chunk goes the ORM's way
                fresh.append((session_id, rec, digest))
            elif found[0] and not rec.partial and found[1] == digest:
                self.report.bills["noop"] += 1
            else:
                changing.append((rec, digest))
        self._insert_new(fresh)
        if changing:
            self._store_changed(changing)

    def _store_changed(self, changing: list[tuple[BillRecord, str]]) -> None:
        known = self._known([rec for rec, _ in changing])
        self._load([bill_id for bill_id, _ in known.values()])
        changed: list[Bill] = []
        with self.session.no_autoflush:
            for rec, digest in changing:
                outcome, bill = self._store_bill(rec, digest)
                self.report.bills[outcome] += 1
                if outcome != "noop":
                    changed.append(bill)
        self._write_events()
        self._note_changed([bill.id for bill in changed])
        self._bills = {}  # released: the next chunk loads its own

    def _note_changed(self, bill_ids: Iterable[int]) -> None:
        for bill_id in bill_ids:
            if bill_id not in self._changed_ids:
                self._changed_ids.add(bill_id)
                self.report.changed_bill_ids.append(bill_id)

    def store_bill(self, rec: BillRecord) -> tuple[Outcome, Bill]:
        """One bill, and what storing it did (`store_bills` does many in far fewer queries)."""
        before = Counter(self.report.bills)
        self.store_bills([rec])
        outcome: Outcome = next(iter((self.report.bills - before).elements()))  # type: ignore[assignment]
        bill = self.session.scalar(select(Bill).where(Bill.session_id == self._session_for(rec.session).id,
                                                      Bill.identifier == rec.identifier))
        assert bill is not None
        return outcome, bill

    # -- new bills, in bulk ---------------------------------------------------------------------------------
    def _insert_new(self, fresh: list[tuple[int, BillRecord, str]]) -> None:
        """New bills and their children: one executemany per table; the same rows the ORM path would write."""
        if not fresh:
            return
        conn = self.session.connection()
        bill_ids = conn.execute(
            insert(_BILL).returning(_BILL.c.id, sort_by_parameter_order=True),
            [self._bill_row(session_id, rec, digest) for session_id, rec, digest in fresh],
        ).scalars().all()
        children: dict[Table, list[dict[str, object]]] = {table: [] for table in _CHILDREN}
        events = []
        for bill_id, (_, rec, _) in zip(bill_ids, fresh, strict=True):
            bill_key = f"{self.jurisdiction.code}|{rec.session}|{rec.identifier}"
            self._child_rows(bill_id, bill_key, rec, children)
            events.append(self._event_row("new_bill", bill_key, f"New bill {rec.identifier}: {rec.title}",
                                          bill_id, min((a.when for a in rec.actions), default=None)))
        for table, rows in children.items():
            if rows:
                conn.execute(insert(table), rows)
        self._insert_events(events)
        self.report.bills["insert"] += len(fresh)
        self._note_changed(bill_ids)

    def _bill_row(self, session_id: int, rec: BillRecord, digest: str) -> dict[str, object]:
        return {"session_id": session_id, "identifier": rec.identifier, "title": rec.title,
                "synopsis": rec.synopsis, "status": rec.status, "url": rec.url, "source": self.source,
                "source_id": rec.source_id, "committee": rec.committee, "subjects": list(rec.subjects),
                "analysis_text": rec.analysis_text, "content_hash": digest,
                "first_seen": self.now, "updated_at": self.now}

    def _child_rows(self, bill_id: int, bill_key: str, rec: BillRecord,
                    children: dict[Table, list[dict[str, object]]]) -> None:
        children[_SPONSOR].extend(
            {"bill_id": bill_id, "name": s.name, "primary": s.primary, "party": s.party, "district": s.district,
             "chamber": s.chamber, "position": i} for i, s in enumerate(rec.sponsors))
        children[_ACTION].extend(
            {"bill_id": bill_id, "key": key, "when": act.when, "order": act.order, "chamber": act.chamber,
             "description": act.description, "committee": act.committee,
             "classification": list(act.classification) or self._classify(act.description)}
            for key, act in zip(action_keys(bill_key, rec.actions, self.tz), rec.actions, strict=True))
        seen: set[str] = set()
        for ver in rec.versions:
            key = ver.code or ver.name
            if key not in seen:
                seen.add(key)
                children[_VERSION].append({"bill_id": bill_id, "key": key, "name": ver.name, "code": ver.code,
                                           "when": ver.when, "url": ver.url, "html_url": ver.html_url})
        urls: set[str] = set()
        for doc in rec.documents:
            if doc.url not in urls:
                urls.add(doc.url)
                children[_DOCUMENT].append({"bill_id": bill_id, "kind": doc.kind, "title": doc.title, "url": doc.url,
                                            "when": doc.when})

    def _event_row(self, kind: str, key: str, summary: str, bill_id: int | None,
                   occurred_at: datetime | None) -> dict[str, object]:
        return {"key": _digest(kind, key), "kind": kind, "jurisdiction_id": self.jurisdiction.id,
                "bill_id": bill_id, "hearing_id": None, "news_id": None, "summary": summary,
                "occurred_at": occurred_at, "detected_at": self.now, "run_id": self.run_id}

    def _insert_events(self, rows: list[dict[str, object]]) -> None:
        known = self._known_event_keys([str(row["key"]) for row in rows])
        rows = [row for row in rows if row["key"] not in known]
        if not rows:
            return
        ids = self.session.connection().execute(
            insert(_EVENT).returning(_EVENT.c.id, sort_by_parameter_order=True), rows).scalars().all()
        self.report.events.extend(
            StoredEvent(event_id, str(row["key"]), str(row["kind"]), str(row["summary"]),
                        row["bill_id"], occurred_at=row["occurred_at"])  # type: ignore[arg-type]
            for event_id, row in zip(ids, rows, strict=True))

    def _store_bill(self, rec: BillRecord, digest: str) -> tuple[Outcome, Bill]:
        leg_session = self._session_for(rec.session)
        bill_key = f"{self.jurisdiction.code}|{rec.session}|{rec.identifier}"
        bill = self._bills.get((leg_session.id, rec.identifier))
        if bill is not None and bill.content_hash == digest:
            return "noop", bill
        if bill is not None and rec.partial:
            # A feed item that knows only the bill number and one action: add the action, keep the rest.
            before = len(bill.actions)
            self._store_actions(bill, bill_key, rec, announce=True)
            if len(bill.actions) == before:
                return "noop", bill
            bill.updated_at = self.now  # changed: the tagger's catch-up sees it
            return "update", bill
        inserted = bill is None
        if bill is None:
            bill = Bill(session_id=leg_session.id, identifier=rec.identifier, title=rec.title, first_seen=self.now,
                        sponsors=[], actions=[], versions=[], documents=[])
            self.session.add(bill)
            self._bills[(leg_session.id, rec.identifier)] = bill
            self._event("new_bill", bill_key, f"New bill {rec.identifier}: {rec.title}", bill=bill,
                        occurred_at=min((a.when for a in rec.actions), default=None))
        elif rec.status and _norm_text(rec.status) != _norm_text(bill.status):
            latest = max((a.when for a in rec.actions), default=None)
            # Keyed on the day too: a bill that goes back to an earlier status later is news again.
            day = _local_day(latest, self.tz) if latest else ""
            self._event("status_change", f"{bill_key}|{_norm_text(rec.status)}|{day}",
                        f"{rec.identifier} status: {rec.status}", bill=bill, occurred_at=latest)
        bill.title = rec.title
        bill.synopsis = rec.synopsis
        bill.status = rec.status
        bill.url = rec.url
        bill.source = self.source
        bill.source_id = rec.source_id
        bill.committee = rec.committee
        bill.subjects = list(rec.subjects)
        bill.analysis_text = rec.analysis_text
        bill.content_hash = digest
        bill.updated_at = self.now
        sponsors = [(s.name, s.primary, s.party, s.district, s.chamber) for s in rec.sponsors]
        if sponsors != [(s.name, s.primary, s.party, s.district, s.chamber) for s in bill.sponsors]:
            bill.sponsors = [
                Sponsor(name=s.name, primary=s.primary, party=s.party, district=s.district, chamber=s.chamber,
                        position=i)
                for i, s in enumerate(rec.sponsors)
            ]
        self._store_actions(bill, bill_key, rec, announce=not inserted)
        self._store_versions(bill, bill_key, rec, announce=not inserted)
        self._store_documents(bill, bill_key, rec, announce=not inserted)
        return ("insert" if inserted else "update"), bill

    def _store_actions(self, bill: Bill, bill_key: str, rec: BillRecord, *, announce: bool) -> None:
        existing = {a.key for a in bill.actions}
        for key, act in zip(action_keys(bill_key, rec.actions, self.tz), rec.actions, strict=True):
            if key in existing:
                continue
            existing.add(key)
            classification = list(act.classification) or self._classify(act.description)
            bill.actions.append(Action(
                key=key, when=act.when, order=act.order, chamber=act.chamber, description=act.description,
                committee=act.committee, classification=classification,
            ))
            if announce:
                self._event("new_action", key, f"{rec.identifier}: {act.description}", bill=bill,
                            occurred_at=act.when)

    def _store_versions(self, bill: Bill, bill_key: str, rec: BillRecord, *, announce: bool) -> None:
        existing = {v.key for v in bill.versions}
        for ver in rec.versions:
            key = ver.code or ver.name
            if key in existing:
                continue
            existing.add(key)
            bill.versions.append(BillVersion(key=key, name=ver.name, code=ver.code, when=ver.when, url=ver.url,
                                             html_url=ver.html_url))
            if announce:
                self._event("new_version", f"{bill_key}|{key}", f"{rec.identifier}: new version {ver.name}",
                            bill=bill, occurred_at=ver.when)

    def _store_documents(self, bill: Bill, bill_key: str, rec: BillRecord, *, announce: bool) -> None:
        existing = {d.url for d in bill.documents}
        for doc in rec.documents:
            if doc.url in existing:
                continue
            existing.add(doc.url)
            bill.documents.append(Document(kind=doc.kind, title=doc.title, url=doc.url, when=doc.when))
            if announce:
                self._event("new_document", f"{bill_key}|{doc.url}", f"{rec.identifier}: {doc.kind} {doc.title}",
                            bill=bill, occurred_at=doc.when)

    # -- hearings --------------------------------------------------------------------------------------------
    def store_hearings(self, records: Iterable[HearingRecord]) -> None:
        for rec in records:
            self.report.hearings[self._store_hearing(rec)] += 1
        self._write_events()

    def _store_hearing(self, rec: HearingRecord) -> Outcome:
        self._check(rec.jurisdiction, rec.key)
        at = rec.start.astimezone(UTC).isoformat()  # the instant, however the source wrote its zone
        hearing = self.session.scalar(
            select(Hearing).options(selectinload(Hearing.bills))
            .where(Hearing.jurisdiction_id == self.jurisdiction.id, Hearing.key == rec.key)
        )
        leg_session = self._session_for(rec.session) if rec.session else None
        bills = self._bills_named(leg_session, rec.bills)
        label = rec.committee if is_comment_period(rec.key) else f"{rec.committee} hearing"
        when = rec.start.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")
        if hearing is None:
            hearing = Hearing(jurisdiction_id=self.jurisdiction.id, key=rec.key, committee=rec.committee,
                              start=rec.start, updated_at=self.now)
            self.session.add(hearing)
            outcome: Outcome = "insert"
        else:
            before = (hearing.committee, hearing.chamber, hearing.start, hearing.location, hearing.cancelled,
                      hearing.url, hearing.bill_identifiers)
            after = (rec.committee, rec.chamber, rec.start, rec.location, rec.cancelled, rec.url, list(rec.bills))
            if before == after:
                return "noop"
            outcome = "update"
            if hearing.start != rec.start and not rec.cancelled:
                self._event("hearing_rescheduled", f"{rec.key}|{at}",
                            f"{label} moved to {when}", hearing=hearing, occurred_at=rec.start)
        hearing.session_id = leg_session.id if leg_session else None
        hearing.committee, hearing.chamber, hearing.start = rec.committee, rec.chamber, rec.start
        hearing.location, hearing.cancelled, hearing.url = rec.location, rec.cancelled, rec.url
        hearing.bill_identifiers = list(rec.bills)
        hearing.bills = bills
        hearing.updated_at = self.now
        self.session.flush()
        if rec.cancelled:
            self._event("hearing_cancelled", f"{rec.key}|{at}", f"{label} on {when} cancelled",
                        hearing=hearing, occurred_at=rec.start)
        elif outcome == "insert":
            names = ", ".join(rec.bills)
            self._event("hearing_scheduled", f"{rec.key}|{at}",
                        f"{label} {when}" + (f": {names}" if names else ""), hearing=hearing, occurred_at=rec.start)
        for bill in bills:
            # one event per bill per hearing date, so curation can resurface the bill and alerts name it
            self._event("bill_hearing", f"{rec.key}|{at}|{bill.id}|{rec.cancelled}",
                        f"{bill.identifier}: {label} {when}" + (" (cancelled)" if rec.cancelled else ""),
                        bill=bill, hearing=hearing, occurred_at=rec.start)
        return outcome

    def _bills_named(self, leg_session: LegislativeSession | None, identifiers: Iterable[str]) -> list[Bill]:
        identifiers = list(dict.fromkeys(identifiers))
        if not identifiers:
            return []
        query = select(Bill).join(LegislativeSession).where(
            LegislativeSession.jurisdiction_id == self.jurisdiction.id, Bill.identifier.in_(identifiers)
        )
        if leg_session is not None:
            query = query.where(Bill.session_id == leg_session.id)
        found: dict[str, Bill] = {}
        for bill in self.session.scalars(query.order_by(Bill.session_id)):
            found[bill.identifier] = bill  # the latest session wins when none was given
        return [found[i] for i in identifiers if i in found]

    # -- news ------------------------------------------------------------------------------------------------
    def store_news(self, records: Iterable[NewsRecord]) -> None:
        for rec in records:
            self._check(rec.jurisdiction, rec.guid)
            found = self.session.scalar(
                select(NewsItem.id).where(NewsItem.jurisdiction_id == self.jurisdiction.id, NewsItem.guid == rec.guid)
            )
            if found:
                self.report.news["noop"] += 1
                continue
            item = NewsItem(jurisdiction_id=self.jurisdiction.id, guid=rec.guid, title=rec.title, url=rec.url,
                            published=rec.published, summary=rec.summary, source=rec.source, first_seen=self.now)
            self.session.add(item)
            self.session.flush()
            self._event("news", f"{self.jurisdiction.code}|{rec.guid}", rec.title, news=item,
                        occurred_at=rec.published)
            self.report.news["insert"] += 1
        self._write_events()

    def store_result(self, result: ScrapeResult) -> StoreReport:
        self.store_bills(result.bills)
        self.store_hearings(result.hearings)
        self.store_news(result.news)
        self.session.flush()
        return self.report
