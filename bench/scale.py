"""A generated host worked by 1, 2 and 4 `advocacy worker` processes on the task queue (PostgreSQL, procrastinate):
the time of one scrape-tag-send cycle, the tasks run per second, and the copies per member counted at the SendGrid
stand-in (duplicates and missing must be 0).

    .venv/bin/python bench/scale.py [--jurisdictions 10] [--bills 200] [--collaboratives 4] [--members 2000]
        [--follow 1] [--workers 1 2 4] [--latency 0.2]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--schema bench_scale]

The issue's full size: `--jurisdictions 50 --collaboratives 200 --members 20000` (each collaborative but the host
file's own following one state, `--follow 1`; the host file's own follows all 50).

The host: `--jurisdictions` states, each with an Open States source answering `--bills` bills (20 a page) from a
local stand-in, and `--collaboratives` collaboratives (the host file's own and one file each, `[host]
collaboratives`) sharing `--members` members between them, each its own. Each worker count gets a fresh schema and
real `advocacy worker` processes, each serving the whole host. The cycle, as the workers' tick would defer it:
every source's scrape job at once (scrape once for the host and tag for the host file's own collaborative, then
one `advocacy.tag` task for each other collaborative following that state), then, once all are done and tagged, every collaborative's digest job (`digest`,
`c002/digest`...), whose sends the other workers join (`advocacy.send` tasks). Timed from the first deferral to the
last digest's last member. `--latency` makes every answer of both stand-ins take that long, as a remote server's
round trip does. Wall time only (the work is in the worker processes); the floor is one worker: the ratio is N
workers' cycle over one's, and each count above one must be faster than one worker.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import procrastinate  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402

from advocacy import db  # noqa: E402
from advocacy.app import App  # noqa: E402
from advocacy.config import Secrets, load_host  # noqa: E402
from advocacy.models import JobRun, Member  # noqa: E402
from advocacy.runtime.queue import TAG, conninfo, ensure_schema, host_jobs, job_task_name  # noqa: E402
from bench.digest_send import KEY  # noqa: E402
from bench.harness import ROOT, Measure, Row, report  # noqa: E402
from bench.send_workers import scratch  # noqa: E402
from tests.factories import TEST_NOW, FakeClock  # noqa: E402
from tests.mailservers import SendGridStandIn  # noqa: E402

STATES = ["OH", "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY"]
PER_PAGE = 20
OPENSTATES_KEY = "os-bench-key"
NEVER = "0 0 1 1 *"  # the sources' cron: the workers' own ticks never defer a scrape while the bench runs
TITLES = ("An Act relative to the foundation budget for school districts", "An Act concerning teacher licensure",
          "An Act relative to school transportation", "An Act concerning highway signage",
          "An Act relative to special education funding in public schools", "An Act concerning fishing licenses")


def bill(code: str, n: int) -> dict[str, Any]:
    chamber = ("House", "lower", "HB") if n % 2 else ("Senate", "upper", "SB")
    org = {"id": f"ocd-organization/{code}-{chamber[1]}", "name": chamber[0], "classification": chamber[1]}
    day = f"2026-{1 + n % 11:02d}-{1 + n % 27:02d}"
    return {
        "id": f"ocd-bill/{code}-{n}", "session": "2026",
        "jurisdiction": {"id": f"ocd-jurisdiction/country:us/state:{code.lower()}/government", "name": code,
                         "classification": "state"},
        "from_organization": org, "identifier": f"{chamber[2]} {n}", "title": TITLES[n % len(TITLES)],
        "classification": ["bill"], "subject": ["Education"], "extras": {},
        "created_at": f"{day}T08:00:00Z", "updated_at": f"{day}T09:00:{n % 60:02d}Z",
        "openstates_url": f"https://openstates.org/{code.lower()}/bills/2026/{chamber[2]}{n}/",
        "first_action_date": day, "latest_action_date": day, "latest_action_description": "Referred to Education",
        "latest_passage_date": None,
        "actions": [{"id": f"a{code}{n}", "organization": org, "description": "Referred to the committee on Education",
                     "date": day, "classification": ["referral-committee"], "order": 0}],
        "sponsorships": [{"id": f"s{code}{n}", "name": f"Member {n % 40}", "entity_type": "person",
                          "organization": None, "person": None, "primary": True, "classification": "primary"}],
        "versions": [],
    }


class OpenStatesStandIn:
    """`GET /bills?jurisdiction=XX&page=N`: `bills` generated bills per jurisdiction, 20 a page."""

    def __init__(self, bills: int, latency: float) -> None:
        stand_in = self
        self.bills, self.latency, self.requests = bills, latency, 0

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
                query = parse_qs(urlparse(self.path).query)
                code, page = query["jurisdiction"][0].upper(), int(query.get("page", ["1"])[0])
                time.sleep(stand_in.latency)
                stand_in.requests += 1
                numbers = range((page - 1) * PER_PAGE + 1, min(page * PER_PAGE, stand_in.bills) + 1)
                body = json.dumps({"results": [bill(code, n) for n in numbers], "pagination": {
                    "per_page": PER_PAGE, "page": page, "max_page": -(-stand_in.bills // PER_PAGE),
                    "total_items": stand_in.bills}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> OpenStatesStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def slug(k: int) -> str:
    return f"c{k:03d}"


def followed(k: int, jurisdictions: int, follow: int) -> list[str]:
    """The codes collaborative `k` follows: `follow` of the host's `jurisdictions`, round the states in turn (0:
    every one, as the host file's own does)."""
    if follow == 0:
        return []
    return [STATES[(k - 2 + n) % jurisdictions] for n in range(min(follow, jurisdictions))]


def collaborative_file(folder: Path, k: int, follows: list[str]) -> str:
    """The file of the host's collaborative number `k` (from 2: the host file's own is the first)."""
    (folder / f"{slug(k)}.toml").write_text(
        f'[collaborative]\nslug = "{slug(k)}"\nname = "Collaborative {k}"\ntimezone = "America/New_York"\n'
        f'postal_address = "{k} Main Street, Columbus, OH 43215"\ncontact_email = "advocate@{slug(k)}.example.org"\n'
        f'base_url = "https://{slug(k)}.example.org"\njurisdictions = {json.dumps(follows)}\n')
    return f"{slug(k)}.toml"


def host_config(folder: Path, jurisdictions: int, openstates: str, collaboratives: int = 1, follow: int = 0
                ) -> Path:
    """config.toml with its jurisdictions replaced by the generated ones, on the queue, with `collaborative`
    collaboratives (its own, following every jurisdiction, and one file each, following `follow`)."""
    base = (ROOT / "config.toml").read_text()
    head, tail = base[:base.index("[[jurisdictions]]")], base[base.index("[tagging]"):]
    blocks = [f'[[jurisdictions]]\ncode = "{code}"\nname = "{code}"\ntimezone = "America/New_York"\n'
              f'sessions = ["2026"]\n\n[[jurisdictions.sources]]\nname = "{code.lower()}-openstates"\n'
              f'kind = "openstates"\nschedule = "{NEVER}"\n[jurisdictions.sources.options]\n'
              f'base_url = "{openstates}"\njurisdiction = "{code}"\n' for code in STATES[:jurisdictions]]
    path = folder / "config.toml"
    files = [collaborative_file(folder, k, followed(k, jurisdictions, follow)) for k in range(2, collaboratives + 1)]
    path.write_text(head + "\n".join(blocks) + "\n" + tail + '\n[queue]\nbackend = "procrastinate"\n'
                    + f"\n[host]\ncollaboratives = {json.dumps(files)}\n")
    return path


def add_members(apps: list[App], count: int) -> None:
    """`count` members in bulk, shared out between the collaboratives; every address is its collaborative's own."""
    for k, app in enumerate(apps, start=1):
        with app.transaction() as session:
            session.execute(insert(Member), [
                {"email": f"reader{i}.{slug(k)}@district{i % 600}.example.org", "name": f"Reader {i}",
                 "role": "staff", "alerts": True, "paused": False, "created_at": app.now()}
                for i in range(k - 1, count, len(apps))])


def environment(config: Path, url: str, sendgrid: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "ADVOCACY_CONFIG": str(config), "ADVOCACY_DATABASE__URL": url,
            "ADVOCACY_EMAIL__BACKEND": "sendgrid", "ADVOCACY_EMAIL__SENDGRID__HOST": sendgrid,
            "ADVOCACY_COLLABORATIVE__BASE_URL": "https://updates.heartland.example.org",
            "ADVOCACY_HTTP__MIN_INTERVAL": "0", "ADVOCACY_SCHEDULE__SKIP_EMPTY_DIGEST": "false",
            "ADVOCACY_SCHEDULE__DIGEST_FIRST": "2020-01-07T07:00:00", "ADVOCACY_SCHEDULE__MISFIRE_GRACE_MINUTES": "1",
            "SENDGRID_API_KEY": KEY, "OPENSTATES_API_KEY": OPENSTATES_KEY, "ADVOCACY_SIGNING_KEY": "bench-signing",
            "ADVOCACY_SESSION_SECRET": "bench-session"}


def wait_for(check: Callable[[], bool], what: str, timeout: float, workers: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            raise RuntimeError(f"{what}: not reached (workers' exit codes {[w.poll() for w in workers]})")
        time.sleep(0.1)


def finished_runs(app: App, jobs: str) -> int:
    """Runs finished of the jobs whose id is like `jobs` (SQL LIKE)."""
    with app.sessions() as session:
        return session.scalar(select(func.count(JobRun.id)).where(
            JobRun.status.in_(("ok", "failed")), JobRun.job.like(jobs))) or 0


def tagging_left(app: App) -> int:
    """`advocacy.tag` tasks waiting or running."""
    with app.engine.connect() as conn:
        return int(conn.scalar(text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = :task AND status "
                                    "IN ('todo', 'doing')"), {"task": TAG}) or 0)


def cycle(apps: list[App], queue: procrastinate.App, env: dict[str, str], workers: int, logs: Path
          ) -> tuple[float, float, int]:
    """(cycle seconds, scrape-and-tag seconds, tasks run) with `workers` worker processes."""
    app = apps[0]
    digests = [spec.id for _one, specs in host_jobs(app, apps[1:]) for spec in specs if spec.steps == ("digest",)]
    command = [sys.executable, "-c", "from advocacy.cli import main; main()", "worker"]
    processes = [subprocess.Popen(command, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=(logs / f"worker{n}.log").open("w")) for n in range(workers)]
    try:
        with app.engine.connect() as conn:
            wait_for(lambda: conn.scalar(text("SELECT count(*) FROM procrastinate_workers")) == workers,
                     "workers registered", 600, processes)
        sources = [source.name for _, source in app.config.sources()]
        slot = TEST_NOW.isoformat()
        start = time.perf_counter()
        with queue.open():
            for name in sources:
                lock = f"job:scrape:{name}"
                queue.configure_task(job_task_name(f"scrape:{name}"), lock=lock, queueing_lock=lock).defer(slot=slot)
            wait_for(lambda: finished_runs(app, "scrape:%") == len(sources), "every scrape job", 3600, processes)
            wait_for(lambda: tagging_left(app) == 0, "every collaborative's tagging", 3600, processes)
            scraped = time.perf_counter() - start
            for job in digests:
                queue.configure_task(job_task_name(job), lock=f"job:{job}", queueing_lock=f"job:{job}").defer(slot=slot)
            wait_for(lambda: finished_runs(app, "%digest") == len(digests), "every digest job", 3600, processes)
        wall = time.perf_counter() - start
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        codes = [process.wait(timeout=120) for process in processes]
    assert codes == [0] * workers, codes
    with app.engine.connect() as conn:
        tasks = conn.scalar(text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'succeeded' "
                                 "AND task_name <> 'advocacy.tick'")) or 0
    return wall, scraped, int(tasks)


def run(folder: Path, args: argparse.Namespace, workers: int) -> tuple[float, float, int, str, int, int, int]:
    """(cycle s, scrape s, tasks, job outcome, duplicates, missing, failed runs) for one worker count, on a fresh
    schema."""
    url = scratch(args.database_url, args.schema)
    with OpenStatesStandIn(args.bills, args.latency) as openstates, \
            SendGridStandIn(api_key=KEY, keep_payloads=False) as sendgrid:
        sendgrid.latency = args.latency
        env = environment(host_config(folder, args.jurisdictions, openstates.url, args.collaboratives, args.follow),
                          url, sendgrid.url)
        home, *others = load_host(Path(env["ADVOCACY_CONFIG"]), env={k: v for k, v in env.items()
                                                                     if k.startswith("ADVOCACY_")})
        app = App(home, secrets=Secrets.from_env({}), clock=FakeClock(TEST_NOW), database_url=url)
        apps = [app, *(app.beside(config) for config in others)]
        db.upgrade(app.engine)
        ensure_schema(app)
        add_members(apps, args.members)
        queue = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(app)))
        wall, scraped, tasks = cycle(apps, queue, env, workers, folder)
        copies = Counter(sendgrid.recipients)
        with app.engine.connect() as conn:  # every collaborative's rows: plain SQL, no collaborative's session
            expected = set(conn.scalars(text(
                "SELECT m.email FROM delivery d JOIN member m ON m.id = d.member_id WHERE d.status <> 'skipped'")))
            sent = conn.scalar(text("SELECT count(*) FROM delivery WHERE status = 'sent'"))
            mailings = dict(conn.execute(text("SELECT status, count(*) FROM mailing WHERE kind = 'digest' "
                                              "GROUP BY status")).all())
        with app.sessions() as session:
            outcomes = Counter(session.scalars(select(JobRun.status)))
            failed = [f"{r.job}: {json.loads(r.detail or '{}').get('error', '?')[:300]}"
                      for r in session.scalars(select(JobRun).where(JobRun.status == "failed"))]
        app.engine.dispose()
    outcome = (f"runs {dict(outcomes)}, digests {mailings}, {sent} delivered; {openstates.requests} Open States "
               f"pages")
    for line in failed:
        print(f"  failed run {line}", file=sys.stderr)
    return (wall, scraped, tasks, outcome, sum(c - 1 for c in copies.values()), len(expected - set(copies)),
            len(failed))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jurisdictions", type=int, default=10, choices=range(1, len(STATES) + 1),
                        metavar=f"1..{len(STATES)}")
    parser.add_argument("--bills", type=int, default=200, help="bills per jurisdiction")
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--collaboratives", type=int, default=4, help="collaboratives on the host")
    parser.add_argument("--follow", type=int, default=1,
                        help="jurisdictions each collaborative but the host file's own follows (0: all)")
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--schema", default="bench_scale")
    args = parser.parse_args()
    if not 1 <= args.collaboratives <= 999:
        parser.error("--collaboratives: 1 to 999")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", args.schema):
        parser.error("--schema: lower-case letters, digits and underscores")
    folder = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    ok, one = True, None
    try:
        for workers in args.workers:
            wall, scraped, tasks, outcome, duplicates, missing, failed = run(folder, args, workers)
            one = one or wall
            size = (f"{args.jurisdictions}x{args.bills} {args.collaboratives}c follow {args.follow or 'all'} "
                    f"{args.members}m x{workers}")
            row = Row("scale cycle", size, Measure(wall, wall, 0.0), Measure(one, one, 0.0),
                      note=f"speed-up {one / wall:.2f}x over 1 worker; scrape+tag {scraped:.1f} s, send "
                           f"{wall - scraped:.1f} s; {tasks} tasks, {tasks / wall:.2f} tasks/s; {duplicates} "
                           f"duplicates, {missing} missing; {outcome}; latency {args.latency:g}s",
                      met=duplicates == missing == failed == 0 and (workers == args.workers[0] or wall < one))
            ok = report(row).ok and ok
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
