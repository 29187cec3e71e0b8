from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from advocacy.app import App
from advocacy.collect.ingest import ensure_jurisdiction
from advocacy.config import ChamberTestimony, Config
from advocacy.models import Hearing
from advocacy.outbound import opportunities as opp
from advocacy.outbound.opportunities import call_to_action, fill_message, set_template
from tests.factories import et
from tests.people_helpers import bill, hearing_of, member, setup_world

RIVERBEND = "tamara.odum@riverbend.example.org"
MAPLE = "rosa.delgado@maplevalley.example.org"
LAKESHORE = "luis.ortega@lakeshore.example.org"
OAK = "dana.cruz@oakhollow.example.org"
HOUSE_ED = "House Primary and Secondary Education"


@pytest.fixture
def world(app: App) -> App:
    with app.transaction() as session:
        setup_world(session, app.now())
    return app


def names(app: App, email: str, committee: str | None = None) -> list[str]:
    with app.sessions() as session:
        hearing = hearing_of(session, committee) if committee else None
        found = call_to_action(session, app.config, member(session, email), bill(session), hearing)
        return [c.display for c in found.call.legislators]


def test_members_in_different_districts_get_their_own_legislators(world: App) -> None:
    assert names(world, RIVERBEND) == ["Rep. Delia Frankart (R, House District 61)",
                                       "Sen. Isaac Okonjo (R, Senate District 18)"]
    assert names(world, MAPLE) == ["Rep. Curtis Vandermolen (R, House District 55)",
                                   "Sen. Harriet Lindqvist (R, Senate District 13)"]
    assert names(world, LAKESHORE) == ["Rep. Aaron Pelletier (D, House District 13)",
                                       "Rep. Bettina Szabo (D, House District 14)",
                                       "Sen. Kendall Marsh (D, Senate District 23)"]
    with world.sessions() as session:
        call = call_to_action(session, world.config, member(session, RIVERBEND), bill(session)).call
    frankart = call.legislators[0]
    assert (frankart.phone, frankart.email) == ("(614) 466-1061", "rep61@ohiohouse.gov")
    assert frankart.office_address.startswith("77 S. High St")


def sentences(app: App, email: str, committee: str | None = None) -> tuple[str, ...]:
    with app.sessions() as session:
        hearing = hearing_of(session, committee) if committee else None
        return call_to_action(session, app.config, member(session, email), bill(session), hearing).call.sentences


def test_committee_sentence_appears_only_when_the_members_legislator_sits_on_the_committee(world: App) -> None:
    assert sentences(world, RIVERBEND, HOUSE_ED) == (
        "Rep. Delia Frankart, who represents your district, is chair of the House Primary and Secondary "
        "Education Committee, which hears H.B. 96 on Wednesday, Dec 2.",)
    assert sentences(world, LAKESHORE, HOUSE_ED) == (
        "Rep. Bettina Szabo, who represents your district, is ranking member of the House Primary and Secondary "
        "Education Committee, which hears H.B. 96 on Wednesday, Dec 2.",)
    assert sentences(world, MAPLE, HOUSE_ED) == ()  # Maple Valley's representative is not on that committee
    assert sentences(world, MAPLE, "Senate Education") == (
        "Sen. Harriet Lindqvist, who represents your district, is vice chair of the Senate Education Committee, "
        "which hears H.B. 96 on Tuesday, Dec 8.",)
    assert sentences(world, RIVERBEND, "Senate Education") == (
        "Sen. Isaac Okonjo, who represents your district, is chair of the Senate Education Committee, which hears "
        "H.B. 96 on Tuesday, Dec 8.",)
    assert sentences(world, LAKESHORE, "Senate Education") == ()  # Sen. Marsh is not on it
    # Without a hearing, the bill's referral (House Finance) decides.
    assert sentences(world, MAPLE) == (
        "Rep. Curtis Vandermolen, who represents your district, is chair of the House Finance Committee, which is "
        "considering H.B. 96.",)
    assert sentences(world, RIVERBEND) == ()


def test_district_without_legislative_districts_gets_a_generic_call_and_the_advocate_a_warning(world: App) -> None:
    with world.sessions() as session:
        found = call_to_action(session, world.config, member(session, OAK), bill(session), hearing_of(session, HOUSE_ED))
    assert found.call.legislators == () and found.call.sentences == ()
    assert found.call.generic.startswith("Contact your state representative and state senator about H.B. 96.")
    assert any("Oak Hollow Schools has no state House or Senate district on file" in w for w in found.warnings)


def test_a_district_number_missing_from_the_roster_is_reported(world: App) -> None:
    with world.transaction() as session:
        member(session, RIVERBEND).district.house_districts = ["61", "99"]
    with world.sessions() as session:
        found = call_to_action(session, world.config, member(session, RIVERBEND), bill(session))
    assert [c.name for c in found.call.legislators] == ["Delia Frankart", "Isaac Okonjo"]
    assert found.warnings == ("Riverbend Local Schools: no OH House member on file for district 99 (run "
                              "`advocacy people sync`, or check the district number)",)


def test_suggested_message_is_filled_with_the_district_and_its_effect(world: App) -> None:
    message = ("As superintendent of {district}, I ask you to restore the phase-in in {bill}. "
               "For us it would {effect}.\n\nThank you for your work on the {committee}.")
    with world.transaction() as session:
        set_template(session, bill(session), world.now(), message=message,
                     effects={"Riverbend Local Schools": "cut $410,000 from our state aid next year"})
    with world.sessions() as session:
        hearing = hearing_of(session, HOUSE_ED)
        riverbend = call_to_action(session, world.config, member(session, RIVERBEND), bill(session), hearing)
        maple = call_to_action(session, world.config, member(session, MAPLE), bill(session), hearing)
    assert riverbend.call.message == (
        "As superintendent of Riverbend Local Schools, I ask you to restore the phase-in in H.B. 96. For us it would "
        "cut $410,000 from our state aid next year.\n\nThank you for your work on the House Primary and Secondary "
        "Education Committee.")
    assert "{effect}" not in maple.call.message and "For us" not in maple.call.message
    assert maple.call.message.startswith("As superintendent of Maple Valley City Schools")
    assert any("no value for {effect}" in w for w in maple.warnings)


def test_unknown_placeholders_are_refused_when_the_advocate_writes_them(world: App) -> None:
    with world.transaction() as session, pytest.raises(ValueError, match=r"unknown placeholder\(s\) \{distrcit\}"):
        set_template(session, bill(session), world.now(), message="We in {distrcit} oppose it.")
    assert fill_message("Plain text, no fields.", {}) == ("Plain text, no fields.", [])


def with_testimony(config: Config, **chambers: ChamberTestimony) -> Config:
    testimony = config.testimony.model_copy(update={"where": "testimony@example.org", "chambers": chambers})
    return config.model_copy(update={"testimony": testimony})


def test_testimony_deadline_is_counted_on_the_jurisdictions_wall_clock(world: App) -> None:
    config = with_testimony(world.config, House=ChamberTestimony(hours=24, at=time(12, 0)),
                            Senate=ChamberTestimony(hours=48, where="Senate clerk"))
    with world.transaction() as session:
        senate = hearing_of(session, "Senate Education")
        # Monday Nov 2, 2026, 9:30 EST: daylight saving ended on Sunday Nov 1.
        senate.start = et(2026, 11, 2, 9, 30)
        deadline = opp.testimony_deadline(config, senate)
        # 48 wall-clock hours earlier is Saturday 9:30 EDT (13:30 UTC), not 48 elapsed hours (14:30 UTC).
        assert deadline.astimezone(UTC) == datetime(2026, 10, 31, 13, 30, tzinfo=UTC)
        house = hearing_of(session, HOUSE_ED)
        assert opp.testimony_deadline(config, house) == et(2026, 12, 1, 12, 0)  # the day before, at noon
        info = opp.testimony_info(session, config, senate)
        assert info.where == "Senate clerk" and info.deadline == deadline
        assert opp.testimony_info(session, config, house).where == "testimony@example.org"


def test_testimony_deadline_uses_the_hearings_own_zone_and_the_sources_deadline_first(world: App) -> None:
    config = with_testimony(world.config, House=ChamberTestimony(hours=24, at=time(17, 0)))
    with world.transaction() as session:
        central = ensure_jurisdiction(session, "TX", "Texas", "America/Chicago")
        hearing = Hearing(jurisdiction=central, key="tx-1", committee="House Public Education", chamber="House",
                          start=datetime(2026, 12, 2, 15, 0, tzinfo=UTC))  # 9:00 CST
        session.add(hearing)
        session.flush()
        # 17:00 the day before in Texas is 23:00 UTC, whatever the collaborative's own zone.
        assert opp.testimony_deadline(config, hearing).astimezone(UTC) == datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
        hearing.testimony_deadline = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
        assert opp.testimony_deadline(config, hearing) == datetime(2026, 11, 30, 20, 0, tzinfo=UTC)


def test_testimony_template_attached_by_the_advocate_is_offered(world: App) -> None:
    with world.transaction() as session:
        set_template(session, bill(session), world.now(), testimony_template="Chair {name}, members of the committee:",
                     testimony_where="HouseEducation@ohiohouse.gov")
    with world.sessions() as session:
        info = opp.testimony_info(session, world.config, hearing_of(session, HOUSE_ED))
    assert info.template.startswith("Chair") and info.where == "HouseEducation@ohiohouse.gov"
