from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from scrapers import SOURCES, legiscan
from scrapers.http import MemoryValidatorStore, remember
from tests.httpserver import FIXTURES, Answer, FakeTime, FixtureServer, make_fetcher, real_path
from vocabulary.records import ScrapeError

CHICAGO = ZoneInfo("America/Chicago")  # Arkansas
NY = ZoneInfo("America/New_York")
ANCHORAGE = ZoneInfo("America/Anchorage")
BILL_IDS = {396373: "AR_HB1044.json", 396374: "AR_HB1045.json", 396375: "AR_HB1046.json"}
KEY = "test-key-0000"


def real_file(name: str) -> Path:
    return real_path("legiscan", name)


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as running:
        running.serve("/", "legiscan/masterlist_raw_ar.json", query={"op": "getMasterListRaw", "state": "AR"})
        for bill_id, name in BILL_IDS.items():
            running.serve("/", str(real_file(name)), query={"op": "getBill", "id": str(bill_id)})
        yield running


def options(server: FixtureServer, **overrides: object) -> legiscan.Options:
    return legiscan.Options(base_url=server.url("/"), **overrides)


def bill_requests(server: FixtureServer) -> list[str]:
    return [r.query["id"][0] for r in server.requests_to("/") if r.query.get("op") == ["getBill"]]


def test_source_is_registered_by_name() -> None:
    assert SOURCES["legiscan"] is legiscan


def test_real_getbill_files_parse_as_they_are() -> None:
    body = real_file("AR_HB1044.json").read_bytes()
    bill, hearings = legiscan.parse_bill(body, "AR_HB1044.json", CHICAGO, "AR")
    assert bill.identifier == "HB 1044"
    assert bill.session == "88th General Assembly (2012 Fiscal)"
    assert bill.title.startswith("An Act For The Veterinary Medical Examining Board Appropriation")
    assert bill.synopsis == ""  # the description repeats the title
    assert bill.status == "Passed"
    assert bill.source_id == "396373"
    assert bill.url == "http://www.arkleg.state.ar.us/assembly/2011/2012F/Pages/BillInformation.aspx?measureno=HB1044"
    assert [(s.name, s.primary) for s in bill.sponsors] == [("Joint Budget Committee", True)]
    first, second = bill.actions[:2]
    assert (first.when, first.description, first.chamber) == (datetime(2012, 2, 7, tzinfo=CHICAGO), "House Prefiled", "House")
    assert second.description.endswith("referred to the Committee on JOINT BUDGET COMMITTEE")
    senate = [a for a in bill.actions if a.description == "Senate Read the third time and passed."]
    assert senate[0].chamber == "Senate" and senate[0].when.date().isoformat() == "2012-02-16"
    same_day = [a.order for a in bill.actions if a.when == datetime(2012, 2, 15, tzinfo=CHICAGO)]
    assert same_day == list(range(len(same_day))) and len(same_day) > 2
    assert [(v.name, v.code) for v in bill.versions] == [("Draft", "573635"), ("Draft", "575293")]
    assert bill.versions[0].url == "http://www.arkleg.state.ar.us/assembly/2011/2012F/Bills/HB1044.pdf"
    assert hearings == ()


def test_first_scrape_fetches_every_bill_of_the_master_list(server: FixtureServer) -> None:
    collected = legiscan.collect(make_fetcher(), options(server), "AR", CHICAGO, None, api_key=KEY)
    assert [b.identifier for b in collected.result.bills] == ["HB 1044", "HB 1045", "HB 1046"]
    assert collected.state == {
        "396373": "ea86b8d89a2e381dd2cd2adf649af44d",
        "396374": "08fc4d0a5215aae945c71ebced472de1",
        "396375": "2682b8e2af39b279a07819c8c2ad8432",
    }
    assert collected.fetched == 4 and len(collected.payloads) == 4
    assert all(KEY not in p.url for p in collected.payloads)
    assert all(r.query["key"] == [KEY] for r in server.requests_to("/"))


def test_unchanged_hashes_mean_no_getbill_at_all(server: FixtureServer) -> None:
    first = legiscan.collect(make_fetcher(), options(server), "AR", CHICAGO, None, api_key=KEY)
    server.clear_log()
    second = legiscan.collect(make_fetcher(), options(server), "AR", CHICAGO, None, state=first.state, api_key=KEY)
    assert second.result.bills == ()
    assert bill_requests(server) == []
    assert second.state == first.state


def test_unchanged_master_list_answers_304_and_nothing_is_parsed(server: FixtureServer) -> None:
    store = MemoryValidatorStore()
    fetcher = make_fetcher(validators=store)
    first = legiscan.collect(fetcher, options(server), "AR", CHICAGO, None, api_key=KEY)
    remember(store, first.payloads)
    # The same validator in front of a body that could not be parsed: a 304 never reaches the parser.
    server.route("/", Answer(body=b"garbage", etag='"legiscan/masterlist_raw_ar.json"'), query={"op": "getMasterListRaw", "state": "AR"})
    second = legiscan.collect(fetcher, options(server), "AR", CHICAGO, None, state=first.state, api_key=KEY)
    assert second.not_modified == 1 and second.fetched == 0
    assert second.result.bills == ()
    assert second.state == first.state


def test_only_the_bill_whose_hash_moved_is_fetched(server: FixtureServer) -> None:
    known = {"396373": "ea86b8d89a2e381dd2cd2adf649af44d", "396374": "stale", "396375": "2682b8e2af39b279a07819c8c2ad8432"}
    collected = legiscan.collect(make_fetcher(), options(server), "AR", CHICAGO, None, state=known, api_key=KEY)
    assert [b.identifier for b in collected.result.bills] == ["HB 1045"]
    assert bill_requests(server) == ["396374"]
    assert collected.state["396374"] == "08fc4d0a5215aae945c71ebced472de1"


def test_query_budget_stops_before_it_is_spent_with_a_note(server: FixtureServer) -> None:
    collected = legiscan.collect(make_fetcher(), options(server, max_queries=2), "AR", CHICAGO, None, api_key=KEY)
    assert [b.identifier for b in collected.result.bills] == ["HB 1044"]
    assert len(server.requests_to("/")) == 2
    assert any("budget of 2 queries; 2 changed bill(s) left" in note for note in collected.result.notes)
    assert set(collected.state) == {"396373"}  # the others are still "changed" next time


def test_server_error_then_success_is_retried(server: FixtureServer) -> None:
    server.route("/", Answer(status=500), Answer(file=str(real_file("AR_HB1045.json"))), query={"op": "getBill", "id": "396374"})
    time = FakeTime()
    collected = legiscan.collect(make_fetcher(time=time, min_interval=0.0), options(server), "AR", CHICAGO, None, api_key=KEY)
    assert len(collected.result.bills) == 3
    assert time.sleeps == [2.0]


def test_api_error_answer_is_a_scrape_error_with_its_message(server: FixtureServer) -> None:
    error = json.dumps({"status": "ERROR", "alert": {"message": "Unknown API key"}}).encode()
    server.route("/", Answer(body=error), query={"op": "getMasterListRaw", "state": "AR"})
    with pytest.raises(ScrapeError, match="LegiScan answered ERROR: Unknown API key") as info:
        legiscan.collect(make_fetcher(), options(server), "AR", CHICAGO, None, api_key=KEY)
    assert info.value.where == server.url("/?op=getMasterListRaw&state=AR")


def test_malformed_getbill_names_its_url_and_keeps_the_old_hash(server: FixtureServer) -> None:
    server.route("/", Answer(body=b'{"status": "OK", "bill": {"bill_id": 396374'), query={"op": "getBill", "id": "396374"})
    collected = legiscan.collect(make_fetcher(), options(server), "AR", CHICAGO, None, state={"396374": "old"}, api_key=KEY)
    (error,) = collected.errors
    assert error.where == server.url("/?op=getBill&id=396374") and "not valid JSON" in error.detail
    assert collected.state["396374"] == "old"
    assert [b.identifier for b in collected.result.bills] == ["HB 1044", "HB 1046"]


def test_getbill_without_history_is_an_error_naming_the_field() -> None:
    data = json.loads(real_file("AR_HB1046.json").read_text())
    del data["bill"]["history"]
    with pytest.raises(ScrapeError, match="missing field 'history'") as info:
        legiscan.parse_bill(json.dumps(data).encode(), "getBill 396375", CHICAGO, "AR")
    assert info.value.where == "getBill 396375"


def test_master_list_entry_without_hash_is_an_error() -> None:
    body = b'{"status": "OK", "masterlist": {"session": {}, "0": {"bill_id": 1, "number": "HB1"}}}'
    with pytest.raises(ScrapeError, match="missing field 'change_hash'"):
        legiscan.parse_master_list(body, "masterlist")


def test_calendar_entries_become_hearings_and_sponsor_roles_are_read() -> None:
    body = (FIXTURES / "legiscan/getbill_school_funding.json").read_bytes()
    bill, hearings = legiscan.parse_bill(body, "getBill 1900412", NY, "OH")
    assert bill.identifier == "HB 12" and bill.session == "136th General Assembly"
    assert bill.committee == "Primary and Secondary Education"
    assert bill.subjects == ("School Funding", "Education")
    assert [(s.name, s.primary, s.party, s.district, s.chamber) for s in bill.sponsors] == [
        ("Dana Whitcombe", True, "D", "HD-031", "House"),
        ("Luis Ferrante", False, "R", "HD-077", "House"),
    ]
    assert [(d.kind, d.title) for d in bill.documents] == [("analysis", "Bill Analysis As Introduced")]
    assert bill.status == "Introduced"
    assert [(h.start, h.committee, h.location, h.bills, h.chamber) for h in hearings] == [
        (datetime(2025, 2, 11, 10, 0, tzinfo=NY), "House Primary and Secondary Education Hearing", "Room 121", ("HB 12",), "House"),
        (datetime(2025, 2, 18, 0, 0, tzinfo=NY), "House Primary and Secondary Education Hearing", "Room 121", ("HB 12",), "House"),
    ]


def test_one_meeting_listed_under_two_bills_is_one_hearing() -> None:
    body = (FIXTURES / "legiscan/getbill_school_funding.json").read_text()
    _, first = legiscan.parse_bill(body.encode(), "a", NY, "OH")
    _, second = legiscan.parse_bill(body.replace('"HB12"', '"HB45"').encode(), "b", NY, "OH")
    merged = legiscan.merge_hearings([*first, *second])
    assert [h.bills for h in merged] == [("HB 12", "HB 45"), ("HB 12", "HB 45")]


def test_collect_refuses_to_run_without_a_key(server: FixtureServer) -> None:
    with pytest.raises(ValueError, match="LEGISCAN_API_KEY"):
        legiscan.collect(make_fetcher(), options(server), "AR", CHICAGO, None)


def test_real_alaska_bills_name_one_primary_sponsor_and_the_rest_cosponsors() -> None:
    bill, _ = legiscan.parse_bill(real_file("AK_HB3.json").read_bytes(), "AK_HB3.json", ANCHORAGE, "AK")
    assert len(bill.sponsors) == 19  # all "generic" (sponsor_type_id 0) in the real payload
    assert [s.name for s in bill.sponsors if s.primary] == ["Carl Gatto"]
    for name in ("AK_HB1.json", "AK_HB2.json"):
        other, _ = legiscan.parse_bill(real_file(name).read_bytes(), name, ANCHORAGE, "AK")
        assert sum(s.primary for s in other.sponsors) == 1 and other.session == "27th Legislature"


def test_real_alaska_history_without_chambers_follows_the_bill_across_the_transmittal() -> None:
    bill, _ = legiscan.parse_bill(real_file("AK_HB1.json").read_bytes(), "AK_HB1.json", ANCHORAGE, "AK")
    chambers = [(a.description, a.chamber) for a in bill.actions]
    sent = chambers.index(("TRANSMITTED TO (S)", "House"))
    assert {chamber for _, chamber in chambers[:sent]} == {"House"}
    assert chambers[sent + 2] == ("READ THE FIRST TIME - REFERRALS", "Senate")  # not a new introduction
    assert {chamber for _, chamber in chambers[sent + 1:]} == {"Senate"}


def _with_sponsors(sponsors: list[dict[str, object]], history: list[dict[str, object]] | None = None) -> bytes:
    data = json.loads((FIXTURES / "legiscan/getbill_school_funding.json").read_text())
    data["bill"]["sponsors"] = sponsors
    if history is not None:
        data["bill"]["history"] = history
    return json.dumps(data).encode()


def test_sponsor_roles_follow_sponsor_type_and_order() -> None:
    sponsors = [
        {"name": "Co One", "sponsor_type_id": 2, "sponsor_order": 3},
        {"name": "Joint", "sponsor_type_id": 3, "sponsor_order": 2},
        {"name": "Prime", "sponsor_type_id": 1, "sponsor_order": 1},
        {"name": "Generic", "sponsor_type_id": 0, "sponsor_order": 4},
    ]
    bill, _ = legiscan.parse_bill(_with_sponsors(sponsors), "b", NY, "OH")
    assert [(s.name, s.primary) for s in bill.sponsors] == [
        ("Prime", True), ("Joint", True), ("Co One", False), ("Generic", False)]


def test_action_chamber_comes_from_chamber_id_then_the_text() -> None:
    history = [
        {"date": "2025-01-28", "action": "Introduced", "chamber": "", "chamber_id": 69},
        {"date": "2025-02-04", "action": "(S) Referred to Rules", "chamber": "", "chamber_id": 0},
        {"date": "2025-02-05", "action": "SENATE Reported", "chamber": "", "chamber_id": 0},
        {"date": "2025-02-06", "action": "Read the first time", "chamber": "H", "chamber_id": 0},
    ]
    bill, _ = legiscan.parse_bill(_with_sponsors([], history), "b", NY, "OH")
    assert [a.chamber for a in bill.actions] == ["House", "Senate", "Senate", "House"]


def test_one_broken_sponsor_or_text_is_skipped_and_reported_when_asked() -> None:
    body = _with_sponsors([{"sponsor_type_id": 1}, {"name": "Kept", "sponsor_type_id": 1}])
    skipped: list[ScrapeError] = []
    bill, _ = legiscan.parse_bill(body, "getBill 1", NY, "OH", skipped)
    assert [s.name for s in bill.sponsors] == ["Kept"]
    (error,) = skipped
    assert error.where == "getBill 1 [sponsors 0]" and "missing field 'name'" in error.detail
    with pytest.raises(ScrapeError, match="missing field 'name'"):
        legiscan.parse_bill(body, "getBill 1", NY, "OH")


def test_votes_in_a_payload_are_left_alone() -> None:
    data = json.loads((FIXTURES / "legiscan/getbill_school_funding.json").read_text())
    data["bill"]["votes"] = [{"roll_call_id": 1, "date": "2025-03-01", "desc": "Third reading", "yea": 90}]
    bill, _ = legiscan.parse_bill(json.dumps(data).encode(), "b", NY, "OH")
    assert bill.identifier == "HB 12"


def test_real_georgia_bills_keep_chambers_sponsor_order_and_joint_sponsors() -> None:
    bill, hearings = legiscan.parse_bill(real_file("GA_HB82.json").read_bytes(), "GA_HB82.json", NY, "GA")
    assert bill.session == "2023-2024 Regular Session" and bill.identifier == "HB 82"
    chambers = [(a.description, a.chamber) for a in bill.actions]
    assert ("Senate Read and Referred", "Senate") in chambers and ("House Sent to Governor", "House") in chambers
    assert chambers[-2:] == [("Act 386", ""), ("Effective Date 2024-05-15", "")]  # no chamber did these
    assert [s.name for s in bill.sponsors][:2] == ["Mack Jackson", "Lee Hawkins"]
    assert hearings and hearings[0].committee == "House Ways & Means Income Tax Subcommittee"
    assert [d.kind for d in bill.documents] == ["misc"]
    for name, joint in (("GA_HB18.json", "Blake Tillery"), ("GA_HB52.json", "Greg Dolezal")):
        other, _ = legiscan.parse_bill(real_file(name).read_bytes(), name, NY, "GA")
        assert other.sponsors[-1].name == joint and other.sponsors[-1].primary  # sponsor_type_id 3: joint
