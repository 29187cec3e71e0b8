"""Members carry a state (the members CSV's `state` column, kept as their district's jurisdiction): each member's
digest and alerts hold their own state's bills plus federal ones."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import select

from advocacy.app import App
from advocacy.collect.ingest import Store, ensure_jurisdiction
from advocacy.models import Bill, Delivery, Mailing, Member
from advocacy.outbound.alerts import create_alerts, send_alert
from advocacy.outbound.audience import reaches
from advocacy.outbound.calendar import member_feed
from advocacy.outbound.digest import create_digest, send_digest
from digests.render import EmailRenderer
from tests.factories import FakeClock, build_world, curate_bill, et
from vocabulary.records import ActionRecord, BillRecord, HearingRecord, ScrapeResult

MEMBERS = """email,name,district,role,topics,alerts,state
ana.rivera@cedarfalls.example.org,Ana Rivera,Cedar Falls City Schools,superintendent,,yes,OH
mia.costa@pioneer.example.org,Mia Costa,Pioneer Valley Regional Schools,superintendent,,yes,MA
noa.hale@unknown.example.org,Noa Hale,Somewhere Schools,superintendent,,yes,
"""


def _other_bills(app: App, now: object) -> None:
    for code, name, record in (
        ("MA", "Massachusetts", BillRecord(jurisdiction="MA", session="194", identifier="H 515",
                                           title="An Act relative to regional school transportation",
                                           actions=(ActionRecord(et(2026, 11, 10), "Reported favorably", "House"),))),
        ("US", "United States (federal)", BillRecord(jurisdiction="US", session="119", identifier="HR 2270",
                                                     title="Rural School Transportation Act",
                                                     actions=(ActionRecord(et(2026, 11, 9), "Introduced", "House"),))),
    ):
        with app.transaction() as session:
            place = ensure_jurisdiction(session, code, name, "America/New_York")
            Store(session, place, source="test", now=now).store_result(ScrapeResult(bills=(record,)))


@pytest.fixture
def world(app: App, clock: FakeClock) -> App:
    build_world(app, clock(), members_csv=MEMBERS)
    _other_bills(app, clock())
    curate_bill(app, "H 515", clock(), status="approved", priority="high", position="support")
    curate_bill(app, "HR 2270", clock(), status="approved", priority="high", position="support")
    return app


def _bodies(app: App) -> dict[str, str]:
    bodies = {}
    for path in Path(app.config.path(app.config.email.outbox_dir)).glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        bodies[message["To"].addresses[0].addr_spec] = message.get_body(("plain",)).get_content()
    return bodies


def test_a_state_reaches_its_own_and_federal_bills_and_an_unknown_state_reaches_all() -> None:
    assert reaches("OH", "OH") and reaches("OH", "US") and not reaches("OH", "MA")
    assert reaches("", "MA") and reaches("MA", "")


def test_each_members_digest_holds_their_states_bills_and_federal_ones(world: App) -> None:
    with world.transaction() as session:
        mailing_id = create_digest(session, world.config, world.now()).id
    send_digest(world, mailing_id, world.mail)
    bodies = _bodies(world)
    ohio, mass, unknown = (bodies[k] for k in ("ana.rivera@cedarfalls.example.org", "mia.costa@pioneer.example.org",
                                                "noa.hale@unknown.example.org"))
    assert "H.B. 96" in ohio and "HR 2270" in ohio and "H 515" not in ohio
    assert "H 515" in mass and "HR 2270" in mass and "H.B. 96" not in mass
    assert all(number in unknown for number in ("H.B. 96", "H 515", "HR 2270"))


def test_an_alert_on_a_states_bill_goes_to_that_states_members_only(world: App, clock: FakeClock) -> None:
    curate_bill(world, "H 515", clock(), alert=True, alert_deadline=et(2026, 12, 20, 17),
                alert_action="Call the Joint Committee on Education")
    with world.transaction() as session:
        h515 = session.scalars(select(Bill.id).where(Bill.identifier == "H 515")).one()
        alerts = create_alerts(session, world.config, world.now())
        (alert_id,) = [a.id for a in alerts if a.items[0].bill_id == h515]
    send_alert(world, alert_id, world.mail, EmailRenderer())
    with world.sessions() as session:
        emails = set(session.scalars(select(Member.email).join(Delivery, Delivery.member_id == Member.id)
                                     .join(Mailing, Mailing.id == Delivery.mailing_id).where(Mailing.id == alert_id)))
    assert emails == {"mia.costa@pioneer.example.org", "noa.hale@unknown.example.org"}


def test_a_federal_hearing_on_a_bill_members_are_shown_is_in_a_state_members_calendar(world: App) -> None:
    with world.transaction() as session:
        place = ensure_jurisdiction(session, "US", "United States (federal)", "America/New_York")
        Store(session, place, source="test", now=world.now()).store_result(ScrapeResult(hearings=(HearingRecord(
            jurisdiction="US", session="119", committee="Education and Workforce", start=et(2026, 12, 3, 10),
            key="us-hearing-1", bills=("HR 2270",)),)))
    with world.sessions() as session:
        for address in ("ana.rivera@cedarfalls.example.org", "mia.costa@pioneer.example.org"):
            member = session.scalars(select(Member).where(Member.email == address)).one()
            feed = member_feed(session, world.config, member, world.now()).decode()
            assert "SUMMARY:Education and Workforce: HR 2270" in feed
