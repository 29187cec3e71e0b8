"""The advocate shapes the agenda: free-form items in, items out, past agendas readable; the text agenda's
headings stay within the text width."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from starlette.testclient import TestClient

from advocacy.app import App
from advocacy.models import AgendaItem, Call
from advocacy.outbound import agenda
from digests.render import TEXT_WIDTH, EmailRenderer
from tests.factories import FakeClock
from tests.websupport import post_form, seed_bill, seed_call_questions, seed_members, text_of


def _seeded(app: App) -> int:
    seed_bill(app, app.now())
    seed_members(app, app.now())
    call_id = seed_call_questions(app, app.now())
    agenda.build_for(app, classify=lambda text: None)
    return call_id


def _titles(app: App, call_id: int) -> list[str]:
    with app.sessions() as session:
        return list(session.scalars(select(AgendaItem.title).where(AgendaItem.call_id == call_id)
                                    .order_by(AgendaItem.position)))


def test_a_free_form_item_goes_in_before_open_qa_and_an_item_comes_out(app: App, advocate: TestClient) -> None:
    call_id = _seeded(app)
    added = post_form(advocate, "/agenda", f"/agenda/{call_id}/items",
                      {"title": "Welcome and budget update", "minutes": "7", "notes": "Guest: the OBM director"})
    assert added.status_code == 303  # type: ignore[attr-defined]
    titles = _titles(app, call_id)
    assert titles[-1] == agenda.OPEN_QA and titles[-2] == "Welcome and budget update"
    with app.sessions() as session:
        item = session.scalar(select(AgendaItem).where(AgendaItem.title == "Welcome and budget update"))
        assert item is not None and (item.kind, item.minutes, item.notes) == ("other", 7, "Guest: the OBM director")
        first = session.scalar(select(AgendaItem).where(AgendaItem.call_id == call_id, AgendaItem.position == 0))
        assert first is not None
        removed_title, removed_id = first.title, first.id
    post_form(advocate, "/agenda", f"/agenda/items/{removed_id}/remove")
    assert removed_title not in _titles(app, call_id)
    assert f"“{removed_title}” removed from the agenda" in text_of(advocate.get("/agenda").text)
    with app.sessions() as session:
        positions = list(session.scalars(select(AgendaItem.position).where(AgendaItem.call_id == call_id)
                                         .order_by(AgendaItem.position)))
    assert positions == list(range(len(positions)))


def test_an_item_without_a_title_is_refused_and_nothing_changes(app: App, advocate: TestClient) -> None:
    call_id = _seeded(app)
    before = _titles(app, call_id)
    post_form(advocate, "/agenda", f"/agenda/{call_id}/items", {"title": "  ", "minutes": "5", "notes": ""})
    assert _titles(app, call_id) == before
    assert "Nothing changed" in text_of(advocate.get("/agenda").text)


def test_a_past_calls_agenda_stays_listed_and_opens(app: App, advocate: TestClient, clock: FakeClock) -> None:
    call_id = _seeded(app)
    with app.sessions() as session:
        call = session.get(Call, call_id)
        assert call is not None
        day = call.starts_at.astimezone(app.config.collaborative.tz)
    clock.advance(days=20)
    page = advocate.get("/agenda").text
    assert "Past agendas" in page and f"?call={day:%Y-%m-%d}" in page
    past = text_of(advocate.get(f"/agenda?call={day:%Y-%m-%d}").text)
    assert "Will the funding guarantee end for our district?" in past


def test_the_text_agenda_has_no_heading_rule_wider_than_the_text(app: App) -> None:
    call_id = _seeded(app)
    with app.transaction() as session:
        call = session.get(Call, call_id)
        assert call is not None
        agenda.add_item(session, call, "A guest from the Department of Education on the new report card measures "
                        "and what they mean for district ratings this fall", minutes=10)
        ctx = agenda.context(session, app.config, call, app.now() - timedelta(minutes=1))
    text = EmailRenderer().agenda(ctx).text
    rules = [line for line in text.splitlines() if line and set(line) == {"="}]
    assert rules and max(map(len, rules)) <= TEXT_WIDTH
    assert "report card measures" in " ".join(text.split())
