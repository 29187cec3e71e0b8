"""The review queue and the bill page's curation form, over HTTP: what they show, what they write, who may."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from starlette.testclient import TestClient

from advocacy.app import App
from advocacy.models import AuditEntry, Bill, BillRelevance, Curation, Mailing
from tests.websupport import (
    ADVOCATE,
    csrf_from,
    post_form,
    retag,
    seed_bill,
    seed_other_bills,
    text_of,
)


def curation(app: App) -> Curation:
    with app.sessions() as session:
        row = session.scalar(select(Curation))
        assert row is not None
        session.expunge(row)
        return row


def test_queue_shows_why_each_bill_was_tagged_and_what_happened_since(app: App, advocate: TestClient) -> None:
    seed_bill(app, app.now())
    page = text_of(advocate.get("/queue").text)
    assert "1 bill" in page and "H.B. 96" in page
    assert "School funding 0.92 title mentions the school foundation funding formula" in page
    assert "Appropriations 0.55 subject: Appropriations" in page
    since = page[page.index("Since you last looked"):]
    assert "House Primary and Secondary Education hearing 2026-12-02 09:30" in since and "New bill" in since


def test_queue_filters_by_topic_priority_status_and_jurisdiction(app: App, advocate: TestClient) -> None:
    seed_bill(app, app.now())
    page = advocate.get("/queue", params={"topic": "school_funding"}).text
    assert '<option value="school_funding" selected>School funding</option>' in page and "H.B. 96" in page
    with app.transaction() as session:  # a second tagged bill in the queue, about something else
        from advocacy.models import Bill, TagAssessment

        seed_other_bills(app, app.now())
        other = session.scalar(select(Bill).where(Bill.identifier == "SB 12"))
        assert other is not None
        session.add_all([BillRelevance(bill_id=other.id, relevant=True, score=0.8, tagged_at=app.now()),TagAssessment(bill_id=other.id, tag="transportation", label="Pupil transportation",
                                       score=0.8, reasons=["school bus"], assessed_at=app.now()),
                         Curation(bill_id=other.id, status="new", changed_at=app.now(), updated_at=app.now())])
    buses = text_of(advocate.get("/queue", params={"topic": "transportation"}).text)
    assert "S.B. 12" in buses and "H.B. 96" not in buses
    assert "H.B. 96" in text_of(advocate.get("/queue", params={"priority": "high"}).text)
    assert "No bill matches" in text_of(advocate.get("/queue", params={"priority": "watch"}).text)
    assert "H.B. 96" in text_of(advocate.get("/queue", params={"jurisdiction": "OH"}).text)
    assert "No bill matches" in text_of(advocate.get("/queue", params={"priority": "high", "topic": "transportation"}).text)
    assert "No bill matches" in text_of(advocate.get("/queue", params={"status": "approved"}).text)
    # an unknown value is ignored, not an error
    assert "H.B. 96" in text_of(advocate.get("/queue", params={"priority": "urgent"}).text)


def test_approve_in_one_click_returns_to_the_filtered_queue(app: App, advocate: TestClient) -> None:
    bill_id = seed_bill(app, app.now())
    response = post_form(advocate, "/queue?priority=high", f"/bills/{bill_id}/decide",
                         {"decision": "approve", "next": "/queue?priority=high"})
    assert response.status_code == 303 and response.headers["location"] == "/queue?priority=high"
    assert curation(app).status == "approved"
    page = text_of(advocate.get("/queue?priority=high").text)
    assert "H.B. 96 approved." in page and "No bill matches" in page
    assert "H.B. 96" in text_of(advocate.get("/queue", params={"status": "approved"}).text)
    with app.sessions() as session:
        entry = session.scalar(select(AuditEntry))
        assert entry is not None and (entry.actor, entry.action) == (ADVOCATE, "approve")


def test_dismiss_and_snooze_in_one_click(app: App, advocate: TestClient) -> None:
    bill_id = seed_bill(app, app.now())
    post_form(advocate, "/queue", f"/bills/{bill_id}/decide", {"decision": "snooze", "days": "14"})
    row = curation(app)
    assert row.status == "snoozed" and row.snoozed_until == app.now() + timedelta(days=14)
    post_form(advocate, "/queue", f"/bills/{bill_id}/decide", {"decision": "dismiss"})
    assert curation(app).status == "dismissed"
    assert "Nothing to review" in text_of(advocate.get("/queue").text)


def test_a_bad_decision_changes_nothing_and_says_why(app: App, advocate: TestClient) -> None:
    bill_id = seed_bill(app, app.now())
    post_form(advocate, "/queue", f"/bills/{bill_id}/decide", {"decision": "snooze", "days": "forever"})
    assert curation(app).status == "new"
    assert "Nothing changed: days: 'forever' is not a whole number" in text_of(advocate.get("/queue").text)
    assert post_form(advocate, "/queue", "/bills/4242/decide", {"decision": "approve"}).status_code == 404


def test_viewer_reads_the_queue_but_cannot_decide(app: App, viewer: TestClient) -> None:
    bill_id = seed_bill(app, app.now())
    page = viewer.get("/queue").text
    assert "H.B. 96" in page and "/decide" not in page
    response = post_form(viewer, "/queue", f"/bills/{bill_id}/decide", {"decision": "approve"})
    assert response.status_code == 403
    assert curation(app).status == "new"


def test_decisions_need_the_forms_token(app: App, advocate: TestClient) -> None:
    bill_id = seed_bill(app, app.now())
    response = advocate.post(f"/bills/{bill_id}/decide", data={"decision": "approve"}, follow_redirects=False)
    assert response.status_code == 403
    assert curation(app).status == "new"


def _curate(client: TestClient, bill_id: int, **fields: object) -> object:
    data = {"status": "new", "priority": "high", "position": "monitor", "commentary": "", "alert_deadline": "",
            "alert_action": "", "snoozed_until": "", "intent": "save", **fields}
    return post_form(client, f"/bills/{bill_id}", f"/bills/{bill_id}/curate", data)


def test_curation_form_saves_through_curate_and_shows_sanitized_commentary(app: App, advocate: TestClient) -> None:
    bill_id = seed_bill(app, app.now())
    response = _curate(advocate, bill_id, status="approved", position="seek_amendment", commentary=(
        "**Amend it.** See [the note](https://example.org/n) and [this](javascript:alert(1)).\n\n"
        "<script>alert('x')</script>"))
    assert response.status_code == 303 and response.headers["location"] == f"/bills/{bill_id}#curation"
    row = curation(app)
    assert (row.status, row.position) == ("approved", "seek_amendment")
    assert row.commentary.startswith("**Amend it.**")
    page = advocate.get(f"/bills/{bill_id}").text
    assert "saved (status, position, commentary)" in text_of(page)
    assert "<strong>Amend it.</strong>" in page
    assert 'href="https://example.org/n"' in page
    assert 'href="javascript' not in page and "<script>alert" not in page
    shown = page[page.index("Saved commentary"):]
    assert "&lt;script&gt;alert(" in shown  # typed HTML is shown as words
    with app.sessions() as session:
        entry = session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()))
        assert entry is not None and entry.actor == ADVOCATE and set(entry.after) == {"status", "position",
                                                                                      "commentary"}


def test_preview_shows_the_commentary_as_members_will_read_it_and_saves_nothing(app: App,
                                                                                advocate: TestClient) -> None:
    bill_id = seed_bill(app, app.now())
    response = _curate(advocate, bill_id, commentary="*Watch* this\n\n- one\n- two", intent="preview")
    assert response.status_code == 200
    preview = response.text[response.text.index("Preview: as members will read it"):]
    assert "<em>Watch</em> this" in preview and "<li>one</li>" in preview
    assert "*Watch* this" in response.text  # the textarea keeps what was typed
    assert curation(app).commentary == "Watch the guarantee changes."


def test_alert_without_deadline_or_ask_is_refused_with_the_errors_by_their_fields(app: App,
                                                                                   advocate: TestClient) -> None:
    bill_id = seed_bill(app, app.now())
    response = _curate(advocate, bill_id, alert="1", commentary="keep this text")
    assert response.status_code == 400
    page = response.text
    assert 'id="alert_deadline-error">an alert needs a deadline<' in page
    assert 'id="alert_action-error">an alert needs a call to action (what members should do)<' in page
    assert 'aria-describedby="alert_deadline-error"' in page
    assert "keep this text" in page  # nothing typed is lost
    assert curation(app).alert is False and curation(app).commentary == "Watch the guarantee changes."


def test_an_action_alert_with_deadline_becomes_an_urgent_alert(app: App, advocate: TestClient) -> None:
    bill_id = seed_bill(app, app.now())
    retag(app, bill_id, {"funding": "School funding formula and state aid"})
    response = _curate(advocate, bill_id, status="approved", alert="1", alert_deadline="2026-12-01T17:00",
                       alert_action="Call your senator before the vote")
    assert response.status_code == 303
    row = curation(app)
    assert row.alert and row.alert_action == "Call your senator before the vote"
    assert row.alert_deadline is not None and row.alert_deadline.isoformat() == "2026-12-01T22:00:00+00:00"
    with app.sessions() as session:
        assert session.scalar(select(Mailing.kind).where(Mailing.bill_id == bill_id)) == "alert"
    assert "1 urgent alert ready to send" in text_of(advocate.get(f"/bills/{bill_id}").text)


def test_saving_other_fields_keeps_an_alert_whose_deadline_has_passed(app: App, advocate: TestClient,
                                                                     clock: object) -> None:
    bill_id = seed_bill(app, app.now())
    _curate(advocate, bill_id, alert="1", alert_deadline="2026-11-30T17:00", alert_action="Call them")
    clock.advance(days=10)  # type: ignore[attr-defined]
    response = _curate(advocate, bill_id, alert="1", alert_deadline="2026-11-30T17:00", alert_action="Call them",
                       commentary="After the vote")
    assert response.status_code == 303
    assert curation(app).commentary == "After the vote"


def test_snooze_from_the_form_needs_its_date(app: App, advocate: TestClient) -> None:
    bill_id = seed_bill(app, app.now())
    response = _curate(advocate, bill_id, status="snoozed")
    assert response.status_code == 400
    assert 'id="snoozed_until-error">a snooze needs the date it ends<' in response.text
    assert _curate(advocate, bill_id, status="snoozed", snoozed_until="2026-12-15").status_code == 303
    assert curation(app).snoozed_until is not None


def test_a_bill_nobody_tagged_can_be_curated(app: App, advocate: TestClient) -> None:
    seed_other_bills(app, app.now())
    with app.sessions() as session:
        from advocacy.models import Bill

        bill_id = session.scalar(select(Bill.id).where(Bill.identifier == "SB 12"))
    assert "not in the review queue" in advocate.get(f"/bills/{bill_id}").text
    assert _curate(advocate, bill_id, status="approved", priority="").status_code == 303
    assert curation(app).status == "approved"


def test_saving_nothing_new_marks_the_bill_reviewed(app: App, advocate: TestClient) -> None:
    bill_id = seed_bill(app, app.now())
    _curate(advocate, bill_id, commentary="Watch the guarantee changes.")
    assert "nothing changed; marked reviewed" in text_of(advocate.get(f"/bills/{bill_id}").text)
    assert curation(app).reviewed_at == app.now()


def test_viewer_sees_the_commentary_but_no_form_and_cannot_post_one(app: App, viewer: TestClient) -> None:
    bill_id = seed_bill(app, app.now())
    page = viewer.get(f"/bills/{bill_id}").text
    assert "Watch the guarantee changes." in page
    assert "/curate" not in page
    response = viewer.post(f"/bills/{bill_id}/curate", data={"status": "approved", "intent": "save",
                                                              "csrf_token": csrf_from(page)})
    assert response.status_code == 403
    assert curation(app).status == "new"


def test_undoing_an_approval_says_what_it_undid_and_the_bill_waits_in_the_queue(app: App,
                                                                                 advocate: TestClient) -> None:
    bill_id = seed_bill(app, app.now())
    post_form(advocate, "/queue", f"/bills/{bill_id}/decide", {"decision": "approve"})
    page = advocate.get("/queue", params={"status": "approved"}).text
    assert "Undo approval" in page and "Back to the queue" not in page
    post_form(advocate, "/queue", f"/bills/{bill_id}/decide", {"decision": "reopen"})
    queue = text_of(advocate.get("/queue").text)
    assert "H.B. 96 back in the queue (it was approved; it waits for a new decision)." in queue
    assert curation(app).status == "new" and "1 bill" in queue


def test_a_bill_tracked_by_hand_and_reopened_stays_in_the_default_queue(app: App, advocate: TestClient) -> None:
    seed_other_bills(app, app.now())
    with app.sessions() as session:
        bill_id = session.scalar(select(Bill.id).where(Bill.identifier == "SB 12"))
    _curate(advocate, bill_id, status="approved", priority="")
    post_form(advocate, "/queue", f"/bills/{bill_id}/decide", {"decision": "reopen"})
    assert "S.B. 12" in text_of(advocate.get("/queue").text)


def test_a_bill_tagged_with_no_topic_says_so_rather_than_not_tagged_yet(app: App, advocate: TestClient) -> None:
    seed_other_bills(app, app.now())
    with app.transaction() as session:
        bill = session.scalar(select(Bill).where(Bill.identifier == "HB 200"))
        assert bill is not None
        bill_id = bill.id
    assert "Not tagged yet." in text_of(advocate.get(f"/bills/{bill_id}").text)
    with app.transaction() as session:
        session.add(BillRelevance(bill_id=bill_id, relevant=False, score=0.0, tagged_at=app.now()))
    page = text_of(advocate.get(f"/bills/{bill_id}").text)
    assert "no topic matched (score 0.00)" in page and "Not tagged yet." not in page
