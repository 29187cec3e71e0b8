from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from advocacy import calls
from advocacy.app import App
from advocacy.inbound import intake
from advocacy.models import AgendaItem, Call, Delivery, Mailing, Question
from advocacy.outbound import agenda
from advocacy.outbound.outgoing import reply_address
from advocacy.outbound.sending import AlreadySent
from digests.channels.email import OutboxBackend
from tests.factories import FakeClock, funding_bill
from tests.inbound import add_members, approve, calendar_bill, literacy_bill, reply, sent_digest, store_bills

RIVERA = "rivera@cedarfalls.example.org"
OKAFOR = "okafor@riverbend.example.org"
LINDQVIST = "lindqvist@oakhollow.example.org"
CALL = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


def setup(app: App, *, approved: dict[str, str] | None = None) -> int:
    with app.transaction() as session:
        add_members(session)
        bills = store_bills(session, app.now(), literacy_bill(), calendar_bill(), funding_bill())
        for ident, priority in (approved or {}).items():
            approve(session, bills[ident], priority, now=app.now())
        return sent_digest(session, app.now(), list(bills.values())).id


def ask(app: App, mailing_id: int, sender: str, text: str) -> None:
    with app.transaction() as session:
        message, _ = intake.receive(session, reply(app, mailing_id, sender=sender, text=text), "file", {}, app.now())
        intake.process(session, message, config=app.config, secret=app.signing_key, now=app.now())


def build(app: App, **kwargs: object) -> int:
    return agenda.build_for(app, classify=kwargs.pop("classify", lambda text: None), **kwargs)  # type: ignore[arg-type]


def items(app: App, call_id: int) -> list[AgendaItem]:
    with app.sessions() as session:
        return list(session.scalars(select(AgendaItem).where(AgendaItem.call_id == call_id)
                                    .order_by(AgendaItem.position)))


def test_questions_are_grouped_by_bill_then_topic_and_duplicates_list_every_district(app: App) -> None:
    mailing_id = setup(app)
    ask(app, mailing_id, RIVERA, "When would the HB 58 literacy coach money reach us?")
    ask(app, mailing_id, OKAFOR, "When will HB 58 literacy coach money reach districts?")
    ask(app, mailing_id, LINDQVIST, "Does SB 22 let us keep a four-day week?")
    ask(app, mailing_id, OKAFOR, "Can we share buses with the county?")
    ask(app, mailing_id, LINDQVIST, "Who pays for the new bus routes?")
    ask(app, mailing_id, RIVERA, "Any news on teacher licensure?")
    topics = {"bus": "Transportation"}
    call_id = build(app, classify=lambda text: next((t for k, t in topics.items() if k in text.lower()), None))
    with app.sessions() as session:
        ctx = agenda.context(session, app.config, session.get(Call, call_id), app.now())  # type: ignore[arg-type]
    bills = [(g.bill.number, [(q.text, q.districts) for q in g.questions])
             for item in ctx.items for g in item.bill_groups]
    assert bills == [
        ("H.B. 58", [("When would the HB 58 literacy coach money reach us?",
                      ("Cedar Falls City Schools", "Riverbend Local Schools"))]),
        ("S.B. 22", [("Does SB 22 let us keep a four-day week?", ("Oak Hollow Local Schools",))]),
    ]
    topic_groups = [(g.topic, len(g.questions)) for item in ctx.items for g in item.topic_groups]
    assert topic_groups == [("Transportation", 2), (agenda.GENERAL, 1)]
    assert ctx.items[-1].title == agenda.OPEN_QA
    with app.sessions() as session:
        merged = session.scalar(select(Question).where(Question.status == "merged"))
        assert merged is not None and merged.text.startswith("When will HB 58")


def test_curated_bills_that_moved_come_first_top_n_by_priority(app: App) -> None:
    config = app.config.model_copy(update={"agenda": app.config.agenda.model_copy(update={"top_items": 2})})
    limited = App(config, secrets=app.secrets, clock=app.clock, database_url=app.database_url)
    mailing_id = setup(limited, approved={"HB 96": "watch", "HB 58": "high", "SB 22": "medium"})
    ask(limited, mailing_id, RIVERA, "Is HB 96 going to change our guarantee?")
    call_id = build(limited)
    titles = [i.title.split(":")[0] for i in items(limited, call_id)]
    # HB 96 did not make the top two, but a member asked about it, so it is on the agenda after them
    assert titles == ["H.B. 58", "S.B. 22", "H.B. 96", agenda.OPEN_QA]
    limited.engine.dispose()


def test_time_boxes_fit_the_call_even_with_many_questions(app: App) -> None:
    mailing_id = setup(app, approved={"HB 96": "high", "HB 58": "high", "SB 22": "medium"})
    for n in range(25):
        ask(app, mailing_id, [RIVERA, OKAFOR, LINDQVIST][n % 3], f"Question {n} about topic{n} and item{n}?")
    call_id = build(app)
    boxes = [i.minutes for i in items(app, call_id)]
    assert all(m >= 1 for m in boxes)
    assert sum(boxes) <= 60


def test_fit_minutes_keeps_open_time_when_there_is_room_and_shrinks_in_proportion_when_not() -> None:
    assert agenda.fit_minutes([6, 9], 60, 10) == ([6, 9], 45)
    minutes, open_minutes = agenda.fit_minutes([30, 30, 15], 60, 10)
    assert minutes == [20, 20, 10] and open_minutes == 10
    minutes, open_minutes = agenda.fit_minutes([3] * 70, 60, 10)
    assert minutes == [1] * 70 and open_minutes == 0  # it cannot fit: the renderer says the agenda overruns


def test_late_question_is_on_the_next_calls_agenda_not_this_one(app: App, clock: FakeClock) -> None:
    mailing_id = setup(app)
    ask(app, mailing_id, RIVERA, "Is HB 58 funded?")
    call_id = build(app)
    backend = OutboxBackend(app.config.path("var/outbox"), clock=clock)
    agenda.send(app, call_id, backend)
    clock.now = CALL - timedelta(hours=20)
    ask(app, mailing_id, OKAFOR, "What did the Senate change in SB 22?")
    assert [len(i.question_ids) for i in items(app, call_id) if i.kind != "other"] == [1]
    clock.now = CALL + timedelta(hours=2)
    next_id = build(app)
    assert next_id != call_id
    with app.sessions() as session:
        late = session.scalar(select(Question).where(Question.late.is_(True)))
        assert late is not None and late.call_id == next_id
    assert [i.question_ids for i in items(app, next_id) if i.kind == "bill"] == [[late.id]]


def _invites(folder: Path) -> list[Calendar]:
    out = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        for part in message.walk():
            if part.get_content_type() == "text/calendar":
                out.append(Calendar.from_ical(part.get_payload(decode=True)))
    return out


def test_agenda_email_carries_an_invite_with_start_end_zone_and_a_stable_uid(app: App, clock: FakeClock,
                                                                            tmp_path: Path) -> None:
    mailing_id = setup(app)
    ask(app, mailing_id, RIVERA, "Is HB 58 funded?")
    call_id = build(app)
    first = OutboxBackend(tmp_path / "first", clock=clock)
    report = agenda.send(app, call_id, first)
    assert report.sent == 3
    invites = _invites(tmp_path / "first")
    assert len(invites) == 3
    event = invites[0].walk("VEVENT")[0]
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert start == CALL and end == CALL + timedelta(minutes=60)
    assert str(start.tzinfo) == "America/New_York" and start.hour == 10
    assert str(event["uid"]) == f"call-{call_id}@reply.heartland-collab.example.org"
    assert int(event["sequence"]) == 0

    with pytest.raises(AlreadySent):
        agenda.send(app, call_id, first)
    with app.transaction() as session:
        agenda.edit(session, items(app, call_id)[0].id, notes="The Senate amended it on Tuesday.")
    second = OutboxBackend(tmp_path / "second", clock=clock)
    assert agenda.send(app, call_id, second, update=True).sent == 3
    updated = _invites(tmp_path / "second")[0].walk("VEVENT")[0]
    assert str(updated["uid"]) == str(event["uid"]) and int(updated["sequence"]) == 1
    with app.sessions() as session:
        digests = list(session.scalars(select(Mailing).where(Mailing.kind == "agenda")))
        assert [d.call_id for d in digests] == [call_id, call_id]
        assert session.scalar(select(func.count(Delivery.id))) == 6


def test_rebuilding_keeps_the_advocates_edits_and_adds_new_questions(app: App) -> None:
    mailing_id = setup(app)
    ask(app, mailing_id, RIVERA, "Is HB 58 funded?")
    call_id = build(app)
    first = items(app, call_id)[0]
    with app.transaction() as session:
        agenda.edit(session, first.id, title="Literacy coaches", minutes=7)
    ask(app, mailing_id, OKAFOR, "Does SB 22 let us keep a four-day week?")
    ask(app, mailing_id, LINDQVIST, "Is HB 58 funded for next year too?")
    build(app)
    rebuilt = items(app, call_id)
    assert rebuilt[0].title == "Literacy coaches" and rebuilt[0].minutes == 7 + app.config.agenda.question_minutes
    assert [i.title.split(":")[0] for i in rebuilt] == ["Literacy coaches", "S.B. 22", agenda.OPEN_QA]
    assert sum(i.minutes for i in rebuilt) <= 60


def test_advocate_moves_items_and_merges_questions(app: App) -> None:
    mailing_id = setup(app)
    ask(app, mailing_id, RIVERA, "Is HB 58 funded?")
    ask(app, mailing_id, OKAFOR, "Can districts get the literacy coach money early?")
    ask(app, mailing_id, LINDQVIST, "Does SB 22 let us keep a four-day week?")
    call_id = build(app)
    before = items(app, call_id)
    assert [i.title.split(":")[0] for i in before][:2] == ["H.B. 58", "S.B. 22"]
    with app.transaction() as session:
        agenda.move(session, before[1].id, 1)
    assert [i.id for i in items(app, call_id)][:2] == [before[1].id, before[0].id]
    with app.sessions() as session:
        general = next(i for i in items(app, call_id) if i.kind == "topic")
        hb58 = next(i for i in items(app, call_id) if i.kind == "bill" and i.title.startswith("H.B. 58"))
        keep, other = hb58.question_ids[0], general.question_ids[0]
    with app.transaction() as session:
        agenda.merge_questions(session, keep, other, actor="advocate", now=app.now())
    after = items(app, call_id)
    assert not any(i.kind == "topic" for i in after)  # the topic emptied by the merge is gone
    with app.sessions() as session:
        ctx = agenda.context(session, app.config, session.get(Call, call_id), app.now())  # type: ignore[arg-type]
    groups = [g for item in ctx.items for g in item.bill_groups if g.bill.number == "H.B. 58"]
    assert groups[0].questions[0].districts == ("Cedar Falls City Schools", "Riverbend Local Schools")
    with app.transaction() as session, pytest.raises(agenda.AgendaError):
        agenda.edit(session, after[0].id, minutes=0)


def test_export_writes_markdown_ics_and_email(app: App, tmp_path: Path) -> None:
    mailing_id = setup(app)
    ask(app, mailing_id, RIVERA, "Is HB 58 funded?")
    call_id = build(app)
    paths = agenda.export(app, call_id, tmp_path / "agenda")
    assert sorted(paths) == ["eml", "html", "ics", "md", "txt"]
    markdown = paths["md"].read_text()
    assert markdown.startswith("# Heartland Mid-Sized Districts Collaborative: Legislative Q&A call")
    assert "- Is HB 58 funded? _(Cedar Falls City Schools)_" in markdown
    assert "## 10:00" in markdown
    event = Calendar.from_ical(paths["ics"].read_bytes()).walk("VEVENT")[0]
    assert event.decoded("dtstart") == CALL
    assert "Is HB 58 funded?" in paths["txt"].read_text()


def test_call_on_a_date_off_the_schedule_is_refused_and_a_call_made_by_hand_is_found(app: App) -> None:
    setup(app)
    with pytest.raises(agenda.AgendaError):
        build(app, day=datetime(2026, 12, 4, 12, tzinfo=UTC))
    special = datetime(2026, 12, 8, 18, 0, tzinfo=UTC)
    with app.transaction() as session:
        calls.ensure_call(session, app.config, special, minutes=30, title="Special session call")
    assert build(app, day=special) == build(app, day=special)
    with app.sessions() as session:
        assert session.scalar(select(Call.title).where(Call.starts_at == special)) == "Special session call"


DEMO = Path(__file__).parent / "fixtures" / "questions"


def test_demo_replies_make_an_agenda_that_goes_out_when_due_and_only_once(app: App, clock: FakeClock,
                                                                          tmp_path: Path) -> None:
    mailing_id = setup(app, approved={"HB 58": "high"})
    address = reply_address(app, mailing_id)
    taken = {path.stem: intake.take_in(app, path.read_text().format(reply_address=address).encode())
             for path in sorted(DEMO.glob("*.eml"))}
    assert {stem: t.status for stem, t in taken.items()} == {
        "01_two_questions": "parsed", "02_same_question_other_district": "parsed",
        "03_out_of_office": "auto_reply", "04_unknown_sender": "quarantined"}
    first = taken["01_two_questions"].outcome
    assert first is not None and [q.bill_identifiers for q in first.questions] == [["HB 58"], ["SB 22"]]

    backend = OutboxBackend(tmp_path / "outbox", clock=clock)
    assert agenda.run_due(app, backend=backend, folder=tmp_path / "files") is None  # due two days before
    clock.now = CALL - timedelta(days=2)
    published = agenda.run_due(app, backend=backend, folder=tmp_path / "files")
    assert published is not None and published.report is not None and published.report.sent == 3
    markdown = published.paths["md"].read_text()
    assert "_(Cedar Falls City Schools, Riverbend Local Schools)_" in markdown
    assert agenda.run_due(app, backend=backend, folder=tmp_path / "files") is None


class FlakyOutbox(OutboxBackend):
    """A real outbox whose first request meets a temporary failure (as a 503 from a provider would)."""

    failures = 1

    def send(self, messages):  # type: ignore[no-untyped-def]
        from digests.channels.email import SendResult

        if self.failures:
            self.failures -= 1
            return [SendResult(m.recipient.email, ok=False, permanent=False, status=503, reason="busy")
                    for m in messages]
        return super().send(messages)


def test_a_scheduled_agenda_send_that_met_a_temporary_failure_is_finished_on_the_next_wake(
        app: App, clock: FakeClock, tmp_path: Path) -> None:
    setup(app, approved={"HB 58": "high"})
    backend = FlakyOutbox(tmp_path / "outbox", clock=clock)
    clock.now = CALL - timedelta(days=2)
    first = agenda.run_due(app, backend=backend, folder=tmp_path / "files")
    assert first is not None and first.report is not None and first.report.retry_later == 1
    second = agenda.run_due(app, backend=backend, folder=tmp_path / "files")
    assert second is not None and second.report is not None and second.report.sent == 1
    sent = len(list((tmp_path / "outbox").glob("*.eml")))
    assert sent == 3  # everyone, once
    assert agenda.run_due(app, backend=backend, folder=tmp_path / "files") is None


def test_the_agenda_ranks_a_bill_without_priority_above_the_watch_list_as_the_digest_does(app: App) -> None:
    setup(app, approved={"HB 96": "watch", "HB 58": None})  # type: ignore[dict-item]
    with app.sessions() as session:
        since = app.now() - timedelta(days=30)
        top = agenda.moved_bills(session, since, app.now() + timedelta(seconds=1), top=1)
    assert [bill.identifier for bill in top] == ["HB 58"]
