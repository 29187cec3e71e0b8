"""A source's last good run means one thing everywhere: the newest real (not replayed) run that ended "ok". The
dashboard, `/healthz` and the next run's `since` all read it through `last_good_run`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from advocacy.app import App
from advocacy.collect.scrape import last_good_run
from advocacy.config import Source
from advocacy.models import SourceRun
from advocacy.runtime.health import health_report
from advocacy.web.pages.dashboard import source_statuses
from tests.httpserver import FixtureServer
from tests.test_scrape import run, run_row

SOURCE = "ohio-news"  # configured in the test config, so the dashboard and /healthz list it


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as running:
        running.serve("/news.xml", "rss/statehouse_news.xml")
        yield running


def _runs(app: App, start: datetime) -> dict[str, int]:
    """An ok run, then a partial one, then a replay of the first that went well, then a failed run."""
    ids: dict[str, int] = {}
    with app.transaction() as session:
        for hour, (name, status) in enumerate((("ok", "ok"), ("partial", "partial"), ("replay", "ok"),
                                                ("failed", "failed"))):
            row = SourceRun(source=SOURCE, kind="rss", jurisdiction="OH", status=status,
                            started_at=start + timedelta(hours=hour),
                            finished_at=start + timedelta(hours=hour, minutes=1),
                            replay_of=ids.get("ok") if name == "replay" else None)
            session.add(row)
            session.flush()
            ids[name] = row.id
    return ids


def test_dashboard_healthz_and_the_next_runs_since_name_the_same_last_good_run(app: App,
                                                                              server: FixtureServer) -> None:
    start = app.now() - timedelta(hours=6)
    ids = _runs(app, start)
    with app.sessions() as session:
        good = last_good_run(session, SOURCE)
        assert good is not None and good.id == ids["ok"]  # neither the later partial run nor the replay counts
        [shown] = [s for s in source_statuses(session, app.config) if s.name == SOURCE]
    assert shown.last is not None and shown.last.status == "failed"
    assert shown.last_ok is not None and shown.last_ok.id == ids["ok"]
    healthz = health_report(app, None)["sources"][SOURCE]
    assert healthz["last_success"] == (start + timedelta(minutes=1)).astimezone(
        app.config.collaborative.tz).isoformat()
    feed = Source(name=SOURCE, kind="rss", options={"feeds": [{"url": server.url("/news.xml")}]})
    assert run_row(app, run(app, feed).run_id).since == start
