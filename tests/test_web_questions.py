"""Questions and the agenda builder over HTTP: quarantine review, answers, moves and merges, build, reorder,
edit and send."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from advocacy import calls
from advocacy.app import App
from advocacy.models import AgendaItem, AuditEntry, Call, InboundMessage, Question
from tests.websupport import (
    ADVOCATE,
    advocate_client,
    outbox_messages,
    post_form,
    seed_call_questions,
    seed_members,
    seed_questions,
    text_of,
    viewer_client,
)


@pytest.fixture
def seeded(app: App) -> int:
    seed_members(app, app.now())
    seed_questions(app, app.now())
    return seed_call_questions(app, app.now())


@pytest.fixture
def advocate(app: App, seeded: int) -> TestClient:
    """The advocate, signed in after the questions were seeded."""
    return advocate_client(app)


@pytest.fixture
def viewer(app: App, seeded: int) -> TestClient:
    """The viewer, signed in after the questions were seeded."""
    return viewer_client(app)


def question(app: App, question_id: int) -> Question:
    with app.sessions() as session:
        row = session.get(Question, question_id)
        assert row is not None
        session.expunge(row)
        return row


def test_questions_page_shows_the_quarantine_and_open_questions_by_call(advocate: TestClient) -> None:
    raw = advocate.get("/questions").text
    page = text_of(raw)
    held = page[page.index("Held for a look"):page.index("For the call of")]
    assert "stranger@elsewhere.example.net" in held and "sender is not a member" in held
    assert "unknown sender" in held and "DKIM failed" in held
    call = page[page.index("For the call of Thu Dec 3, 10:00 AM"):]
    assert "Will the funding guarantee end for our district?" in call
    assert "Lee Okafor, Maplefield City Schools" in call
    assert "Can buses run on the &lt;b&gt;new&lt;/b&gt; schedule?" in raw  # members' words are escaped
    assert "Already handled" in page[page.index("Answered lately"):]


def test_accepting_a_held_reply_makes_its_questions_a_members(app: App, advocate: TestClient) -> None:
    response = post_form(advocate, "/questions", "/questions/held/2/accept",
                         {"member": "Lee.Okafor@maplefield.k12.example.org",
                          "text": "What does HB 96 do to transportation aid?"})
    assert response.status_code == 303
    with app.sessions() as session:
        message = session.get(InboundMessage, 2)
        assert message is not None and message.status == "parsed"
        asked = session.scalars(select(Question).where(Question.message_id == 2)).all()
        assert [q.text for q in asked] == ["What does HB 96 do to transportation aid?"]
        assert session.scalar(select(AuditEntry.actor).where(AuditEntry.action == "accept")) == ADVOCATE
    page = text_of(advocate.get("/questions").text)
    assert "Message 2 accepted as lee.okafor@maplefield.k12.example.org's: 1 question." in page
    assert "stranger@elsewhere.example.net" not in page


def test_accepting_for_someone_who_is_not_a_member_changes_nothing(app: App, advocate: TestClient) -> None:
    post_form(advocate, "/questions", "/questions/held/2/accept", {"member": "nobody@example.org"})
    assert "Nothing changed: nobody@example.org is not a member" in text_of(advocate.get("/questions").text)
    with app.sessions() as session:
        assert session.get(InboundMessage, 2).status == "quarantined"  # type: ignore[union-attr]


def test_discarding_keeps_the_message_out_of_the_quarantine(app: App, advocate: TestClient) -> None:
    post_form(advocate, "/questions", "/questions/held/3/discard", {"reason": "spam"})
    with app.sessions() as session:
        assert session.get(InboundMessage, 3).status == "discarded"  # type: ignore[union-attr]
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "discard"))
        assert entry is not None and entry.after["reason"] == "spam"
    assert "DKIM failed" not in advocate.get("/questions").text


def test_marking_answered_keeps_the_notes(app: App, advocate: TestClient) -> None:
    post_form(advocate, "/questions", "/questions/4/answer", {"notes": "Yes, **in 2027**."})
    assert (question(app, 4).status, question(app, 4).answer_notes) == ("answered", "Yes, **in 2027**.")
    answered = advocate.get("/questions").text
    assert "<strong>in 2027</strong>" in answered[answered.index("Answered lately"):]
    post_form(advocate, "/questions", "/questions/5/answer", {"notes": "  "})
    assert question(app, 5).status == "open"
    assert "Nothing changed: notes: write what was answered" in text_of(advocate.get("/questions").text)


def test_merging_duplicates_lists_both_districts_on_one_question(app: App, advocate: TestClient) -> None:
    post_form(advocate, "/questions", "/questions/5/merge", {"into": "4"})
    merged = question(app, 5)
    assert (merged.status, merged.merged_into_id) == ("merged", 4)
    page = text_of(advocate.get("/questions").text)
    assert "Question 5 merged into question 4: one question, both districts listed." in page
    assert "Does the guarantee end under the new formula?" not in page


def test_a_merge_is_audited_and_refused_unless_both_questions_are_open_on_the_same_call(
        app: App, advocate: TestClient) -> None:
    post_form(advocate, "/questions", "/questions/6/merge", {"into": "3"})  # 3 was answered already
    assert "Nothing changed: question 3 is answered; only open questions merge" in text_of(
        advocate.get("/questions").text)
    post_form(advocate, "/questions", "/questions/1/merge", {"into": "4"})  # 1 has no call, 4 is on the next
    assert "Nothing changed: questions 1 and 4 are for different calls" in text_of(advocate.get("/questions").text)
    assert (question(app, 6).status, question(app, 1).status) == ("open", "open")
    post_form(advocate, "/questions", "/questions/5/merge", {"into": "4"})
    post_form(advocate, "/questions", "/questions/6/merge", {"into": "5"})  # 5 is merged now: not open
    assert "Nothing changed: question 5 is merged; only open questions merge" in text_of(
        advocate.get("/questions").text)
    with app.sessions() as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "merge"))
        assert (entry.actor, entry.entity, entry.entity_id) == (ADVOCATE, "question", 5)
        assert (entry.before, entry.after) == ({"status": "open", "merged_into_id": None},
                                               {"status": "merged", "merged_into_id": 4})


def test_moving_a_question_to_another_call(app: App, advocate: TestClient) -> None:
    page = advocate.get("/questions").text
    assert '<option value="2026-12-17T10:00:00-05:00">Thu Dec 17, 10:00 AM</option>' in page
    post_form(advocate, "/questions", "/questions/6/call", {"call": "2026-12-17T10:00:00-05:00"})
    with app.sessions() as session:
        call = session.get(Call, question(app, 6).call_id)
        assert call is not None and call.starts_at.isoformat() == "2026-12-17T15:00:00+00:00"
    assert "Question 6 moved to the call of Thu Dec 17." in text_of(advocate.get("/questions").text)
    post_form(advocate, "/questions", "/questions/4/call", {"call": "2027-06-01T10:00:00-04:00"})
    assert "choose one of the calls listed" in text_of(advocate.get("/questions").text)


def test_viewer_reads_questions_but_changes_none(app: App, viewer: TestClient) -> None:
    page = viewer.get("/questions").text
    assert "sender is not a member" in page and "/answer" not in page and "/accept" not in page
    for action, data in (("/questions/held/2/accept", {"member": "lee.okafor@maplefield.k12.example.org"}),
                         ("/questions/held/2/discard", {}), ("/questions/4/answer", {"notes": "x"}),
                         ("/questions/5/merge", {"into": "4"}),
                         ("/questions/6/call", {"call": "2026-12-17T10:00:00-05:00"})):
        assert post_form(viewer, "/questions", action, data).status_code == 403, action
    assert question(app, 4).status == "open" and question(app, 5).status == "open"


# -- agenda ---------------------------------------------------------------------------------------------------
def call_day(app: App, call_id: int) -> str:
    with app.sessions() as session:
        call = session.get(Call, call_id)
        assert call is not None
        return call.starts_at.astimezone(app.config.collaborative.tz).date().isoformat()


def build(app: App, client: TestClient, call_id: int, intent: str = "build") -> None:
    day = call_day(app, call_id)
    assert post_form(client, "/agenda", f"/agenda/{day}/build", {"intent": intent}).status_code == 303


def items(app: App, call_id: int) -> list[AgendaItem]:
    with app.sessions() as session:
        rows = list(session.scalars(select(AgendaItem).where(AgendaItem.call_id == call_id)
                                    .order_by(AgendaItem.position)))
        for row in rows:
            session.expunge(row)
        return rows


def test_agenda_page_offers_to_build_then_shows_time_boxes(app: App, advocate: TestClient, seeded: int) -> None:
    page = text_of(advocate.get("/agenda").text)
    assert "Agenda: Legislative Q&A call" in page and "No agenda yet" in page and "3 open" in page
    build(app, advocate, seeded)
    raw = advocate.get("/agenda").text
    page = text_of(raw)
    assert "Agenda up to date with the latest questions." in page
    assert "60 of 60 minutes planned" in page
    assert "10:00–10:0" in page and "Open Q&A and next steps" in page
    assert "Can buses run on the &lt;b&gt;new&lt;/b&gt; schedule?" in raw
    assert "Asked by: Maplefield City Schools" in page


def test_reading_the_agenda_page_saves_no_call_and_building_its_agenda_does(app: App) -> None:
    client = advocate_client(app)
    with app.sessions() as session:
        slot = calls.peek_upcoming(session, app.config, app.now())
        later = calls.peek_upcoming(session, app.config, slot.starts_at)
    days = [c.starts_at.astimezone(app.config.collaborative.tz).date().isoformat() for c in (slot, later)]
    for path in ("/agenda", f"/agenda?call={days[1]}"):
        page = text_of(client.get(path).text)
        assert "Agenda: Legislative Q&A call" in page and "No agenda yet" in page, path
    with app.sessions() as session:
        assert list(session.scalars(select(Call))) == []
    assert post_form(client, "/agenda", f"/agenda/{days[0]}/build", {"intent": "build"}).status_code == 303
    with app.sessions() as session:
        [call] = session.scalars(select(Call))
        assert call.starts_at == slot.starts_at and call.agenda
    assert "Open Q&A and next steps" in text_of(client.get("/agenda").text)


def test_moving_an_item_up_and_down(app: App, advocate: TestClient, seeded: int) -> None:
    build(app, advocate, seeded)
    first, second = items(app, seeded)[:2]
    post_form(advocate, "/agenda", f"/agenda/items/{second.id}/move", {"position": "1"})
    assert [i.id for i in items(app, seeded)][:2] == [second.id, first.id]
    assert "Item moved to position 1." in text_of(advocate.get("/agenda").text)


def test_editing_an_item(app: App, advocate: TestClient, seeded: int) -> None:
    build(app, advocate, seeded)
    item = items(app, seeded)[0]
    post_form(advocate, "/agenda", f"/agenda/items/{item.id}/edit",
              {"title": "Funding guarantee", "notes": "Bring the *simulation*.", "minutes": "12"})
    saved = items(app, seeded)[0]
    assert (saved.title, saved.notes, saved.minutes) == ("Funding guarantee", "Bring the *simulation*.", 12)
    assert "<em>simulation</em>" in advocate.get("/agenda").text
    post_form(advocate, "/agenda", f"/agenda/items/{item.id}/edit", {"title": " ", "notes": "", "minutes": "5"})
    assert "Nothing changed: an agenda item needs a title" in text_of(advocate.get("/agenda").text)
    assert items(app, seeded)[0].title == "Funding guarantee"


def test_merging_on_the_agenda_takes_the_twin_off_it(app: App, advocate: TestClient, seeded: int) -> None:
    build(app, advocate, seeded)
    merged = post_form(advocate, "/agenda", "/questions/5/merge", {"into": "4", "back": "agenda"})
    assert merged.headers["location"] == f"/agenda?call={call_day(app, seeded)}"  # type: ignore[attr-defined]
    assert all(5 not in i.question_ids for i in items(app, seeded))
    assert "Does the guarantee end under the new formula?" not in advocate.get("/agenda").text


def test_sending_the_agenda_asks_first_then_mails_every_active_member(app: App, advocate: TestClient,
                                                                       seeded: int) -> None:
    build(app, advocate, seeded)
    confirm = text_of(advocate.get(f"/agenda/{seeded}/send").text)
    assert "Send the agenda?" in confirm and "1 member will receive it." in confirm
    assert post_form(advocate, f"/agenda/{seeded}/send", f"/agenda/{seeded}/send").status_code == 303
    received = [m for m in outbox_messages(app)]
    assert [m["To"].addresses[0].addr_spec for m in received] == ["lee.okafor@maplefield.k12.example.org"]
    assert any(part.get_content_type() == "text/calendar" for part in received[0].walk())
    page = text_of(advocate.get("/agenda").text)
    assert "Agenda sent: 1 sent, 0 skipped, 0 failed." in page and "Send the update" in page
    assert "Send the updated agenda?" in text_of(advocate.get(f"/agenda/{seeded}/send").text)


def test_viewer_reads_the_agenda_but_changes_nothing(app: App, advocate: TestClient, viewer: TestClient,
                                                      seeded: int) -> None:
    build(app, advocate, seeded)
    before = items(app, seeded)
    item = before[0]
    page = viewer.get("/agenda").text
    assert "Open Q&amp;A and next steps" in page and "/move" not in page and "Send to members" not in page
    for action, data in ((f"/agenda/{call_day(app, seeded)}/build", {"intent": "fresh"}),
                         (f"/agenda/items/{item.id}/move", {"position": "3"}),
                         (f"/agenda/items/{item.id}/edit", {"title": "x", "notes": "", "minutes": "5"}),
                         ("/questions/5/merge", {"into": "4", "back": "agenda"}), (f"/agenda/{seeded}/send", {})):
        assert post_form(viewer, "/agenda", action, data).status_code == 403, action
    after = items(app, seeded)
    assert [(i.id, i.title, i.minutes) for i in after] == [(i.id, i.title, i.minutes) for i in before]
    assert outbox_messages(app) == []


def test_a_question_moved_to_another_call_leaves_this_calls_agenda(app: App, advocate: TestClient,
                                                                   seeded: int) -> None:
    build(app, advocate, seeded)
    assert any(6 in i.question_ids for i in items(app, seeded))
    post_form(advocate, "/questions", "/questions/6/call", {"call": "2026-12-17T10:00:00-05:00"})
    assert all(6 not in i.question_ids for i in items(app, seeded))
    with app.sessions() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "assign_call"))
        assert entry is not None and entry.before == {"call_id": seeded}
