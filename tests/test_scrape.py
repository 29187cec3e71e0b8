"""`run_source` end to end: a local server in each source's real format, through the database and back.

What a run must leave behind: the change events it found (and only those), a SourceRun row that tells the truth,
every body it received archived, the validators of what it stored, and nothing at all of a store that failed.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select, text

from advocacy.app import App
from advocacy.collect.scrape import REPLAY_KEY, SourceSummary, replay, run_source, run_sources
from advocacy.collect.votes import votes_from_run
from advocacy.config import JurisdictionConfig, Secrets, Source
from advocacy.models import (
    Bill,
    ChangeEvent,
    HttpValidator,
    NewsItem,
    PayloadBlob,
    RunPayload,
    SourceRun,
    SourceState,
)
from tests.factories import count
from tests.httpserver import FIXTURES, Answer, FakeTime, FixtureServer, real_path

OHIO_TZ = ZoneInfo("America/New_York")
API = "/api/v2/general_assembly_136/legislation"
BILLS = ("hb12", "hb45", "sb8")
MEETINGS = {
    "/schedules/committee-meeting/cmte_h_primary_secondary_education_1/2025-03-04": "ohio/meeting_h_education.html",
    "/schedules/committee-meeting/cmte_s_finance_1/2025-03-06": "ohio/meeting_s_finance.html",
}
LEGISCAN_BILLS = {396373: "AR_HB1044.json", 396374: "AR_HB1045.json", 396375: "AR_HB1046.json"}
MASTER = {"op": "getMasterListRaw", "state": "AR"}


# -- the sources, served ---------------------------------------------------------------------------------------

def serve_ohio(server: FixtureServer) -> None:
    server.serve(f"{API}/", "ohio/legislation_136.json")
    for number in BILLS:
        server.serve(f"{API}/{number}/versions", f"ohio/{number}_versions.json")
        server.serve(f"/legislation/136/{number}/status", f"ohio/{number}_status.html")
        server.serve(f"/legislation/136/{number}/documents", f"ohio/{number}_documents.html")
        server.serve(f"{API}/{number}/actions", f"ohio/{number}_actions.json")  # roll calls
    server.serve("/schedules/calendar-data", "ohio/calendar.json")
    for path, file in MEETINGS.items():
        server.serve(path, file)
    server.serve("/download", "ohio/agenda_h_education.pdf", query={"key": "99120"})
    server.serve("/download", "ohio/agenda_s_finance.pdf", query={"key": "99121"})


def legiscan_file(name: str) -> Path:
    return real_path("legiscan", name)


def serve_legiscan(server: FixtureServer) -> None:
    # LegiScan sends no validators: an unchanged master list comes back whole, with a 200.
    server.route("/", Answer(file="legiscan/masterlist_raw_ar.json"), query=MASTER)
    for bill_id, name in LEGISCAN_BILLS.items():
        server.route("/", Answer(file=str(legiscan_file(name))), query={"op": "getBill", "id": str(bill_id)})


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as running:
        serve_ohio(running)
        serve_legiscan(running)
        running.serve("/news.xml", "rss/statehouse_news.xml")
        running.serve("/bills", "openstates/bills_page1.json", query={"page": "1"})
        running.serve("/bills", "openstates/bills_page2.json", query={"page": "2"})
        yield running


def ohio(server: FixtureServer, **options: Any) -> Source:
    return Source(name="ohio-legislature", kind="ohio",
                  options={"api_base_url": server.base_url, "site_base_url": server.base_url, "max_requests": None,
                           **options})


def news(server: FixtureServer) -> Source:
    return Source(name="statehouse-news", kind="rss", options={"feeds": [{"url": server.url("/news.xml")}]})


def legiscan(server: FixtureServer) -> Source:
    return Source(name="ar-legiscan", kind="legiscan", options={"base_url": server.url("/")})


def openstates(server: FixtureServer) -> Source:
    return Source(name="ma-openstates", kind="openstates",
                  options={"base_url": server.base_url, "jurisdiction": "Massachusetts", "per_page": 2})


def jurisdiction(code: str, *sources: Source) -> JurisdictionConfig:
    zones = {"OH": "America/New_York", "AR": "America/Chicago", "MA": "America/New_York"}
    names = {"OH": "Ohio", "AR": "Arkansas", "MA": "Massachusetts"}
    return JurisdictionConfig(code=code, name=names[code], timezone=zones[code], sessions=["136"],
                              sources=list(sources))


def configure(app: App, *jurisdictions: JurisdictionConfig) -> App:
    app.config = app.config.model_copy(update={"jurisdictions": list(jurisdictions)})
    return app


def run(app: App, source: Source, code: str = "OH", time: FakeTime | None = None) -> SourceSummary:
    time = time or FakeTime()
    return run_source(app, jurisdiction(code, source), source, sleep=time.sleep, monotonic=time.clock)


def with_keys(app: App) -> App:
    app.secrets = Secrets.from_env({"LEGISCAN_API_KEY": "ls-test-key", "OPENSTATES_API_KEY": "os-test-key"})
    return app


# -- reading the database --------------------------------------------------------------------------------------

def events(app: App, run_id: int | None = None) -> list[tuple[str, str]]:
    with app.sessions() as session:
        query = select(ChangeEvent).order_by(ChangeEvent.id)
        if run_id is not None:
            query = query.where(ChangeEvent.run_id == run_id)
        return [(e.kind, e.summary) for e in session.scalars(query)]


def run_row(app: App, run_id: int) -> SourceRun:
    with app.sessions() as session:
        row = session.get(SourceRun, run_id)
        assert row is not None
        return row


def archived(app: App, run_id: int) -> dict[str, bytes]:
    with app.sessions() as session:
        rows = session.scalars(select(RunPayload).where(RunPayload.run_id == run_id))
        return {row.url: gzip.decompress(row.blob.body_gz) for row in rows}


def state(app: App, name: str) -> dict[str, str]:
    with app.sessions() as session:
        return {s.key: s.value for s in session.scalars(select(SourceState).where(SourceState.source == name))}


def validators(app: App) -> dict[str, str | None]:
    with app.sessions() as session:
        return {v.url: v.etag for v in session.scalars(select(HttpValidator))}


def bills(app: App) -> list[str]:
    with app.sessions() as session:
        return sorted(session.scalars(select(Bill.identifier)))


# -- Ohio ------------------------------------------------------------------------------------------------------

def test_first_ohio_run_stores_bills_and_hearings_and_archives_every_body(app: App, server: FixtureServer) -> None:
    summary = run(app, ohio(server))
    assert (summary.status, summary.errors) == ("ok", [])
    # 13 pages, 3 actions pages (the roll calls), 2 agenda PDFs
    assert (summary.new_bills, summary.fetched, summary.not_modified) == (3, 18, 0)
    assert bills(app) == ["HB 12", "HB 45", "SB 8"]
    kinds = sorted(kind for kind, _ in events(app, summary.run_id))
    assert kinds == ["bill_hearing"] * 3 + ["hearing_cancelled", "hearing_scheduled", "hearing_scheduled"] + ["new_bill"] * 3
    assert summary.events == len(kinds) == len(summary.event_ids)

    row = run_row(app, summary.run_id)
    assert (row.status, row.fetched, row.records, row.listed, row.new_bills, row.events) == ("ok", 18, 6, 3, 3, 9)
    assert row.finished_at is not None and row.error == ""
    # every body, byte for byte, compressed once per content
    bodies = archived(app, summary.run_id)
    assert len(bodies) == 18
    assert bodies[server.url(f"{API}/")] == (FIXTURES / "ohio/legislation_136.json").read_bytes()
    assert bodies[server.url("/legislation/136/sb8/status")] == (FIXTURES / "ohio/sb8_status.html").read_bytes()
    assert count(app, PayloadBlob) == 18
    # validators of what was stored, for the next run's conditional GET
    assert validators(app)[server.url("/legislation/136/hb45/status")] == '"ohio/hb45_status.html"'
    assert "bill:136:hb45" in state(app, "ohio-legislature")


def test_unchanged_ohio_rerun_answers_304_and_records_nothing(app: App, server: FixtureServer) -> None:
    run(app, ohio(server))
    server.clear_log()
    second = run(app, ohio(server))
    assert (second.status, second.fetched, second.not_modified) == ("ok", 1, 12)
    assert (second.new_bills, second.updated_bills, second.events) == (0, 0, 0)
    assert events(app, second.run_id) == []
    assert server.requests_to("/legislation/136/hb12/status")[0].headers["if-none-match"] == '"ohio/hb12_status.html"'
    assert set(archived(app, second.run_id)) == {server.url("/schedules/calendar-data?start=2026-11-17&end=2026-12-22")}
    assert count(app, PayloadBlob) == 18 + 1  # the same bodies again, stored once; and the state it started from


def test_ohio_roll_calls_arrive_when_actions_come_from_the_status_page(app: App, server: FixtureServer) -> None:
    first = run(app, ohio(server))
    assert server.requests_to(f"{API}/sb8/actions")  # only the API's actions page carries roll calls
    with app.transaction() as session:
        report = votes_from_run(session, first.run_id, kind="ohio", jurisdiction="OH", tz=OHIO_TZ)
    assert (report.stored, report.votes, report.problems) == (5, 19, [])  # HB 12's committee vote, SB 8's four
    server.clear_log()
    run(app, ohio(server))  # nothing changed: no bill is rebuilt, no actions page is asked for
    assert not any(server.requests_to(f"{API}/{number}/actions") for number in BILLS)


def test_ohio_roll_calls_can_be_left_out(app: App, server: FixtureServer) -> None:
    summary = run(app, ohio(server, votes=False))
    assert (summary.status, summary.fetched) == ("ok", 15)
    assert not any(server.requests_to(f"{API}/{number}/actions") for number in BILLS)


def test_same_content_without_validators_is_parsed_and_stored_as_no_op(app: App, server: FixtureServer) -> None:
    for number in BILLS:  # a server that sends no ETag: every page comes back whole, every time
        server.route(f"/legislation/136/{number}/status", Answer(file=f"ohio/{number}_status.html"))
    run(app, ohio(server, hearings=False))
    second = run(app, ohio(server, hearings=False))
    assert second.status == "ok" and second.records == 3
    assert (second.new_bills, second.updated_bills, second.events) == (0, 0, 0)


def test_changed_ohio_rerun_records_exactly_the_new_action(app: App, server: FixtureServer) -> None:
    run(app, ohio(server))
    page = (FIXTURES / "ohio/hb12_status.html").read_text()
    row = ('<tr><th class="date-cell"><span>03-04-2025</span></th><td class="chamber-cell"><span>House</span></td>'
           '<td class="action-cell"><span>Passed</span></td><td class="committee-cell"><span></span></td></tr>\n')
    marker = '          <tr><th class="date-cell"><span>02-25-2025</span>'
    server.route("/legislation/136/hb12/status", Answer(body=page.replace(marker, row + marker).encode(),
                                                         content_type="text/html", etag='"hb12-v2"'))
    second = run(app, ohio(server))
    assert (second.status, second.new_bills, second.updated_bills) == ("ok", 0, 1)
    assert events(app, second.run_id) == [("new_action", "HB 12: Passed")]
    assert validators(app)[server.url("/legislation/136/hb12/status")] == '"hb12-v2"'

    third = run(app, ohio(server))
    assert third.events == 0 and third.updated_bills == 0


def test_server_error_then_success_is_retried_and_stored(app: App, server: FixtureServer) -> None:
    server.route(f"{API}/", Answer(status=500), Answer(status=503, headers=(("Retry-After", "7"),)),
                 Answer(file="ohio/legislation_136.json"))
    time = FakeTime()
    summary = run(app, ohio(server, hearings=False), time=time)
    assert summary.status == "ok" and summary.new_bills == 3
    assert [r.status for r in server.requests_to(f"{API}/")] == [500, 503, 200]
    assert time.sleeps[:2] == [2.0, 7.0]  # backoff, then the server's Retry-After; nobody waited for real


def test_malformed_bill_list_fails_the_run_naming_the_url_and_keeps_earlier_data(
    app: App, server: FixtureServer
) -> None:
    first = run(app, ohio(server))
    before = (events(app), state(app, "ohio-legislature"), validators(app))
    server.route(f"{API}/", Answer(body=b"<html>Service Unavailable</html>", content_type="text/html"))
    second = run(app, ohio(server))
    assert second.status == "failed"
    (error,) = second.errors
    assert error.startswith(server.url(f"{API}/") + ": not valid JSON")
    row = run_row(app, second.run_id)
    assert (row.status, row.error) == ("failed", error)
    assert (events(app), state(app, "ohio-legislature"), validators(app)) == before
    assert bills(app) == ["HB 12", "HB 45", "SB 8"] and first.status == "ok"
    # what broke it is kept, to look at and to replay once the parser is fixed
    assert archived(app, second.run_id)[server.url(f"{API}/")] == b"<html>Service Unavailable</html>"


def test_removed_status_table_fails_that_bill_and_stores_the_others(app: App, server: FixtureServer) -> None:
    server.route("/legislation/136/hb45/status", Answer(file="ohio/status_redesigned.html", etag='"new-layout"'))
    summary = run(app, ohio(server, hearings=False))
    assert summary.status == "partial" and summary.new_bills == 2
    (error,) = summary.errors
    assert error.startswith(server.url("/legislation/136/hb45/status")) and "legislation-status-table" in error
    assert bills(app) == ["HB 12", "SB 8"]
    assert server.url("/legislation/136/hb45/status") not in validators(app)  # so the next run asks again
    assert run_row(app, summary.run_id).error == error

    server.serve("/legislation/136/hb45/status", "ohio/hb45_status.html")
    again = run(app, ohio(server, hearings=False))
    assert again.status == "ok" and [kind for kind, _ in events(app, again.run_id)] == ["new_bill"]
    assert bills(app) == ["HB 12", "HB 45", "SB 8"]


def test_an_empty_listing_where_there_were_many_is_a_failed_run(app: App, server: FixtureServer) -> None:
    listing = json.loads((FIXTURES / "ohio/legislation_136.json").read_text())
    hb12 = next(item for item in listing if item["number"] == "hb12")
    many = [{**hb12, "number": f"hb{n}", "name": f"H. B. No. {n}"} for n in range(12, 24)]
    server.route(f"{API}/", Answer(body=json.dumps(many).encode(), content_type="application/json"))
    first = run(app, ohio(server, hearings=False, only_bills=["HB 12"]))
    assert first.status == "ok" and first.listed == 12

    server.route(f"{API}/", Answer(body=b"[]", content_type="application/json"))
    second = run(app, ohio(server, hearings=False))
    assert second.status == "failed"
    assert second.errors == [f"{server.url(f'{API}/')}: listed nothing where run {first.run_id} listed 12; "
                             "has the source changed its layout? Nothing was stored."]
    assert state(app, "ohio-legislature") == {"bill:136:hb12": state(app, "ohio-legislature")["bill:136:hb12"]}
    # and it stays suspicious: the failed run does not become the new normal
    assert run(app, ohio(server, hearings=False)).status == "failed"


def test_a_quiet_day_at_a_source_that_sends_no_validators_is_not_an_alarm(app: App, server: FixtureServer) -> None:
    with_keys(app)
    big = json.loads((FIXTURES / "legiscan/masterlist_raw_ar.json").read_text())
    for n in range(3, 15):  # more bills than the alarm threshold, all unchanged on the second run
        big["masterlist"][str(n)] = {"bill_id": 900000 + n, "number": f"HB{2000 + n}", "change_hash": "same"}
    server.route("/", Answer(body=json.dumps(big).encode(), content_type="application/json"), query=MASTER)
    for n in range(3, 15):
        server.route("/", Answer(file=str(legiscan_file("AR_HB1046.json"))),
                     query={"op": "getBill", "id": str(900000 + n)})
    run(app, legiscan(server), "AR")
    second = run(app, legiscan(server), "AR")
    assert (second.status, second.records, second.listed, second.events) == ("ok", 0, 15, 0)


# -- LegiScan --------------------------------------------------------------------------------------------------

def test_legiscan_runs_store_change_hashes_and_fetch_only_what_moved(app: App, server: FixtureServer) -> None:
    with_keys(app)
    first = run(app, legiscan(server), "AR")
    assert (first.status, first.new_bills) == ("ok", 3)
    assert state(app, "ar-legiscan")["396374"] == "08fc4d0a5215aae945c71ebced472de1"
    assert all("key=" not in url for url in archived(app, first.run_id))  # the key never reaches the archive
    assert all(r.query["key"] == ["ls-test-key"] for r in server.requests_to("/"))

    server.clear_log()
    second = run(app, legiscan(server), "AR")
    assert (second.status, second.events, second.fetched) == ("ok", 0, 1)  # the master list only

    moved = (FIXTURES / "legiscan/masterlist_raw_ar.json").read_text().replace("08fc4d0a5215", "ffffffffffff")
    server.route("/", Answer(body=moved.encode(), content_type="application/json"), query=MASTER)
    server.clear_log()
    third = run(app, legiscan(server), "AR")
    assert [r.query["id"] for r in server.requests_to("/") if r.query["op"] == ["getBill"]] == [["396374"]]
    assert third.events == 0 and third.status == "ok"  # the hash moved, the bill's content did not
    assert state(app, "ar-legiscan")["396374"].startswith("ffffffffffff")


def test_a_source_without_its_api_key_fails_alone_naming_the_variable(app: App, server: FixtureServer) -> None:
    configure(app, jurisdiction("AR", legiscan(server)), jurisdiction("OH", news(server)))
    time = FakeTime()
    lines: list[str] = []
    first, second = run_sources(app, progress=lines.append, sleep=time.sleep, monotonic=time.clock)
    assert first.status == "failed"
    assert first.errors == ["ar-legiscan needs a LegiScan API key: set the environment variable LEGISCAN_API_KEY"]
    assert server.requests_to("/") == []
    assert second.status == "ok" and count(app, NewsItem) > 0
    assert "    error: ar-legiscan needs a LegiScan API key: set the environment variable LEGISCAN_API_KEY" in lines


def test_legiscan_replay_needs_no_key_and_asks_the_archive_what_the_run_asked(app: App, server: FixtureServer) -> None:
    configure(app, jurisdiction("AR", legiscan(server)))
    with_keys(app)
    run(app, legiscan(server), "AR")
    moved = (FIXTURES / "legiscan/masterlist_raw_ar.json").read_text().replace("08fc4d0a5215", "ffffffffffff")
    server.route("/", Answer(body=moved.encode(), content_type="application/json"), query=MASTER)
    second = run(app, legiscan(server), "AR")
    app.secrets = Secrets.from_env({})
    server.clear_log()
    replayed = replay(app, second.run_id)
    assert server.requests_to("/") == []
    assert (replayed.status, replayed.records, replayed.events) == ("ok", 1, 0)  # the one bill that moved
    assert run_row(app, replayed.run_id).replay_of == second.run_id
    assert all(REPLAY_KEY not in url for url in archived(app, replayed.run_id))


# -- Open States -----------------------------------------------------------------------------------------------

def test_openstates_asks_only_for_bills_updated_since_its_cursor(app: App, server: FixtureServer) -> None:
    with_keys(app)
    first = run(app, openstates(server), "MA")
    assert (first.status, first.new_bills) == ("ok", 3)
    assert server.requests_to("/bills")[0].headers["x-api-key"] == "os-test-key"
    assert "updated_since" not in server.requests_to("/bills")[0].query
    cursor = state(app, "ma-openstates")["updated_since"]

    server.clear_log()
    server.route("/bills", Answer(file="openstates/bills_empty.json"), query={"page": "1"})
    second = run(app, openstates(server), "MA")
    assert second.status == "ok" and second.events == 0
    assert cursor == "2025-03-02T18:40:00.000Z"  # the newest updated_at the source reported, not our clock
    assert server.requests_to("/bills")[0].query["updated_since"] == ["2025-03-02T18:40:00+00:00"]


def test_openstates_page_that_fails_keeps_the_cursor_so_nothing_is_skipped(app: App, server: FixtureServer) -> None:
    with_keys(app)
    server.route("/bills", Answer(body=b"{oops", content_type="application/json"), query={"page": "2"})
    first = run(app, openstates(server), "MA")
    assert first.status == "partial" and first.new_bills == 2
    assert "updated_since" not in state(app, "ma-openstates")
    server.serve("/bills", "openstates/bills_page2.json", query={"page": "2"})
    server.clear_log()
    second = run(app, openstates(server), "MA")
    assert "updated_since" not in server.requests_to("/bills")[0].query  # asked again from the start
    assert second.status == "ok" and second.new_bills == 1


# -- RSS -------------------------------------------------------------------------------------------------------

def test_feed_items_are_news_once(app: App, server: FixtureServer) -> None:
    first = run(app, news(server))
    assert first.status == "ok" and first.events == count(app, NewsItem) > 0
    second = run(app, news(server))
    assert (second.not_modified, second.events) == (1, 0)
    server.route("/news.xml", Answer(file="rss/statehouse_news.xml"))  # no validators: same items again
    assert run(app, news(server)).events == 0


def test_a_page_that_is_no_feed_fails_the_run(app: App, server: FixtureServer) -> None:
    server.route("/news.xml", Answer(file="rss/not_a_feed.html"))
    summary = run(app, news(server))
    assert summary.status == "failed" and summary.errors[0].startswith(server.url("/news.xml") + ": not an RSS")


# -- replay, isolation, all or nothing -------------------------------------------------------------------------

def test_replay_reparses_a_past_run_offline(app: App, server: FixtureServer) -> None:
    configure(app, jurisdiction("OH", ohio(server)))
    first = run(app, ohio(server))
    run(app, ohio(server))  # unchanged: validators now say 304 for every bill page
    with app.transaction() as session:  # lose the stored bills (their events go with them)
        session.execute(delete(Bill))
    server.clear_log()
    replayed = replay(app, first.run_id)
    assert server.log == []
    assert (replayed.status, replayed.new_bills, replayed.records) == ("ok", 3, first.records)
    assert bills(app) == ["HB 12", "HB 45", "SB 8"]
    # a replay changes neither what the next real run asks for nor the source's memory
    assert run_row(app, replayed.run_id).since == run_row(app, first.run_id).since
    assert validators(app)[server.url("/legislation/136/hb45/status")] == '"ohio/hb45_status.html"'


def test_replay_of_a_run_that_got_only_304s_reproduces_them(app: App, server: FixtureServer) -> None:
    configure(app, jurisdiction("OH", news(server)))
    run(app, news(server))
    quiet = run(app, news(server))
    assert quiet.not_modified == 1
    replayed = replay(app, quiet.run_id)
    assert replayed.status == "failed" and "archived no payloads" in replayed.errors[0]


def test_one_failing_source_never_stops_the_others(app: App, server: FixtureServer) -> None:
    configure(app, jurisdiction("OH", ohio(server, hearings=False), news(server)))
    server.route(f"{API}/", Answer(status=500))
    time = FakeTime()
    broken, fine = run_sources(app, sleep=time.sleep, monotonic=time.clock)
    assert broken.status == "failed" and "HTTP 500 after 5 attempt(s)" in broken.errors[0]
    assert fine.status == "ok" and count(app, NewsItem) > 0
    assert sum(time.sleeps) > 0  # retried with backoff, on the fake clock


def test_a_store_that_fails_leaves_nothing_half_written(sqlite_app: App, server: FixtureServer) -> None:
    app = sqlite_app
    with app.engine.begin() as conn:  # the database refuses one action halfway through the run
        conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON action WHEN NEW.description = 'Sponsor Testimony' "
                          "BEGIN SELECT RAISE(ABORT, 'disk full'); END"))
    failed = run(app, ohio(server))
    assert failed.status == "failed" and "storing failed" in failed.errors[0] and "disk full" in failed.errors[0]
    assert (bills(app), events(app), state(app, "ohio-legislature"), validators(app)) == ([], [], {}, {})
    assert len(archived(app, failed.run_id)) == 18  # the bodies are kept
    assert (failed.new_bills, failed.events, failed.changed_bill_ids) == (0, 0, [])

    with app.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER refuse"))
    server.clear_log()
    again = run(app, ohio(server))
    assert again.status == "ok" and again.new_bills == 3 and again.not_modified == 0  # fetched again, in full


def test_a_run_left_running_by_a_killed_process_is_marked_interrupted_by_the_next(app: App, server: FixtureServer
                                                                                  ) -> None:
    with app.transaction() as session:
        killed = SourceRun(source="ohio-legislature", kind="ohio", jurisdiction="OH", started_at=app.now())
        session.add(killed)
        session.flush()
        killed_id = killed.id
    summary = run(app, ohio(server))
    assert summary.status == "ok"
    row = run_row(app, killed_id)
    assert row.status == "interrupted" and "stopped during this run" in row.error
    assert run_row(app, summary.run_id).status == "ok"


def test_a_second_run_of_a_source_already_running_is_refused_without_touching_the_first(
        app: App, server: FixtureServer) -> None:
    from advocacy.locks import db_lock

    with db_lock(app, "source:ohio-legislature") as held:  # a run in progress elsewhere
        assert held
        refused = run(app, ohio(server))
    assert refused.status == "failed" and "another run of this source is in progress" in refused.errors[0]
    assert count(app, SourceRun) == 0 and bills(app) == []
