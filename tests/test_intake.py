from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import func, select

from advocacy.app import App
from advocacy.config import Secrets
from advocacy.inbound import intake
from advocacy.models import AuditEntry, Call, Delivery, InboundMessage, Mailing, Question, Suppression
from advocacy.outbound import content
from advocacy.tokens import make_reply_address
from digests.channels.email import OutboxBackend
from tests.factories import FakeClock
from tests.inbound import (
    add_members,
    calendar_bill,
    literacy_bill,
    reply,
    sent_digest,
    store_bills,
)

RIVERA = "rivera@cedarfalls.example.org"
CALL = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # Thursday 10 a.m. in Columbus
NEXT_CALL = datetime(2026, 12, 17, 15, 0, tzinfo=UTC)


def setup(app: App) -> int:
    with app.transaction() as session:
        add_members(session)
        bills = store_bills(session, app.now(), literacy_bill(), calendar_bill())
        return sent_digest(session, app.now(), list(bills.values())).id


def take_in(app: App, raw: bytes, channel: str = "file", meta: dict | None = None) -> intake.Outcome:
    with app.transaction() as session:
        message, _ = intake.receive(session, raw, channel, meta, app.now())
        return intake.process(session, message, config=app.config, secret=app.signing_key, now=app.now())


def test_member_reply_becomes_questions_linked_to_bills_and_the_next_call(app: App) -> None:
    mailing_id = setup(app)
    raw = reply(app, mailing_id, sender=RIVERA, name="Ana Rivera", text=(
        "Hi,\n\n1. When would the HB 58 literacy coach money reach us?\n"
        "2. Does Senate Bill 22 let us keep a four-day week?\n\nThanks,\nAna\n"))
    outcome = take_in(app, raw)
    assert outcome.status == "parsed"
    with app.sessions() as session:
        questions = list(session.scalars(select(Question).order_by(Question.position)))
        assert [q.bill_identifiers for q in questions] == [["HB 58"], ["SB 22"]]
        assert [[b.identifier for b in q.bills] for q in questions] == [["HB 58"], ["SB 22"]]
        call = session.get(Call, questions[0].call_id)
        assert call is not None and call.starts_at == CALL
        assert not any(q.late for q in questions)
        message = session.scalar(select(InboundMessage))
        assert message is not None and message.member_id == questions[0].member_id
        assert message.mailing_id == mailing_id and message.sender == RIVERA


def test_the_same_bytes_twice_are_stored_once(app: App) -> None:
    mailing_id = setup(app)
    raw = reply(app, mailing_id, sender=RIVERA, text="Where does HB 58 stand?")
    with app.transaction() as session:
        first, new_first = intake.receive(session, raw, "webhook", {}, app.now())
        again, new_again = intake.receive(session, raw, "webhook", {}, app.now())
        assert (new_first, new_again) == (True, False) and first.id == again.id


def test_the_same_message_id_through_another_channel_is_one_message(app: App) -> None:
    mailing_id = setup(app)
    raw = reply(app, mailing_id, sender=RIVERA, text="Where does HB 58 stand?", message_id="<same@mail.example.net>")
    relayed = b"Received: from imap.example.org by mx.example.org\r\n" + raw
    take_in(app, raw, "webhook", {"SPF": "pass"})
    with app.transaction() as session:
        row, is_new = intake.receive(session, relayed, "imap", {}, app.now())
        assert not is_new and row.channel == "webhook"
        assert session.scalar(select(func.count(Question.id))) == 1


def test_sender_alias_is_matched_case_insensitively(app: App) -> None:
    mailing_id = setup(app)
    outcome = take_in(app, reply(app, mailing_id, sender="Ana.Rivera@Home.Example.NET", text="Is HB 58 funded?"))
    assert outcome.status == "parsed"
    with app.sessions() as session:
        question = session.scalar(select(Question))
        assert question is not None
        assert question.member_id is not None and question.message.sender == "ana.rivera@home.example.net"


def test_unknown_sender_is_quarantined_then_accepted_for_a_member_with_an_audit_entry(app: App) -> None:
    mailing_id = setup(app)
    outcome = take_in(app, reply(app, mailing_id, sender="assistant@cedarfalls.example.org",
                                 text="Dr. Rivera asks: is HB 58 funded next year?"))
    assert outcome.status == "quarantined"
    assert any("not a known member" in p for p in outcome.problems)
    with app.transaction() as session:
        assert [m.id for m in intake.quarantine(session)] == [outcome.message_id]
        assert session.scalar(select(func.count(Question.id))) == 0
        accepted = intake.accept(session, outcome.message_id, RIVERA.upper(), config=app.config,
                                 secret=app.signing_key, actor="advocate@heartland.example.org", now=app.now())
        assert [q.text for q in accepted.questions] == ["Dr. Rivera asks: is HB 58 funded next year?"]
        assert [b.identifier for b in accepted.questions[0].bills] == ["HB 58"]
    with app.sessions() as session:
        assert intake.quarantine(session) == []
        entry = session.scalar(select(AuditEntry))
        assert entry is not None and (entry.action, entry.entity_id) == ("accept", outcome.message_id)
        assert entry.before["status"] == "quarantined" and entry.after["status"] == "parsed"


def test_discarded_message_is_kept_out_of_the_quarantine_but_not_deleted(app: App) -> None:
    setup(app)
    outcome = take_in(app, reply(app, None, sender="stranger@example.com", text="Buy our software?"))
    with app.transaction() as session:
        intake.discard(session, outcome.message_id, actor="advocate", now=app.now(), reason="spam")
    with app.sessions() as session:
        message = session.get(InboundMessage, outcome.message_id)
        assert message is not None and message.status == "discarded" and message.raw
        assert session.scalar(select(AuditEntry.action)) == "discard"


def test_reply_with_an_altered_token_is_quarantined(app: App) -> None:
    setup(app)
    forged = make_reply_address("another-installation", 1, local="questions",
                                domain=app.config.email.reply_domain)
    outcome = take_in(app, reply(app, None, sender=RIVERA, text="Is HB 58 funded?", to=forged))
    assert outcome.status == "quarantined"
    assert any("not valid" in p for p in outcome.problems)


def test_webhook_mail_failing_spf_and_dkim_is_quarantined(app: App) -> None:
    mailing_id = setup(app)
    raw = reply(app, mailing_id, sender=RIVERA, text="Is HB 58 funded?")
    outcome = take_in(app, raw, "webhook", {"SPF": "softfail", "dkim": "{@elsewhere.example : pass}"})
    assert outcome.status == "quarantined"
    assert any("SPF softfail" in p for p in outcome.problems)


def test_webhook_mail_with_dkim_pass_for_the_senders_domain_is_accepted(app: App) -> None:
    mailing_id = setup(app)
    raw = reply(app, mailing_id, sender=RIVERA, text="Is HB 58 funded?")
    outcome = take_in(app, raw, "webhook", {"SPF": "fail", "dkim": "{@cedarfalls.example.org : pass}"})
    assert outcome.status == "parsed"


def test_out_of_office_reply_never_becomes_a_question(app: App) -> None:
    mailing_id = setup(app)
    raw = reply(app, mailing_id, sender=RIVERA, subject="Automatic reply: Legislative update",
                text="I am out of the office until Monday. What about HB 58? Ask my deputy.",
                headers={"Auto-Submitted": "auto-replied"})
    outcome = take_in(app, raw)
    assert outcome.status == "auto_reply" and outcome.questions == []
    with app.sessions() as session:
        assert session.scalar(select(func.count(Question.id))) == 0


def test_question_after_the_agenda_went_out_is_kept_for_the_next_call_and_marked_late(
        app: App, clock: FakeClock) -> None:
    mailing_id = setup(app)
    with app.transaction() as session:
        from advocacy import calls

        call = calls.ensure_call(session, app.config, CALL)
        call.agenda_sent_at = CALL - timedelta(days=2)
    clock.now = CALL - timedelta(days=1)
    outcome = take_in(app, reply(app, mailing_id, sender=RIVERA, text="Can we still ask about HB 58?"))
    assert outcome.late and outcome.call is not None
    with app.sessions() as session:
        question = session.scalar(select(Question))
        assert question is not None and question.late
        assert session.get(Call, question.call_id).starts_at == NEXT_CALL  # type: ignore[union-attr]


def test_bad_messages_are_stored_and_flagged_with_a_reason(app: App) -> None:
    mailing_id = setup(app)
    address = make_reply_address(app.signing_key, mailing_id, domain=app.config.email.reply_domain)
    attachment_only = EmailMessage()
    attachment_only["From"], attachment_only["To"] = RIVERA, address
    attachment_only["Subject"], attachment_only["Message-ID"] = "Re: update", "<att@example.org>"
    attachment_only.add_attachment(b"%PDF-1.4 board minutes", maintype="application", subtype="pdf",
                                   filename="minutes.pdf")
    empty = reply(app, mailing_id, sender=RIVERA, text="\n", message_id="<empty@example.org>")
    huge = reply(app, mailing_id, sender=RIVERA, text="Is HB 58 funded?\n" + "x" * (6 * 2**20),
                 message_id="<huge@example.org>")
    broken = (f"From: {RIVERA}\r\nTo: {address}\r\nSubject: Re: update\r\nMessage-ID: <broken@example.org>\r\n"
              "Content-Type: text/plain; charset=x-no-such-charset\r\nContent-Transfer-Encoding: base64\r\n\r\n"
              "@@@not base64 at all\xff\r\n").encode("latin-1")
    results = {name: take_in(app, raw) for name, raw in
               (("attachment", bytes(attachment_only)), ("empty", empty), ("huge", huge), ("broken", broken))}
    assert results["attachment"].status == "quarantined" and "attachment only" in results["attachment"].problems
    assert results["empty"].status == "parsed" and "empty reply" in results["empty"].problems
    assert results["huge"].status == "quarantined" and any(p.startswith("oversized") for p in results["huge"].problems)
    assert results["broken"].problems  # whatever the parser made of it, it says so
    with app.sessions() as session:
        assert session.scalar(select(func.count(InboundMessage.id))) == 4
        assert len(session.scalar(select(InboundMessage.raw).where(InboundMessage.message_id == "<huge@example.org>"))
                   or b"") == len(huge)


def test_a_message_stored_before_a_crash_is_processed_on_restart(app: App, clock: FakeClock) -> None:
    mailing_id = setup(app)
    with app.transaction() as session:
        intake.receive(session, reply(app, mailing_id, sender=RIVERA, text="Is HB 58 funded?"), "imap", {}, app.now())
    app.engine.dispose()  # the process died here, before parsing
    restarted = App(app.config, secrets=Secrets.from_env({}), clock=clock, database_url=app.database_url)
    outcomes = intake.process_pending(restarted)
    assert [o.status for o in outcomes] == ["parsed"]
    assert intake.process_pending(restarted) == []
    with restarted.sessions() as session:
        assert session.scalar(select(func.count(Question.id))) == 1
    restarted.engine.dispose()


def test_a_message_claimed_by_another_process_is_not_processed_twice(app: App) -> None:
    mailing_id = setup(app)
    with app.transaction() as session:
        message, _ = intake.receive(session, reply(app, mailing_id, sender=RIVERA, text="Is HB 58 funded?"), "file")
        message_id = message.id
    assert intake.process_stored(app, message_id) is not None
    assert intake.process_stored(app, message_id) is None
    with app.sessions() as session:
        assert session.scalar(select(func.count(Question.id))) == 1


def test_bill_reference_links_to_the_configured_session_not_an_old_one(app: App) -> None:
    with app.transaction() as session:
        add_members(session)
        store_bills(session, app.now(), literacy_bill(), session_id="135")
        store_bills(session, app.now(), literacy_bill())
        mailing_id = sent_digest(session, app.now()).id
    take_in(app, reply(app, mailing_id, sender=RIVERA, text="What changed in hb58?"))
    with app.sessions() as session:
        question = session.scalar(select(Question))
        assert question is not None and [b.session.identifier for b in question.bills] == ["136"]


def test_answering_a_question_keeps_the_notes_for_the_next_digest(app: App, clock: FakeClock) -> None:
    mailing_id = setup(app)
    take_in(app, reply(app, mailing_id, sender=RIVERA, text="Is HB 58 funded?"))
    with app.transaction() as session:
        question_id = session.scalar(select(Question.id))
        assert question_id is not None
        clock.advance(days=9)
        intake.answer(session, question_id, "Yes, in the House version.", actor="advocate", now=app.now())
    with app.sessions() as session:
        answered = content.answered_since(session, CALL - timedelta(days=1))
        assert [(q.status, q.answer_notes) for q in answered] == [("answered", "Yes, in the House version.")]
        assert session.scalar(select(AuditEntry.action)) == "answer"


def test_acknowledgement_goes_out_once_when_configured(app: App, tmp_path) -> None:  # type: ignore[no-untyped-def]
    mailing_id = setup(app)
    config = app.config.model_copy(update={"email": app.config.email.model_copy(
        update={"acknowledge_questions": True})})
    acking = App(config, secrets=app.secrets, clock=app.clock, database_url=app.database_url)
    with acking.transaction() as session:
        message, _ = intake.receive(session, reply(acking, mailing_id, sender=RIVERA, text="Is HB 58 funded?"), "file")
        message_id = message.id
    outbox = OutboxBackend(tmp_path / "acks", clock=app.clock)
    intake.process_stored(acking, message_id, backend=outbox)
    assert not intake.acknowledge(acking, message_id, outbox)
    sent = list((tmp_path / "acks").glob("*.eml"))
    assert len(sent) == 1
    text = sent[0].read_text()
    assert "We received your question for the call on Thursday" in text and RIVERA in text
    with acking.sessions() as session:  # as every email: a mailing and its delivery row
        [(kind, key, status)] = session.execute(select(Mailing.kind, Mailing.key, Delivery.status).join(
            Delivery, Delivery.mailing_id == Mailing.id).where(Mailing.kind == "acknowledgement")).all()
    assert (kind, key, status) == ("acknowledgement", f"ack:{message_id}", "sent")
    acking.engine.dispose()


def test_no_acknowledgement_goes_to_a_suppressed_address(app: App, tmp_path) -> None:  # type: ignore[no-untyped-def]
    mailing_id = setup(app)
    config = app.config.model_copy(update={"email": app.config.email.model_copy(
        update={"acknowledge_questions": True})})
    acking = App(config, secrets=app.secrets, clock=app.clock, database_url=app.database_url)
    with acking.transaction() as session:
        session.add(Suppression(email=RIVERA.lower(), reason="bounce", at=app.now()))
        message, _ = intake.receive(session, reply(acking, mailing_id, sender=RIVERA, text="Is HB 58 funded?"), "file")
        message_id = message.id
    outbox = OutboxBackend(tmp_path / "acks", clock=app.clock)
    intake.process_stored(acking, message_id, backend=outbox)
    assert list((tmp_path / "acks").glob("*.eml")) == []
    with acking.sessions() as session:
        assert session.scalar(select(Delivery.error).join(Mailing).where(Mailing.key == f"ack:{message_id}")) \
            == "address suppressed after a bounce"
    acking.engine.dispose()


def test_parse_summary_names_member_and_digest_without_storing(app: App) -> None:
    mailing_id = setup(app)
    from advocacy.inbound.replies import parse_reply

    parsed = parse_reply(reply(app, mailing_id, sender=RIVERA, text="Is HB 58 funded?"))
    with app.sessions() as session:
        out = intake.summary(session, parsed, config=app.config, secret=app.signing_key)
        assert session.scalar(select(func.count(InboundMessage.id))) == 0
    assert out == {"text": "Is HB 58 funded?", "questions": ["Is HB 58 funded?"], "bills": ["HB 58"],
                   "auto_reply": False, "member": RIVERA, "digest": str(mailing_id), "problems": []}


def test_an_auto_reply_accepted_from_the_quarantine_keeps_what_it_said(app: App) -> None:
    mailing_id = setup(app)
    raw = reply(app, mailing_id, sender=RIVERA, subject="Automatic reply: Legislative update",
                text="Out until Monday, but: is HB 58 funded next year?", headers={"Auto-Submitted": "auto-replied"})
    outcome = take_in(app, raw)
    assert outcome.status == "auto_reply"
    with app.transaction() as session:
        message = session.get(InboundMessage, outcome.message_id)
        assert message is not None and message.text == "Out until Monday, but: is HB 58 funded next year?"
        accepted = intake.accept(session, outcome.message_id, RIVERA, config=app.config, secret=app.signing_key,
                                 actor="advocate@heartland.example.org", now=app.now())
        assert [q.text for q in accepted.questions] == ["Out until Monday, but: is HB 58 funded next year?"]
        assert [b.identifier for b in accepted.questions[0].bills] == ["HB 58"]
