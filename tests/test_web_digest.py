"""The digest page over HTTP: prepare, preview per topic, test send, confirm and send, past sends."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from advocacy.app import App
from advocacy.models import Curation, Delivery, Mailing, Member
from tests.websupport import (
    ADVOCATE,
    advocate_client,
    outbox_messages,
    post_form,
    retag,
    seed_bill,
    seed_members,
    text_of,
    viewer_client,
)

LEE = "lee.okafor@maplefield.k12.example.org"


@pytest.fixture
def ready(app: App) -> App:
    """HB 96 approved with commentary, tagged school funding; Lee (every topic) is the one active member."""
    bill_id = seed_bill(app, app.now())
    retag(app, bill_id, {"funding": "School funding formula and state aid"})
    seed_members(app, app.now())
    with app.transaction() as session:
        row = session.scalar(select(Curation))
        assert row is not None
        row.status, row.commentary = "approved", "**Oppose** the cut. <b>raw</b>"
    return app


@pytest.fixture
def advocate(ready: App) -> TestClient:
    """The advocate, signed in once the draft's bill and member are ready."""
    return advocate_client(ready)


def prepare(client: TestClient, note: str = "") -> object:
    return post_form(client, "/digest", "/digest/prepare", {"note": note, "intent": "prepare"})


def test_without_a_draft_the_page_offers_to_prepare_one(advocate: TestClient) -> None:
    page = text_of(advocate.get("/digest").text)
    assert "No draft yet" in page and "Prepare the next digest" in page
    assert "Next scheduled Tue Dec 1, 2026, 7:00 AM EST" in page
    assert "Nothing has been sent yet." in page


def test_prepare_freezes_the_draft_and_the_page_previews_it(ready: App, advocate: TestClient) -> None:
    response = prepare(advocate, note="Budget season *starts*.")
    assert response.status_code == 303
    raw = advocate.get("/digest").text
    page = text_of(raw)
    assert "Digest 1 prepared with 2 item(s)." in page
    assert "New bills 1" in page and "Hearings 1" in page
    assert "Heartland Mid-Sized Districts Collaborative legislative update" in page  # the subject
    assert '<iframe class="emailframe" src="/digest/1/email"' in raw and "sandbox=" in raw
    text_part = raw[raw.index("<pre>"):raw.index("</pre>")]
    assert "H.B. 96" in text_part and "Oppose the cut." in text_part
    assert "<em>starts</em>" in raw  # the opening note, rendered
    assert "1 member will receive it" in page and "Not counted: 1 paused, 1 unsubscribed." in page


def test_the_email_frame_serves_the_html_part_with_a_policy_of_its_own(ready: App, advocate: TestClient) -> None:
    prepare(advocate)
    response = advocate.get("/digest/1/email")
    assert response.status_code == 200
    assert "<strong>Oppose</strong> the cut." in response.text
    assert "&lt;b&gt;raw&lt;/b&gt;" in response.text and "<b>raw</b>" not in response.text
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in policy and "script-src" not in policy and "default-src 'none'" in policy
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert "-member-token-" not in response.text
    assert advocate.get("/digest/99/email").status_code == 404


def test_preview_as_members_with_chosen_topics(ready: App, advocate: TestClient) -> None:
    prepare(advocate)
    funding = advocate.get("/digest", params={"topic": "funding"}).text
    assert "As a member who follows School funding formula and state aid" in text_of(funding)
    assert 'src="/digest/1/email?topic=funding"' in funding
    other = text_of(advocate.get("/digest", params={"topic": "meals"}).text)
    assert "Nothing in this digest concerns members who chose only these topics" in other
    assert "Nothing in this digest" in advocate.get("/digest/1/email", params={"topic": "meals"}).text


def test_nothing_new_is_said_plainly(app: App) -> None:
    client = advocate_client(app)
    prepare(client)
    assert "No digest to prepare: nothing moved since the last digest." in text_of(client.get("/digest").text)
    with app.sessions() as session:
        assert session.scalar(select(Mailing)) is None


def test_saving_the_note_keeps_the_draft_and_prepare_again_replaces_it(ready: App, advocate: TestClient) -> None:
    prepare(advocate)
    post_form(advocate, "/digest", "/digest/prepare", {"note": "A short note", "intent": "note"})
    with ready.sessions() as session:
        assert [(d.id, d.status, d.opening_note) for d in session.scalars(select(Mailing))] == [
            (1, "draft", "A short note")]
    post_form(advocate, "/digest", "/digest/prepare", {"note": "Again", "intent": "fresh"})
    with ready.sessions() as session:
        assert [(d.id, d.status) for d in session.scalars(select(Mailing).order_by(Mailing.id))] == [
            (1, "skipped"), (2, "draft")]


def test_test_send_goes_to_the_staff_address_only(ready: App, advocate: TestClient) -> None:
    prepare(advocate)
    response = post_form(advocate, "/digest", "/digest/1/test", {"topic": "funding"})
    assert response.headers["location"] == "/digest?topic=funding"
    received = outbox_messages(ready)
    assert [m["To"].addresses[0].addr_spec for m in received] == [ADVOCATE]
    assert received[0]["Subject"].startswith("[Test] ")
    assert "Oppose the cut." in received[0].get_body(("plain",)).get_content()
    with ready.sessions() as session:
        assert session.scalar(select(Delivery)) is None
        assert session.get(Mailing, 1).status == "draft"  # type: ignore[union-attr]
    assert f"Test sent to {ADVOCATE} through the outbox backend." in text_of(advocate.get("/digest").text)


def test_send_asks_first_with_the_number_of_recipients_then_sends_once(ready: App, advocate: TestClient) -> None:
    prepare(advocate)
    confirm = text_of(advocate.get("/digest/1/send").text)
    assert "Send digest 1?" in confirm and "1 member will receive it." in confirm
    assert "Not counted: 1 paused, 1 unsubscribed." in confirm
    response = post_form(advocate, "/digest/1/send", "/digest/1/send")
    assert response.status_code == 303
    received = outbox_messages(ready)
    assert [m["To"].addresses[0].addr_spec for m in received] == [LEE]
    page = text_of(advocate.get("/digest").text)
    assert "Digest 1: sent 1, skipped 0, failed 0." in page
    assert "No draft yet" in page
    history = page[page.index("Past sends"):]
    assert "digest" in history and "sent" in history and "1 sent" in history
    post_form(advocate, "/digest", "/digest/1/send")
    assert "Not sent again: digest 1 was sent on" in text_of(advocate.get("/digest").text)
    assert len(outbox_messages(ready)) == 1


def test_past_sends_show_failures_with_their_reasons(ready: App, advocate: TestClient) -> None:
    with ready.transaction() as session:
        digest = Mailing(kind="digest", period_end=ready.now(), status="sending", created_at=ready.now())
        session.add(digest)
        session.flush()
        member = session.scalar(select(Member).where(Member.email == LEE))
        assert member is not None
        session.add(Delivery(mailing_id=digest.id, member_id=member.id, status="failed", permanent=True,
                             error="550 mailbox <unknown> does not exist", created_at=ready.now()))
    raw = advocate.get("/digest").text
    page = text_of(raw)
    assert "1 failed" in page and "1 did not go out" in page
    assert f"{LEE} failed 550 mailbox <unknown> does not exist" in page
    assert "<unknown>" not in raw  # escaped


def test_viewer_previews_but_cannot_prepare_test_or_send(ready: App) -> None:
    advocate = advocate_client(ready)
    prepare(advocate)
    viewer = viewer_client(ready)
    page = viewer.get("/digest").text
    assert "/digest/1/email" in page
    assert "/digest/1/test" not in page and "Send to members" not in page
    assert "Yes, send it now" not in viewer.get("/digest/1/send").text
    for action in ("/digest/prepare", "/digest/1/test", "/digest/1/send"):
        assert post_form(viewer, "/digest", action).status_code == 403, action
    assert outbox_messages(ready) == []
    with ready.sessions() as session:
        assert session.get(Mailing, 1).status == "draft"  # type: ignore[union-attr]


def test_a_bill_dismissed_after_the_draft_was_prepared_is_called_out_on_the_digest_page(
        ready: App, advocate: TestClient) -> None:
    prepare(advocate)
    assert "still in this draft" not in text_of(advocate.get("/digest").text)
    bill_id = ready_bill_id(ready)
    post_form(advocate, "/queue", f"/bills/{bill_id}/decide", {"decision": "dismiss"})
    page = text_of(advocate.get("/digest").text)
    assert "H.B. 96 (dismissed) stopped being tracked but is still in this draft. Prepare it again to drop it." in page
    post_form(advocate, "/digest", "/digest/prepare", {"note": "", "intent": "fresh"})
    assert "still in this draft" not in text_of(advocate.get("/digest").text)


def ready_bill_id(app: App) -> int:
    with app.sessions() as session:
        row = session.scalar(select(Curation))
        assert row is not None
        return row.bill_id
