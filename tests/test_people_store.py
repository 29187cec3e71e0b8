from __future__ import annotations

from dataclasses import replace

from sqlalchemy import func, select

from advocacy.app import App
from advocacy.models import CommitteeMembership, District, Legislator
from advocacy.people.legislators import legislators_for, store_people
from tests.people_helpers import ohio_roster, setup_world
from vocabulary.records import PeopleResult


def test_second_store_of_the_same_roster_is_a_noop(app: App) -> None:
    now = app.now()
    with app.transaction() as session:
        first = store_people(session, "OH", ohio_roster(), now, source="ohio")
    with app.transaction() as session:
        second = store_people(session, "OH", ohio_roster(), now, source="ohio")
    assert (first.added, first.memberships, first.unmatched) == (10, 9, [])
    assert (second.added, second.updated, second.removed, second.unchanged) == (0, 0, 0, 10)
    with app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Legislator)) == 10
        chair = session.scalar(select(CommitteeMembership).where(CommitteeMembership.role == "chair",
                                                                 CommitteeMembership.committee_key ==
                                                                 "house primary and secondary education"))
        assert chair is not None and chair.legislator is not None and chair.legislator.name == "Delia Frankart"
        assert chair.committee == "House Primary and Secondary Education"


def test_a_new_member_replaces_the_one_who_left_and_rosters_from_another_source_survive(app: App) -> None:
    roster = ohio_roster()
    successor = replace(next(r for r in roster.legislators if r.district == "61" and r.chamber == "House"),
                        name="Nadia Quarles", source_id="rep_quarles_nadia_1")
    changed = PeopleResult(tuple(successor if (r.chamber, r.district) == ("House", "61") else r
                                 for r in roster.legislators))  # no committees: as LegiScan gives
    with app.transaction() as session:
        store_people(session, "OH", roster, app.now())
    with app.transaction() as session:
        report = store_people(session, "OH", changed, app.now())
    assert (report.added, report.removed, report.unchanged) == (1, 1, 9)
    with app.sessions() as session:
        district = District(name="Riverbend", house_districts=["61"], senate_districts=[], jurisdiction="OH")
        assert [leg.name for leg in legislators_for(session, district)] == ["Nadia Quarles"]
        assert session.scalar(select(func.count()).select_from(CommitteeMembership)) == 9


def test_a_split_district_lists_every_seat_house_first(app: App) -> None:
    with app.transaction() as session:
        setup_world(session, app.now())
    with app.sessions() as session:
        lakeshore = session.scalar(select(District).where(District.name == "Lakeshore City Schools"))
        assert lakeshore is not None
        assert [(leg.chamber, leg.district, leg.name) for leg in legislators_for(session, lakeshore)] == [
            ("House", "13", "Aaron Pelletier"), ("House", "14", "Bettina Szabo"), ("Senate", "23", "Kendall Marsh")]
