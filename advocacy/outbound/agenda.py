"""The agenda of a member call: built from the curated bills that moved and the members' questions.

`build` groups the call's open questions by bill (bills of the right session, linked at intake), then by topic,
merges questions that ask the same thing (listing every district that asked), puts the top curated bills that
moved since the last call first and gives every item a time box that fits the call. The advocate then reorders,
edits and merges (`move`, `edit`, `merge_questions`); `send` mails it through the digest's exactly-once path with
a calendar invitation whose UID is stable per call, so an updated agenda updates the event. `export` writes it as
Markdown, `.ics`, HTML and text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from advocacy import calls
from advocacy.app import App
from advocacy.config import Config
from advocacy.models import (
    AgendaItem,
    AuditEntry,
    Bill,
    Call,
    ChangeEvent,
    Curation,
    Mailing,
    MailingItem,
    Member,
    Question,
)
from advocacy.outbound import sending
from advocacy.outbound.content import (
    MEMBER_TOKEN,
    MOVING_EVENTS,
    PRIORITY_ORDER,
    bill_item,
    collaborative,
    display_number,
    districts,
    footer,
)
from advocacy.outbound.digest import load_view
from advocacy.outbound.outgoing import message_for
from advocacy.outbound.sending import AlreadySent, SendReport
from advocacy.people.members import active_members
from advocacy.schedule import agenda_due, next_call
from advocacy.tagging.rules import parse_tagging
from advocacy.tagging.tagger import BillInput, Tagger
from digests import model as m
from digests.channels.email import MailBackend
from digests.invite import call_invite
from digests.message import Address, OutgoingMessage, build_message
from digests.render import EmailRenderer, time_boxes
from digests.timefmt import format_clock, format_when

GENERAL = "General questions"
OPEN_QA = "Open Q&A and next steps"
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)?")
_BILL = re.compile(r"\b(?:(?:house|senate)\s+(?:joint\s+|concurrent\s+)?(?:bill|resolution)"
                   r"|[hs]\.?\s?(?:[jc]\.?\s?)?[br]\.?)\s*(?:no\.?\s*)?\d+", re.IGNORECASE)
_STOP_WORDS = (
    "a an and are as at be but by can could did do does for from has have how i if in is it its may me my of on "
    "or our should so that the their there this to us was we what when where which who why will with would you "
    "your any about also please thanks thank"
)
_STOP = frozenset(_STOP_WORDS.split())

Classifier = Callable[[str], str | None]


class AgendaError(ValueError):
    """An agenda operation that cannot be done (no such item, nothing built yet)."""


# ---------------------------------------------------------------------------------------------------------
# Topics: the tagger's, when the config has tagging rules, else one general group.


def topic_classifier(config: Config) -> Classifier | None:
    """A question's topic label from the bill tagger's rules, or None without rules or when they do not load."""
    if not config.tagging:
        return None
    try:
        tagger = Tagger.from_config(parse_tagging(config.tagging, "config.toml [tagging]"))
    except Exception:  # rules that do not load are the tagger's error to report, not the agenda's
        return None

    def classify(text: str) -> str | None:
        tags = tagger.assess(BillInput(state="", session="", bill="", title=text)).tags
        return tags[0].label if tags else None

    return classify


# ---------------------------------------------------------------------------------------------------------
# Duplicates


def words(text: str) -> frozenset[str]:
    """Content words; bill numbers left out (every question in a bill's group names the bill)."""
    found = (w.rstrip("s") if len(w) > 3 else w for w in _WORD.findall(_BILL.sub(" ", text.lower())))
    return frozenset(w for w in found if w not in _STOP)


def similarity(a: str, b: str) -> float:
    """Dice overlap of the two questions' content words: 1.0 for the same words, 0.0 for none in common."""
    wa, wb = words(a), words(b)
    if not wa or not wb:
        return 0.0
    return 2 * len(wa & wb) / (len(wa) + len(wb))


def merge_question(session: Session, keep: Question, other: Question) -> None:
    """`other` asks what `keep` asks: it is answered with it, and its district is listed with it."""
    if keep.id == other.id:
        raise AgendaError(f"question {keep.id} cannot be merged into itself")
    if keep.merged_into_id is not None:
        raise AgendaError(f"question {keep.id} is itself merged into {keep.merged_into_id}")
    for child in session.scalars(select(Question).where(Question.merged_into_id == other.id)):
        child.merged_into_id = keep.id
    other.status = "merged"
    other.merged_into_id = keep.id


def merge_duplicates(session: Session, questions: Sequence[Question], threshold: float) -> list[Question]:
    """The distinct questions, in order; later duplicates are merged into the first that asked it."""
    kept: list[Question] = []
    for question in questions:
        twin = next((k for k in kept if similarity(k.text, question.text) >= threshold), None)
        if twin is None:
            kept.append(question)
        else:
            merge_question(session, twin, question)
    return kept


# ---------------------------------------------------------------------------------------------------------
# Building


@dataclass
class _Group:
    kind: str  # bill, topic
    key: object
    title: str
    bill: Bill | None = None
    topic: str = ""
    questions: list[Question] = field(default_factory=list)


def moved_bills(session: Session, since: datetime, until: datetime, top: int) -> list[Bill]:
    """Curated (approved) bills with a new action, version, hearing or introduction in (since, until]: the
    top `top` by priority (high first; an open alert first within a priority; then the latest event)."""
    kinds = (*MOVING_EVENTS, "new_bill")
    rows = session.execute(
        select(Curation, ChangeEvent.detected_at)
        .join(ChangeEvent, ChangeEvent.bill_id == Curation.bill_id)
        .options(selectinload(Curation.bill))
        .where(Curation.status == "approved", ChangeEvent.kind.in_(kinds), ChangeEvent.detected_at > since,
               ChangeEvent.detected_at <= until)
    )
    latest: dict[int, tuple[Curation, datetime]] = {}
    for curation, detected in rows:
        if curation.bill_id not in latest or detected > latest[curation.bill_id][1]:
            latest[curation.bill_id] = (curation, detected)
    ranked = sorted(latest.values(), key=lambda pair: (PRIORITY_ORDER.get(pair[0].priority, 2),
                                                        not pair[0].alert, -pair[1].timestamp(), pair[0].bill_id))
    return [curation.bill for curation, _ in ranked[:top]]


def open_questions(session: Session, call: Call) -> list[Question]:
    return list(session.scalars(
        select(Question).options(selectinload(Question.bills))
        .where(Question.call_id == call.id, Question.status == "open", Question.merged_into_id.is_(None))
        .order_by(Question.created_at, Question.id)
    ))


def _group_of(question: Question, classify: Classifier | None) -> tuple[str, object, str, Bill | None]:
    by_ident = {b.identifier: b for b in question.bills}
    for ident in question.bill_identifiers:
        if ident in by_ident:
            bill = by_ident[ident]
            return "bill", bill.id, "", bill
    if question.bill_identifiers:
        topic = f"{question.bill_identifiers[0]} (not in the tracker)"
    else:
        topic = (classify(question.text) if classify else None) or GENERAL
    return "topic", topic, topic, None


def fit_minutes(wanted: Sequence[int], total: int, reserve: int) -> tuple[list[int], int]:
    """Time boxes for items wanting `wanted` minutes in a call of `total`, keeping `reserve` for open Q&A.

    Returns (minutes per item, minutes left for open Q&A). When the items want more than there is, they shrink
    in proportion (each keeps at least a minute) and open Q&A gives up its reserve last.
    """
    available = max(total - reserve, 0)
    if sum(wanted) <= available:
        return list(wanted), total - sum(wanted)
    available = max(available, min(total, len(wanted)))
    scale = available / sum(wanted)
    minutes = [max(1, int(w * scale)) for w in wanted]
    order = sorted(range(len(minutes)), key=lambda i: -(wanted[i] * scale - int(wanted[i] * scale)))
    for i in order:  # hand out the minutes lost to rounding down, largest remainder first
        if sum(minutes) >= available:
            break
        minutes[i] += 1
    while sum(minutes) > available and max(minutes) > 1:
        minutes[minutes.index(max(minutes))] -= 1
    return minutes, max(total - sum(minutes), 0)


def _bill_title(config: Config, bill: Bill) -> str:
    return f"{display_number(config, bill)}: {bill.title}"


def _wanted(config: Config, kind: str, questions: int) -> int:
    s = config.agenda
    if kind == "bill":
        return s.bill_minutes + s.question_minutes * questions
    return max(s.question_minutes * questions, s.question_minutes)


def call_minutes(call: Call) -> int:
    return int((call.ends_at - call.starts_at).total_seconds() // 60)


def build(session: Session, config: Config, call: Call, now: datetime, *, classify: Classifier | None = None,
          fresh: bool = False) -> list[AgendaItem]:
    """The call's agenda. An agenda already built is kept (with the advocate's edits) and new questions are
    added to it; `fresh` starts over from the bills and questions."""
    if call.agenda and not fresh:
        return _add_new(session, config, call, classify)
    call.agenda.clear()
    session.flush()
    since = calls.previous(session, config, call)
    moved = moved_bills(session, since, min(now, call.starts_at), config.agenda.top_items)
    groups: dict[tuple[str, object], _Group] = {}
    for bill in moved:
        groups[("bill", bill.id)] = _Group("bill", bill.id, _bill_title(config, bill), bill=bill)
    for question in open_questions(session, call):
        kind, key, topic, bill = _group_of(question, classify)
        if (kind, key) not in groups:
            title = _bill_title(config, bill) if bill is not None else topic
            groups[(kind, key)] = _Group(kind, key, title, bill=bill, topic=topic)
        groups[(kind, key)].questions.append(question)
    for group in groups.values():
        group.questions = merge_duplicates(session, group.questions, config.agenda.merge_similarity)

    moved_ids = [b.id for b in moved]

    def order(group: _Group) -> tuple[int, int, int, str]:
        if group.kind == "bill" and group.key in moved_ids:
            return (0, moved_ids.index(group.key), 0, "")  # type: ignore[arg-type]
        if group.kind == "bill":
            return (1, -len(group.questions), 0, group.title)
        return (2, group.topic == GENERAL, -len(group.questions), group.topic)

    ordered = sorted(groups.values(), key=order)
    wanted = [_wanted(config, g.kind, len(g.questions)) for g in ordered]
    minutes, open_minutes = fit_minutes(wanted, call_minutes(call), config.agenda.open_minutes)
    for position, (group, length) in enumerate(zip(ordered, minutes, strict=True)):
        call.agenda.append(AgendaItem(position=position, kind=group.kind, bill_id=group.bill.id if group.bill else None,
                                      topic=group.topic, title=group.title, minutes=length,
                                      question_ids=[q.id for q in group.questions]))
    if open_minutes > 0:
        call.agenda.append(AgendaItem(position=len(ordered), kind="other", title=OPEN_QA, minutes=open_minutes))
    session.flush()
    return list(call.agenda)


def _add_new(session: Session, config: Config, call: Call, classify: Classifier | None) -> list[AgendaItem]:
    placed = {qid for item in call.agenda for qid in item.question_ids}
    new = [q for q in open_questions(session, call) if q.id not in placed]
    if not new:
        return list(call.agenda)
    questions = {q.id: q for q in session.scalars(select(Question).where(Question.id.in_(placed)))} if placed else {}
    items = list(call.agenda)
    open_item = next((i for i in items if i.kind == "other" and i.title == OPEN_QA), None)
    for question in new:
        kind, key, topic, bill = _group_of(question, classify)
        item = next((i for i in items if i.kind == kind and (i.bill_id == key if kind == "bill" else i.topic == key)),
                    None)
        if item is None:
            item = AgendaItem(kind=kind, bill_id=bill.id if bill else None, topic=topic,
                              title=_bill_title(config, bill) if bill else topic,
                              minutes=_wanted(config, kind, 0), question_ids=[])
            items.insert(items.index(open_item) if open_item in items else len(items), item)
        twin = next((questions[i] for i in item.question_ids
                     if similarity(questions[i].text, question.text) >= config.agenda.merge_similarity), None)
        if twin is not None:
            merge_question(session, twin, question)
        else:
            item.question_ids = [*item.question_ids, question.id]
            item.minutes += config.agenda.question_minutes
            questions[question.id] = question
    _reposition(call, items)
    _refit(config, call)
    session.flush()
    return list(call.agenda)


def _reposition(call: Call, items: list[AgendaItem]) -> None:
    for position, item in enumerate(items):
        item.position = position
        if item not in call.agenda:
            call.agenda.append(item)
    call.agenda.sort(key=lambda i: i.position)


def _refit(config: Config, call: Call) -> None:
    """When the items outgrow the call, shrink them to fit and let open Q&A take what is left."""
    total = call_minutes(call)
    if sum(i.minutes for i in call.agenda) <= total:
        return
    others = [i for i in call.agenda if not (i.kind == "other" and i.title == OPEN_QA)]
    minutes, open_minutes = fit_minutes([i.minutes for i in others], total, config.agenda.open_minutes)
    for item, length in zip(others, minutes, strict=True):
        item.minutes = length
    for item in call.agenda:
        if item.kind == "other" and item.title == OPEN_QA:
            item.minutes = max(open_minutes, 1)


# ---------------------------------------------------------------------------------------------------------
# The advocate's edits


def _item(session: Session, item_id: int) -> AgendaItem:
    item = session.get(AgendaItem, item_id)
    if item is None:
        raise AgendaError(f"no agenda item {item_id}")
    return item


def move(session: Session, item_id: int, position: int) -> list[AgendaItem]:
    """Put an item at `position` (1 = first); the others keep their order."""
    item = _item(session, item_id)
    items = [i for i in sorted(item.call.agenda, key=lambda i: i.position) if i.id != item.id]
    items.insert(min(max(position, 1), len(items) + 1) - 1, item)
    _reposition(item.call, items)
    session.flush()
    return list(item.call.agenda)


def edit(session: Session, item_id: int, *, title: str | None = None, notes: str | None = None,
         minutes: int | None = None) -> AgendaItem:
    item = _item(session, item_id)
    if title is not None:
        if not title.strip():
            raise AgendaError("an agenda item needs a title")
        item.title = title.strip()
    if notes is not None:
        item.notes = notes
    if minutes is not None:
        if minutes <= 0:
            raise AgendaError(f"item {item_id}: minutes must be positive, got {minutes}")
        item.minutes = minutes
    session.flush()
    return item


def add_item(session: Session, call: Call, title: str, *, notes: str = "", minutes: int = 5,
             position: int | None = None) -> AgendaItem:
    """A free-form item (a welcome, a budget update, a guest): at `position` (1 = first), else before open Q&A."""
    if not title.strip():
        raise AgendaError("an agenda item needs a title")
    if minutes <= 0:
        raise AgendaError(f"minutes must be positive, got {minutes}")
    items = sorted(call.agenda, key=lambda i: i.position)
    item = AgendaItem(call_id=call.id, kind="other", title=title.strip(), notes=notes, minutes=minutes)
    if position is None:
        position = next((n for n, i in enumerate(items, 1) if i.kind == "other" and i.title == OPEN_QA),
                        len(items) + 1)
    items.insert(min(max(position, 1), len(items) + 1) - 1, item)
    _reposition(call, items)
    session.flush()
    return item


def remove_item(session: Session, item_id: int) -> AgendaItem:
    """Take an item off the agenda. Its questions stay open: "Add new questions" brings them back; answer or
    merge them to settle them."""
    item = _item(session, item_id)
    call = item.call
    call.agenda.remove(item)
    session.delete(item)
    _reposition(call, sorted(call.agenda, key=lambda i: i.position))
    session.flush()
    return item


def past_calls(session: Session, now: datetime, limit: int = 12) -> list[Call]:
    """Calls already held that had an agenda, newest first: their agendas stay readable."""
    return list(session.scalars(select(Call).where(Call.starts_at <= now, Call.agenda.any())
                                .order_by(Call.starts_at.desc()).limit(limit)))


def merge_questions(session: Session, keep_id: int, other_id: int, *, actor: str, now: datetime) -> Question:
    """The advocate's merge (the web's and the CLI's): `other` asks what `keep` asks, so it is answered with
    `keep` and leaves the agenda; its district stays listed. Both must be open and on the same call. Audited
    (entity "question", action "merge") like the advocate's other decisions on questions."""
    keep, other = session.get(Question, keep_id), session.get(Question, other_id)
    if keep is None or other is None:
        raise AgendaError(f"no question {keep_id if keep is None else other_id}")
    for question in (other, keep):
        if question.status != "open" or question.merged_into_id is not None:
            raise AgendaError(f"question {question.id} is {question.status}; only open questions merge")
    if keep.call_id != other.call_id:
        raise AgendaError(f"questions {other.id} and {keep.id} are for different calls")
    merge_question(session, keep, other)
    session.add(AuditEntry(at=now, actor=actor, entity="question", entity_id=other.id, action="merge",
                           before={"status": "open", "merged_into_id": None},
                           after={"status": "merged", "merged_into_id": keep.id}))
    call = session.get(Call, other.call_id) if other.call_id is not None else None
    if call is not None and call.agenda:
        _absorb_on_agenda(call, keep, other)
    session.flush()
    return keep


def _absorb_on_agenda(call: Call, keep: Question, other: Question) -> None:
    """`other` leaves the call's agenda; `keep` takes its place when it had none."""
    keep_placed = any(keep.id in item.question_ids for item in call.agenda)
    for item in list(call.agenda):
        if other.id not in item.question_ids:
            continue
        if keep_placed:
            item.question_ids = [q for q in item.question_ids if q != other.id]
        else:
            item.question_ids = [keep.id if q == other.id else q for q in item.question_ids]
            keep_placed = True
        if not item.question_ids and item.kind == "topic":
            call.agenda.remove(item)
    _reposition(call, sorted(call.agenda, key=lambda i: i.position))


# ---------------------------------------------------------------------------------------------------------
# Rendering


def context(session: Session, config: Config, call: Call, now: datetime) -> m.AgendaContext:
    """The agenda as members read it (the same for everyone; the footer's token is substituted per member)."""
    items = sorted(call.agenda, key=lambda i: i.position)
    since = calls.previous(session, config, call)
    probe = Mailing(kind="agenda", period_start=since, period_end=call.starts_at)
    for position, item in enumerate(i for i in items if i.bill_id):
        probe.items.append(MailingItem(section="moved", position=position, bill_id=item.bill_id))
    view = load_view(session, probe)
    questions = {q.id: q for q in session.scalars(
        select(Question).where(Question.id.in_([qid for i in items for qid in i.question_ids])))}
    out = []
    for item in items:
        asked = tuple(m.AgendaQuestion(text=questions[qid].text, districts=districts(session, questions[qid]))
                      for qid in item.question_ids if qid in questions
                      and questions[qid].status in ("open", "answered"))
        bill_groups: tuple[m.AgendaBillGroup, ...] = ()
        topic_groups: tuple[m.AgendaTopicGroup, ...] = ()
        if item.bill_id and item.bill_id in view.bills:
            bill_id = item.bill_id
            bill = bill_item(config, view.bills[bill_id], view.curations.get(bill_id), view.tags.get(bill_id, []),
                             view.events.get(bill_id, []))
            bill_groups = (m.AgendaBillGroup(bill=bill, questions=asked),)
        elif asked:
            topic_groups = (m.AgendaTopicGroup(topic=item.topic or item.title, questions=asked),)
        out.append(m.AgendaItem(title=item.title, minutes=item.minutes, notes=item.notes,
                                bill_groups=bill_groups, topic_groups=topic_groups))
    next_start, _ = next_call(config, call.starts_at)
    return m.AgendaContext(
        collaborative=collaborative(config), title=call.title or config.schedule.call_title,
        start=call.starts_at.astimezone(config.collaborative.tz), end=call.ends_at.astimezone(config.collaborative.tz),
        footer=footer(config), base_url=config.collaborative.base_url, items=tuple(out),
        join_url=call.join_url, next_call=next_start,
    )


def to_markdown(ctx: m.AgendaContext) -> str:
    zone = ctx.collaborative.zone
    lines = [f"# {ctx.collaborative.name}: {ctx.title}", "",
             f"**{format_when(ctx.start, zone)} – {format_clock(ctx.end, zone)}**"]
    if ctx.join_url:
        lines += ["", f"Join: <{ctx.join_url}>"]
    slots = time_boxes(ctx.start, [item.minutes for item in ctx.items])
    for item, (begin, end) in zip(ctx.items, slots, strict=True):
        lines += ["", f"## {format_clock(begin, zone)}–{format_clock(end, zone)} {item.title} ({item.minutes} min)"]
        if item.notes:
            lines += ["", item.notes.strip()]
        for group in item.bill_groups:
            bill = group.bill
            head = f"[{bill.number}]({bill.url})"
            if bill.position.value != "none":
                head += f" — {bill.position.label}"
            lines += ["", head + (f". {bill.status}" if bill.status else "")]
            if group.questions:
                lines.append("")
                lines += [_md_question(q) for q in group.questions]
        for topic in item.topic_groups:
            lines += ["", f"**{topic.topic}**", ""]
            lines += [_md_question(q) for q in topic.questions]
    if slots and slots[-1][1] > ctx.end:
        lines += ["", "_This agenda runs past the scheduled end; later items may move to the next call._"]
    if ctx.next_call:
        lines += ["", f"Next call: {format_when(ctx.next_call, zone)}"]
    return "\n".join(lines) + "\n"


def _md_question(question: m.AgendaQuestion) -> str:
    asked = f" _({', '.join(question.districts)})_" if question.districts else ""
    return f"- {question.text}{asked}"


def invite_uid(config: Config, call: Call) -> str:
    """Stable for the call's lifetime, so every updated agenda updates the same calendar event."""
    return f"call-{call.id}@{config.email.reply_domain}"


def organizer(config: Config) -> Address:
    return Address(config.email.from_address, config.email.from_name)


# ---------------------------------------------------------------------------------------------------------
# Export and send


def export(app: App, call_id: int, folder: Path) -> dict[str, Path]:
    """Write the agenda as Markdown, an .ics invitation, HTML, text and a sample .eml; returns the paths."""
    config = app.config
    with app.sessions() as session:
        call = _call(session, call_id)
        ctx = context(session, config, call, app.now())
        uid, sequence = invite_uid(config, call), call.agenda_sequence
        sample = Member(id=0, email=config.collaborative.contact_email, name="Agenda preview")
        probe = Mailing(id=0, kind="agenda", call_id=call.id, period_end=call.starts_at)
    rendered = EmailRenderer().agenda(ctx)
    invite = call_invite(ctx, uid=uid, organizer=organizer(config),
                         attendee=Address(sample.email, sample.name), now=app.now(), sequence=sequence)
    message = message_for(app, probe, sample, rendered, substitute=MEMBER_TOKEN, attachments=(invite,))
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"agenda-{ctx.start:%Y-%m-%d}"
    paths = {kind: folder / f"{stem}.{kind}" for kind in ("md", "ics", "html", "txt", "eml")}
    paths["md"].write_text(to_markdown(ctx), encoding="utf-8")
    paths["ics"].write_bytes(invite.content)
    paths["html"].write_text(rendered.html.replace(MEMBER_TOKEN, "preview"), encoding="utf-8")
    paths["txt"].write_text(f"Subject: {rendered.subject}\n\n{rendered.text}".replace(MEMBER_TOKEN, "preview"),
                            encoding="utf-8")
    paths["eml"].write_bytes(bytes(build_message(message, app.now())))
    return paths


def _call(session: Session, call_id: int) -> Call:
    call = session.get(Call, call_id)
    if call is None:
        raise AgendaError(f"no call {call_id}")
    return call


def agenda_digest(session: Session, call: Call) -> Mailing | None:
    return session.scalar(select(Mailing).where(Mailing.key == f"agenda:{call.id}:{call.agenda_sequence}"))


def send(app: App, call_id: int, backend: MailBackend, *, update: bool = False,
         progress: Callable[[str], None] | None = None, renderer: EmailRenderer | None = None) -> SendReport:
    """Email the agenda with its invitation to every active member, once.

    Sending again resumes an interrupted send. Once it was sent, `update=True` sends the edited agenda as an
    update (a new digest row, the invitation's SEQUENCE raised, the same UID); without it, AlreadySent.
    The send lease of the call's agenda is held from before its row and recipients are written.
    """
    with sending.lease(app, f"agenda-of-call:{call_id}", f"the agenda of call {call_id}"):
        return _send(app, call_id, backend, update, progress, renderer)


def _send(app: App, call_id: int, backend: MailBackend, update: bool, progress: Callable[[str], None] | None,
          renderer: EmailRenderer | None) -> SendReport:
    config = app.config
    now = app.now()
    with app.transaction() as session:
        call = _call(session, call_id)
        if not call.agenda:
            raise AgendaError(f"call {call_id} has no agenda yet; run `advocacy agenda build` first")
        digest = agenda_digest(session, call)
        if digest is not None and digest.status == "sent":
            if not update:
                raise AlreadySent(f"the agenda of call {call_id} went out on {digest.sent_at:%Y-%m-%d %H:%M} UTC; "
                                  "use --update to send the edited agenda as an update")
            call.agenda_sequence += 1
            digest = None
        if digest is None:
            digest = Mailing(kind="agenda", key=f"agenda:{call.id}:{call.agenda_sequence}", call_id=call.id,
                            period_start=calls.previous(session, config, call), period_end=call.starts_at,
                            status="draft", created_at=now)
            session.add(digest)
            session.flush()
        ctx = context(session, config, call, now)
        rendered = (renderer or EmailRenderer()).agenda(ctx)
        digest.subject = rendered.subject
        sending.prepare(session, digest, active_members(session), now)
        digest.status = "sending"
        call.agenda_sent_at = call.agenda_sent_at or now  # from here on, new questions are for the next call
        mailing_id, uid, sequence = digest.id, invite_uid(config, call), call.agenda_sequence

    def compose(digest: Mailing, member: Member) -> OutgoingMessage:
        # each member's invitation names them as the attendee, so every agenda email is its own request
        return message_for(app, digest, member, rendered, substitute=MEMBER_TOKEN, attachments=(
            call_invite(ctx, uid=uid, organizer=organizer(config), attendee=Address(member.email, member.name),
                        now=now, sequence=sequence),))

    return sending.send(app, mailing_id, backend, compose, key=lambda member: member.id, progress=progress)


@dataclass
class Published:
    call_id: int
    report: SendReport | None
    paths: dict[str, Path]


def build_for(app: App, *, day: date | None = None, fresh: bool = False,
              classify: Classifier | None = None) -> int:
    """Build (or bring up to date) the agenda of the next call, or of the call on `day` (a local date, or the
    date of an instant). Returns the call's id."""
    config = app.config
    if isinstance(day, datetime):
        day = day.astimezone(config.collaborative.tz).date()
    with app.transaction() as session:
        if day is None:
            call = calls.upcoming(session, config, app.now())
        else:
            found = calls.call_on(session, config, day)
            if found is None:
                raise AgendaError(f"no call on {day:%Y-%m-%d}: not in the schedule and none created by hand")
            call = found
        build(session, config, call, app.now(), fresh=fresh,
              classify=classify if classify is not None else topic_classifier(config))
        return call.id


def publish(app: App, call_id: int, *, backend: MailBackend | None = None, folder: Path | None = None,
            update: bool = False) -> Published:
    """Send the agenda (when not sent yet, or as an update) and write its Markdown, .ics and email files."""
    folder = folder or app.config.path(app.config.email.outbox_dir) / "agendas"
    report = send(app, call_id, backend or app.mail, update=update)
    return Published(call_id, report, export(app, call_id, folder))


def run_due(app: App, *, backend: MailBackend | None = None, folder: Path | None = None) -> Published | None:
    """For the scheduler: when the next call's agenda is due (`schedule.agenda_due`) and not sent yet, build it
    (keeping the advocate's edits) and publish it; finish a send that stopped part-way. None when nothing is due."""
    config = app.config
    with app.transaction() as session:
        call = calls.upcoming(session, config, app.now())
        if call.agenda_sent_at is not None:
            # started before: resume a send that stopped part-way (temporary failures, a crash), else nothing
            started = agenda_digest(session, call)
            if started is None or started.status == "sent":
                return None
        elif app.now() < agenda_due(config, call.starts_at):
            return None
        else:
            build(session, config, call, app.now(), classify=topic_classifier(config))
        call_id = call.id
    return publish(app, call_id, backend=backend, folder=folder)
