"""Members' replies in: stored as received first, then parsed, attributed and turned into questions.

Two steps, two transactions. `receive` stores the raw bytes (de-duplicated on content hash and Message-ID) and
the caller commits before answering anyone, so a crash afterwards never loses a reply. `process` parses a stored
message, attributes it (signed reply token -> digest -> call; sender -> member; SPF/DKIM for webhook mail) and
either creates `Question` rows or puts the message in the quarantine the advocate reviews. Nothing is dropped:
what could not be read or attributed stays in the quarantine with its reasons until the advocate accepts it
(assigning a member) or discards it. `process_pending` finishes whatever a crash left behind.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.parser import BytesHeaderParser
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from advocacy import calls
from advocacy.app import App
from advocacy.config import Config
from advocacy.inbound.mime import header
from advocacy.inbound.replies import Attribution, ParsedReply, parse_reply, reply_summary
from advocacy.inbound.replytext import split_questions
from advocacy.models import (
    AuditEntry,
    Bill,
    Call,
    InboundMessage,
    Jurisdiction,
    LegislativeSession,
    Mailing,
    MailingItem,
    Member,
    Question,
)
from advocacy.outbound import personal
from advocacy.outbound.acted import record_done_reply
from advocacy.people.members import find_member
from advocacy.tokens import Secret, read_reply_token, token_from_address
from digests import timefmt
from digests.channels.email import MailBackend
from digests.message import Address, OutgoingMessage
from digests.model import RenderedEmail
from vocabulary import billnum

log = logging.getLogger("advocacy.inbound.intake")

CHANNELS = ("webhook", "imap", "file")
# A reply we could not read is the advocate's to look at, not an empty message to file away.
_UNREADABLE = ("oversized", "attachment only", "unparseable", "unreadable body")
MAX_ATTEMPTS = 3
_DKIM = re.compile(r"@?([^\s:{},]+)\s*:\s*(\w+)")


class IntakeError(ValueError):
    """A quarantine action that cannot be done (unknown message, not in quarantine, unknown member)."""


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def message_id_of(raw: bytes) -> str:
    """The Message-ID header, read from the header block only (the body may be huge or broken).

    Read with `compat32`, without the structured header objects of `policy.default`: a Message-ID is ASCII, and
    this runs on every webhook post before the answer."""
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    try:
        head = BytesHeaderParser(policy=policy.compat32).parsebytes(raw[: min(ends)] if ends else raw[:65536])
        return header(head, "Message-ID")[:998]
    except Exception:  # a header we cannot read is no Message-ID; the content hash still de-duplicates
        return ""


def _stored_copy(session: Session, sha: str, mid: str) -> tuple[int, str] | None:
    """(id, status) of the stored copy: the same bytes, else the first with the same Message-ID."""
    row = InboundMessage  # through the session, so the read stays in the session's collaborative
    same = row.sha256 == sha
    found = session.execute(select(row.id, row.status).where(or_(same, row.message_id == mid) if mid else same)
                            .order_by(row.sha256 != sha, row.id).limit(1)).first()
    return (found[0], found[1]) if found else None


def store_raw(session: Session, raw: bytes, channel: str, meta: dict[str, Any] | None = None,
              now: datetime | None = None, problems: Sequence[str] = (),
              status: str = "received") -> tuple[int, bool, str]:
    """Store a message exactly as received: (id, is_new, status); a repeat gives the first copy's.

    The same bytes twice (a webhook retry, a re-imported file) or the same Message-ID through another channel
    (the webhook and IMAP both saw it) are one message. The caller commits before acknowledging receipt. Two
    Core statements, no ORM object: the webhook answers right after this.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r} (known: {', '.join(CHANNELS)})")
    sha, mid = content_hash(raw), message_id_of(raw)
    found = _stored_copy(session, sha, mid)
    if found is not None:
        return found[0], False, found[1]
    table = InboundMessage.__table__
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(
        table).on_conflict_do_nothing(index_elements=["collaborative_id", "sha256"]).returning(table.c.id)
    values = {"channel": channel, "raw": raw, "sha256": sha, "message_id": mid, "meta": dict(meta or {}),
              "status": status, "problems": list(problems), **({"received_at": now} if now else {})}
    new_id = session.connection().execute(insert, values).scalar()
    if new_id is None:  # a concurrent retry of the same bytes committed first
        found = _stored_copy(session, sha, mid)
        assert found is not None
        return found[0], False, found[1]
    return new_id, True, status


def receive(session: Session, raw: bytes, channel: str, meta: dict[str, Any] | None = None,
            now: datetime | None = None, problems: Sequence[str] = ()) -> tuple[InboundMessage, bool]:
    """`store_raw`, returning the row: (row, is_new)."""
    message_id, is_new, _ = store_raw(session, raw, channel, meta, now, problems)
    row = session.get(InboundMessage, message_id)
    assert row is not None
    return row, is_new


# ---------------------------------------------------------------------------------------------------------
# Attribution


@dataclass
class Attributed:
    member: Member | None = None
    digest: Mailing | None = None
    reasons: list[str] = field(default_factory=list)  # why it could not be attributed; empty when it was


def _tokens(parsed: ParsedReply, meta: dict[str, Any], reply_local: str) -> list[str]:
    found = [parsed.reply_token] if parsed.reply_token else []
    envelope = meta.get("envelope")
    recipients = envelope.get("to", []) if isinstance(envelope, dict) else []
    for address in recipients if isinstance(recipients, list) else [recipients]:
        token = token_from_address(str(address), reply_local)
        if token and token not in found:
            found.append(token)
    return found


def dkim_passes(value: str, domain: str) -> bool:
    """SendGrid's `dkim` field ("{@example.org : pass}"): a pass for the sender's domain or a parent of it."""
    for signer, result in _DKIM.findall(value or ""):
        signer = signer.lower().lstrip("@")
        if result.lower() == "pass" and (domain == signer or domain.endswith("." + signer)):
            return True
    return False


def authentication_problem(meta: dict[str, Any], sender: str) -> str | None:
    """Why a webhook message's sender is not authenticated (neither SPF nor DKIM passed), or None."""
    spf = str(meta.get("SPF", "") or "").strip().lower()
    dkim = str(meta.get("dkim", "") or "")
    domain = sender.rpartition("@")[2]
    if spf == "pass" or dkim_passes(dkim, domain):
        return None
    return f"sender not authenticated: SPF {spf or 'missing'}, DKIM {dkim.strip() or 'missing'}"


def attribute(session: Session, parsed: ParsedReply, *, config: Config, secret: Secret, channel: str = "file",
              meta: dict[str, Any] | None = None) -> Attributed:
    """Which member wrote this and which digest it answers; reads only, so `questions parse` can use it."""
    meta = meta or {}
    result = Attributed()
    tokens = _tokens(parsed, meta, config.email.reply_local)
    if not tokens:
        result.reasons.append("no reply token: not sent to the reply address of a digest")
    for token in tokens:
        read = read_reply_token(secret, token)
        if read is None:
            result.reasons.append(f"reply token {token!r} is not valid (altered, or signed with another key)")
            continue
        result.digest = session.get(Mailing, read.mailing_id)
        if result.digest is None:
            result.reasons.append(f"reply token names digest {read.mailing_id}, which does not exist")
        break
    if result.digest is not None:
        result.reasons = []  # another, valid token settles it
    if not parsed.sender:
        result.reasons.append("no sender address")
    else:
        result.member = find_member(session, parsed.sender)
        if result.member is None:
            result.reasons.append(f"sender {parsed.sender} is not a known member or alias")
    if channel == "webhook" and config.inbound.require_spf_or_dkim:
        problem = authentication_problem(meta, parsed.sender)
        if problem:
            result.reasons.append(problem)
    return result


def summary(session: Session, parsed: ParsedReply, *, config: Config, secret: Secret) -> dict[str, Any]:
    """The JSON of `questions parse --json`: parse and attribution, nothing stored."""
    found = attribute(session, parsed, config=config, secret=secret)

    def resolve(_: ParsedReply) -> Attribution:
        return Attribution(member=found.member.email if found.member else None,
                           digest=str(found.digest.id) if found.digest else None)

    out = reply_summary(parsed, resolve)
    out["problems"] = [*out["problems"], *found.reasons]
    return out


# ---------------------------------------------------------------------------------------------------------
# Bills


def link_bills(session: Session, config: Config, identifiers: Sequence[str], *, digest: Mailing | None = None,
               member: Member | None = None) -> dict[str, Bill]:
    """Bills of the right jurisdiction and session for normalized identifiers ("HB 33").

    Preference: a bill the answered digest carried, then the member's district's jurisdiction, then the
    configured jurisdictions in order, newest configured session first. Unknown identifiers are left out.
    """
    if not identifiers:
        return {}
    rows = list(session.execute(
        select(Bill, LegislativeSession.identifier, Jurisdiction.code)
        .join(LegislativeSession, Bill.session_id == LegislativeSession.id)
        .join(Jurisdiction, LegislativeSession.jurisdiction_id == Jurisdiction.id)
        .where(Bill.identifier.in_(list(identifiers)))
    ))
    in_digest: set[int] = set()
    if digest is not None:
        in_digest = set(session.scalars(select(MailingItem.bill_id).where(MailingItem.mailing_id == digest.id,
                                                                         MailingItem.bill_id.is_not(None))))
    home = member.district.jurisdiction if member is not None and member.district is not None else ""
    order = {j.code: i for i, j in enumerate(config.jurisdictions)}

    def rank(row: Any) -> tuple[int, int, int, int]:
        bill, session_id, code = row
        sessions = config.jurisdiction(code).sessions if code in order else []
        listed = sessions.index(session_id) if session_id in sessions else -1
        return (bill.id not in in_digest, code != home, order.get(code, len(order)), -listed)

    out: dict[str, Bill] = {}
    for row in sorted(rows, key=rank):
        bill, session_id, code = row
        if code in order and session_id not in config.jurisdiction(code).sessions and bill.id not in in_digest:
            continue  # a bill of an old session is not what a member means by "HB 33" today
        out.setdefault(bill.identifier, bill)
    return out


# ---------------------------------------------------------------------------------------------------------
# Processing


@dataclass
class Outcome:
    message_id: int
    status: str
    questions: list[Question] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    late: bool = False
    call: Call | None = None


def parse_stored(config: Config, raw: bytes) -> ParsedReply:
    return parse_reply(raw, max_bytes=config.inbound.parse_max_bytes, reply_local=config.email.reply_local)


def _unreadable(problems: Sequence[str]) -> list[str]:
    return [p for p in problems if p.startswith(_UNREADABLE)]


def _add_questions(session: Session, config: Config, message: InboundMessage, texts: Sequence[str],
                   all_bills: Sequence[str], member: Member, digest: Mailing | None) -> Outcome:
    call, late = calls.call_for_reply(session, config, digest, message.received_at)
    outcome = Outcome(message.id, "parsed", late=late, call=call)
    refs = [billnum.find_refs(text) for text in texts]
    # "About HB 58: when does the money come?" names the bill once, outside the question itself.
    fallback = list(all_bills) if len(all_bills) == 1 else []
    linked = link_bills(session, config, sorted({r for rs in refs for r in rs} | set(fallback)),
                        digest=digest, member=member)
    for position, (text, found) in enumerate(zip(texts, refs, strict=True)):
        idents = found or fallback
        question = Question(message_id=message.id, member_id=member.id, call_id=call.id, position=position,
                            text=text, bill_identifiers=idents, late=late, status="open",
                            created_at=message.received_at)
        question.bills = [linked[i] for i in idents if i in linked]
        session.add(question)
        outcome.questions.append(question)
    session.flush()
    return outcome


def process(session: Session, message: InboundMessage, *, config: Config, secret: Secret,
            now: datetime, parsed: ParsedReply | None = None) -> Outcome:
    """Parse (unless `parsed` is given) and attribute one stored message; questions, an auto-reply, a plain
    note, or quarantine."""
    if message.status not in ("received", "parsing"):
        return Outcome(message.id, message.status, list(message.questions), list(message.problems))
    parsed = parsed or parse_stored(config, message.raw)
    message.sender = parsed.sender
    message.subject = parsed.subject
    message.text = parsed.text or parsed.auto_reply_text  # an auto-reply's text stays readable in the quarantine
    message.parsed_at = now
    problems = [*message.problems, *(p for p in parsed.problems if p not in message.problems)]
    if parsed.auto_reply:
        message.status = "auto_reply"
        message.problems = [*problems, f"auto-reply: {parsed.auto_reply_reason}"]
        return Outcome(message.id, message.status, problems=message.problems)
    found = attribute(session, parsed, config=config, secret=secret, channel=message.channel, meta=message.meta)
    message.member_id = found.member.id if found.member else None
    message.mailing_id = found.digest.id if found.digest else None
    reasons = found.reasons + _unreadable(problems)
    if reasons:
        message.status = "quarantined"
        message.problems = [*problems, *(r for r in found.reasons if r not in problems)]
        return Outcome(message.id, message.status, problems=message.problems)
    assert found.member is not None
    message.problems = problems
    if (found.digest is not None and found.digest.kind == "alert"
            and record_done_reply(session, parsed, found.digest.id, found.member, now)):
        message.status = "parsed"  # "done": the member acted on the alert; not a question
        return Outcome(message.id, message.status, problems=problems)
    outcome = _add_questions(session, config, message, parsed.questions, parsed.bills, found.member, found.digest)
    message.status = "parsed"
    outcome.problems = problems
    return outcome


def _claim(session: Session, message_id: int) -> InboundMessage | None:
    """Take a received message for processing; None when another process has it (or it is done).

    The claim and the processing share one transaction: a crash rolls the claim back with the rest.
    """
    claimed = session.execute(update(InboundMessage).where(InboundMessage.id == message_id,
                                                           InboundMessage.status == "received")
                              .values(status="parsing").returning(InboundMessage.id)).scalar()
    return session.get(InboundMessage, message_id) if claimed else None


def process_stored(app: App, message_id: int, *, backend: MailBackend | None = None) -> Outcome | None:
    """Process one stored message in its own transaction, then acknowledge it when configured.

    The parse comes first, outside the transaction: on SQLite the claim holds the one write lock, which the
    webhook's next store waits for."""
    with app.sessions() as session:
        raw = session.scalar(select(InboundMessage.raw).where(InboundMessage.id == message_id,
                                                              InboundMessage.status == "received"))
    if raw is None:
        return None
    parsed = parse_stored(app.config, raw)
    with app.transaction() as session:
        message = _claim(session, message_id)
        if message is None:
            return None
        outcome = process(session, message, config=app.config, secret=app.signing_key, now=app.now(),
                          parsed=parsed)
    if outcome.questions and app.config.email.acknowledge_questions:
        acknowledge(app, message_id, backend)
    return outcome


@dataclass
class Taken:
    message_id: int
    is_new: bool
    status: str
    outcome: Outcome | None  # None for a repeat, or when processing failed (it waits for process_pending)
    error: str = ""


def take_in(app: App, raw: bytes, channel: str = "file", meta: dict[str, Any] | None = None, *,
            backend: MailBackend | None = None) -> Taken:
    """Store one message (committed), then process it: what `questions import` does for each message."""
    with app.transaction() as session:
        message, is_new = receive(session, raw, channel, meta, app.now())
        taken = Taken(message.id, is_new, message.status, None)
    if not is_new:
        return taken
    try:
        taken.outcome = process_stored(app, taken.message_id, backend=backend)
    except Exception as exc:  # stored already; process_pending tries again
        log.exception("inbound message %s stored but not processed", taken.message_id)
        taken.error = f"{type(exc).__name__}: {exc}"
        return taken
    if taken.outcome is not None:
        taken.status = taken.outcome.status
    return taken


def process_pending(app: App, *, backend: MailBackend | None = None, limit: int | None = None) -> list[Outcome]:
    """Process every message still "received": after a crash, a restart, or when parsing failed before.

    A message whose processing raises is left for the next run; after MAX_ATTEMPTS it goes to the quarantine
    with the error, so it is seen rather than retried forever.
    """
    with app.sessions() as session:
        query = select(InboundMessage.id).where(InboundMessage.status == "received").order_by(InboundMessage.id)
        ids = list(session.scalars(query.limit(limit) if limit else query))
    outcomes = []
    for message_id in ids:
        try:
            outcome = process_stored(app, message_id, backend=backend)
        except Exception as exc:
            log.exception("processing inbound message %s failed", message_id)
            _record_failure(app, message_id, exc)
            continue
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def _record_failure(app: App, message_id: int, exc: Exception) -> None:
    with app.transaction() as session:
        message = session.get(InboundMessage, message_id)
        if message is None or message.status != "received":
            return
        attempts = int(message.meta.get("attempts", 0)) + 1
        message.meta = {**message.meta, "attempts": attempts, "last_error": f"{type(exc).__name__}: {exc}"}
        if attempts >= MAX_ATTEMPTS:
            message.status = "quarantined"
            message.problems = [*message.problems, f"processing failed {attempts} times: {type(exc).__name__}: {exc}"]


# ---------------------------------------------------------------------------------------------------------
# The advocate's review


def _audit(session: Session, actor: str, entity: str, entity_id: int, action: str, before: dict[str, Any],
           after: dict[str, Any], now: datetime) -> None:
    session.add(AuditEntry(at=now, actor=actor, entity=entity, entity_id=entity_id, action=action,
                           before=before, after=after))


def quarantine(session: Session) -> list[InboundMessage]:
    return list(session.scalars(select(InboundMessage).where(InboundMessage.status == "quarantined")
                                .order_by(InboundMessage.received_at, InboundMessage.id)))


def _reviewable(session: Session, message_id: int) -> InboundMessage:
    message = session.get(InboundMessage, message_id)
    if message is None:
        raise IntakeError(f"no inbound message {message_id}")
    if message.status not in ("quarantined", "auto_reply"):
        raise IntakeError(f"message {message_id} is {message.status}, not in the quarantine")
    return message


def accept(session: Session, message_id: int, member_email: str, *, config: Config, secret: Secret, actor: str,
           now: datetime, text: str | None = None) -> Outcome:
    """Accept a quarantined message as a member's: its questions (or `text`, when given) join the agenda."""
    message = _reviewable(session, message_id)
    member = find_member(session, member_email)
    if member is None:
        raise IntakeError(f"{member_email} is not a member or a member's alias")
    parsed = parse_stored(config, message.raw)
    found = attribute(session, parsed, config=config, secret=secret, channel=message.channel, meta=message.meta)
    before = {"status": message.status, "member_id": message.member_id}
    if text is not None:

        texts, bills = split_questions(text), billnum.find_refs(text)
    else:
        said = parsed.text or parsed.auto_reply_text  # an auto-reply the advocate accepts: what it said
        texts = parsed.questions or ([said] if said else [])
        bills = parsed.bills or billnum.find_refs(said)
    message.member_id = member.id
    message.mailing_id = found.digest.id if found.digest else message.mailing_id
    digest = session.get(Mailing, message.mailing_id) if message.mailing_id else None
    outcome = _add_questions(session, config, message, texts, bills, member, digest)
    message.status = "parsed"
    _audit(session, actor, "inbound_message", message.id, "accept", before,
           {"status": "parsed", "member_id": member.id, "questions": [q.id for q in outcome.questions]}, now)
    return outcome


def discard(session: Session, message_id: int, *, actor: str, now: datetime, reason: str = "") -> InboundMessage:
    """Keep the message (nothing is deleted) but take it out of the quarantine for good."""
    message = _reviewable(session, message_id)
    before = {"status": message.status}
    message.status = "discarded"
    _audit(session, actor, "inbound_message", message.id, "discard", before,
           {"status": "discarded", "reason": reason}, now)
    return message


def answer(session: Session, question_id: int, notes: str, *, actor: str, now: datetime) -> Question:
    """Mark a question answered on the call, with notes the next digest can carry."""
    question = session.get(Question, question_id)
    if question is None:
        raise IntakeError(f"no question {question_id}")
    before = {"status": question.status, "answer_notes": question.answer_notes}
    question.status = "answered"
    question.answer_notes = notes
    question.answered_at = now
    for merged in session.scalars(select(Question).where(Question.merged_into_id == question.id)):
        merged.answered_at = now  # the districts that asked the same thing were answered too
    _audit(session, actor, "question", question.id, "answer", before,
           {"status": "answered", "answer_notes": notes}, now)
    return question


def assign_call(session: Session, question_id: int, call: Call, *, actor: str, now: datetime) -> Question:
    """Put an open question on another call (the advocate's choice): it leaves the old call's agenda, and the
    questions merged into it go with it. The new call's agenda picks it up when it is next built."""
    question = session.get(Question, question_id)
    if question is None:
        raise IntakeError(f"no question {question_id}")
    if question.status != "open":
        raise IntakeError(f"question {question_id} is {question.status}; only an open question moves to another call")
    if question.call_id == call.id:
        return question
    before = {"call_id": question.call_id}
    old = session.get(Call, question.call_id) if question.call_id is not None else None
    if old is not None:
        for item in list(old.agenda):
            if question.id in item.question_ids:
                item.question_ids = [q for q in item.question_ids if q != question.id]
                if not item.question_ids and item.kind == "topic":
                    old.agenda.remove(item)
    question.call_id = call.id
    for merged in session.scalars(select(Question).where(Question.merged_into_id == question.id)):
        merged.call_id = call.id
    _audit(session, actor, "question", question.id, "assign_call", before, {"call_id": call.id}, now)
    session.flush()
    return question


# ---------------------------------------------------------------------------------------------------------
# Acknowledgement


def acknowledgement(config: Config, member: Member, questions: Sequence[Question], call: Call) -> RenderedEmail:
    zone = config.collaborative.tz
    day = timefmt.format_day(call.starts_at.astimezone(zone).date())
    when = timefmt.format_when(call.starts_at, zone)
    late = any(q.late for q in questions)
    lines = [f"Hello {member.name},", "",
             f"We received your question{'s' if len(questions) > 1 else ''} for the call on {when}:", ""]
    lines += [f"- {q.text}" for q in questions]
    if late:
        lines += ["", "The agenda for the previous call had already gone out, so we kept "
                      f"{'them' if len(questions) > 1 else 'it'} for this call."]
    lines += ["", "Thank you,", config.collaborative.name, config.collaborative.postal_address]
    text = "\n".join(lines) + "\n"
    body = "".join(f"<li>{html.escape(q.text)}</li>" for q in questions)
    paragraphs = [f"<p>Hello {html.escape(member.name)},</p>",
                  f"<p>We received your question{'s' if len(questions) > 1 else ''} for the call on "
                  f"{html.escape(when)}:</p><ul>{body}</ul>"]
    if late:
        paragraphs.append("<p>The agenda for the previous call had already gone out, so we kept "
                          f"{'them' if len(questions) > 1 else 'it'} for this call.</p>")
    paragraphs.append(f"<p>Thank you,<br>{html.escape(config.collaborative.name)}<br>"
                      f"{html.escape(config.collaborative.postal_address)}</p>")
    return RenderedEmail(subject=f"We received your question for the call on {day}", text=text,
                         html="<!doctype html><html><body>" + "".join(paragraphs) + "</body></html>")


def acknowledge(app: App, message_id: int, backend: MailBackend | None = None) -> bool:
    """Tell the member their questions arrived, as every email goes: a mailing ("acknowledgement", keyed by the
    message, so at most one per message) and its delivery row before the request; whether it was sent."""
    config, now = app.config, app.now()
    with app.transaction() as session:
        message = session.get(InboundMessage, message_id)
        if message is None or not message.questions or not message.member_id:
            return False
        key = f"ack:{message_id}"
        member = session.get(Member, message.member_id)
        questions = sorted(message.questions, key=lambda q: q.position)
        call = session.get(Call, questions[0].call_id) if questions[0].call_id else None
        if member is None or call is None or session.scalar(select(Mailing.id).where(Mailing.key == key)):
            return False
        rendered = acknowledgement(config, member, questions, call)
        outgoing = OutgoingMessage(
            recipient=Address(member.email, member.name),
            sender=Address(config.email.from_address, config.email.from_name),
            email=rendered,
            headers={"X-Advocacy-Kind": "acknowledgement", "Auto-Submitted": "auto-replied"},
            categories=("acknowledgement",),
        )
        mailing_id = personal.personal_mailing(session, personal.ACKNOWLEDGEMENT, member, rendered.subject, now, key)
    sent = personal.acknowledge(app, backend or app.mail, mailing_id, outgoing)
    if not sent:
        log.warning("acknowledgement for message %s to %s not sent (see mailing %s)", message_id, member.email,
                    mailing_id)
    return sent
