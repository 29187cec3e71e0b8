from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from scrapers import SOURCES, openstates
from scrapers.http import FetchError, MemoryValidatorStore, remember
from tests.httpserver import FIXTURES, Answer, FakeTime, FixtureServer, make_fetcher
from vocabulary.records import ScrapeError

BOSTON = ZoneInfo("America/New_York")
KEY = "os-test-key"
SINCE = datetime(2025, 2, 28, 12, 0, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as running:
        running.serve("/bills", "openstates/bills_page1.json", query={"page": "1"})
        running.serve("/bills", "openstates/bills_page2.json", query={"page": "2"})
        yield running


def options(server: FixtureServer, **overrides: object) -> openstates.Options:
    settings: dict[str, object] = {"base_url": server.base_url, "jurisdiction": "Massachusetts", "per_page": 2, **overrides}
    return openstates.Options(**settings)


def test_source_is_registered_by_name() -> None:
    assert SOURCES["openstates"] is openstates


def test_first_scrape_follows_every_page_with_key_header_and_filters(server: FixtureServer) -> None:
    collected = openstates.collect(make_fetcher(), options(server, session="194"), "MA", BOSTON, SINCE, api_key=KEY)
    assert [b.identifier for b in collected.result.bills] == ["H 4012", "S 311", "H 515"]
    first, second = server.requests_to("/bills")
    assert first.headers["x-api-key"] == KEY
    assert first.query == {
        "jurisdiction": ["Massachusetts"],
        "session": ["194"],
        "updated_since": ["2025-02-28T12:00:00+00:00"],
        "sort": ["updated_asc"],
        "include": ["actions", "sponsorships", "versions", "votes"],
        "per_page": ["2"],
        "page": ["1"],
    }
    assert second.query["page"] == ["2"]
    assert collected.state == {"updated_since": "2025-03-02T18:40:00.000Z"}
    assert all(KEY not in p.url for p in collected.payloads)


def test_bill_fields_actions_sponsors_and_versions_are_read(server: FixtureServer) -> None:
    collected = openstates.collect(make_fetcher(), options(server), "MA", BOSTON, None, api_key=KEY)
    bills = {b.identifier: b for b in collected.result.bills}
    h4012 = bills["H 4012"]
    assert h4012.session == "194" and h4012.source_id == "ocd-bill/5b0e2f4a-8c1d-4e9b-9a53-1f2e7d6c4b01"
    assert h4012.subjects == ("Education", "School Finance")
    assert [(a.description, a.classification, a.chamber, a.order) for a in h4012.actions] == [
        ("Filed", ("introduced",), "House", 0),
        ("Referred to the committee on Education", ("referred-to-committee",), "House", 1),
        ("Hearing scheduled for 03/11/2025 from 10:00 AM-01:00 PM in B-2", (), "", 0),
    ]
    assert h4012.actions[0].when == datetime(2025, 1, 16, tzinfo=BOSTON)
    assert [(s.name, s.primary, s.party, s.district) for s in h4012.sponsors] == [
        ("Harriet Quill", True, "Democratic", "3rd Hampshire"),
        ("Tomas Reyes-Bell", False, "", ""),
    ]
    (version,) = h4012.versions
    assert version.url == "https://malegislature.gov/Bills/194/H4012.pdf"
    assert version.html_url == "https://malegislature.gov/Bills/194/H4012.html"
    assert bills["S 311"].actions[1].classification == ("reported", "referred-to-committee")
    signed = bills["H 515"].actions[-1]
    assert signed.chamber == "Governor" and signed.classification == ("signed",)
    assert signed.when == datetime(2025, 3, 2, 14, 30, tzinfo=BOSTON)


def test_unchanged_first_page_answers_304_and_nothing_more_is_asked(server: FixtureServer) -> None:
    store = MemoryValidatorStore()
    fetcher = make_fetcher(validators=store)
    first = openstates.collect(fetcher, options(server), "MA", BOSTON, SINCE, api_key=KEY)
    remember(store, first.payloads)
    server.clear_log()
    second = openstates.collect(fetcher, options(server), "MA", BOSTON, SINCE, state=first.state, api_key=KEY)
    assert second.result.bills == ()
    assert server.statuses() == [304]
    assert second.state == first.state


def test_server_error_then_success_is_retried(server: FixtureServer) -> None:
    server.route("/bills", Answer(status=503), Answer(file="openstates/bills_page2.json"), query={"page": "2"})
    time = FakeTime()
    collected = openstates.collect(make_fetcher(time=time, min_interval=0.0), options(server), "MA", BOSTON, None, api_key=KEY)
    assert len(collected.result.bills) == 3
    assert time.sleeps == [2.0]


def test_rejected_key_is_a_fetch_error_not_retried(server: FixtureServer) -> None:
    server.route("/bills", Answer(status=401, body=b'{"detail": "Invalid API Key."}'), query={"page": "1"})
    with pytest.raises(FetchError) as info:
        openstates.collect(make_fetcher(), options(server), "MA", BOSTON, None, api_key="wrong")
    assert info.value.status == 401 and info.value.attempts == 1


def test_malformed_first_page_is_an_error_naming_the_url(server: FixtureServer) -> None:
    server.route("/bills", Answer(body=b'{"results": ['), query={"page": "1"})
    with pytest.raises(ScrapeError, match="not valid JSON") as info:
        openstates.collect(make_fetcher(), options(server), "MA", BOSTON, None, api_key=KEY)
    assert "/bills?" in info.value.where and "page=1" in info.value.where


def test_page_without_pagination_is_an_error_naming_the_field(server: FixtureServer) -> None:
    server.route("/bills", Answer(body=b'{"results": []}'), query={"page": "1"})
    with pytest.raises(ScrapeError, match="missing field 'pagination'"):
        openstates.collect(make_fetcher(), options(server), "MA", BOSTON, None, api_key=KEY)


def test_bad_later_page_keeps_the_first_and_holds_the_cursor_back(server: FixtureServer) -> None:
    page = json.loads((FIXTURES / "openstates/bills_page2.json").read_text())
    del page["results"][0]["actions"]
    server.route("/bills", Answer(body=json.dumps(page).encode()), query={"page": "2"})
    collected = openstates.collect(
        make_fetcher(), options(server), "MA", BOSTON, SINCE, state={"updated_since": "2025-02-28T12:00:00Z"}, api_key=KEY
    )
    assert [b.identifier for b in collected.result.bills] == ["H 4012", "S 311"]
    (error,) = collected.errors
    assert "page=2" in error.where and "(H 515)" in error.where and "missing field 'actions'" in error.detail
    assert collected.state == {"updated_since": "2025-02-28T12:00:00Z"}


def test_nothing_updated_is_an_explicit_empty_result_with_a_note(server: FixtureServer) -> None:
    server.serve("/bills", "openstates/bills_empty.json", query={"page": "1"})
    collected = openstates.collect(make_fetcher(), options(server), "MA", BOSTON, SINCE, api_key=KEY)
    assert collected.result.bills == ()
    assert collected.result.notes == ("Open States MA: no bills updated since 2025-02-28 12:00:00+00:00",)


def test_page_budget_stops_with_a_note(server: FixtureServer) -> None:
    collected = openstates.collect(make_fetcher(), options(server, max_pages=1), "MA", BOSTON, None, api_key=KEY)
    assert len(collected.result.bills) == 2
    assert "pages 2..2 left for the next run" in collected.result.notes[0]
    assert collected.state == {}


def test_per_page_cannot_exceed_the_api_maximum() -> None:
    with pytest.raises(ValueError):
        openstates.Options(per_page=50)


def test_one_broken_version_inside_a_row_is_skipped_and_the_row_kept() -> None:
    page = json.loads((FIXTURES / "openstates/bills_page1.json").read_text())
    row = next(r for r in page["results"] if r["versions"])
    row["versions"].append({"date": "2025-02-01", "links": []})  # no note
    skipped: list[ScrapeError] = []
    bills, _, _ = openstates.parse_bills_page(json.dumps(page).encode(), "p1", BOSTON, "MA", skipped)
    assert len(bills) == len(page["results"])
    (error,) = skipped
    assert f"({row['identifier']}) [versions {len(row['versions']) - 1}]" in error.where
    assert "missing field 'note'" in error.detail
