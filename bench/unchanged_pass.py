"""What an unchanged pass over the sources costs: requests, bytes and CPU, beside the bare conditional GETs.

    .venv/bin/python bench/unchanged_pass.py [--passes 5]

The Ohio legislature (bill list, versions, status and document pages, calendar, meetings), a statehouse RSS feed
and Open States (two pages) are served from the recorded fixtures by a local server; a first pass stores them,
then `--passes` unchanged passes run through `run_source` exactly as the scheduler runs them (fetch with stored
validators, parse only what changed, store, record the run). Floor: the same requests, with the same validators,
sent with httpx and nothing else. Both on an injected clock (the tests' fixed instant, fake sleep). Printed per
pass: requests, full answers (200), 304s and bytes received.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advocacy import db  # noqa: E402
from advocacy.app import App  # noqa: E402
from advocacy.collect.scrape import run_source  # noqa: E402
from advocacy.config import Secrets, Source, load_config  # noqa: E402
from bench.harness import ROOT, Row, exit_code, measure, report  # noqa: E402
from tests.factories import TEST_NOW, FakeClock  # noqa: E402
from tests.httpserver import FakeTime, FixtureServer, Logged  # noqa: E402
from tests.test_scrape import jurisdiction, news, ohio, openstates, serve_ohio  # noqa: E402


def sources(server: FixtureServer) -> list[tuple[str, Source]]:
    return [("OH", ohio(server)), ("OH", news(server)), ("MA", openstates(server))]


def one_pass(app: App, server: FixtureServer) -> list[str]:
    statuses = []
    for code, source in sources(server):
        time = FakeTime()
        summary = run_source(app, jurisdiction(code, source), source, sleep=time.sleep, monotonic=time.clock)
        statuses.append(f"{source.name} {summary.status}")
    return statuses


def answer_bytes(server: FixtureServer, entry: Logged) -> int:
    if entry.status != 200:
        return 0
    routes = [r for r in server.routes.get(entry.path, []) if r.matches(entry.query)]
    route = max(routes, key=lambda r: len(r.query), default=None)
    return len(route.answers[0].content()) if route else 0


def floor(server: FixtureServer, log: list[Logged]) -> int:
    """The same GETs with the same validators, and nothing done with the answers."""
    with httpx.Client(base_url=server.base_url) as http:
        for entry in log:
            headers = {k: v for k, v in entry.headers.items() if k in ("if-none-match", "if-modified-since")}
            http.get(entry.path, params={k: v[0] for k, v in entry.query.items()}, headers=headers)
    return len(log)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-unchanged-"))
    rows = []
    try:
        shutil.copy(ROOT / "config.toml", folder / "config.toml")
        app = App(load_config(folder / "config.toml"), clock=FakeClock(TEST_NOW),
                  secrets=Secrets.from_env({"OPENSTATES_API_KEY": "os-bench-key", "ADVOCACY_SIGNING_KEY": "bench"}),
                  database_url=f"sqlite:///{folder / 'bench.db'}")
        db.upgrade(app.engine)
        with FixtureServer() as server:
            serve_ohio(server)
            server.serve("/news.xml", "rss/statehouse_news.xml")
            server.serve("/bills", "openstates/bills_page1.json", query={"page": "1"})
            server.serve("/bills", "openstates/bills_page2.json", query={"page": "2"})
            one_pass(app, server)  # the first pass stores everything and the validators
            for number in range(1, args.passes + 1):
                server.clear_log()
                statuses, cost = measure(lambda: one_pass(app, server))
                log = list(server.log)
                server.clear_log()
                _, floor_cost = measure(lambda: floor(server, log))  # noqa: B023
                full = sum(e.status == 200 for e in log)
                note = (f"{len(log)} requests: {full} full, {sum(e.status == 304 for e in log)} not modified; "
                        f"{sum(answer_bytes(server, e) for e in log):,} body bytes; {', '.join(statuses)}")
                rows.append(report(Row("unchanged pass", f"pass {number}", cost, floor_cost, note=note)))
        app.engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return exit_code(rows)


if __name__ == "__main__":
    raise SystemExit(main())
