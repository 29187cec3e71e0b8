"""What goes into a digest, for whom: from curated rows to one `DigestContext` per member.

A digest covers everything since the last digest that was sent (or a given period). Its items are frozen on the
`Mailing` row when it is created, so a preview and the send show the same bills; each member then sees only the
sections and items that match their topics.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from advocacy.app import App
from advocacy.config import Config
from advocacy.models import (
    Bill,
    ChangeEvent,
    Curation,
    Delivery,
    Hearing,
    LegislativeSession,
    Mailing,
    MailingItem,
    Member,
    TagAssessment,
)
from advocacy.outbound import sending
from advocacy.outbound.audience import member_states, reaches
from advocacy.outbound.content import (
    MEMBER_TOKEN,
    MOVING_EVENTS,
    PRIORITY_ORDER,
    action_item,
    answered,
    bill_item,
    collaborative,
    comment_item,
    concerns,
    footer,
    hearing_item,
    member_url,
    open_comment_periods,
    shown,
)
from advocacy.outbound.opportunities import testimony_info
from advocacy.outbound.outgoing import cached, compose_with, message_for
from advocacy.outbound.sending import AlreadySent, SendReport
from advocacy.people.members import each_active_member
from advocacy.schedule import next_call, question_cutoff
from digests import model as m
from digests.channels.email import MailBackend
from digests.message import build_message
from digests.render import EmailRenderer
from vocabulary import billnum
from vocabulary.records import is_comment_period

SECTIONS = ("action_needed", "moved", "new_bills", "hearings", "watch_list")
HEARING_WINDOW = timedelta(days=14)


class NothingNew(Exception):
    pass


def last_sent_digest(session: Session) -> Mailing | None:
    return session.scalar(
        select(Mailing).where(Mailing.kind == "digest", Mailing.status == "sent").order_by(Mailing.period_end.desc())
    )


def _tracked(session: Session) -> dict[int, Curation]:
    rows = session.scalars(
        select(Curation).options(selectinload(Curation.bill))
        .where((Curation.status == "approved") | (Curation.alert.is_(True) & (Curation.status != "dismissed")))
    )
    return {c.bill_id: c for c in rows}


def _reported(session: Session) -> set[int]:
    """Bills that members have already read about in a digest that went out."""
    return set(session.scalars(
        select(MailingItem.bill_id).join(Mailing).where(Mailing.kind == "digest", Mailing.status == "sent",
                                                      MailingItem.bill_id.is_not(None))
    ))


def _bill_order(cur: Curation) -> tuple[int, tuple[str, int, str]]:
    return PRIORITY_ORDER.get(cur.priority, 2), billnum.sort_key(cur.bill.identifier)


def create_digest(session: Session, config: Config, now: datetime, *, start: datetime | None = None,
                  end: datetime | None = None, note: str = "", allow_empty: bool = False) -> Mailing:
    """Freeze what the next digest shows. Raises NothingNew when nothing moved and nothing is due.

    Sections: flagged alerts and comment periods whose deadline is ahead (action needed); bills members have not
    read about yet (new bills we are watching); bills with a new action, status or version in the period (moved);
    hearings of the next two weeks; watch-priority bills, listed briefly whatever happened (watch list).
    """
    if start is None:
        previous = last_sent_digest(session)
        start = previous.period_end if previous else None
    end = end or now
    if start is not None and end < start:
        raise ValueError(f"the period ends ({end.astimezone(UTC):%Y-%m-%d %H:%M} UTC) before it starts "
                         f"({start.astimezone(UTC):%Y-%m-%d %H:%M} UTC)")
    tracked = _tracked(session)
    frozen = _Frozen(start)
    for cur in sorted((c for c in tracked.values() if c.alert and c.alert_deadline and c.alert_deadline >= now),
                      key=lambda c: (c.alert_deadline, c.bill_id)):
        frozen.add("action_needed", cur.bill_id, new=frozen.fresh(cur.updated_at))
    _add_comment_periods(session, frozen, now)
    watch = _add_approved(session, frozen, tracked, end)
    _add_hearings(session, frozen, tracked, now)
    for bill_id in watch:
        frozen.add("watch_list", bill_id)
    frozen.news += len(answered(session, start, end))  # answers from a call are news for those who missed it
    if not frozen.news and not note.strip() and not allow_empty:
        raise NothingNew("nothing moved since the last digest" + (f" ({start:%Y-%m-%d %H:%M} UTC)" if start else ""))

    digest = Mailing(kind="digest", period_start=start, period_end=end, opening_note=note, status="draft",
                     created_at=now)
    for position, (section, bill_id, hearing_id) in enumerate(frozen.items):
        digest.items.append(MailingItem(section=section, position=position, bill_id=bill_id, hearing_id=hearing_id))
    session.add(digest)
    session.flush()
    return digest


@dataclass
class _Frozen:
    """The items a new digest freezes, in order, and how many are news since `start` (none: the digest waits)."""

    start: datetime | None
    items: list[tuple[str, int | None, int | None]] = field(default_factory=list)  # (section, bill, hearing)
    news: int = 0

    def fresh(self, moment: datetime | None) -> bool:
        return self.start is None or (moment is not None and moment > self.start)

    def add(self, section: str, bill_id: int | None = None, hearing_id: int | None = None, *,
            new: bool = False) -> None:
        self.items.append((section, bill_id, hearing_id))
        self.news += new


def _add_approved(session: Session, frozen: _Frozen, tracked: dict[int, Curation], end: datetime) -> list[int]:
    """Add the approved bills that moved or are new to members; return the watch-priority ones (listed last)."""
    query = select(ChangeEvent.bill_id, ChangeEvent.kind).where(
        ChangeEvent.bill_id.in_(list(tracked)), ChangeEvent.detected_at <= end)
    if frozen.start is not None:
        query = query.where(ChangeEvent.detected_at > frozen.start)
    kinds: dict[int, set[str]] = defaultdict(set)
    for bill_id, kind in session.execute(query):
        kinds[bill_id].add(kind)
    reported = _reported(session)
    watch, new, moved = [], [], []
    for cur in sorted((c for c in tracked.values() if c.status == "approved"), key=_bill_order):
        moving = bool(kinds[cur.bill_id] & MOVING_EVENTS)
        if cur.priority == "watch":
            watch.append(cur.bill_id)
            frozen.news += moving or cur.bill_id not in reported
        elif cur.bill_id not in reported and not _past_a_chamber(cur):
            new.append(cur.bill_id)
        elif moving or cur.bill_id not in reported:  # unreported here: it passed a chamber, so it is not "new"
            moved.append(cur.bill_id)
    for bill_id in moved:
        frozen.add("moved", bill_id, new=True)
    for bill_id in new:
        frozen.add("new_bills", bill_id, new=True)
    return watch


FAR_ALONG = frozenset({"passed-chamber", "concurred", "signed", "vetoed", "effective"})


def _past_a_chamber(cur: Curation) -> bool:
    return any(FAR_ALONG & set(a.classification or ()) for a in cur.bill.actions)


def _add_comment_periods(session: Session, frozen: _Frozen, now: datetime) -> None:
    """Comment periods still open (a proposed rule's comment deadline ahead), soonest first: news when new or moved
    since the last digest, shown until their deadline."""
    for period in open_comment_periods(session, now):
        frozen.add("action_needed", hearing_id=period.id, new=frozen.fresh(period.updated_at))


def _add_hearings(session: Session, frozen: _Frozen, tracked: dict[int, Curation], now: datetime) -> None:
    """Hearings of the next two weeks on a tracked bill."""
    hearings = session.scalars(
        select(Hearing).options(selectinload(Hearing.bills))
        .where(Hearing.start >= now, Hearing.start <= now + HEARING_WINDOW, Hearing.cancelled.is_(False))
        .order_by(Hearing.start, Hearing.id)
    )
    for hearing in hearings:
        if any(b.id in tracked for b in hearing.bills):
            frozen.add("hearings", hearing_id=hearing.id, new=frozen.fresh(hearing.updated_at))


@dataclass
class DigestView:
    """Everything needed to build per-member contexts, loaded once per digest."""

    digest: Mailing
    bills: dict[int, Bill]
    curations: dict[int, Curation]
    tags: dict[int, list[TagAssessment]]
    events: dict[int, list[ChangeEvent]]
    hearings: dict[int, Hearing]
    items: list[MailingItem] = field(default_factory=list)
    testimony: dict[int, m.TestimonyInfo] = field(default_factory=dict)  # by hearing id
    answers: list[m.AnsweredQuestion] = field(default_factory=list)  # answered on calls in the period

    def topics_of(self, bill_id: int) -> list[str]:
        return [t.tag for t in self.tags.get(bill_id, [])]


def load_view(session: Session, digest: Mailing, config: Config | None = None) -> DigestView:
    items = list(digest.items)
    bill_ids = {i.bill_id for i in items if i.bill_id}
    hearing_ids = {i.hearing_id for i in items if i.hearing_id}
    hearings = {
        h.id: h for h in session.scalars(
            select(Hearing).options(selectinload(Hearing.bills), selectinload(Hearing.jurisdiction))
            .where(Hearing.id.in_(hearing_ids))
        )
    }
    for h in hearings.values():
        bill_ids |= {b.id for b in h.bills}
    bills = {
        b.id: b for b in session.scalars(
            select(Bill).options(selectinload(Bill.sponsors), selectinload(Bill.actions), selectinload(Bill.versions),
                                 selectinload(Bill.session).selectinload(LegislativeSession.jurisdiction))
            .where(Bill.id.in_(bill_ids))
        )
    }
    curations = {c.bill_id: c for c in session.scalars(select(Curation).where(Curation.bill_id.in_(bill_ids)))}
    tags: dict[int, list[TagAssessment]] = defaultdict(list)
    for t in session.scalars(select(TagAssessment).where(TagAssessment.bill_id.in_(bill_ids))
                             .order_by(TagAssessment.score.desc(), TagAssessment.tag)):
        tags[t.bill_id].append(t)
    query = select(ChangeEvent).where(ChangeEvent.bill_id.in_(bill_ids), ChangeEvent.detected_at <= digest.period_end)
    if digest.period_start:
        query = query.where(ChangeEvent.detected_at > digest.period_start)
    events: dict[int, list[ChangeEvent]] = defaultdict(list)
    for e in session.scalars(query.order_by(ChangeEvent.occurred_at, ChangeEvent.id)):
        events[e.bill_id].append(e)  # type: ignore[index]
    testimony = {}
    if config is not None:  # deadline, where to send it and the template, computed while the rows are attached
        testimony = {h.id: testimony_info(session, config, h) for h in hearings.values()
                     if not is_comment_period(h.key)}
    return DigestView(digest, bills, curations, tags, events, hearings, items, testimony,
                      answered(session, digest.period_start, digest.period_end))


def questions_call(config: Config, now: datetime) -> m.QuestionsCall:
    """The next call whose question cutoff is still ahead: members are never asked to reply by a past time."""
    start, end = next_call(config, now)
    while question_cutoff(config, start) <= now:
        start, end = next_call(config, start)
    return m.QuestionsCall(start=start, end=end, cutoff=question_cutoff(config, start),
                           title=config.schedule.call_title, join_url=config.schedule.call_join_url)


def member_topics_key(member: Member) -> tuple[str, ...] | None:
    return None if member.topics is None else tuple(sorted(member.topics))


def context_for(config: Config, view: DigestView, topics: tuple[str, ...] | None, now: datetime,
                items_cache: dict[int, m.BillItem] | None = None, state: str = "") -> m.DigestContext | None:
    """The digest as members with these topics (in this state: its bills and federal ones; "" any) see it, or None
    when nothing new in it concerns them."""
    sections, watch_moved = _sections_for(config, view, topics, now, items_cache if items_cache is not None else {},
                                          state)
    news_for_member = any(sections[s] for s in SECTIONS if s != "watch_list") or watch_moved or bool(view.answers)
    # a digest made with nothing new on purpose (skip_empty_digest off) goes to everyone; otherwise only to those
    # who have something new in it
    deliberate = not any(it.section != "watch_list" for it in view.items)
    if not news_for_member and not view.digest.opening_note.strip() and not deliberate:
        return None
    zone = config.collaborative.tz
    # the first digest covers one cadence back
    start = view.digest.period_start or (view.digest.period_end - timedelta(days=config.schedule.digest_every_days))
    return m.DigestContext(
        collaborative=collaborative(config),
        period_start=start.astimezone(zone).date(),
        period_end=view.digest.period_end.astimezone(zone).date(),
        footer=footer(config),
        base_url=config.collaborative.base_url,
        opening_note=view.digest.opening_note,
        action_needed=tuple(sections["action_needed"]),
        moved=tuple(sections["moved"]),
        new_bills=tuple(sections["new_bills"]),
        hearings=tuple(sections["hearings"]),
        watch_list=tuple(sections["watch_list"]),
        questions_call=questions_call(config, now),
        answers=tuple(view.answers),
        tracker_url=member_url(config, "bills"),
    )


def _sections_for(config: Config, view: DigestView, topics: tuple[str, ...] | None, now: datetime,
                  cache: dict[int, m.BillItem], state: str = "") -> tuple[dict[str, list], bool]:
    """Each section's entries for members with these topics, and whether a watch-list bill of theirs moved."""

    def item(bill_id: int) -> m.BillItem | None:
        if not concerns(topics, view.topics_of(bill_id)):
            return None
        if not reaches(state, view.bills[bill_id].session.jurisdiction.code):
            return None
        if bill_id not in cache:
            cache[bill_id] = bill_item(config, view.bills[bill_id], view.curations.get(bill_id),
                                       view.tags.get(bill_id, []), view.events.get(bill_id, []))
        return cache[bill_id]

    sections: dict[str, list] = {s: [] for s in SECTIONS}
    watch_moved = False
    for it in view.items:
        if it.section == "action_needed" and it.hearing_id:  # a comment period: everyone its jurisdiction reaches
            period = view.hearings[it.hearing_id]
            if period.start >= now and reaches(state, period.jurisdiction.code):
                sections["action_needed"].append(comment_item(config, period))
            continue
        if it.section == "hearings" and it.hearing_id:
            hearing = view.hearings[it.hearing_id]
            if hearing.start < now:
                continue  # frozen before it took place; old news by the time this is sent
            bills = [b for b in (item(b.id) for b in hearing.bills if shown(view.curations.get(b.id))) if b]
            if bills:
                sections["hearings"].append(hearing_item(config, hearing, bills, view.testimony.get(hearing.id)))
            continue
        bill_view = item(it.bill_id) if it.bill_id is not None else None
        if bill_view is None:
            continue
        if it.section == "action_needed":
            cur = view.curations[it.bill_id]  # type: ignore[index]
            if cur.alert and cur.alert_deadline is not None and cur.alert_deadline >= now:
                sections["action_needed"].append(action_item(config, cur, bill_view))
        else:
            sections[it.section].append(bill_view)
            if it.section == "watch_list":
                kinds = {e.kind for e in view.events.get(it.bill_id, [])}  # type: ignore[arg-type]
                watch_moved = watch_moved or bool(kinds & MOVING_EVENTS) or "new_bill" in kinds
    sections["action_needed"].sort(key=lambda action: action.deadline)  # alerts and comment periods, soonest first
    return sections, watch_moved


def digest_app_context(app: App, mailing_id: int, topics: tuple[str, ...] | None = None) -> m.DigestContext | None:
    with app.sessions() as session:
        digest = session.get(Mailing, mailing_id)
        if digest is None:
            raise ValueError(f"no digest {mailing_id}")
        return context_for(app.config, load_view(session, digest, app.config), topics, app.now())


def renderer_for(config: Config, view: DigestView, renderer: EmailRenderer, now: datetime,
                 states: Mapping[int, str] | None = None) -> Callable[[Member], m.RenderedEmail | None]:
    """One rendering per distinct set of topics and state (`states`: member id -> state), shared by every member
    who chose it."""
    cache: dict[int, m.BillItem] = {}
    known = states or {}

    def render(key: tuple[tuple[str, ...] | None, str]) -> m.RenderedEmail | None:
        ctx = context_for(config, view, key[0], now, cache, key[1])
        return renderer.digest(ctx) if ctx else None

    get = cached(render)
    return lambda member: get((member_topics_key(member), known.get(member.id, "")))


def send_digest(app: App, mailing_id: int, backend: MailBackend, *, resend: Sequence[str] = (),
                progress: Callable[[str], None] | None = None, renderer: EmailRenderer | None = None
                ) -> SendReport:
    """Send a digest to every active member once. A second call refuses unless told whom to resend to.

    A send that stopped part-way (a crash, temporary failures) resumes where it stopped. The send lease is held
    from before the recipients are written (`SendInProgress` while another process sends it).
    """
    with sending.lease(app, mailing_id, f"digest {mailing_id}"):
        return _send_digest(app, mailing_id, backend, resend, progress, renderer)


def join_digest(app: App, mailing_id: int, backend: MailBackend, *,
                progress: Callable[[str], None] | None = None) -> SendReport:
    """Help the process that is sending a digest (PostgreSQL): claim and send its pending members beside it, each
    still exactly once (`sending.send(join=True)`). The send must have started (it is "sending")."""
    with app.sessions() as session:
        digest = session.get(Mailing, mailing_id)
        if digest is None or digest.kind != "digest" or digest.status != "sending":
            raise ValueError(f"digest {mailing_id} is not being sent ({digest.status if digest else 'no such digest'})"
                             "; start it with `advocacy digest send`, then join")
        compose, key = _composer(app, session, digest, EmailRenderer())
    return sending.send(app, mailing_id, backend, compose, progress=progress, join=True, key=key)


def _composer(app: App, session: Session, digest: Mailing, renderer: EmailRenderer
              ) -> tuple[sending.Compose, Callable[[Member], Hashable]]:
    """Every process sending a digest builds each member's email, and groups the members who share one, alike."""
    states = member_states(session)

    def key(member: Member) -> Hashable:
        return member_topics_key(member), states.get(member.id, "")

    render = renderer_for(app.config, load_view(session, digest, app.config), renderer, app.now(), states)
    return compose_with(app, render, substitute=MEMBER_TOKEN), key


def _send_digest(app: App, mailing_id: int, backend: MailBackend, resend: Sequence[str],
                 progress: Callable[[str], None] | None, renderer: EmailRenderer | None) -> SendReport:
    with app.transaction() as session:
        digest = session.get(Mailing, mailing_id)
        if digest is None or digest.kind != "digest":
            raise ValueError(f"no digest {mailing_id}")
        if resend:
            if digest.status != "sent":
                raise ValueError(f"digest {mailing_id} has not been sent yet; send it to everyone first "
                                 "(--resend-to is for members of a digest already sent)")
            unknown = sending.resend_to(session, digest, resend, app.now())
            if unknown:
                raise ValueError(f"not members: {', '.join(unknown)}")
        elif digest.status == "sent":
            raise AlreadySent(f"digest {mailing_id} was sent on {digest.sent_at:%Y-%m-%d %H:%M} UTC; "
                              "use --resend-to EMAIL to send it again to named members")
        compose, key = _composer(app, session, digest, renderer or EmailRenderer())
        if digest.status == "draft":
            # who receives it is decided once, when sending starts; a resumed send keeps that list
            # rows of what `by_frequency` and `key` read (id, topics, frequency), not ORM objects: 50k members stream
            recipients = each_active_member(session, Member.id, Member.topics, Member.digest_frequency)
            sending.prepare(session, digest, recipients, app.now(),
                            decide=by_frequency(session, app.config, app.now()), key=key)
        digest.status = "sending"
    return sending.send(app, mailing_id, backend, compose, progress=progress, leased=True, key=key)


def by_frequency(session: Session, config: Config, now: datetime) -> Callable[[Member], tuple[str, str]]:
    """Each member's delivery as their frequency asks: "alerts" members get no digest, "monthly" members only
    the first digest of each month (in the collaborative's zone); the rest, every digest."""
    local = now.astimezone(config.collaborative.tz)
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    had = set(session.scalars(select(Delivery.member_id).join(Mailing, Mailing.id == Delivery.mailing_id)
                              .where(Mailing.kind == "digest", Delivery.status == "sent",
                                     Delivery.sent_at >= month_start)))

    def decide(member: Member) -> tuple[str, str]:
        if member.digest_frequency == "alerts":
            return "skipped", "the member asked for action alerts only"
        if member.digest_frequency == "monthly" and member.id in had:
            return "skipped", f"the member asked for a monthly summary and had {local:%B}'s"
        return "pending", ""

    return decide


def latest_draft(session: Session) -> Mailing | None:
    return session.scalar(select(Mailing).where(Mailing.kind == "digest", Mailing.status.in_(("draft", "sending")))
                          .order_by(Mailing.id.desc()))


def preview(app: App, mailing_id: int, folder: Path, topics: tuple[str, ...] | None = None) -> dict[str, Path]:
    """Write the digest as members see it (HTML, text and a complete .eml) and return the paths."""
    with app.sessions() as session:
        digest = session.get(Mailing, mailing_id)
        if digest is None:
            raise ValueError(f"no digest {mailing_id}")
        view = load_view(session, digest, app.config)
        ctx = context_for(app.config, view, topics, app.now())
        if ctx is None:
            raise NothingNew(f"digest {mailing_id} has nothing for members with topics {', '.join(topics or ())}")
        rendered = EmailRenderer().digest(ctx)
        sample = Member(id=0, email="preview@example.org", name="Preview")
        message = message_for(app, digest, sample, rendered, substitute=MEMBER_TOKEN)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"digest-{mailing_id}" + (f"-{'-'.join(topics)}" if topics else "")
    paths = {"html": folder / f"{stem}.html", "text": folder / f"{stem}.txt", "eml": folder / f"{stem}.eml"}
    paths["html"].write_text(rendered.html.replace(MEMBER_TOKEN, "preview"), encoding="utf-8")
    paths["text"].write_text(f"Subject: {rendered.subject}\n\n{rendered.text}".replace(MEMBER_TOKEN, "preview"),
                             encoding="utf-8")
    paths["eml"].write_bytes(bytes(build_message(message, app.now())))
    return paths


def withdrawn(session: Session, digest: Mailing) -> list[tuple[Bill, str]]:
    """Bills in `digest` the advocate stopped tracking after it was frozen, with their status now."""
    tracked = _tracked(session)
    ids = {item.bill_id for item in digest.items if item.bill_id is not None} - set(tracked)
    if not ids:
        return []
    rows = session.execute(select(Bill, Curation.status).outerjoin(Curation, Curation.bill_id == Bill.id)
                           .where(Bill.id.in_(ids)))
    return sorted(((bill, status or "untracked") for bill, status in rows),
                  key=lambda pair: billnum.sort_key(pair[0].identifier))
