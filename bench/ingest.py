"""Ingest generated sessions of bills through `advocacy.collect.ingest.Store` beside its floor, per size.

    .venv/bin/python bench/ingest.py [--bills 1000 5000] [--actions 10] [--database postgresql+psycopg://...]

Per size: the first ingest (project) against its floor, SQLAlchemy Core executemany of the same rows (bills with
RETURNING for their ids, then sponsors, actions, versions, documents and one event per bill) into a fresh copy of
the schema; then, project only, an unchanged re-ingest (no event may come of it; its CPU shown against the same
floor) and a
re-ingest where 5% of the bills moved. Targets: first ingest <= 1.5x its floor (CPU); its peak memory stays flat
from 5k to 50k bills (the generated records themselves are made before the measurement and not counted).
On PostgreSQL give a scratch database: the bench empties its tables.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advocacy import db  # noqa: E402
from advocacy.collect.ingest import Store, StoreReport, ensure_jurisdiction  # noqa: E402
from advocacy.models import Action, Bill, ChangeEvent  # noqa: E402
from advocacy.models.base import Base  # noqa: E402
from bench.harness import Row, exit_code, measure, report  # noqa: E402
from vocabulary.records import (  # noqa: E402
    ActionRecord,
    BillRecord,
    DocumentRecord,
    ScrapeResult,
    SponsorRecord,
    VersionRecord,
)

TZ = ZoneInfo("America/New_York")
STEPS = ["Introduced", "Referred to committee: Primary and Secondary Education", "Sponsor testimony",
         "Proponent testimony", "Opponent testimony", "Interested party testimony", "Reported - Substitute",
         "Passed", "Introduced in the Senate", "Referred to committee: Senate Education", "Reported", "Concurred"]
TOPICS = ["school funding formula", "pupil transportation", "educator licensure", "property tax levies",
          "school safety plans", "special education services", "community schools", "reading instruction"]


def generate(bills: int, actions: int, seed: int = 136) -> list[BillRecord]:
    rng = random.Random(seed)
    start = datetime(2025, 1, 13, 9, 0, tzinfo=TZ)
    records = []
    for n in range(1, bills + 1):
        chamber = "House" if n % 2 else "Senate"
        prefix = "HB" if n % 2 else "SB"
        day = start + timedelta(days=rng.randrange(0, 200))
        acts = []
        for i in range(actions):
            day += timedelta(days=rng.randrange(0, 9), hours=rng.choice((0, 0, 0, 10)))
            acts.append(ActionRecord(day, STEPS[i % len(STEPS)], chamber=chamber, order=0))
        topic = rng.choice(TOPICS)
        records.append(BillRecord(
            jurisdiction="OH", session="136", identifier=f"{prefix} {n}",
            title=f"Regards {topic} (generated bill {n})",
            synopsis=f"To amend sections of the Revised Code regarding {topic} and to make an appropriation.",
            status="As Introduced", url=f"https://legislature.example.org/legislation/136/{prefix.lower()}{n}",
            source_id=f"136/{prefix.lower()}{n}", committee="Primary and Secondary Education",
            subjects=("Education", topic.title()),
            sponsors=(SponsorRecord(f"Representative Sample {n}"), SponsorRecord(f"Senator Example {n}", False)),
            actions=tuple(acts),
            versions=(VersionRecord("As Introduced", code="00_IN", when=acts[0].when),),
            documents=(DocumentRecord("analysis", "Bill Analysis: As Introduced",
                                      f"https://legislature.example.org/download?key={n}"),),
        ))
    return records


def moved(records: list[BillRecord], share: float) -> list[BillRecord]:
    """A few bills got one more action and a new version, as on a busy session day."""
    step = max(1, int(1 / share))
    out = []
    for i, rec in enumerate(records):
        if i % step == 0:
            last = rec.actions[-1].when + timedelta(days=1)
            rec = BillRecord(**{**rec.__dict__,
                                "status": "As Reported by House Committee",
                                "actions": (*rec.actions, ActionRecord(last, "Reported - Amended")),
                                "versions": (*rec.versions, VersionRecord("As Reported", code="01_RH"))})
        out.append(rec)
    return out


def fresh_database(url: str | None, tmp: str, name: str) -> Engine:
    engine = db.make_engine(url or f"sqlite:///{tmp}/{name}.db")
    db.upgrade(engine)
    if engine.dialect.name == "postgresql":  # a database of its own is best; at least start from no bills
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE change_event, action, sponsor, bill_version, document, bill, "
                              "legislative_session, jurisdiction RESTART IDENTITY CASCADE"))
    return engine


def ingest(factory: sessionmaker[Session], records: list[BillRecord], now: datetime) -> StoreReport:
    with db.transaction(factory) as session:
        jurisdiction = ensure_jurisdiction(session, "OH", "Ohio", "America/New_York")
        return Store(session, jurisdiction, source="bench", now=now).store_result(ScrapeResult(bills=tuple(records)))


def floor_bill(session_id: int, r: BillRecord, now: datetime) -> dict[str, object]:
    return {"session_id": session_id, "identifier": r.identifier, "title": r.title, "synopsis": r.synopsis,
            "status": r.status, "url": r.url, "source": "bench", "source_id": r.source_id, "committee": r.committee,
            "subjects": list(r.subjects), "analysis_text": r.analysis_text,
            "content_hash": hashlib.sha256(repr(r).encode()).hexdigest(),
            "first_seen": now, "updated_at": now}


def floor_rows(bill_id: int, rec: BillRecord) -> dict[str, list[dict[str, object]]]:
    """The child rows of one bill, built the plainest way (keys are hashes of position, no rules applied)."""
    key = f"OH|{rec.session}|{rec.identifier}"
    return {
        "sponsor": [{"bill_id": bill_id, "name": s.name, "primary": s.primary, "party": s.party,
                     "district": s.district, "chamber": s.chamber, "position": i} for i, s in enumerate(rec.sponsors)],
        "action": [{"bill_id": bill_id, "key": hashlib.sha256(f"{key}|{i}".encode()).hexdigest(), "when": a.when,
                    "order": a.order, "chamber": a.chamber, "description": a.description, "committee": a.committee,
                    "classification": []} for i, a in enumerate(rec.actions)],
        "bill_version": [{"bill_id": bill_id, "key": v.code or v.name, "name": v.name, "code": v.code,
                          "when": v.when, "url": v.url, "html_url": v.html_url} for v in rec.versions],
        "document": [{"bill_id": bill_id, "kind": d.kind, "title": d.title, "url": d.url, "when": d.when}
                     for d in rec.documents],
    }


def floor(engine: Engine, records: list[BillRecord], now: datetime, chunk: int = 1000) -> int:
    """The same rows with SQLAlchemy Core executemany, a chunk at a time, in one transaction."""
    tables = Base.metadata.tables
    with engine.begin() as conn:
        jid = conn.execute(insert(tables["jurisdiction"]).returning(tables["jurisdiction"].c.id),
                           {"code": "OH", "name": "Ohio", "timezone": "America/New_York"}).scalar_one()
        sid = conn.execute(insert(tables["legislative_session"]).returning(tables["legislative_session"].c.id),
                           {"jurisdiction_id": jid, "identifier": "136"}).scalar_one()
        for start in range(0, len(records), chunk):
            part = records[start:start + chunk]
            ids = conn.execute(insert(tables["bill"]).returning(tables["bill"].c.id, sort_by_parameter_order=True),
                               [floor_bill(sid, r, now) for r in part]).scalars().all()
            rows: dict[str, list[dict[str, object]]] = {"sponsor": [], "action": [], "bill_version": [],
                                                        "document": []}
            for bill_id, rec in zip(ids, part, strict=True):
                for table, found in floor_rows(bill_id, rec).items():
                    rows[table] += found
            rows["change_event"] = [
                {"key": hashlib.sha256(f"new_bill|{r.identifier}".encode()).hexdigest(), "kind": "new_bill",
                 "jurisdiction_id": jid, "bill_id": bill_id, "hearing_id": None, "news_id": None,
                 "summary": f"New bill {r.identifier}: {r.title}", "occurred_at": r.actions[0].when,
                 "detected_at": now, "run_id": None} for bill_id, r in zip(ids, part, strict=True)]
            for table, found in rows.items():
                conn.execute(insert(tables[table]), found)
    return len(records)


def bench_size(args: argparse.Namespace, tmp: str, bills: int) -> list[Row]:
    records = generate(bills, args.actions)
    now = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # the injected clock: every run stores the same instants
    floor_engine = fresh_database(args.database, tmp, f"floor{bills}")
    _, floor_cost = measure(lambda: floor(floor_engine, records, now))
    floor_engine.dispose()
    engine = fresh_database(args.database, tmp, f"project{bills}")
    factory = db.session_factory(engine)
    size = f"{bills} bills"
    first, cost = measure(lambda: ingest(factory, records, now))
    rows = [report(Row(f"ingest first ({engine.dialect.name})", size, cost, floor_cost, target=1.5,
                       note=f"{dict(first.bills)}, {len(first.events)} events"))]
    again, cost = measure(lambda: ingest(factory, records, now + timedelta(hours=1)))
    rows.append(report(Row(f"ingest unchanged ({engine.dialect.name})", size, cost, floor_cost,
                           note=f"{dict(again.bills)}, {len(again.events)} events (0 expected)")))
    rows[-1].extra["events"] = len(again.events)
    busy = moved(records, 0.05)
    later, cost = measure(lambda: ingest(factory, busy, now + timedelta(hours=2)))
    rows.append(report(Row(f"ingest 5% moved ({engine.dialect.name})", size, cost, None,
                           note=f"{dict(later.bills)}, {len(later.events)} events")))
    with factory() as session:
        counts = {model.__name__: session.scalar(select(func.count()).select_from(model))
                  for model in (Bill, Action, ChangeEvent)}
    print(f"  rows after {bills} bills: {counts}", flush=True)
    engine.dispose()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bills", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--actions", type=int, default=10)
    parser.add_argument("--database", help="a database URL (default: a fresh SQLite file in a temporary folder)")
    args = parser.parse_args()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        warm = argparse.Namespace(**{**vars(args), "bills": [50]})
        with contextlib.redirect_stdout(io.StringIO()):  # first use of mappers and statement caches: not measured
            bench_size(warm, tmp, 50)
        for bills in args.bills:
            rows += bench_size(args, tmp, bills)
    failed = any(r.extra.get("events") for r in rows)
    return 1 if failed else exit_code(rows)


if __name__ == "__main__":
    raise SystemExit(main())
