"""Ingest a generated session of bills through `advocacy.collect.ingest.Store`: first ingest, unchanged re-ingest, and a
re-ingest where a few bills moved.

    .venv/bin/python bench/ingest.py --bills 5000 --actions 10 [--database postgresql+psycopg://...]

Targets on one core: first ingest of 5,000 bills with 10 actions each under 30 s, unchanged re-ingest under 3 s.
Peak memory is the process's peak resident set size after each phase (it only grows).
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advocacy import db  # noqa: E402
from advocacy.collect.ingest import Store, StoreReport, ensure_jurisdiction  # noqa: E402
from advocacy.models import Action, Bill, ChangeEvent  # noqa: E402
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


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ingest(factory, records: list[BillRecord], now: datetime) -> tuple[StoreReport, float]:  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    with db.transaction(factory) as session:
        jurisdiction = ensure_jurisdiction(session, "OH", "Ohio", "America/New_York")
        report = Store(session, jurisdiction, source="bench", now=now).store_result(ScrapeResult(bills=tuple(records)))
    return report, time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bills", type=int, default=5000)
    parser.add_argument("--actions", type=int, default=10)
    parser.add_argument("--database", help="a database URL (default: a fresh SQLite file in a temporary folder)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{tmp}/bench.db"
        engine = db.make_engine(url)
        db.upgrade(engine)
        if engine.dialect.name == "postgresql":  # a database of its own is best; at least start from no bills
            with engine.begin() as conn:
                conn.execute(text("TRUNCATE change_event, action, sponsor, bill_version, document, bill, "
                                  "legislative_session, jurisdiction RESTART IDENTITY CASCADE"))
        factory = db.session_factory(engine)
        now = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)

        began = time.perf_counter()
        records = generate(args.bills, args.actions)
        print(f"generated {len(records)} bills x {args.actions} actions in {time.perf_counter() - began:.1f} s "
              f"({engine.dialect.name})")

        failed = False
        for label, batch, target, expect_events in (
            ("first ingest", records, 30.0, None),
            ("unchanged re-ingest", records, 3.0, 0),
            ("re-ingest, 5% of bills moved", moved(records, 0.05), None, None),
        ):
            report, seconds = ingest(factory, batch, now)
            now += timedelta(hours=1)
            verdict = ""
            if target is not None:
                verdict = f" (target < {target:.0f} s: {'ok' if seconds < target else 'MISSED'})"
                failed |= seconds >= target
            if expect_events is not None and len(report.events) != expect_events:
                print(f"  expected {expect_events} events, got {len(report.events)}")
                failed = True
            print(f"{label}: {seconds:.2f} s, {len(batch) / seconds:,.0f} bills/s, {dict(report.bills)}, "
                  f"{len(report.events)} events, peak RSS {peak_mb():.0f} MB{verdict}")

        with factory() as session:
            counts = {model.__name__: session.scalar(select(func.count()).select_from(model))
                      for model in (Bill, Action, ChangeEvent)}
        print(f"rows: {counts}")
        engine.dispose()
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
