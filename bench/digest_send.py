"""Freeze a digest and send it from the database to the SendGrid stand-in for N members, as `digest send` does.

The whole production path: `create_digest`, one delivery row per member, one rendering per topic selection,
per-member messages with signed links, requests of up to 1,000 personalizations through the official `sendgrid`
client, and every result written back. Members choose among the topics of the sample bills in varied ways.

    .venv/bin/python bench/digest_send.py --members 10000

Targets: under 60 s and under 500 MB peak RSS on one core for 10,000 members. The stand-in server runs in this
process, so its memory and CPU count too. Setting up the members is not timed. The App runs on the tests' fixed
clock, so the sample world's alert deadline and hearing are ahead of it on any day the bench runs.
"""

from __future__ import annotations

import argparse
import itertools
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from advocacy import db  # noqa: E402
from advocacy.app import App  # noqa: E402
from advocacy.config import Secrets, load_config  # noqa: E402
from advocacy.models import Delivery  # noqa: E402
from advocacy.outbound.digest import create_digest, send_digest  # noqa: E402
from digests.channels.email import SendGridBackend  # noqa: E402
from tests.factories import TEST_NOW, FakeClock, build_world, import_members  # noqa: E402
from tests.mailservers import SendGridStandIn  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
KEY = "SG.bench"
TOPICS = ("funding", "choice", "literacy_curriculum", "taxes_levies", "special_ed", "staffing")


def members_csv(count: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    selections = [()] + [c for n in (1, 2, 3) for c in itertools.combinations(TOPICS, n)]
    lines = ["email,name,district,role,topics,alerts"]
    for i in range(count):
        topics = ";".join(rng.choice(selections))
        lines.append(f"reader{i}@district{i % 600}.example.org,Reader {i},District {i % 600},staff,{topics},yes")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary folder")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-digest-send-"))
    try:
        shutil.copy(ROOT / "config.toml", folder / "config.toml")
        with SendGridStandIn(api_key=KEY, keep_payloads=False) as server:
            env = {"ADVOCACY_COLLABORATIVE__BASE_URL": "https://updates.heartland.example.org",
                   "ADVOCACY_EMAIL__BACKEND": "sendgrid", "ADVOCACY_EMAIL__SENDGRID__HOST": server.url}
            config = load_config(folder / "config.toml", env=env)
            app = App(config, secrets=Secrets.from_env({"SENDGRID_API_KEY": KEY}), clock=FakeClock(TEST_NOW),
                      database_url=args.database_url or f"sqlite:///{folder / 'bench.db'}")
            db.upgrade(app.engine)
            setup = time.perf_counter()
            build_world(app, app.now(), "email,name,district\n")
            import_members(app, members_csv(args.members))
            print(f"setup: {args.members} members imported in {time.perf_counter() - setup:.1f} s")

            started = time.perf_counter()
            cpu_started = time.process_time()
            with app.transaction() as session:
                mailing_id = create_digest(session, app.config, app.now()).id
            report = send_digest(app, mailing_id, SendGridBackend(KEY, host=server.url, clock=app.clock))
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            with app.sessions() as session:
                sent_rows = session.scalar(select(func.count(Delivery.id)).where(
                    Delivery.mailing_id == mailing_id, Delivery.status == "sent"))
            app.engine.dispose()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"digest {mailing_id}: {report.sent} sent, {report.failed} failed, {report.skipped} skipped, "
              f"{len(server.requests)} requests, {server.attempts} HTTP attempts; {sent_rows} rows marked sent")
        print(f"time: {elapsed:.1f} s wall, {cpu:.1f} s CPU; peak RSS {peak_mb:.0f} MB")
        ok = elapsed < 60 and peak_mb < 500 and report.failed == 0 and report.sent + report.skipped == args.members
        print("PASS" if ok else "FAIL", "(targets: < 60 s, < 500 MB, every member handled)")
        sys.exit(0 if ok else 1)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
