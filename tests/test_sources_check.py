"""`advocacy sources check`: one small live page per configured source, read by its parser, against the local
fixture server; what a parser would miss is printed and the exit code says so."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from advocacy.cli import EXIT_FAILED
from scrapers import SOURCES, federal_register, legiscan, openstates
from tests.httpserver import Answer, FixtureServer, make_fetcher
from tests.test_scrape_cli import configured, run, server  # noqa: F401 - the same sources, served

MEETING = "/schedules/committee-meeting/cmte_h_primary_secondary_education_1/2025-03-04"


def test_every_enabled_source_answers_in_the_shape_its_parser_needs(configured: Path,  # noqa: F811
                                                                     server: FixtureServer) -> None:  # noqa: F811
    result = run(configured, "sources", "check")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["ohio-legislature (ohio, OH): ok", "statehouse-news (rss, OH): ok"]
    assert server.requests_to("/schedules/calendar-data") and server.requests_to(MEETING)
    assert not server.requests_to("/api/v2/general_assembly_136/legislation/")  # the long bill list is not a sample


def test_what_a_source_no_longer_gives_is_printed_and_exits_one(configured: Path,  # noqa: F811
                                                                server: FixtureServer) -> None:  # noqa: F811
    server.route(MEETING, Answer(body=b"<html><body><h1>Moved</h1></body></html>", content_type="text/html"))
    server.route("/news.xml", Answer(body=b"<html>Maintenance</html>", content_type="text/html"))
    result = run(configured, "sources", "check")
    assert result.exit_code == EXIT_FAILED
    lines = result.output.splitlines()
    assert lines[0] == "ohio-legislature (ohio, OH): 1 problem(s)"
    assert lines[1] == f"    missing: {server.url(MEETING)}: no Location section on the meeting page"
    assert lines[2] == "statehouse-news (rss, OH): 1 problem(s)"
    assert "not an RSS or Atom feed" in lines[3]


def test_a_named_keyed_source_without_its_key_says_which_variable(configured: Path) -> None:  # noqa: F811
    result = run(configured, "sources", "check", "--source", "ohio-legiscan")
    assert result.exit_code == EXIT_FAILED
    assert "set the environment variable LEGISCAN_API_KEY" in result.output


def test_sources_without_a_subcommand_still_lists_the_last_runs(configured: Path) -> None:  # noqa: F811
    listed = run(configured, "sources")
    assert listed.exit_code == 0 and "ohio-legislature (ohio, OH)  schedule:" in listed.output


def test_keyed_and_federal_sources_sample_one_page_each_and_name_what_is_missing() -> None:
    ny = ZoneInfo("America/New_York")
    with FixtureServer() as served:
        served.route("/", Answer(file="legiscan/masterlist_raw_ar.json"), query={"op": "getMasterListRaw"})
        served.route("/", Answer(file="legiscan/getbill_one_broken_item.json"), query={"op": "getBill"})
        served.serve("/bills", "openstates/bills_page1.json")
        served.serve("/api/v1/documents.json", "federal_register/documents_education.json")
        fetcher = make_fetcher()
        found = legiscan.check(fetcher, legiscan.Options(base_url=served.url("/")), "AR", ny, api_key="k")
        assert len(found) == 1 and "[history 2]: unreadable date 'the fourth'" in found[0]
        assert len(served.requests_to("/")) == 2  # the master list and one bill
        assert openstates.check(fetcher, openstates.Options(base_url=served.base_url), "MA", ny, api_key="k") == []
        assert served.requests_to("/bills")[0].query["per_page"] == ["1"]
        sample = federal_register.Options(base_url=served.url("/api/v1"))
        (missing,) = federal_register.check(fetcher, sample, "US", ny)
        assert "(2026-20299): missing field 'title'" in missing
        assert openstates.check(fetcher, openstates.Options(), "MA", ny) == ["no API key (set $OPENSTATES_API_KEY)"]


def test_every_registered_source_can_be_checked_and_collected() -> None:
    lacking = [kind for kind, module in SOURCES.items() if not (callable(getattr(module, "check", None))
                                                                and callable(getattr(module, "collect", None)))]
    assert lacking == []
