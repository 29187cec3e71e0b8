"""One digest sent to N members by 1, 2 and 4 worker processes sharing it on PostgreSQL (`digest send` plus
`digest send --join`), against the SendGrid stand-in; prints the wall time per worker count and the copies per
member counted at the stand-in (duplicates and missing must be 0).

    .venv/bin/python bench/send_workers.py [--members 50000] [--workers 1 2 4] [--latency 0.0]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--schema bench_send_workers]

Each worker count gets a fresh schema with the same members. Worker 1 prepares the send (delivery rows, under
the lease) and sends; the others join once it is sending. The wall time runs from the moment every worker is
ready (interpreter started, modules imported: a deployed worker is already running) to the last one's exit, so
it includes preparing. `--latency` makes each stand-in request take that long to answer, as a real provider's
round trip does (SendGrid's v3 mail/send answers a request of a few hundred personalizations in a few hundred
ms); with 0 the bench measures CPU only, and 2 cores cannot make 4 workers 2.5x faster. The floor is one worker:
the ratio is N workers' wall time over one's (target for 4 workers: 0.4, i.e. 2.5x faster).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, select, text  # noqa: E402

from advocacy import db  # noqa: E402
from advocacy.app import App  # noqa: E402
from advocacy.config import Secrets, load_config  # noqa: E402
from advocacy.models import Mailing  # noqa: E402
from advocacy.outbound.digest import create_digest, join_digest, send_digest  # noqa: E402
from bench.digest_send import KEY, add_members  # noqa: E402
from bench.harness import ROOT, Measure, Row, report, scratch  # noqa: E402
from digests.channels.email import SendGridBackend  # noqa: E402
from tests.factories import TEST_NOW, FakeClock, build_world  # noqa: E402
from tests.mailservers import SendGridStandIn  # noqa: E402


def make_app(folder: Path, url: str, host: str) -> App:
    env = {"ADVOCACY_COLLABORATIVE__BASE_URL": "https://updates.heartland.example.org",
           "ADVOCACY_EMAIL__BACKEND": "sendgrid", "ADVOCACY_EMAIL__SENDGRID__HOST": host}
    config = load_config(folder / "config.toml", env=env)
    return App(config, secrets=Secrets.from_env({"SENDGRID_API_KEY": KEY}), clock=FakeClock(TEST_NOW),
               database_url=url)


def worker(folder: Path, url: str, host: str, mailing_id: int, join: bool) -> None:
    """One worker process: the first sends (preparing first), the others join once it is sending."""
    app = make_app(folder, url, host)
    backend = SendGridBackend(KEY, host=host, clock=app.clock)
    (folder / f"ready-{os.getpid()}").touch()
    while not (folder / "go").exists():
        time.sleep(0.01)
    start = time.perf_counter()
    if join:
        while True:
            with app.sessions() as session:
                if session.scalar(select(Mailing.status).where(Mailing.id == mailing_id)) != "draft":
                    break
            time.sleep(0.05)
    began = time.perf_counter()
    sent = (join_digest if join else send_digest)(app, mailing_id, backend)
    print(f"  {'joiner' if join else 'sender'} {os.getpid()}: {sent.sent} sent in {sent.requests} requests, "
          f"waited {began - start:.1f} s, worked {time.perf_counter() - began:.1f} s, "
          f"CPU {time.process_time():.1f} s", flush=True)


def run(folder: Path, args: argparse.Namespace, workers: int) -> tuple[float, int, int, int]:
    """(wall seconds, members sent, duplicates, missing) for one worker count."""
    url = scratch(args.database_url, args.schema)
    with SendGridStandIn(api_key=KEY, keep_payloads=False) as server:
        server.latency = args.latency
        app = make_app(folder, url, server.url)
        db.upgrade(app.engine)
        build_world(app, app.now(), "email,name,district\n")
        add_members(app, args.members)
        with app.transaction() as session:
            mailing_id = create_digest(session, app.config, app.now()).id
        app.engine.dispose()
        command = [sys.executable, __file__, "--worker", str(folder), url, server.url, str(mailing_id)]
        for signal in [*folder.glob("ready-*"), folder / "go"]:
            signal.unlink(missing_ok=True)
        processes = [subprocess.Popen(command + (["--join"] if n else []), cwd=ROOT) for n in range(workers)]
        while len(list(folder.glob("ready-*"))) < workers and all(p.poll() is None for p in processes):
            time.sleep(0.01)
        start = time.perf_counter()
        (folder / "go").touch()
        codes = [p.wait() for p in processes]
        wall = time.perf_counter() - start
        copies = Counter(server.recipients)
    assert codes == [0] * workers, codes
    expected = _expected(url, mailing_id)
    return wall, sum(copies.values()), sum(c - 1 for c in copies.values()), len(expected - set(copies))


def _expected(url: str, mailing_id: int) -> set[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        emails = set(conn.execute(text("SELECT m.email FROM delivery d JOIN member m ON m.id = d.member_id "
                                       "WHERE d.mailing_id = :m AND d.status <> 'skipped'"), {"m": mailing_id}).scalars())
    engine.dispose()
    return emails


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--schema", default="bench_send_workers")
    parser.add_argument("--worker", nargs=4, metavar=("FOLDER", "URL", "HOST", "MAILING"), help=argparse.SUPPRESS)
    parser.add_argument("--join", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        folder, url, host, mailing = args.worker
        worker(Path(folder), url, host, int(mailing), args.join)
        return 0
    folder = Path(tempfile.mkdtemp(prefix="bench-send-workers-"))
    ok = True
    try:
        shutil.copy(ROOT / "config.toml", folder / "config.toml")
        one = None
        for workers in args.workers:
            wall, sent, duplicates, missing = run(folder, args, workers)
            one = one or wall
            row = Row("send workers", f"{args.members} x{workers}", Measure(wall, wall, 0.0),
                      Measure(one, one, 0.0), target=0.4 if workers == 4 else None, note=f"speed-up {one / wall:.2f}x over 1 worker; {sent} copies, "
                      f"{duplicates} duplicates, {missing} missing; the stand-in answers each request after "
                      f"{args.latency:g} s (a provider's round trip)",
                      met=duplicates == 0 and missing == 0)
            ok = report(row).ok and ok
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
