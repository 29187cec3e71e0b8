"""One SendGrid account for a host of two collaboratives: its one Event Webhook URL and its one Inbound Parse URL
(any collaborative's host name) store each event and each reply with the collaborative it belongs to."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from starlette.testclient import TestClient

from advocacy.app import App
from advocacy.inbound.webhook import owner_of
from advocacy.models import Delivery, District, EngagementEvent, InboundMessage, Mailing, Member, Question
from advocacy.outbound import engagement
from advocacy.outbound.outgoing import reply_address
from advocacy.web.app import create_app, host_app
from tests.collaboratives import NORTH, host_apps
from tests.factories import FakeClock, count
from tests.inbound import add_members, reply, sent_digest
from tests.test_engagement import post, public_key_text
from tests.websupport import FAST_HASHER

AUTH = ("sendgrid", "correct horse battery staple")
RIVERA = "rivera@cedarfalls.example.org"
LEE = "lee@shared.example.org"
HOME_URL, NORTH_URL = "http://127.0.0.1:8000", "https://north.example.org"


@pytest.fixture(scope="module")
def private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _secrets(private_key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    return {"ADVOCACY_WEBHOOK_USER": AUTH[0], "ADVOCACY_WEBHOOK_PASSWORD": AUTH[1],
            engagement.EVENT_KEY_ENV: public_key_text(private_key)}


@pytest.fixture
def apps(tmp_path: Path, db_url: str, clock: FakeClock,
         private_key: ec.EllipticCurvePrivateKey) -> Iterator[tuple[App, App]]:
    home, north = host_apps(tmp_path, db_url, clock, _secrets(private_key))
    yield home, north
    home.engine.dispose()
    north.engine.dispose()


def mailing_to_lee(app: App, now: datetime) -> tuple[int, int]:
    """(mailing id, member id) of a sent digest to one member of `app`'s collaborative."""
    with app.transaction() as session:
        member = Member(email=LEE, name="Lee", district=District(name="Lee City Schools", jurisdiction="OH"))
        mailing = Mailing(kind="digest", period_end=now, status="sent", sent_at=now, created_at=now)
        session.add_all([member, mailing])
        session.flush()
        session.add(Delivery(mailing_id=mailing.id, member_id=member.id, status="sent"))
        return mailing.id, member.id


def event(app: App, ids: tuple[int, int], kind: str, event_id: str, **custom: str) -> dict[str, Any]:
    return {"email": LEE, "timestamp": int(app.now().timestamp()), "event": kind, "sg_event_id": event_id,
            "sg_message_id": "standin-1.filterdrecv-1.2.3", "mailing_id": str(ids[0]), "member_id": str(ids[1]),
            "kind": "digest", **custom}


def tally(app: App, mailing_id: int) -> tuple[int, int]:
    """(delivered, opened) of the mailing as its collaborative's mailing page counts them."""
    with app.sessions() as session:
        total = engagement.mailing_engagement(session, mailing_id, "sendgrid", {}).total
    return total.delivered, total.opened


def test_an_event_posted_at_one_collaborative_for_anothers_mailing_is_counted_by_that_collaborative(
        apps: tuple[App, App], private_key: ec.EllipticCurvePrivateKey) -> None:
    home, north = apps
    home_ids, north_ids = mailing_to_lee(home, home.now()), mailing_to_lee(north, north.now())
    at_home = TestClient(host_app([home, north], hasher=FAST_HASHER), base_url=HOME_URL)
    answer = post(at_home, private_key, [event(north, north_ids, "open", "n-1", collaborative="north")],
                  timestamp=int(home.now().timestamp()))
    assert answer.status_code == 200 and answer.json()["stored"] == 1, answer.text
    assert tally(north, north_ids[0]) == (1, 1)
    assert tally(home, home_ids[0]) == (0, 0) and count(home, EngagementEvent) == 0


def test_one_post_mixing_collaboratives_stores_each_event_with_its_own_and_answers_the_totals(
        apps: tuple[App, App], private_key: ec.EllipticCurvePrivateKey) -> None:
    home, north = apps
    home_ids, north_ids = mailing_to_lee(home, home.now()), mailing_to_lee(north, north.now())
    events = [event(north, north_ids, "delivered", "n-1", collaborative="north"),
              event(home, home_ids, "delivered", "h-1", collaborative="default"),
              event(home, home_ids, "open", "h-2"),  # no custom arg (mailed before it existed): the receiver's
              event(north, north_ids, "open", "n-2", collaborative="north"),
              event(home, home_ids, "click", "h-3", collaborative="nowhere"),  # an unknown slug: the receiver's
              event(north, north_ids, "processed", "n-3", collaborative="north")]
    at_north = TestClient(host_app([home, north], hasher=FAST_HASHER), base_url=NORTH_URL)
    answer = post(at_north, private_key, events, timestamp=int(home.now().timestamp()))
    assert answer.status_code == 200, answer.text
    assert (answer.json()["stored"], answer.json()["ignored"]) == (5, 1)
    assert (count(home, EngagementEvent), count(north, EngagementEvent)) == (1, 4)
    assert tally(north, north_ids[0]) == (1, 1) and tally(home, home_ids[0]) == (1, 0)
    with north.sessions() as session:  # the two naming no known collaborative stay with north, as without a host
        assert set(session.scalars(select(EngagementEvent.event_id))) == {"n-1", "n-2", "h-2", "h-3"}
    retry = post(at_north, private_key, events, timestamp=int(home.now().timestamp()) + 5)
    assert (retry.json()["stored"], retry.json()["duplicates"]) == (0, 5)


def test_a_single_collaborative_app_keeps_every_event_whatever_collaborative_it_names(
        apps: tuple[App, App], private_key: ec.EllipticCurvePrivateKey) -> None:
    home, north = apps
    north_ids = mailing_to_lee(north, north.now())
    answer = post(TestClient(create_app(home, hasher=FAST_HASHER)), private_key,
                  [event(north, north_ids, "open", "n-1", collaborative="north")], timestamp=int(home.now().timestamp()))
    assert answer.status_code == 200 and count(home, EngagementEvent) == 1 and count(north, EngagementEvent) == 0


def inbound_form(raw: bytes, envelope_to: list[str] | None) -> dict[str, tuple[None, bytes]]:
    fields = {"email": raw, "SPF": b"pass", "dkim": b"{@cedarfalls.example.org : pass}"}
    if envelope_to is not None:
        fields["envelope"] = json.dumps({"to": envelope_to, "from": RIVERA}).encode()
    return {name: (None, value) for name, value in fields.items()}


def sent_to_members(app: App) -> int:
    with app.transaction() as session:
        add_members(session)
        return sent_digest(session, app.now()).id


@pytest.mark.parametrize("envelope", [True, False], ids=["envelope", "to-header"])
def test_a_reply_to_norths_reply_domain_posted_at_the_hosts_url_becomes_norths_question(
        apps: tuple[App, App], envelope: bool) -> None:
    home, north = apps
    mailing_id = sent_to_members(north)
    sent_to_members(home)
    raw = reply(north, mailing_id, sender=RIVERA, text="When does the literacy money reach the lake districts?")
    assert "@reply.northern-lakes.example.org" in reply_address(north, mailing_id)
    with TestClient(host_app([home, north], hasher=FAST_HASHER), base_url=HOME_URL) as at_home:
        answer = at_home.post("/inbound/sendgrid", auth=AUTH, files=inbound_form(
            raw, [reply_address(north, mailing_id)] if envelope else None))
    assert answer.status_code == 200, answer.text
    with north.sessions() as session:
        message = session.scalars(select(InboundMessage)).one()
        assert message.id == answer.json()["id"] and message.status == "parsed"
        assert session.scalars(select(Question.text)).all() == [
            "When does the literacy money reach the lake districts?"]
    assert (count(home, InboundMessage), count(home, Question)) == (0, 0)


def test_a_reply_to_an_unknown_domain_stays_with_the_receiving_collaborative_and_is_quarantined(
        apps: tuple[App, App]) -> None:
    home, north = apps
    sent_to_members(home)
    sent_to_members(north)
    raw = reply(north, None, sender=RIVERA, text="Who do I ask about the bus money?",
                to="questions@elsewhere.example.net")
    with TestClient(host_app([home, north], hasher=FAST_HASHER), base_url=NORTH_URL) as at_north:
        answer = at_north.post("/inbound/sendgrid", auth=AUTH,
                               files=inbound_form(raw, ["questions@elsewhere.example.net"]))
    assert answer.status_code == 200, answer.text
    with north.sessions() as session:
        assert session.scalars(select(InboundMessage.status)).all() == ["quarantined"]
    assert count(home, InboundMessage) == 0 and count(north, Question) == 0


def test_collaboratives_sharing_a_reply_domain_are_told_apart_by_whose_key_signed_the_token(
        tmp_path: Path, db_url: str, clock: FakeClock, private_key: ec.EllipticCurvePrivateKey) -> None:
    shared = NORTH.replace("reply.northern-lakes.example.org", "reply.heartland-collab.example.org")
    home, north = host_apps(tmp_path, db_url, clock, _secrets(private_key), north=shared)
    domains = {"reply.heartland-collab.example.org": [home, north]}
    to_north, to_home = reply_address(north, 7), reply_address(home, 7)
    assert to_north.rpartition("@")[2] == to_home.rpartition("@")[2] and to_north != to_home
    assert owner_of(home, [to_north], domains) is north and owner_of(north, [to_home], domains) is home
    # no token to check (the unsubscribe address): the receiving collaborative, as without a host
    unsubscribe = "questions+unsubscribe@reply.heartland-collab.example.org"
    assert owner_of(north, [unsubscribe], domains) is north and owner_of(home, [unsubscribe], domains) is home
    home.engine.dispose()
    north.engine.dispose()
