from __future__ import annotations

from collections.abc import Iterator

import pytest

from scrapers import PEOPLE_SOURCES, legiscan, ohio, openstates
from scrapers.legiscan_people import parse_session_people
from scrapers.ohio_people import parse_legislators
from tests.httpserver import FIXTURES, Answer, FixtureServer, make_fetcher
from vocabulary.records import ScrapeError
from vocabulary.rosters import committee_key, district_key, party_code, role_key

PEOPLE = FIXTURES / "people"
OH = "/api/v2/general_assembly_136"


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as running:
        running.serve(f"{OH}/legislators/", "people/ohio_legislators_136.json")
        running.serve(f"{OH}/committees/", "people/ohio_committees_136.json")
        for lpid, file in (("cmte_h_primary_secondary_education_1", "ohio_cmte_h_primary_secondary_education"),
                           ("cmte_s_education_1", "ohio_cmte_s_education"), ("cmte_h_finance_1", "ohio_cmte_h_finance")):
            running.serve(f"{OH}/committees/{lpid}/members/", f"people/{file}.json")
        running.serve("/legiscan/", "people/legiscan_sessionpeople.json", query={"op": "getSessionPeople"})
        running.serve("/people", "people/openstates_people_page1.json", query={"page": "1"})
        running.serve("/people", "people/openstates_people_page2.json", query={"page": "2"})
        running.serve("/committees", "people/openstates_committees.json")
        yield running


def test_spellings_of_districts_parties_roles_and_committees_agree() -> None:
    assert [district_key(d) for d in ("HD-007", "SD 7", "District 07", 7, "7")] == ["7"] * 5
    assert [party_code(p) for p in ("party_republican_1", "Republican", "R", "Democratic")] == ["R", "R", "R", "D"]
    assert [role_key(r) for r in ("Chair", "Vice-Chairman", "Ranking Minority Member", "member", "Chairwoman")] == [
        "chair", "vice_chair", "ranking_member", "member", "chair"]
    assert committee_key("House Primary & Secondary Education Committee") == committee_key(
        "Primary and Secondary Education", "House") == "house primary and secondary education"
    assert committee_key("Education", "Senate") != committee_key("Education", "House")


def test_ohio_members_and_rosters_come_from_the_v2_api(server: FixtureServer) -> None:
    collected = PEOPLE_SOURCES["ohio"].collect_people(
        make_fetcher(), ohio.Options(api_base_url=server.base_url), "OH")
    people = {(p.chamber, p.district): p for p in collected.result.legislators}
    assert len(people) == 10  # the inactive member who left HD 90 is not listed; their successor is
    assert people[("House", "90")].name == "Gloria Imbody"
    frankart = people[("House", "61")]
    assert (frankart.name, frankart.party, frankart.session, frankart.source_id) == (
        "Delia Frankart", "R", "136", "rep_frankart_delia_1")
    assert frankart.phone == "(614) 466-1061" and frankart.email == "rep61@ohiohouse.gov"
    assert frankart.photo_url == f"{server.base_url}/images/members/136/rep_frankart_delia_1.jpg"
    committees = {(c.chamber, c.name): c for c in collected.result.committees}
    education = committees[("House", "Primary and Secondary Education")]
    assert [(m.name, m.role) for m in education.members] == [
        ("Delia Frankart", "chair"), ("Everett Nakashima", "vice_chair"), ("Bettina Szabo", "ranking_member"),
        ("Gloria Imbody", "member")]
    assert [m.role for m in committees[("Senate", "Education")].members] == ["chair", "vice_chair", "ranking_member"]
    assert len(collected.payloads) == 5


def test_ohio_roster_without_an_active_member_is_an_error_naming_the_url() -> None:
    with pytest.raises(ScrapeError, match="legislators.json: no active legislators"):
        parse_legislators(b'[{"chamber": "House", "district": "4", "full_name": "A B", "active": false}]',
                          "legislators.json", "OH", "136")
    with pytest.raises(ScrapeError, match=r"legislators.json \[item 0\]: missing field 'district'"):
        parse_legislators(b'[{"chamber": "House", "full_name": "A B"}]', "legislators.json", "OH", "136")


def test_legiscan_session_people_with_key_kept_out_of_the_url(server: FixtureServer) -> None:
    options = legiscan.Options(base_url=server.url("/legiscan/"), session_id=2141)
    collected = PEOPLE_SOURCES["legiscan"].collect_people(make_fetcher(), options, "OH", api_key="secret-key")
    people = {(p.chamber, p.district): p for p in collected.result.legislators}
    assert len(people) == 10  # the sponsoring committee among LegiScan's people is not a legislator
    assert people[("Senate", "13")].name == "Harriet Lindqvist" and people[("Senate", "13")].party == "R"
    assert people[("House", "14")].session == "136th General Assembly"
    assert "no phone" in collected.result.notes[0]
    request = server.requests_to("/legiscan/")[0]
    assert request.query["key"] == ["secret-key"] and request.query["id"] == ["2141"]
    assert all("secret-key" not in p.url for p in collected.payloads)


def test_legiscan_error_answer_is_reported_with_its_message() -> None:
    body = (PEOPLE / "legiscan_error.json").read_bytes()
    with pytest.raises(ScrapeError, match="LegiScan answered ERROR: Unknown session id"):
        parse_session_people(body, "getSessionPeople", "OH")


def test_openstates_people_over_pages_with_capitol_office_and_committee_chambers(server: FixtureServer) -> None:
    options = openstates.Options(base_url=server.base_url, jurisdiction="Ohio", session="136")
    collected = PEOPLE_SOURCES["openstates"].collect_people(make_fetcher(), options, "OH", api_key="os-key")
    people = {(p.chamber, p.district): p for p in collected.result.legislators}
    assert len(people) == 10
    marsh = people[("Senate", "23")]
    assert (marsh.name, marsh.party, marsh.phone) == ("Kendall Marsh", "D", "614-466-5023")
    assert marsh.office_address == "1 Capitol Square\nColumbus, OH 43215"
    assert marsh.photo_url == "https://example.org/photos/marsh.jpg"
    committees = {c.name: c for c in collected.result.committees}
    assert committees["Primary and Secondary Education"].chamber == "House"
    assert committees["Education"].chamber == "Senate"
    assert committees["Primary and Secondary Education"].members[2].role == "ranking_member"
    assert server.requests_to("/people")[0].headers["x-api-key"] == "os-key"
    assert server.requests_to("/people")[0].query["include"] == ["offices"]


def test_openstates_malformed_page_names_the_url(server: FixtureServer) -> None:
    server.route("/people", Answer(body=b'{"results": []}'), query={"page": "1"})
    options = openstates.Options(base_url=server.base_url)
    with pytest.raises(ScrapeError, match=r"/people\?.*missing field 'pagination'"):
        PEOPLE_SOURCES["openstates"].collect_people(make_fetcher(), options, "OH", api_key="k")
