"""A digest that reads like the best legislative updates: "In this issue" first, bills grouped by topic, the
status as the latest action with its chamber, what changed since the last update, topic labels (never the
tagger's reasons), and a bill first heard of after it passed a chamber is news, not a "new bill"."""

from __future__ import annotations

import re

import pytest

from advocacy.app import App
from advocacy.outbound.digest import context_for, create_digest, load_view, send_digest
from digests.model import DigestContext
from digests.render import EmailRenderer
from tests.factories import FakeClock, build_world, curate_bill, et, funding_bill, scrape
from vocabulary.records import ActionRecord, BillRecord


@pytest.fixture
def world(app: App, clock: FakeClock) -> App:
    build_world(app, clock())
    return app


def _context(app: App) -> DigestContext:
    with app.transaction() as session:
        digest = create_digest(session, app.config, app.now())
        ctx = context_for(app.config, load_view(session, digest), None, app.now())
    assert ctx is not None
    return ctx


def test_the_digest_opens_with_in_this_issue_and_groups_bills_under_topic_headings(world: App) -> None:
    email = EmailRenderer().digest(_context(world))
    text = email.text
    assert text.index("In this issue:") < text.index("ACTION NEEDED")
    contents = text[text.index("In this issue:"):text.index("ACTION NEEDED")]
    assert "- New bills we are watching (3)" in contents and "- Hearings in the next two weeks" in contents
    assert "In this issue</h2>" in email.html
    new_bills = text[text.index("NEW BILLS WE ARE WATCHING"):text.index("HEARINGS IN THE NEXT TWO WEEKS")]
    funding, choice = "SCHOOL FUNDING FORMULA AND STATE AID", "VOUCHERS, SCHOLARSHIPS AND CHARTER SCHOOLS"
    assert new_bills.index(funding) < new_bills.index("H.B. 96") < new_bills.index(choice) < new_bills.index("H.B. 114")
    assert "Why you see this: Topic" in text and "in title" not in text
    assert not re.search(r"\b[HS]B ?\d", text)  # one spelling of bill numbers: the state's own, "H.B. 96"
    assert "School funding formula and state aid</h3>" in email.html and 'class="item-title"' in email.html


def test_a_moved_bill_says_what_changed_since_the_last_update_with_its_chamber(world: App, clock: FakeClock) -> None:
    with world.transaction() as session:
        first = create_digest(session, world.config, world.now()).id
    send_digest(world, first, world.mail)
    clock.advance(days=3)
    scrape(world, clock(), bills=[funding_bill(actions=(*funding_bill().actions,
                                                        ActionRecord(et(2026, 11, 26), "Passed", chamber="House")))])
    clock.advance(days=11)
    ctx = _context(world)
    (hb96,) = ctx.moved
    assert hb96.status == "Passed (House)" and hb96.status_date == et(2026, 11, 26).date()
    text = EmailRenderer().digest(ctx).text
    moved = text[text.index("MOVED SINCE THE LAST UPDATE"):]
    assert "Since the last update:" in moved and "Nov 26: Passed (House)" in moved


def test_a_bill_that_already_passed_a_chamber_is_not_listed_as_new(world: App, clock: FakeClock) -> None:
    scrape(world, clock(), bills=[BillRecord(
        jurisdiction="OH", session="136", identifier="SB 77", title="Revise the school funding formula guarantee",
        actions=(ActionRecord(et(2026, 11, 3), "Introduced", chamber="Senate"),
                 ActionRecord(et(2026, 11, 12), "Passed", chamber="Senate")))])
    curate_bill(world, "SB 77", clock(), status="approved", priority="medium", position="monitor")
    ctx = _context(world)
    assert "S.B. 77" not in [b.number for b in ctx.new_bills]
    assert "S.B. 77" in [b.number for b in ctx.moved]
    assert "S.B. 52" in [b.number for b in ctx.new_bills]  # introduced only: new indeed


def _recipients(app: App, digest_id: int) -> dict[str, str]:
    from sqlalchemy import select

    from advocacy.models import Delivery, Member

    with app.sessions() as session:
        rows = session.execute(select(Member.email, Delivery.status, Delivery.error)
                               .join(Delivery, Delivery.member_id == Member.id).where(Delivery.mailing_id == digest_id))
        return {email.split("@")[0]: status if status == "sent" else f"{status}: {error}" for email, status, error in rows}


def _send(app: App, **options: object) -> int:
    with app.transaction() as session:
        digest_id = create_digest(session, app.config, app.now(), **options).id  # type: ignore[arg-type]
    send_digest(app, digest_id, app.mail)
    return digest_id


def test_the_frequency_each_member_chose_decides_who_gets_a_digest(world: App, clock: FakeClock) -> None:
    from advocacy.models import Member
    from advocacy.people.members import set_preferences

    with world.transaction() as session:
        for email, frequency in (("ana.rivera@cedarfalls.example.org", "monthly"),
                                 ("ben.osei@maplevalley.example.org", "alerts")):
            member = session.query(Member).filter_by(email=email).one()
            assert set_preferences(session, member, frequency=frequency) == {"frequency": frequency}
    first = _recipients(world, _send(world))
    assert first["ana.rivera"] == "sent" and first["dev.patel"] == "sent"
    assert first["ben.osei"] == "skipped: the member asked for action alerts only"
    clock.advance(days=1)
    second = _recipients(world, _send(world, note="A note for everyone."))
    assert second["ana.rivera"].startswith("skipped: the member asked for a monthly summary")
    assert second["dev.patel"] == "sent"
    clock.advance(days=31)
    third = _recipients(world, _send(world, note="A note for everyone."))
    assert third["ana.rivera"] == "sent" and third["ben.osei"].startswith("skipped")


def test_a_member_chooses_the_frequency_on_their_preferences_page(world: App) -> None:
    from starlette.testclient import TestClient

    from advocacy.models import Member
    from advocacy.outbound.outgoing import member_token
    from tests.websupport import csrf_from, web_app

    with world.sessions() as session:
        ana = session.query(Member).filter_by(email="ana.rivera@cedarfalls.example.org").one().id
    client = TestClient(web_app(world))
    path = f"/m/{member_token(world, ana)}/preferences"
    page = client.get(path).text
    assert 'name="frequency" value="every" checked' in page
    saved = client.post(path, data={"csrf_token": csrf_from(page), "topics_mode": "all", "alerts": "1",
                                     "frequency": "alerts"}, follow_redirects=False)
    assert saved.status_code == 303
    with world.sessions() as session:
        assert session.get(Member, ana).digest_frequency == "alerts"  # type: ignore[union-attr]
    refused = client.post(path, data={"csrf_token": csrf_from(page), "topics_mode": "all", "frequency": "daily"})
    assert refused.status_code == 400 and "Choose one of" in refused.text
