"""Load on the SendGrid Inbound Parse webhook: a real uvicorn server pinned to one core, real multipart posts.

    .venv/bin/python bench/webhook_load.py [--posts 400] [--rate 50] [--seconds 8]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test [--schema bench_webhook]]

Project: `advocacy.web.app.create_app` (the webhook stores the raw message, answers, then parses and attributes
it on its parser thread once no post is being stored) on SQLite (default) or the PostgreSQL given, with a sent
digest and members so replies are attributed as in production. Floor: the simplest server doing the same storing
(a Starlette endpoint that reads the body, inserts it into one table of the same database and commits, then
answers), run the same way. Per server: CPU per post (the server process's own CPU, background parsing included),
acknowledged posts/s when posted as fast as 4 client threads can (after a warm-up of 20 posts), and the p99
latency when posted at `--rate` per second. Every message must be stored exactly once. Targets: >= 300 posts/s,
p99 < 100 ms at 50 posts/s (the issue's targets; the CPU ratio is shown for information).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import uvicorn  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import JSONResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

from advocacy import db  # noqa: E402
from advocacy.app import App  # noqa: E402
from advocacy.config import Secrets, load_config  # noqa: E402
from advocacy.inbound import webhook  # noqa: E402
from advocacy.web.app import create_app  # noqa: E402
from bench.harness import ROOT, Measure, Row, exit_code, measure, report, scratch  # noqa: E402
from tests.factories import TEST_NOW, FakeClock  # noqa: E402
from tests.inbound import add_members, calendar_bill, literacy_bill, reply, sent_digest, store_bills  # noqa: E402

AUTH = ("sendgrid", "bench-password")
WARM_UP = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def floor_table(folder: Path, url: str | None, table: str) -> tuple[Any, str]:
    """(DB-API connection, INSERT statement) of the floor's one table, as durable as the project's database."""
    if url:
        conn: Any = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (id SERIAL PRIMARY KEY, raw BYTEA)")
        conn.commit()
        return conn, f"INSERT INTO {table} (raw) VALUES (%s) RETURNING id"
    conn = sqlite3.connect(folder / f"{table}.db", check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")  # as durable as the project's SQLite (advocacy.db): WAL, NORMAL
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (id INTEGER PRIMARY KEY, raw BLOB)")
    return conn, f"INSERT INTO {table} (raw) VALUES (?) RETURNING id"


def floor_app(folder: Path, url: str | None) -> Starlette:
    conn, insert = floor_table(folder, url, "floor_inbound")

    async def store(request: Request) -> JSONResponse:
        found = conn.execute(insert, (await request.body(),)).fetchone()
        conn.commit()
        return JSONResponse({"id": found[0]})

    return Starlette(routes=[Route("/inbound/sendgrid", store, methods=["POST"])])


def project_app(folder: Path, url: str | None) -> App:
    env = {"ADVOCACY_WEBHOOK_USER": AUTH[0], "ADVOCACY_WEBHOOK_PASSWORD": AUTH[1], "ADVOCACY_SIGNING_KEY": "bench"}
    return App(load_config(folder / "config.toml"), secrets=Secrets.from_env(env), clock=FakeClock(TEST_NOW),
               database_url=url or f"sqlite:///{folder / 'project.db'}")


def setup(folder: Path, url: str | None, posts: int) -> list[bytes]:
    """A migrated database with members and a sent digest; the replies to post (every one distinct)."""
    shutil.copy(ROOT / "config.toml", folder / "config.toml")
    app = project_app(folder, url)
    db.upgrade(app.engine)
    with app.transaction() as session:
        members = add_members(session)
        bills = store_bills(session, app.now(), literacy_bill(), calendar_bill())
        mailing_id = sent_digest(session, app.now(), list(bills.values())).id
    senders = sorted(members)
    bodies = []
    for i in range(posts):
        raw = reply(app, mailing_id, sender=senders[i % len(senders)], text=f"Question {i}: is HB 58 funded in FY27?")
        form = {"email": raw, "SPF": b"pass", "dkim": b"{@example.org : pass}", "spam_score": b"0.1",
                "envelope": json.dumps({"to": ["questions@reply.example.org"], "from": senders[0]}).encode()}
        request = httpx.Request("POST", "http://x/", files={k: (None, v) for k, v in form.items()})
        bodies.append((request.headers["content-type"].encode(), request.read()))  # type: ignore[arg-type]
    app.engine.dispose()
    return bodies  # type: ignore[return-value]


def serve(kind: str, folder: Path, url: str | None, port: int) -> None:
    """The server process (this script run with --serve), pinned to one core."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    web = floor_app(folder, url) if kind == "floor" else create_app(project_app(folder, url))
    uvicorn.run(web, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(kind: str, folder: Path, url: str | None) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--serve", kind, "--folder", str(folder), "--port", str(port),
                             *(["--database-url", url] if url else [])], env={**os.environ, "PYTHONPATH": str(ROOT)})
    url = f"http://127.0.0.1:{port}/inbound/sendgrid"
    for _ in range(300):
        try:
            httpx.get(url.replace("/inbound/sendgrid", "/"), timeout=1)
            return proc, url
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{kind} server did not start")


def post(http: httpx.Client, url: str, body: tuple[bytes, bytes]) -> float:
    began = time.perf_counter()
    response = http.post(url, content=body[1], headers={"content-type": body[0].decode()}, auth=AUTH)
    response.raise_for_status()
    return time.perf_counter() - began


def flood(url: str, bodies: list[tuple[bytes, bytes]]) -> float:
    """Posts/s acknowledged when 4 clients post back to back, timed after a warm-up of 20 posts (connections
    open, the server's threads started, its statements compiled)."""
    warm_up, timed = bodies[:WARM_UP], bodies[WARM_UP:]
    with httpx.Client(timeout=30) as http, ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda body: post(http, url, body), warm_up))
        began = time.perf_counter()
        list(pool.map(lambda body: post(http, url, body), timed))
        return len(timed) / (time.perf_counter() - began)


def paced(url: str, bodies: list[tuple[bytes, bytes]], rate: float) -> list[float]:
    """Latencies when posts arrive at `rate` per second."""
    began, futures = time.perf_counter(), []
    with httpx.Client(timeout=30) as http, ThreadPoolExecutor(16) as pool:
        for i, body in enumerate(bodies):
            time.sleep(max(0.0, began + i / rate - time.perf_counter()))
            futures.append(pool.submit(post, http, url, body))
        return [f.result() for f in futures]


def stored(kind: str, folder: Path, database_url: str | None) -> tuple[int, int]:
    """(rows stored, rows still waiting to be parsed)."""
    file = "floor_inbound.db" if kind == "floor" else "project.db"
    engine = create_engine(database_url or f"sqlite:///{folder / file}")
    query = ("SELECT count(*), 0 FROM floor_inbound" if kind == "floor" else
             "SELECT count(*), sum(CASE WHEN status = 'received' THEN 1 ELSE 0 END) FROM inbound_message")
    with engine.connect() as conn:
        total, waiting = conn.execute(text(query)).one()
    engine.dispose()
    return total, waiting or 0


def run_server(kind: str, folder: Path, database_url: str | None, flood_bodies: list[tuple[bytes, bytes]],
               paced_bodies: list[tuple[bytes, bytes]], rate: float) -> tuple[Measure, float, float, int]:
    """(cost of the flood, acknowledged posts/s, p99 at `rate`, messages stored) for one server."""
    proc, url = start_server(kind, folder, database_url)
    try:
        cpu, wall = cpu_of(proc.pid), time.perf_counter()
        per_second = flood(url, flood_bodies)
        for _ in range(600):  # the background parsing of the flood belongs to its cost
            if stored(kind, folder, database_url)[1] == 0:
                break
            time.sleep(0.05)
        cost = Measure(cpu_of(proc.pid) - cpu, time.perf_counter() - wall, 0.0)
        latencies = sorted(paced(url, paced_bodies, rate))
        p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)]
        total, _ = stored(kind, folder, database_url)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return cost, per_second, p99, total


def store_only(folder: Path, url: str | None, bodies: list[tuple[bytes, bytes]]) -> tuple[Row, int]:
    """What answering costs, in-process: the webhook's own reading and storing of each post (parsing comes after
    the answer), beside inserting the raw body into the same database with the same durability."""
    app = project_app(folder, url)
    cap = app.config.email.max_inbound_bytes

    def project() -> int:
        for content_type, data in bodies:
            raw, meta, problems, quarantine = webhook.read_message(content_type.decode(), webhook.Body(
                data, len(data), False), cap)
            webhook.store(app, raw, meta, [p for p in problems if p != quarantine], quarantine)
        return len(bodies)

    def floor() -> int:
        conn, insert = floor_table(folder, url, "store_floor")
        for _, data in bodies:
            conn.execute(insert, (data,)).fetchone()
            conn.commit()
        conn.close()
        return len(bodies)

    _, floor_cost = measure(floor)
    _, cost = measure(project)
    app.engine.dispose()
    note = f"{cost.cpu / len(bodies) * 1000:.1f} ms CPU per post before the answer (target <= 3)"
    row = Row(f"webhook store {app.engine.dialect.name}", f"{len(bodies)} posts", cost, floor_cost, note=note,
              met=cost.cpu / len(bodies) <= 0.003)
    return report(row), 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=400, help="posts in the flood")
    parser.add_argument("--rate", type=float, default=50.0, help="posts per second in the paced run")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of the paced run")
    parser.add_argument("--database-url", help="a PostgreSQL URL (default: SQLite files in a temporary folder)")
    parser.add_argument("--schema", default="bench_webhook", help="the scratch schema on PostgreSQL (dropped first)")
    parser.add_argument("--serve", choices=("project", "floor"), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.folder, args.database_url, args.port)
        return 0
    folder = Path(tempfile.mkdtemp(prefix="bench-webhook-"))
    url = scratch(args.database_url, args.schema) if args.database_url else None
    try:
        every = setup(folder, url, 2 * args.posts + int(args.rate * args.seconds))
        store_row, _ = store_only(folder, url, every[:args.posts])  # stored here: the servers get other messages
        bodies = every[args.posts:]
        flood_bodies, paced_bodies = bodies[:args.posts], bodies[args.posts:]
        results = {kind: run_server(kind, folder, url, flood_bodies, paced_bodies, args.rate)
                   for kind in ("floor", "project")}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    (floor_cost, floor_rate, floor_p99, floor_total), (cost, rate, p99, total) = results["floor"], results["project"]
    per_post = lambda m: m.cpu / args.posts * 1000  # noqa: E731
    database = "PostgreSQL" if url else "SQLite"
    row = Row(f"webhook {database}", f"{args.posts} posts", cost, floor_cost,
              note=(f"{per_post(cost):.1f} ms CPU/post (floor {per_post(floor_cost):.1f}); {rate:.0f} posts/s "
                    f"acknowledged (floor {floor_rate:.0f}; target >= 300); p99 at {args.rate:g}/s "
                    f"{p99 * 1000:.0f} ms (floor {floor_p99 * 1000:.0f}; target < 100); stored {total} of "
                    f"{len(bodies) + args.posts} (floor {floor_total} of {len(bodies)})"))
    row.extra.update(posts_per_second=rate, p99_ms=p99 * 1000, stored=total, posted=len(bodies) + args.posts)
    row.met = rate >= 300 and p99 < 0.1 and total == len(bodies) + args.posts and floor_total == len(bodies)
    report(row)
    return exit_code([row, store_row])


if __name__ == "__main__":
    raise SystemExit(main())
