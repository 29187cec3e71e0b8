"""Each source's parser on real recorded payloads kept byte-for-byte in ../shared/realdata (provenance in
tests/fixtures/SOURCES.md). Skipped when that folder is not beside the checkout; a failure under CI."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from scrapers import federal_register
from tests.httpserver import FixtureServer, make_fetcher, real_path

EASTERN = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("name", "numbers", "kind"),
    [
        ("search-newest-page-one.json", ["2024-31440", "2024-31439"], "Notice"),
        ("search-relevance-page-one.json", ["2024-28360", "2024-00413"], "Notice"),
        ("geographic.json", ["2026-16986", "2026-16341"], "Rule"),
    ],
)
def test_real_federal_register_pages_become_news_with_their_numbers_days_and_kinds(
    name: str, numbers: list[str], kind: str
) -> None:
    path = real_path("federal_register", name)
    skipped: list = []
    result = federal_register.parse_documents(path.read_bytes(), str(path), EASTERN, "US", skipped=skipped)
    assert skipped == []
    assert [n.guid for n in result.news] == [f"federalregister:{number}" for number in numbers]
    assert all(n.source == f"Federal Register: {kind}" for n in result.news)
    assert all(n.url.startswith("https://www.federalregister.gov/documents/") for n in result.news)
    assert result.hearings == ()  # none of these documents is open for comment


def test_real_federal_register_null_abstract_reads_as_no_summary_and_the_day_is_the_publication_day() -> None:
    path = real_path("federal_register", "search-newest-page-one.json")
    news = federal_register.parse_documents(path.read_bytes(), str(path), EASTERN, "US").news
    assert [n.summary for n in news] == ["", ""]  # "abstract": null in the real answer
    assert {n.published.date() for n in news if n.published} == {date(2024, 12, 31)}
    assert news[0].title == "Combined Notice of Filings #1"


def test_a_real_federal_register_page_collected_through_the_fetcher_is_stored_whole() -> None:
    path = real_path("federal_register", "geographic.json")
    with FixtureServer() as server:
        server.serve("/api/v1/documents.json", str(path))
        options = federal_register.Options(base_url=server.url("/api/v1"))
        collected = federal_register.collect(make_fetcher(), options, "US", EASTERN, None)
    assert collected.errors == [] and collected.listed == 2
    assert [n.source for n in collected.result.news] == ["Federal Register: Rule"] * 2
    assert collected.payloads and collected.payloads[0].body == path.read_bytes()
