"""SendGrid's Event Webhook, signed with real ECDSA keys made here: stored once, forged or stale POSTs refused,
bounces suppress the next send, and the numbers reach the dashboard and each mailing's page."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from starlette.testclient import TestClient

from advocacy.app import App
from advocacy.config import Secrets, load_config
from advocacy.models import Delivery, EngagementEvent, Member, Suppression
from advocacy.outbound import engagement
from advocacy.outbound.digest import create_digest, send_digest
from advocacy.web.app import create_app
from tests.factories import MEMBERS_CSV, WORLD_SCRAPED, FakeClock, build_world, count
from tests.mailservers import SendGridStandIn
from tests.websupport import add_staff, post_form, sign_in, text_of

KEY = "SG.test-key"
BEN = "ben.osei@maplevalley.example.org"
ANA = "ana.rivera@cedarfalls.example.org"


def public_key_text(private: ec.EllipticCurvePrivateKey) -> str:
    der = private.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


@pytest.fixture(scope="module")
def private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def server() -> Iterator[SendGridStandIn]:
    with SendGridStandIn(api_key=KEY) as stand_in:
        yield stand_in


def _app(config_path: Path, db_url: str, clock: FakeClock, server: SendGridStandIn, key: str | None,
         backend: str = "sendgrid") -> App:
    env = {"ADVOCACY_EMAIL__BACKEND": backend, "ADVOCACY_EMAIL__SENDGRID__HOST": server.url}
    secrets = {"SENDGRID_API_KEY": KEY, **({engagement.EVENT_KEY_ENV: key} if key else {})}
    return App(load_config(config_path, env=env), secrets=Secrets.from_env(secrets), clock=clock,
               database_url=db_url)


@pytest.fixture
def sg_app(config_path: Path, db_url: str, clock: FakeClock, server: SendGridStandIn,
           private_key: ec.EllipticCurvePrivateKey) -> Iterator[App]:
    app = _app(config_path, db_url, clock, server, public_key_text(private_key))
    build_world(app, clock(), MEMBERS_CSV)
    yield app
    app.engine.dispose()


def sent_digest(app: App) -> int:
    with app.transaction() as session:
        mailing_id = create_digest(session, app.config, app.now()).id
    report = send_digest(app, mailing_id, app.mail)
    assert report.sent == 4, report.lines()
    return mailing_id


def ids(app: App) -> dict[str, int]:
    with app.sessions() as session:
        return {m.email: m.id for m in session.scalars(select(Member))}


def event(app: App, mailing_id: int, email: str, kind: str, event_id: str, **extra: Any) -> dict[str, Any]:
    """An event as SendGrid posts it: our custom args at the top level beside SendGrid's own fields."""
    return {"email": email, "timestamp": int(app.now().timestamp()), "event": kind, "sg_event_id": event_id,
            "sg_message_id": "standin-1.filterdrecv-1.2.3", "mailing_id": str(mailing_id),
            "member_id": str(ids(app)[email]), "kind": "digest", **extra}


def post(client: TestClient, private: ec.EllipticCurvePrivateKey, events: Any, *, timestamp: int,
         body: bytes | None = None) -> Any:
    raw = json.dumps(events).encode() if body is None else body
    signature = base64.b64encode(private.sign(str(timestamp).encode() + raw, ec.ECDSA(hashes.SHA256()))).decode()
    return client.post("/events/sendgrid", content=raw, headers={
        engagement.SIGNATURE_HEADER: signature, engagement.TIMESTAMP_HEADER: str(timestamp),
        "Content-Type": "application/json"})


def now_ts(app: App) -> int:
    return int(app.now().timestamp())


def test_signed_events_are_stored_once_and_matched_to_their_delivery(sg_app: App, private_key) -> None:
    mailing_id = sent_digest(sg_app)
    events = [event(sg_app, mailing_id, ANA, "delivered", "ev-1"),
              event(sg_app, mailing_id, ANA, "open", "ev-2"),
              event(sg_app, mailing_id, ANA, "click", "ev-3", url="https://www.legislature.ohio.gov/hb96"),
              event(sg_app, mailing_id, ANA, "processed", "ev-4")]
    client = TestClient(create_app(sg_app))
    first = post(client, private_key, events, timestamp=now_ts(sg_app))
    assert first.status_code == 200, first.text
    assert first.json()["stored"] == 3 and first.json()["ignored"] == 1
    again = post(client, private_key, events, timestamp=now_ts(sg_app) + 5)  # SendGrid retrying the same batch
    assert again.status_code == 200 and again.json()["stored"] == 0 and again.json()["duplicates"] == 3
    assert count(sg_app, EngagementEvent) == 3
    with sg_app.sessions() as session:
        delivery = session.scalar(select(Delivery).where(Delivery.mailing_id == mailing_id,
                                                         Delivery.member_id == ids(sg_app)[ANA]))
        stored = list(session.scalars(select(EngagementEvent).order_by(EngagementEvent.id)))
    assert delivery is not None and {e.delivery_id for e in stored} == {delivery.id}
    assert stored[2].url == "https://www.legislature.ohio.gov/hb96"


def test_an_event_without_custom_args_is_matched_by_its_message_id(sg_app: App, private_key) -> None:
    mailing_id = sent_digest(sg_app)
    with sg_app.sessions() as session:
        provider_id = session.scalar(select(Delivery.provider_id).join(Member, Member.id == Delivery.member_id)
                                     .where(Member.email == BEN))
    bare = {"email": BEN, "timestamp": now_ts(sg_app), "event": "open", "sg_event_id": "bare-1",
            "sg_message_id": f"{provider_id}.filterdrecv-7.0"}
    assert post(TestClient(create_app(sg_app)), private_key, [bare], timestamp=now_ts(sg_app)).status_code == 200
    with sg_app.sessions() as session:
        row = session.scalar(select(EngagementEvent))
        assert row is not None and row.mailing_id == mailing_id and row.member_id == ids(sg_app)[BEN]


def test_forged_unsigned_and_tampered_posts_are_refused_and_store_nothing(sg_app: App, private_key) -> None:
    mailing_id = sent_digest(sg_app)
    events = [event(sg_app, mailing_id, ANA, "open", "ev-1")]
    client = TestClient(create_app(sg_app))
    forger = ec.generate_private_key(ec.SECP256R1())
    assert post(client, forger, events, timestamp=now_ts(sg_app)).status_code == 403
    unsigned = client.post("/events/sendgrid", content=json.dumps(events).encode())
    assert unsigned.status_code == 403
    # signed, then a field changed on the way
    good = post(client, private_key, [], timestamp=now_ts(sg_app))
    assert good.status_code == 200
    raw = json.dumps(events).encode()
    signature = base64.b64encode(private_key.sign(str(now_ts(sg_app)).encode() + raw,
                                                  ec.ECDSA(hashes.SHA256()))).decode()
    tampered = client.post("/events/sendgrid", content=raw.replace(b"open", b"click"), headers={
        engagement.SIGNATURE_HEADER: signature, engagement.TIMESTAMP_HEADER: str(now_ts(sg_app))})
    assert tampered.status_code == 403
    assert count(sg_app, EngagementEvent) == 0


def test_a_stale_or_replayed_post_is_refused(sg_app: App, private_key, clock: FakeClock) -> None:
    mailing_id = sent_digest(sg_app)
    events = [event(sg_app, mailing_id, ANA, "open", "ev-1")]
    client = TestClient(create_app(sg_app))
    assert post(client, private_key, events, timestamp=now_ts(sg_app) - 3600).status_code == 403
    # a valid POST captured and sent again twenty minutes later
    signed_at = now_ts(sg_app)
    clock.advance(minutes=20)
    assert post(client, private_key, events, timestamp=signed_at).status_code == 403
    assert count(sg_app, EngagementEvent) == 0


def test_without_a_configured_key_every_post_is_refused(config_path: Path, db_url: str, clock: FakeClock,
                                                        server: SendGridStandIn, private_key) -> None:
    app = _app(config_path, db_url, clock, server, None)
    response = post(TestClient(create_app(app)), private_key, [], timestamp=now_ts(app))
    assert response.status_code == 503
    app.engine.dispose()


def test_a_misconfigured_key_is_refused_naming_its_variable(config_path: Path, db_url: str, clock: FakeClock,
                                                            server: SendGridStandIn, private_key,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    app = _app(config_path, db_url, clock, server, "not a key")
    assert post(TestClient(create_app(app)), private_key, [], timestamp=now_ts(app)).status_code == 503
    assert engagement.EVENT_KEY_ENV in caplog.text
    pem = private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    assert engagement.load_key(pem).public_numbers() == private_key.public_key().public_numbers()
    app.engine.dispose()


def test_a_bounce_suppresses_the_address_for_the_next_send_and_shows_on_the_member_page(
        sg_app: App, private_key, server: SendGridStandIn, clock: FakeClock) -> None:
    mailing_id = sent_digest(sg_app)
    bounce = event(sg_app, mailing_id, BEN, "bounce", "ev-b", type="bounce",
                   reason="550 5.1.1 The email account that you tried to reach does not exist")
    blocked = event(sg_app, mailing_id, ANA, "bounce", "ev-c", type="blocked", reason="421 try again later")
    client = TestClient(create_app(sg_app))
    assert post(client, private_key, [bounce, blocked], timestamp=now_ts(sg_app)).status_code == 200
    with sg_app.sessions() as session:
        assert [s.email for s in session.scalars(select(Suppression))] == [BEN]

    clock.advance(hours=1)
    server.requests.clear()
    with sg_app.transaction() as session:  # the same bills again, so Ben's topics have something in it
        next_id = create_digest(session, sg_app.config, sg_app.now(), start=WORLD_SCRAPED - timedelta(days=30)).id
    report = send_digest(sg_app, next_id, sg_app.mail)
    assert BEN not in server.recipients and ANA in server.recipients
    with sg_app.sessions() as session:
        ben = session.scalar(select(Delivery).where(Delivery.mailing_id == next_id,
                                                    Delivery.member_id == ids(sg_app)[BEN]))
    assert ben is not None and ben.status == "skipped" and "suppressed after a bounce" in ben.error
    assert report.skipped >= 1

    add_staff(sg_app, "advocate@heartland.example.org", "advocate")
    sign_in(client, "advocate@heartland.example.org")
    page = text_of(client.get(f"/members/{ids(sg_app)[BEN]}").text)
    assert "Suppressed" in page and "does not exist" in page
    post_form(client, f"/members/{ids(sg_app)[BEN]}", f"/members/{ids(sg_app)[BEN]}/suppression/lift")
    assert count(sg_app, Suppression) == 0
    assert "Suppressed" not in text_of(client.get(f"/members/{ids(sg_app)[BEN]}").text)


def test_a_spam_report_or_a_drop_for_a_dead_address_suppresses_and_an_unsubscribe_event_unsubscribes(sg_app: App, private_key) -> None:
    mailing_id = sent_digest(sg_app)
    cara, dev = "cara.lind@riverbend.example.org", "dev.patel@oakridge.example.org"
    events = [event(sg_app, mailing_id, BEN, "spamreport", "ev-s"),
              event(sg_app, mailing_id, ANA, "unsubscribe", "ev-u"),
              event(sg_app, mailing_id, cara, "dropped", "ev-d1", reason="Bounced Address"),
              event(sg_app, mailing_id, dev, "dropped", "ev-d2", reason="Unsubscribed Address")]
    assert post(TestClient(create_app(sg_app)), private_key, events, timestamp=now_ts(sg_app)).status_code == 200
    with sg_app.sessions() as session:
        assert session.scalar(select(Suppression.reason).where(Suppression.email == BEN)) == "spamreport"
        assert set(session.scalars(select(Suppression.email))) == {BEN, cara}  # a drop for a dead address only
        ana = session.scalar(select(Member).where(Member.email == ANA))
        assert ana is not None and ana.unsubscribed_at == sg_app.now()


def test_one_malformed_event_is_reported_and_the_rest_stored(sg_app: App, private_key) -> None:
    mailing_id = sent_digest(sg_app)
    events = [{"event": "open"}, "junk", event(sg_app, mailing_id, ANA, "open", "ev-1")]
    response = post(TestClient(create_app(sg_app)), private_key, events, timestamp=now_ts(sg_app))
    assert response.status_code == 200 and response.json()["stored"] == 1
    assert len(response.json()["problems"]) == 2 and "event 1" in response.json()["problems"][0]


def test_dashboard_and_mailing_page_show_open_and_click_rates_per_district_and_topic(
        sg_app: App, private_key) -> None:
    mailing_id = sent_digest(sg_app)
    events = [event(sg_app, mailing_id, ANA, "delivered", "d1"), event(sg_app, mailing_id, BEN, "delivered", "d2"),
              event(sg_app, mailing_id, ANA, "open", "o1"), event(sg_app, mailing_id, ANA, "click", "c1"),
              event(sg_app, mailing_id, BEN, "open", "o2")]
    client = TestClient(create_app(sg_app))
    assert post(client, private_key, events, timestamp=now_ts(sg_app)).status_code == 200
    with sg_app.sessions() as session:
        numbers = engagement.mailing_engagement(session, mailing_id, "sendgrid",
                                                sg_app.config.tagging.member_topics())
    assert (numbers.total.sent, numbers.total.delivered, numbers.total.opened, numbers.total.clicked) == (4, 2, 2, 1)
    assert numbers.by_district["Maple Valley Local Schools"].opened == 1
    assert numbers.by_district["Cedar Falls City Schools"].clicked == 1
    assert numbers.by_topic["All topics"].clicked == 1
    assert any(t.opened == 1 and t.sent == 1 for label, t in numbers.by_topic.items() if label != "All topics")

    add_staff(sg_app, "advocate@heartland.example.org", "advocate")
    sign_in(client, "advocate@heartland.example.org")
    dashboard = text_of(client.get("/").text)
    assert "100% opened" in dashboard and "50% clicked" in dashboard
    detail = text_of(client.get(f"/mailings/{mailing_id}/engagement").text)
    assert "Maple Valley Local Schools" in detail and "Per topic" in detail


def test_on_the_outbox_the_numbers_are_unavailable_not_zero(config_path: Path, db_url: str, clock: FakeClock,
                                                            server: SendGridStandIn) -> None:
    app = _app(config_path, db_url, clock, server, None, backend="outbox")
    build_world(app, clock(), MEMBERS_CSV)
    mailing_id = sent_digest(app)
    client = TestClient(create_app(app))
    add_staff(app, "advocate@heartland.example.org", "advocate")
    sign_in(client, "advocate@heartland.example.org")
    for page in (client.get("/").text, client.get(f"/mailings/{mailing_id}/engagement").text):
        text = text_of(page)
        assert "unavailable" in text and "0% opened" not in text
    app.engine.dispose()
