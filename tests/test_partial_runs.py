"""One broken item in each source: everything else of the run is stored, the run is recorded "partial", and the
report names the URL, the item and the field (fixtures `*one_broken*` under tests/fixtures/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from advocacy.app import App
from advocacy.cli import EXIT_FAILED, cli
from advocacy.config import Source
from tests.httpserver import Answer, FixtureServer
from tests.test_scrape import (
    LEGISCAN_BILLS,
    MASTER,
    bills,
    legiscan,
    legiscan_file,
    news,
    ohio,
    openstates,
    run,
    run_row,
    serve_ohio,
    with_keys,
)
from tests.websupport import text_of


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as running:
        serve_ohio(running)
        running.route("/schedules/calendar-data", Answer(file="ohio/calendar_one_broken_item.json"))
        running.route("/", Answer(file="legiscan/masterlist_raw_ar.json"), query=MASTER)
        ids = list(LEGISCAN_BILLS)
        for bill_id in ids[:2]:
            running.route("/", Answer(file=str(legiscan_file(LEGISCAN_BILLS[bill_id]))),
                          query={"op": "getBill", "id": str(bill_id)})
        running.route("/", Answer(file="legiscan/getbill_one_broken_item.json"), query={"op": "getBill", "id": str(ids[2])})
        running.serve("/news.xml", "rss/one_broken_entry.xml")
        running.serve("/bills", "openstates/bills_one_broken_row.json", query={"page": "1"})
        yield running


def _partial(app: App, source: Source, code: str) -> tuple[str, str]:
    summary = run(app, source, code)
    row = run_row(app, summary.run_id)
    assert summary.status == row.status == "partial", summary.errors
    assert len(summary.errors) == 1 and "skipped" in summary.errors[0]
    return row.error, summary.line()


def test_ohio_calendar_entry_that_breaks_is_skipped_and_the_rest_stored(app: App, server: FixtureServer) -> None:
    error, _ = _partial(app, ohio(server), "OH")
    assert "/schedules/calendar-data?" in error and "[item 4]" in error and "unreadable start" in error
    assert bills(app) == ["HB 12", "HB 45", "SB 8"]


def test_legiscan_history_row_that_breaks_is_skipped_and_the_bill_stored(app: App, server: FixtureServer) -> None:
    error, _ = _partial(with_keys(app), legiscan(server), "AR")
    assert "op=getBill&id=396375 [history 2]: unreadable date 'the fourth'" in error
    assert bills(app) == ["HB 1044", "HB 1045", "HB 12"]


def test_openstates_row_without_actions_is_skipped_and_the_page_stored(app: App, server: FixtureServer) -> None:
    error, _ = _partial(with_keys(app), openstates(server), "MA")
    assert "/bills?" in error and "[results 2] (H 515): missing field 'actions'" in error
    assert len(bills(app)) == 2


def test_feed_entry_without_title_or_link_is_skipped_and_the_rest_stored(app: App, server: FixtureServer) -> None:
    error, line = _partial(app, news(server), "OH")
    assert error.startswith(server.url("/news.xml") + " [entry 3]: neither a title nor a link")
    assert line.startswith("statehouse-news: partial;")


def test_a_partial_run_shows_in_sources_and_exits_one(config_path: Path, server: FixtureServer) -> None:
    text = config_path.read_text()
    start, end = text.index("[[jurisdictions]]"), text.index("[tagging]")
    config_path.write_text(text[:start] + f'''[[jurisdictions]]
code = "OH"
name = "Ohio"
timezone = "America/New_York"
sessions = ["136"]

[[jurisdictions.sources]]
name = "statehouse-news"
kind = "rss"
[jurisdictions.sources.options]
feeds = [{{ url = "{server.url('/news.xml')}" }}]

''' + text[end:])
    env = {"ADVOCACY_HTTP__MIN_INTERVAL": "0", "ADVOCACY_HTTP__RETRIES": "0", "ADVOCACY_CONFIG": None}
    invoke = CliRunner().invoke
    upgraded = invoke(cli, ["--config", str(config_path), "db", "upgrade"], env=env)
    assert upgraded.exit_code == 0, upgraded.output
    scraped = invoke(cli, ["--config", str(config_path), "scrape"], env=env)
    assert scraped.exit_code == EXIT_FAILED, scraped.output
    assert "partial: statehouse-news" in scraped.output.splitlines()[-1]
    shown = invoke(cli, ["--config", str(config_path), "sources"], env=env).output
    assert ": partial; fetched 1" in shown and "[entry 3]: neither a title nor a link" in shown


def test_the_dashboard_shows_a_partial_run_with_the_skipped_item(app: App, server: FixtureServer,
                                                                 viewer: TestClient) -> None:
    source = Source(name="ohio-news", kind="rss", options={"feeds": [{"url": server.url("/news.xml")}]})
    assert run(app, source, "OH").status == "partial"
    page = text_of(viewer.get("/").text)
    news = page[page.index("ohio-news"):]
    assert "partial" in news and "[entry 3]: neither a title nor a link; this item was skipped" in news
    assert '<span class="badge badge-warn">partial</span>' in viewer.get("/").text
