from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from scrapers import SOURCES, rss
from scrapers.http import MemoryValidatorStore, remember
from tests.httpserver import FIXTURES, Answer, FakeTime, FixtureServer, make_fetcher
from vocabulary.records import ScrapeError

NY = ZoneInfo("America/New_York")


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as running:
        running.serve("/news.xml", "rss/statehouse_news.xml")
        running.serve("/activity.atom", "rss/bill_actions.atom")
        yield running


def options(server: FixtureServer) -> rss.Options:
    return rss.Options(
        feeds=[
            rss.Feed(url=server.url("/news.xml")),
            rss.Feed(url=server.url("/activity.atom"), name="Ohio House", bill_actions=True, session="136"),
        ]
    )


def test_source_is_registered_by_name() -> None:
    assert SOURCES["rss"] is rss


def test_first_scrape_reads_news_and_bill_actions(server: FixtureServer) -> None:
    collected = rss.collect(make_fetcher(), options(server), "OH", NY, None)
    news = collected.result.news
    assert [n.guid for n in news] == [
        "capitol-2025-0303-01",
        "capitol-2025-0228-02",
        "https://news.example.org/capitol/2025/02/25/levy-ballot",  # no guid: the link stands in
        "urn:example:oh-house-activity:session-0306",  # names no bill, so it stays news
    ]
    first = news[0]
    assert first.title == "House panel hears testimony on school funding phase-in"
    assert first.published == datetime(2025, 3, 3, 10, 30, tzinfo=NY)
    assert first.summary.startswith("Superintendents from three mid-sized districts urged")
    assert first.source == "Buckeye Schools Capitol Report"
    assert news[3].source == "Ohio House"
    # A bill named in a news feed's title stays news: only feeds marked bill_actions make actions.
    assert news[1].title.startswith("H.B. 45")

    bills = {b.identifier: b for b in collected.result.bills}
    assert sorted(bills) == ["HB 12", "HB 45"]
    hb12 = bills["HB 12"]
    assert hb12.partial and hb12.session == "136" and hb12.title == ""
    (action,) = hb12.actions
    assert action.description == "Reported - Substitute"
    assert action.when == datetime(2025, 2, 25, 11, 41, tzinfo=NY)
    assert bills["HB 45"].actions[0].description == "Refer to Committee"
    assert len(collected.payloads) == 2


def test_unchanged_feed_answers_304_and_is_not_parsed(server: FixtureServer) -> None:
    store = MemoryValidatorStore()
    fetcher = make_fetcher(validators=store)
    first = rss.collect(fetcher, options(server), "OH", NY, None)
    remember(store, first.payloads)
    server.route("/news.xml", Answer(file="rss/not_a_feed.html", etag='"rss/statehouse_news.xml"'))
    second = rss.collect(fetcher, options(server), "OH", NY, None)
    assert second.result.news == () and second.result.bills == ()
    assert second.errors == [] and second.not_modified == 2


def test_server_error_then_success_is_retried(server: FixtureServer) -> None:
    server.route("/news.xml", Answer(status=500), Answer(file="rss/statehouse_news.xml"))
    time = FakeTime()
    collected = rss.collect(make_fetcher(time=time, min_interval=0.0), options(server), "OH", NY, None)
    assert len(collected.result.news) == 4
    assert time.sleeps == [2.0]


def test_a_page_that_is_not_a_feed_is_an_error_naming_the_url(server: FixtureServer) -> None:
    server.route("/news.xml", Answer(file="rss/not_a_feed.html"))
    collected = rss.collect(make_fetcher(), options(server), "OH", NY, None)
    (error,) = collected.errors
    assert error.where == server.url("/news.xml")
    assert "not an RSS or Atom feed" in error.detail
    assert [b.identifier for b in collected.result.bills] == ["HB 12", "HB 45"]  # the other feed is still read


def test_only_feed_broken_raises(server: FixtureServer) -> None:
    server.route("/news.xml", Answer(file="rss/not_a_feed.html"))
    with pytest.raises(ScrapeError, match="not an RSS or Atom feed"):
        rss.collect(make_fetcher(), rss.Options(feeds=[rss.Feed(url=server.url("/news.xml"))]), "OH", NY, None)


def test_json_answer_is_not_a_feed() -> None:
    with pytest.raises(ScrapeError, match="not an RSS or Atom feed") as info:
        rss.parse_feed(b'{"items": []}', "https://x.example/feed", NY, "OH", rss.Feed(url="https://x.example/feed"))
    assert info.value.where == "https://x.example/feed"


def test_recoverable_glitch_with_entries_is_read_with_a_note() -> None:
    body = (FIXTURES / "rss/glitch.xml").read_bytes()
    result = rss.parse_feed(body, "glitch.xml", NY, "OH", rss.Feed(url="glitch.xml"))
    (item,) = result.news
    assert item.title == "Transportation & busing: what changed in committee"
    assert result.notes and "feed read despite an error" in result.notes[0]


def test_valid_feed_without_entries_is_an_explicit_empty_result() -> None:
    body = (FIXTURES / "rss/empty.xml").read_bytes()
    result = rss.parse_feed(body, "empty.xml", NY, "OH", rss.Feed(url="empty.xml"))
    assert len(result) == 0
    assert result.notes == ("empty.xml: the feed lists no entries",)


def test_entry_without_title_or_link_is_an_error_for_the_parser_alone() -> None:
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><description>x</description></item></channel></rss>'
    with pytest.raises(ScrapeError, match=r"f.xml \[entry 0\]: neither a title nor a link"):
        rss.parse_feed(body, "f.xml", NY, "OH", rss.Feed(url="f.xml"))


def test_bill_actions_feed_needs_a_session(server: FixtureServer) -> None:
    bad = rss.Options(feeds=[rss.Feed(url=server.url("/activity.atom"), bill_actions=True)])
    with pytest.raises(ValueError, match="session"):
        rss.collect(make_fetcher(), bad, "OH", NY, None)
