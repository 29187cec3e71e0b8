"""Roll-call votes from each source kind: parsed, stored per legislator, shown on the bill page with how the
member districts' own legislators voted."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from advocacy.app import App
from advocacy.collect.scrape import archive
from advocacy.collect.votes import store_roll_calls, votes_from_run
from advocacy.models import Bill, District, Legislator, Member, RollCall, SourceRun, VoteCast
from advocacy.people.votes import member_votes
from scrapers import legiscan_votes, ohio_votes, openstates_votes
from scrapers.http import Payload
from tests.factories import funding_bill, scrape
from tests.httpserver import FIXTURES, real_path
from tests.websupport import text_of
from vocabulary.records import ScrapeError

ET = ZoneInfo("America/New_York")
OHIO_ACTIONS = "https://search-prod.lis.state.oh.us/api/v2/general_assembly_136/legislation/hb96/actions"
OPENSTATES_PAGE = {  # the shape of GET /bills?include=votes (Open States API v3), written for this test
    "pagination": {"max_page": 1},
    "results": [{
        "id": "ocd-bill/1", "identifier": "HB 96", "session": "136", "title": "Operating appropriations",
        "jurisdiction": {"id": "ocd-jurisdiction/country:us/state:oh/government"},
        "votes": [{
            "id": "ocd-vote/abc", "motion_text": "Third consideration", "start_date": "2026-06-25",
            "result": "pass", "organization": {"classification": "lower"},
            "counts": [{"option": "yes", "value": 60}, {"option": "no", "value": 33}, {"option": "absent", "value": 6}],
            "votes": [{"option": "yes", "voter_name": "Whitfield", "voter": {"id": "ocd-person/41"}},
                      {"option": "no", "voter_name": "Oyelaran", "voter": None},
                      {"option": "excused", "voter_name": "Nobody Known", "voter": None}],
        }, {
            "id": "ocd-vote/def", "motion_text": "Senate concurrence", "start_date": "2026-06-28",
            "result": "fail", "organization": {"classification": "upper"},
            "counts": [{"option": "yes", "value": 10}, {"option": "no", "value": 23}],
            "votes": [{"option": "no", "voter_name": "Marcus Oyelaran", "voter": None}],
        }],
    }],
}


def test_real_legiscan_roll_calls_are_read_with_each_legislators_vote() -> None:
    folder = real_path("legiscan_votes")
    for path in sorted(folder.glob("rollcall_*.json")):
        (roll,) = legiscan_votes.parse(path.read_bytes(), str(path), ET)
        assert roll.key == f"legiscan:{path.stem.split('_')[1]}"
        assert len(roll.votes) == roll.yeas + roll.nays + roll.other == 30
        assert all(v.source_id.isdigit() for v in roll.votes)
    (first,) = legiscan_votes.parse((folder / "rollcall_154366.json").read_bytes(), "x", ET)
    assert (first.bill_source_id, first.chamber, first.passed, first.yeas) == ("395975", "Senate", True, 30)
    assert first.motion == "S Introduced and Referred to S10"


def test_real_legiscan_get_bill_lists_each_roll_call_with_its_tally() -> None:
    folder = real_path("legiscan")
    house, senate = legiscan_votes.parse((folder / "AR_HB1044.json").read_bytes(), "AR_HB1044", ET)
    assert (house.key, house.bill_source_id, house.chamber, house.yeas, house.nays) == (
        "legiscan:155205", "396373", "House", 94, 0)
    assert house.motion == "Read the third time and passed and ordered transmitted to the Senate."
    assert (senate.chamber, senate.yeas, senate.other, senate.passed, senate.votes) == ("Senate", 34, 1, True, ())


def test_ohio_actions_with_yeas_and_nays_become_roll_calls_of_the_bill_the_url_names() -> None:
    body = (FIXTURES / "ohio" / "hb12_actions.json").read_bytes()
    (roll,) = ohio_votes.parse(body, OHIO_ACTIONS.replace("hb96", "hb12"), ET)
    assert (roll.jurisdiction, roll.session, roll.bill) == ("OH", "136", "HB 12")
    assert roll.motion == "Reported - Substitute (Primary and Secondary Education)"
    assert (roll.yeas, roll.nays, roll.passed, roll.chamber) == (2, 1, True, "House")
    assert [(v.option, v.source_id) for v in roll.votes] == [("yes", "h0912"), ("yes", "h0877"), ("no", "h0901")]
    assert ohio_votes.wants(OHIO_ACTIONS) and not ohio_votes.wants(OHIO_ACTIONS.replace("actions", "versions"))
    with pytest.raises(ScrapeError, match="'yeas' is not a list"):
        ohio_votes.parse(b'[{"occurred": "2025-02-25T10:41:07-05:00", "description": "x", "yeas": 3}]',
                         OHIO_ACTIONS, ET)


def test_openstates_vote_events_keep_counts_and_voter_names() -> None:
    roll, senate = openstates_votes.parse(json.dumps(OPENSTATES_PAGE).encode(), "openstates", ET)
    assert (senate.chamber, senate.passed, senate.yeas, senate.nays) == ("Senate", False, 10, 23)
    assert (roll.bill, roll.session, roll.jurisdiction, roll.chamber) == ("HB 96", "136", "OH", "House")
    assert (roll.yeas, roll.nays, roll.other, roll.passed) == (60, 33, 6, True)
    assert [(v.option, v.name, v.source_id) for v in roll.votes] == [
        ("yes", "Whitfield", "ocd-person/41"), ("no", "Oyelaran", ""), ("other", "Nobody Known", "")]


def _people(app: App) -> None:
    with app.transaction() as session:
        session.add_all([
            Legislator(jurisdiction="OH", session="136", chamber="House", district="41", name="Dana Whitfield",
                       party="R", source="ohio", source_id="h0912"),
            Legislator(jurisdiction="OH", session="136", chamber="Senate", district="11", name="Marcus Oyelaran",
                       party="D", source="openstates", source_id="ocd-person/99"),
        ])
        maple = District(name="Maplefield City Schools", jurisdiction="OH", house_districts=["41"],
                         senate_districts=["11"])
        session.add(maple)
        session.flush()
        session.add(Member(district_id=maple.id, email="lee@maplefield.example.org", name="Lee Okafor"))


def _payload(url: str, body: bytes, now: datetime) -> Payload:
    return Payload(url=url, status=200, body=body, content_type="application/json", etag=None, last_modified=None,
                   fetched_at=now, sha256=hashlib.sha256(body).hexdigest())


def _stored_votes(app: App) -> int:
    now = app.now()
    scrape(app, now, [funding_bill(source_id="395975")])
    _people(app)
    ohio_body = (FIXTURES / "ohio" / "hb12_actions.json").read_bytes()
    with app.transaction() as session:
        run = SourceRun(source="ohio-legislature", kind="ohio", jurisdiction="OH", started_at=now)
        session.add(run)
        session.flush()
        archive(session, run.id, [_payload(OHIO_ACTIONS, ohio_body, now),
                                  _payload(OHIO_ACTIONS.replace("hb96", "hb404"), ohio_body, now)])
        report = votes_from_run(session, run.id, kind="ohio", jurisdiction="OH", tz=ET)
        assert (report.stored, report.votes) == (1, 3)
        assert report.problems == ["ohio:3:2025-02-25T10:41:07-05:00:crpt_301: no stored bill 'HB 404'"]
        store_roll_calls(session, openstates_votes.parse(json.dumps(OPENSTATES_PAGE).encode(), "os", ET),
                         source="openstates", jurisdiction="OH")
        roll = legiscan_votes.parse(b'{"status": "OK", "roll_call": {"roll_call_id": 7, "bill_id": 395975, '
                                    b'"date": "2026-06-30", "desc": "Senate passage", "yea": 1, "nay": 0, '
                                    b'"nv": 0, "absent": 0, "passed": 1, "chamber": "S", "votes": [{"people_id": '
                                    b'99, "vote_id": 1, "vote_text": "Yea"}]}}', "ls", ET)
        store_roll_calls(session, roll, source="legiscan", jurisdiction="OH")
        return session.scalars(select(Bill.id).where(Bill.identifier == "HB 96")).one()


def test_votes_from_each_source_are_stored_per_legislator_once(app: App) -> None:
    bill_id = _stored_votes(app)
    with app.transaction() as session:  # storing the same roll call again replaces it
        store_roll_calls(session, openstates_votes.parse(json.dumps(OPENSTATES_PAGE).encode(), "os", ET),
                         source="openstates", jurisdiction="OH")
    with app.sessions() as session:
        sources = sorted(session.scalars(select(RollCall.source).where(RollCall.bill_id == bill_id)))
        assert sources == ["legiscan", "ohio", "openstates", "openstates"]
        whitfield = session.scalars(select(VoteCast).join(Legislator).where(Legislator.name == "Dana Whitfield"))
        assert sorted(v.option for v in whitfield) == ["yes", "yes"]  # by Ohio's id, then by last name in the House
        member = session.scalars(select(Member)).one()
        said = [(v.legislator, v.option, v.motion) for v in member_votes(session, member, [bill_id])]
    assert ("Rep. Dana Whitfield (R)", "yes", "Third consideration") in said
    assert ("Sen. Marcus Oyelaran (D)", "no", "Senate concurrence") in said  # matched by name
    assert ("Sen. Marcus Oyelaran (D)", "no", "Third consideration") not in said  # "Oyelaran" of the House
    assert ("Rep. Dana Whitfield (R)", "yes", "Reported - Substitute (Primary and Secondary Education)") in said


def test_a_bare_tally_keeps_the_votes_already_known_for_that_roll_call(app: App) -> None:
    bill_id = _stored_votes(app)
    tally = (b'{"status": "OK", "bill": {"bill_id": 395975, "votes": [{"roll_call_id": 7, "date": "2026-06-30", '
             b'"desc": "Senate passage", "yea": 1, "nay": 0, "nv": 0, "absent": 0, "passed": 1, "chamber": "S"}]}}')
    with app.transaction() as session:
        store_roll_calls(session, legiscan_votes.parse(tally, "getBill", ET), source="legiscan", jurisdiction="OH")
    with app.sessions() as session:
        roll = session.scalars(select(RollCall).where(RollCall.bill_id == bill_id, RollCall.key == "legiscan:7")).one()
        assert [(v.source_id, v.option) for v in roll.votes] == [("99", "yes")]


def test_bill_page_shows_each_roll_call_and_our_districts_legislators_votes(app: App, viewer: TestClient) -> None:
    bill_id = _stored_votes(app)
    page = text_of(viewer.get(f"/bills/{bill_id}").text)
    assert "Maplefield City Schools Sen. Marcus Oyelaran (D), Senate district 11: No on Senate concurrence" in page
    assert "Rep. Dana Whitfield (R), House district 41: Yes on Third consideration (Jun 25, 2026)" in page
    assert "House · Third consideration: 60 yes, 33 no, 6 other · passed (openstates)" in page
    assert "Senate · Senate passage: 1 yes, 0 no · passed (legiscan)" in page
    assert "Reported - Substitute (Primary and Secondary Education): 2 yes, 1 no · passed (ohio)" in page
