from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup

from scrapers import SOURCES, ohio
from scrapers.http import MemoryValidatorStore, remember
from tests.httpserver import FIXTURES, Answer, FakeTime, FixtureServer, make_fetcher
from vocabulary.records import ScrapeError

NY = ZoneInfo("America/New_York")
API = "/api/v2/general_assembly_136/legislation"
BILLS = ("hb12", "hb45", "sb8")
MEETINGS = {
    "/schedules/committee-meeting/cmte_h_primary_secondary_education_1/2025-03-04": "ohio/meeting_h_education.html",
    "/schedules/committee-meeting/cmte_s_finance_1/2025-03-06": "ohio/meeting_s_finance.html",
}


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as running:
        serve_ohio(running)
        yield running


def serve_ohio(server: FixtureServer, ga: str = "136", slug: str = "136") -> None:
    api = f"/api/v2/general_assembly_{ga}/legislation"
    server.serve(f"{api}/", "ohio/legislation_136.json")
    for number in BILLS:
        # The list names versions paths under general_assembly_136; a special session reuses the same files.
        server.serve(f"{API}/{number}/versions", f"ohio/{number}_versions.json")
        server.serve(f"/legislation/{slug}/{number}/status", f"ohio/{number}_status.html")
        server.serve(f"/legislation/{slug}/{number}/documents", f"ohio/{number}_documents.html")
    for number in BILLS:
        server.serve(f"{api}/{number}/actions", f"ohio/{number}_actions.json")
    server.serve("/schedules/calendar-data", "ohio/calendar.json")
    for path, file in MEETINGS.items():
        server.serve(path, file)
    server.serve("/download", "ohio/agenda_h_education.pdf", query={"key": "99120"})
    server.serve("/download", "ohio/agenda_s_finance.pdf", query={"key": "99121"})


def options(server: FixtureServer, **overrides: object) -> ohio.Options:
    settings: dict[str, object] = {"max_requests": None, **overrides}
    return ohio.Options(api_base_url=server.base_url, site_base_url=server.base_url, **settings)


def by_id(collected: ohio.Collected) -> dict[str, ohio.BillRecord]:
    return {bill.identifier: bill for bill in collected.result.bills}


def test_source_is_registered_by_name() -> None:
    assert SOURCES["ohio"] is ohio


def test_first_scrape_builds_bills_from_api_status_and_documents(server: FixtureServer) -> None:
    collected = ohio.collect(make_fetcher(), options(server), "OH", NY, None)
    bills = by_id(collected)
    assert sorted(bills) == ["HB 12", "HB 45", "SB 8"]  # the duplicated HB 12 is listed once

    hb12 = bills["HB 12"]
    assert hb12.session == "136"
    assert hb12.title == "Regards the phase-in of the school funding formula"
    assert hb12.synopsis.startswith("To amend sections 3317.011, 3317.022, and 3327.01")  # the latest version's
    assert hb12.status == "As Reported by House Committee"
    assert hb12.url == server.url("/legislation/136/hb12")
    assert hb12.subjects == ("Education", "School Funding", "Pupil Transportation")
    assert [(s.name, s.primary) for s in hb12.sponsors] == [
        ("Representative Dana Whitcombe", True),
        ("Representative Luis Ferrante", False),
        ("Representative Maren Obi", False),
    ]
    assert [(a.when, a.description, a.chamber, a.committee) for a in hb12.actions] == [
        (datetime(2025, 1, 28, tzinfo=NY), "Introduced", "House", ""),
        (datetime(2025, 2, 4, tzinfo=NY), "Refer to Committee", "House", "Primary and Secondary Education"),
        (datetime(2025, 2, 11, tzinfo=NY), "Sponsor Testimony", "House", "Primary and Secondary Education"),
        (datetime(2025, 2, 25, tzinfo=NY), "Reported - Substitute", "House", "Primary and Secondary Education"),
    ]
    assert hb12.committee == "Primary and Secondary Education"
    assert [(v.code, v.name) for v in hb12.versions] == [
        ("00_IN", "As Introduced"),
        ("01_RH", "As Reported by House Committee"),
    ]
    assert hb12.versions[1].url == server.url(f"{API}/hb12/01_RH/pdf/")
    assert hb12.versions[1].html_url == server.url(f"{API}/hb12/01_RH/html/")
    assert [(d.kind, d.title) for d in hb12.documents] == [
        ("analysis", "Bill Analysis: As Introduced"),
        ("analysis", "Bill Analysis: As Reported by House Committee"),
        ("fiscal note", "Fiscal Note: As Introduced"),
    ]
    assert hb12.documents[0].url == server.url("/download?key=24410&format=pdf")
    assert bills["HB 45"].documents == ()


def test_same_day_rows_keep_page_order_and_effective_date_becomes_an_action(server: FixtureServer) -> None:
    sb8 = by_id(ohio.collect(make_fetcher(), options(server), "OH", NY, None))["SB 8"]
    same_day = [(a.description, a.order) for a in sb8.actions if a.when == datetime(2025, 2, 19, tzinfo=NY)]
    assert same_day == [("Proponent Testimony", 0), ("Reported - Amended", 1)]
    assert sb8.actions[-2].description == "Signed by the Governor" and sb8.actions[-2].chamber == "Governor"
    assert (sb8.actions[-1].description, sb8.actions[-1].when) == ("Effective", datetime(2025, 6, 30, tzinfo=NY))
    assert sb8.status == "As Enrolled"


def test_hearings_come_from_the_calendar_and_meeting_pages(server: FixtureServer) -> None:
    collected = ohio.collect(make_fetcher(time=FakeTime()), options(server), "OH", NY, None)
    hearings = {h.committee: h for h in collected.result.hearings}
    assert sorted(hearings) == ["House Primary and Secondary Education", "Senate Education", "Senate Finance"]
    house = hearings["House Primary and Secondary Education"]
    assert house.start == datetime(2025, 3, 4, 10, 0, tzinfo=NY)
    assert house.chamber == "House"
    assert house.location == "Room 121"
    assert house.bills == ("HB 12", "HB 45")
    assert house.key == house.url == server.url(
        "/schedules/committee-meeting/cmte_h_primary_secondary_education_1/2025-03-04"
    )
    assert not house.cancelled
    assert hearings["Senate Education"].cancelled
    assert hearings["Senate Finance"].bills == ("SB 8",)
    # The window runs from a week before "today" (2025-03-03 in Columbus) to four weeks after.
    (calendar_request,) = server.requests_to("/schedules/calendar-data")
    assert calendar_request.query == {"start": ["2025-02-24"], "end": ["2025-03-31"]}
    # The cancelled meeting's page is not fetched, and floor sessions are not hearings.
    assert server.requests_to("/schedules/committee-meeting/cmte_s_education_1/2025-03-05") == []
    assert server.requests_to("/schedules/house-session/2025-03-05") == []


def test_unchanged_rescrape_gets_304s_and_parses_nothing(server: FixtureServer) -> None:
    store = MemoryValidatorStore()
    fetcher = make_fetcher(validators=store)
    first = ohio.collect(fetcher, options(server), "OH", NY, None)
    assert first.fetched == 18 and first.not_modified == 0  # 13 pages, 3 actions pages and 2 agenda PDFs
    remember(store, first.payloads)

    # Same validator, unparseable body: were it parsed, the scrape would fail.
    server.route("/legislation/136/hb45/status", Answer(file="ohio/status_redesigned.html", etag='"ohio/hb45_status.html"'))
    second = ohio.collect(fetcher, options(server), "OH", NY, None, state=first.state)
    assert second.result.bills == () and second.result.hearings == ()
    assert second.errors == []
    assert second.not_modified == 12  # the bill list, 3 pages for each of 3 bills, 2 meeting pages
    assert second.fetched == 1  # the calendar, asked for whole every time
    assert server.requests_to(f"{API}/")[-1].headers["if-none-match"] == '"ohio/legislation_136.json"'
    assert server.requests_to("/legislation/136/hb45/status")[-1].headers["if-none-match"] == '"ohio/hb45_status.html"'
    assert second.state == first.state


def test_an_unchanged_bill_list_still_finds_a_changed_page_and_then_reads_the_list_once(
    server: FixtureServer,
) -> None:
    store = MemoryValidatorStore()
    fetcher = make_fetcher(validators=store)
    first = ohio.collect(fetcher, options(server, hearings=False), "OH", NY, None)
    remember(store, first.payloads)
    server.clear_log()

    server.route("/legislation/136/hb45/status", Answer(file="ohio/hb12_status.html", etag='"changed"'))
    second = ohio.collect(fetcher, options(server, hearings=False), "OH", NY, None, state=first.state)
    (hb45,) = second.result.bills
    assert (hb45.identifier, hb45.title) == ("HB 45", first_title(first, "HB 45"))  # the list entry, read again
    assert [r.status for r in server.requests_to(f"{API}/")] == [304, 200]
    assert second.state == first.state and second.errors == []


def first_title(collected: ohio.Collected, identifier: str) -> str:
    return by_id(collected)[identifier].title


def test_one_changed_page_rebuilds_that_bill_in_full(server: FixtureServer) -> None:
    store = MemoryValidatorStore()
    fetcher = make_fetcher(validators=store)
    first = ohio.collect(fetcher, options(server), "OH", NY, None)
    remember(store, first.payloads)

    server.route("/legislation/136/hb45/status", Answer(file="ohio/hb12_status.html", etag='"changed"'))
    second = ohio.collect(fetcher, options(server), "OH", NY, None, state=first.state)
    (hb45,) = second.result.bills
    assert hb45.identifier == "HB 45"
    assert len(hb45.actions) == 4 and hb45.versions  # versions re-fetched though they had not changed
    assert [h.headers.get("if-none-match") for h in server.requests_to(f"{API}/hb45/versions")][1:] == [
        '"ohio/hb45_versions.json"',
        None,
    ]


def test_a_changed_list_entry_rebuilds_the_bill_even_when_its_pages_are_unchanged(
    server: FixtureServer, tmp_path: Path
) -> None:
    store = MemoryValidatorStore()
    fetcher = make_fetcher(validators=store)
    first = ohio.collect(fetcher, options(server), "OH", NY, None)
    remember(store, first.payloads)

    listing = (FIXTURES / "ohio/legislation_136.json").read_text()
    changed = listing.replace('"cosponsors": []', '"cosponsors": [{"full_name": "Representative Ines Dorsey"}]')
    server.route(f"{API}/", Answer(body=changed.encode(), content_type="application/json"))
    second = ohio.collect(fetcher, options(server), "OH", NY, None, state=first.state)
    (hb45,) = second.result.bills
    assert [s.name for s in hb45.sponsors] == ["Representative Corwin Hale", "Representative Ines Dorsey"]
    assert second.state["bill:136:hb45"] != first.state["bill:136:hb45"]


def test_server_error_on_a_page_is_retried(server: FixtureServer) -> None:
    server.route("/legislation/136/hb12/status", Answer(status=500), Answer(file="ohio/hb12_status.html"))
    time = FakeTime()
    collected = ohio.collect(make_fetcher(time=time, min_interval=0.0), options(server), "OH", NY, None)
    assert len(by_id(collected)["HB 12"].actions) == 4
    assert [e.status for e in server.requests_to("/legislation/136/hb12/status")] == [500, 200]
    assert time.sleeps == [2.0]


def test_malformed_bill_list_is_an_error_naming_the_url(server: FixtureServer) -> None:
    server.route(f"{API}/", Answer(body=b"<html>Service Unavailable</html>", content_type="text/html"))
    with pytest.raises(ScrapeError, match="not valid JSON") as info:
        ohio.collect(make_fetcher(), options(server), "OH", NY, None)
    assert info.value.where == server.url(f"{API}/")


def test_list_item_without_a_field_is_skipped_and_reported_naming_item_and_field(server: FixtureServer) -> None:
    listing = json.loads((FIXTURES / "ohio/legislation_136.json").read_text())
    broken = {"name": "H. B. No. 1", "number": "hb1", "subjects": [], "sponsors": [], "cosponsors": []}
    server.route(f"{API}/", Answer(body=json.dumps([*listing, broken]).encode()))
    collected = ohio.collect(make_fetcher(), options(server, hearings=False), "OH", NY, None)
    assert sorted(by_id(collected)) == ["HB 12", "HB 45", "SB 8"]
    (error,) = collected.errors
    assert error.where == server.url(f"{API}/") + f" [item {len(listing)}]"
    assert "missing field 'versions'" in error.detail and "skipped" in error.detail
    with pytest.raises(ScrapeError, match="missing field 'versions'"):  # the parser alone stays strict
        ohio.parse_bill_list(json.dumps([broken]).encode(), "list")


def test_removed_status_table_fails_that_bill_loudly_and_keeps_the_others(server: FixtureServer) -> None:
    server.route("/legislation/136/hb45/status", Answer(file="ohio/status_redesigned.html"))
    collected = ohio.collect(make_fetcher(), options(server, hearings=False), "OH", NY, None)
    assert sorted(by_id(collected)) == ["HB 12", "SB 8"]
    (error,) = collected.errors
    assert error.where == server.url("/legislation/136/hb45/status")
    assert "legislation-status-table" in error.detail
    assert "bill:136:hb45" not in collected.state  # so the next run tries it again
    assert all("hb45" not in p.url for p in collected.payloads)


def test_every_bill_failing_is_raised_not_returned_empty(server: FixtureServer) -> None:
    for number in BILLS:
        server.route(f"/legislation/136/{number}/status", Answer(file="ohio/status_redesigned.html"))
    with pytest.raises(ScrapeError, match="legislation-status-table"):
        ohio.collect(make_fetcher(), options(server, hearings=False), "OH", NY, None)


def test_meeting_page_without_location_is_reported_and_the_hearing_kept_from_the_calendar(
    server: FixtureServer,
) -> None:
    path = "/schedules/committee-meeting/cmte_s_finance_1/2025-03-06"
    server.route(path, Answer(body=b"<html><body><h1>Senate Finance</h1><p>Moved.</p></body></html>"))
    collected = ohio.collect(make_fetcher(), options(server), "OH", NY, None)
    (error,) = collected.errors
    assert error.where == server.url(path) and "Location" in error.detail
    finance = next(h for h in collected.result.hearings if h.committee == "Senate Finance")
    assert (finance.location, finance.bills) == ("", ())
    assert len(collected.result.bills) == 3


def test_a_meeting_page_answering_internal_server_error_keeps_the_hearing(server: FixtureServer) -> None:
    path = "/schedules/committee-meeting/cmte_s_finance_1/2025-03-06"
    server.route(path, Answer(body=b"<html><body><h1>Internal Server Error</h1></body></html>"))
    collected = ohio.collect(make_fetcher(), options(server), "OH", NY, None)
    (error,) = collected.errors
    assert "Internal Server Error" in error.detail
    assert "Senate Finance" in {h.committee for h in collected.result.hearings}


def test_agenda_bills_come_from_the_agenda_pdf_before_the_page(server: FixtureServer) -> None:
    path = "/schedules/committee-meeting/cmte_h_primary_secondary_education_1/2025-03-04"
    server.serve("/download", "ohio/agenda_pdf_only.pdf", query={"key": "99120"})
    page = (FIXTURES / "ohio/meeting_h_education.html").read_text()
    without_block = re.sub(r'<section class="agenda">.*?</section>', "", page, flags=re.DOTALL)
    server.route(path, Answer(body=without_block.encode(), content_type="text/html"))
    collected = ohio.collect(make_fetcher(), options(server), "OH", NY, None)
    hearing = next(h for h in collected.result.hearings if h.committee == "House Primary and Secondary Education")
    assert hearing.bills == ("HB 12", "HB 96", "HJR 3")
    assert collected.errors == []


def test_agenda_pdf_that_cannot_be_read_falls_back_to_the_page(server: FixtureServer) -> None:
    server.route("/download", Answer(body=b"not a pdf"), query={"key": "99120"})
    collected = ohio.collect(make_fetcher(), options(server), "OH", NY, None)
    hearing = next(h for h in collected.result.hearings if h.committee == "House Primary and Secondary Education")
    assert hearing.bills == ("HB 12", "HB 45")
    (error,) = collected.errors
    assert "not a readable PDF" in error.detail and "key=99120" in error.where


def test_calendar_item_without_url_is_a_hearing_without_a_page_and_a_broken_item_is_skipped(
    server: FixtureServer,
) -> None:
    items = json.loads((FIXTURES / "ohio/calendar.json").read_text())
    items.append({"title": "House Finance Committee Meeting", "start": "2025-03-07T09:00:00"})
    items.append({"title": "Senate Health Committee Meeting", "start": "next Tuesday", "url": "x"})
    server.route("/schedules/calendar-data", Answer(body=json.dumps(items).encode()))
    collected = ohio.collect(make_fetcher(), options(server), "OH", NY, None)
    finance = next(h for h in collected.result.hearings if h.committee == "House Finance")
    assert (finance.url, finance.bills, finance.start.hour) == ("", (), 9)
    (error,) = collected.errors
    assert error.where.endswith(f"[item {len(items) - 1}]") and "unreadable start 'next Tuesday'" in error.detail
    assert len(collected.result.bills) == 3


def test_bill_list_gets_its_own_long_timeout() -> None:
    assert ohio.Options().bill_list_timeout == 300 and ohio.Options().page_timeout == 30


def test_actions_can_come_from_the_api_with_times(server: FixtureServer) -> None:
    collected = ohio.collect(
        make_fetcher(), options(server, only_bills=["H.B. 12"], actions_from="api", hearings=False), "OH", NY, None
    )
    (hb12,) = collected.result.bills
    assert [(a.when, a.description, a.committee) for a in hb12.actions] == [
        (datetime(2025, 1, 28, 15, 2, 44, tzinfo=NY), "Introduced", ""),
        (datetime(2025, 2, 4, 13, 15, tzinfo=NY), "Refer to Committee", "Primary and Secondary Education"),
        (datetime(2025, 2, 25, 10, 41, 7, tzinfo=NY), "Reported - Substitute - Passed", "Primary and Secondary Education"),
    ]
    assert server.requests_to("/legislation/136/hb12/status") == []


def test_an_api_action_without_its_time_is_skipped_and_the_bill_kept(server: FixtureServer) -> None:
    actions = json.loads((FIXTURES / "ohio/hb12_actions.json").read_text())
    del actions[1]["occurred"]
    server.route(f"{API}/hb12/actions", Answer(body=json.dumps(actions).encode()))
    collected = ohio.collect(
        make_fetcher(), options(server, only_bills=["H.B. 12"], actions_from="api", hearings=False), "OH", NY, None
    )
    (hb12,) = collected.result.bills
    assert len(hb12.actions) == len(actions) - 1
    (error,) = collected.errors
    assert error.where.endswith("/hb12/actions [action 1]") and "missing field 'occurred'" in error.detail


def test_special_session_uses_its_own_slug_and_api_name(server: FixtureServer) -> None:
    serve_ohio(server, ga="135S1", slug="135-s1")
    collected = ohio.collect(make_fetcher(), options(server, sessions=["135S1"], hearings=False), "OH", NY, None)
    assert {b.session for b in collected.result.bills} == {"135S1"}
    assert by_id(collected)["HB 12"].url == server.url("/legislation/135-s1/hb12")
    assert server.requests_to("/legislation/136/hb12/status") == []


def test_request_budget_stops_with_a_note_and_keeps_what_was_gathered(server: FixtureServer) -> None:
    collected = ohio.collect(make_fetcher(), options(server, max_requests=5), "OH", NY, None)
    assert [b.identifier for b in collected.result.bills] == ["HB 12"]
    assert any("budget 5" in note for note in collected.result.notes)


def test_options_reject_unknown_settings_and_bad_values() -> None:
    with pytest.raises(ValueError, match="extra"):
        ohio.Options(base_url="https://example.org")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="not a bill number"):
        ohio.Options(only_bills=["school funding"])
    with pytest.raises(ValueError, match="not an Ohio General Assembly"):
        ohio.Options(sessions=["136th"])
    assert ohio.Options(only_bills=["H.B. 12"]).only_bills == ["HB 12"]


def test_session_slug() -> None:
    assert ohio.session_slug("136") == "136"
    assert ohio.session_slug("135S1") == "135-s1"
    with pytest.raises(ValueError):
        ohio.session_slug("136th")


def test_committee_name_from_calendar_title() -> None:
    assert ohio.committee_of("Senate Education Committee Meeting - CANCELED") == ("Senate Education", "Senate")
    assert ohio.committee_of("Joint Education Oversight Committee Meeting") == ("Joint Education Oversight", "Joint")


def test_status_page_parser_reads_rows_oldest_first() -> None:
    actions = ohio.parse_status_page((FIXTURES / "ohio/hb45_status.html").read_bytes(), "hb45/status", NY)
    assert [(a.when.date().isoformat(), a.description) for a in actions] == [
        ("2025-02-05", "Introduced"),
        ("2025-02-12", "Refer to Committee"),
    ]


def test_status_row_with_a_bad_date_names_the_page() -> None:
    page = (FIXTURES / "ohio/hb45_status.html").read_text().replace("02-05-2025", "Feb 5")
    with pytest.raises(ScrapeError, match="unreadable date 'Feb 5'") as info:
        ohio.parse_status_page(page.encode(), "hb45/status", NY)
    assert info.value.where == "hb45/status [status row 0]"  # rows are read oldest (last on the page) first


def test_status_rows_without_chamber_or_committee_and_in_other_date_formats_are_read() -> None:
    page = (FIXTURES / "ohio/hb45_status.html").read_text()
    soup = BeautifulSoup(page, "lxml")
    rows = soup.select("table.legislation-status-table tbody tr")
    for cell in rows[0].select(".chamber-cell, .committee-cell"):
        cell.decompose()
    rows[0].select_one(".date-cell").string = "2/12/2025"
    actions = ohio.parse_status_page(str(soup).encode(), "hb45/status", NY)
    assert [(a.when.date().isoformat(), a.chamber, a.committee) for a in actions][-1] == ("2025-02-12", "", "")


def test_one_unreadable_status_row_is_skipped_and_the_bill_kept(server: FixtureServer) -> None:
    page = (FIXTURES / "ohio/hb45_status.html").read_text().replace("02-05-2025", "Feb 5")
    server.route("/legislation/136/hb45/status", Answer(body=page.encode(), content_type="text/html"))
    collected = ohio.collect(make_fetcher(), options(server, hearings=False), "OH", NY, None)
    hb45 = by_id(collected)["HB 45"]
    assert [a.description for a in hb45.actions] == ["Refer to Committee"]
    (error,) = collected.errors
    assert error.where.endswith("/legislation/136/hb45/status [status row 0]") and "Feb 5" in error.detail
