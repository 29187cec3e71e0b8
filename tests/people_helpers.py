"""Shared setup for people and opportunity tests: members, rosters parsed from the fixtures, a bill, hearings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from advocacy.collect.ingest import Store, ensure_jurisdiction
from advocacy.models import Bill, Hearing, Member
from advocacy.people.legislators import store_people
from advocacy.people.members import import_csv
from scrapers.ohio_people import parse_committee_members, parse_legislators
from tests.factories import et, funding_bill, hearing
from tests.httpserver import FIXTURES
from vocabulary.records import CommitteeRecord, PeopleResult

PEOPLE = FIXTURES / "people"
MEMBERS = """email,name,role,district,district_code,topics,alerts,house_districts,senate_districts
tamara.odum@riverbend.example.org,Tamara Odum,superintendent,Riverbend Local Schools,045112,,yes,61,18
rosa.delgado@maplevalley.example.org,Dr. Rosa Delgado,superintendent,Maple Valley City Schools,043901,,yes,55,13
luis.ortega@lakeshore.example.org,Luis Ortega,superintendent,Lakeshore City Schools,044211,,yes,13;14,23
dana.cruz@oakhollow.example.org,Dana Cruz,superintendent,Oak Hollow Schools,,,yes,,
"""
ROSTERS = (("House", "Primary and Secondary Education", "ohio_cmte_h_primary_secondary_education"),
           ("Senate", "Education", "ohio_cmte_s_education"), ("House", "Finance", "ohio_cmte_h_finance"))


def ohio_roster() -> PeopleResult:
    """What the Ohio people source yields for the fixtures, parsed by its own pure functions."""
    legislators = parse_legislators((PEOPLE / "ohio_legislators_136.json").read_bytes(), "legislators", "OH", "136")
    committees = tuple(
        CommitteeRecord("OH", "136", chamber, name, parse_committee_members((PEOPLE / f"{file}.json").read_bytes(), file))
        for chamber, name, file in ROSTERS
    )
    return PeopleResult(tuple(legislators), committees)


def setup_world(session: Session, now: datetime) -> None:
    import_csv(session, MEMBERS)
    store_people(session, "OH", ohio_roster(), now, source="ohio-legislature")
    jurisdiction = ensure_jurisdiction(session, "OH", "Ohio", "America/New_York")
    store = Store(session, jurisdiction, source="test", now=now)
    store.store_bills([funding_bill()])
    store.store_hearings([
        hearing(),  # House Primary and Secondary Education, Wednesday Dec 2 2026, 9:30
        hearing(committee="Senate Education", chamber="Senate", start=et(2026, 12, 8, 13, 0),
                key="https://www.legislature.ohio.gov/schedules/meeting/4490"),
    ])
    session.flush()


def member(session: Session, email: str) -> Member:
    found = session.scalar(select(Member).where(Member.email == email))
    assert found is not None
    return found


def bill(session: Session, identifier: str = "HB 96") -> Bill:
    found = session.scalar(select(Bill).where(Bill.identifier == identifier))
    assert found is not None
    return found


def hearing_of(session: Session, committee: str) -> Hearing:
    found = session.scalar(select(Hearing).where(Hearing.committee == committee))
    assert found is not None
    return found
