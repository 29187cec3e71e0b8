"""What sharing a host costs one collaborative: its queue, members and tag backlog read among many, beside alone.

    .venv/bin/python bench/tenancy.py [--bills 3000] [--collaboratives 1 20 100] [--database postgresql+psycopg://...]

One generated session of bills (shared), then per collaborative: a third of the bills tagged relevant and curated,
150 members. The work: the collaborative's curation queue (`curation.decisions.queue`), its member list and its
tag backlog (`tagging.store.stale_bill_ids`), each through the App's scoped session (`models.scoped_sessions`),
repeated 5 times. Floor: the same work, the same code, unscoped, on a database holding that collaborative alone
(as before tenancy). Target:
<= 1.5x the floor (CPU) however many collaboratives share the host; on PostgreSQL give a scratch database (the
bench empties its tables).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advocacy import db  # noqa: E402
from advocacy.collect.ingest import Store, ensure_jurisdiction  # noqa: E402
from advocacy.curation.decisions import queue  # noqa: E402
from advocacy.models import (  # noqa: E402
    Bill,
    BillRelevance,
    Curation,
    Member,
    TagAssessment,
    collaborative_id,
    scoped_sessions,
)
from advocacy.tagging.store import stale_bill_ids  # noqa: E402
from bench.harness import Row, exit_code, measure, report  # noqa: E402
from bench.ingest import fresh_database, generate  # noqa: E402
from vocabulary.records import ScrapeResult  # noqa: E402

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # the injected clock
MEMBERS = 150
REPEAT = 5


def populate(engine: Engine, bills: int, collaboratives: int) -> int:
    """The shared bills, then `collaboratives` collaboratives' rows; the id of the first, whose work is measured."""
    if engine.dialect.name == "postgresql":  # every collaborative's rows go with it
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE collaborative RESTART IDENTITY CASCADE"))
    first = collaborative_id(engine, "c1")
    with scoped_sessions(engine, first)() as session, session.begin():
        oh = ensure_jurisdiction(session, "OH", "Ohio", "America/New_York")
        Store(session, oh, source="bench", now=NOW).store_result(ScrapeResult(bills=tuple(generate(bills, 4))))
    with scoped_sessions(engine, first)() as session:
        ids = list(session.scalars(select(Bill.id).order_by(Bill.id)))
    for n in range(1, collaboratives + 1):
        rng = random.Random(n)
        owned = sorted(rng.sample(ids, len(ids) // 3))
        with scoped_sessions(engine, collaborative_id(engine, f"c{n}"))() as session, session.begin():
            session.execute(insert(BillRelevance), [
                {"bill_id": b, "relevant": True, "score": 0.8, "tagged_at": NOW} for b in owned])
            session.execute(insert(TagAssessment), [
                {"bill_id": b, "tag": "funding", "label": "School funding", "score": 0.8, "reasons": ["formula"],
                 "assessed_at": NOW} for b in owned])
            session.execute(insert(Curation), [
                {"bill_id": b, "status": "new", "changed_at": NOW, "updated_at": NOW} for b in owned])
            session.execute(insert(Member), [
                {"email": f"m{i}@district{i % 40}.example.org", "name": f"Member {i}", "created_at": NOW}
                for i in range(MEMBERS)])
    return first


def work(engine: Engine, collaborative: int | None) -> tuple[int, int, int]:
    """The measured reads; `collaborative=None` reads unscoped, as a single-collaborative database did."""
    sessions = scoped_sessions(engine, collaborative) if collaborative else db.session_factory(engine)
    for _ in range(REPEAT):
        with sessions() as session:
            items = queue(session, NOW, events_per_bill=0)
            members = session.scalars(select(Member).order_by(Member.name)).all()
            backlog = stale_bill_ids(session)
    return len(items), len(members), len(backlog)


def bench(args: argparse.Namespace, tmp: str, collaboratives: int) -> Row:
    alone = fresh_database(args.database, tmp, f"alone{collaboratives}")
    populate(alone, args.bills, 1)
    expected, floor_cost = measure(lambda: work(alone, None))
    alone.dispose()
    host = fresh_database(args.database, tmp, f"host{collaboratives}")
    mine = populate(host, args.bills, collaboratives)
    got, cost = measure(lambda: work(host, mine))
    name = f"tenancy ({host.dialect.name})"
    host.dispose()
    row = Row(name, f"{collaboratives} collab.", cost, floor_cost, target=1.5,
              note=f"queue/members/backlog {got} (alone {expected})")
    row.met = got == expected  # another collaborative's rows never show
    return report(row)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bills", type=int, default=3000)
    parser.add_argument("--collaboratives", type=int, nargs="+", default=[1, 20, 100])
    parser.add_argument("--database", help="a database URL (default: a fresh SQLite file in a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        warm = argparse.Namespace(**{**vars(args), "bills": 50})
        with contextlib.redirect_stdout(io.StringIO()):  # first use of mappers and statement caches: not measured
            bench(warm, tmp, 2)
        rows = [bench(args, tmp, n) for n in args.collaboratives]
    return exit_code(rows)


if __name__ == "__main__":
    raise SystemExit(main())
