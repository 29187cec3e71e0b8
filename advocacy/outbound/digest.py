"""What goes into a digest, for whom: from curated rows to one `DigestContext` per member.

A digest covers everything since the last digest that was sent (or a given period). Its items are frozen on the
`Mailing` row when it is created, so a preview and the send show the same bills; each member then sees only the
sections and items that match their topics.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
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
    Hearing,
    LegislativeSession,
    Mailing,
    MailingItem,
    Member,
    TagAssessment,
)
from advocacy.outbound import sending
from advocacy.outbound.outgoing import cached, compose_with, message_for
from advocacy.outbound.sending import AlreadySent, SendReport
from advocacy.people.members import active_members
from advocacy.schedule import next_call, question_cutoff
from digests import model as m
from digests.channels.email import MailBackend
from digests.message import build_message
from digests.render import EmailRenderer
from vocabulary import billnum

SECTIONS = ("action_needed", "moved", "new_bills", "hearings", "watch_list")
# What moves a bill in the members' eyes; hearings have their own section, documents are not news by themselves.
MOVING_EVENTS = frozenset({"new_action", "status_change", "new_version"})
HEARING_WINDOW = timedelta(days=14)
POSITIONS = {"support": m.Position.SUPPORT, "oppose": m.Position.OPPOSE, "monitor": m.Position.MONITOR,
             "seek_amendment": m.Position.AMEND}
PRIORITIES = {"high": m.Priority.HIGH, "medium": m.Priority.NORMAL, "watch": m.Priority.LOW}
PRIORITY_ORDER = {"high": 0, "medium": 1, None: 2, "watch": 3}
MEMBER_TOKEN = "-member-token-"  # replaced per recipient (SendGrid substitutions, or locally by the backend)


class NothingNew(Exception):
    pass


def last_sent_digest(session: Session) -> Mailing | None:
    return session.scalar(
        select(Mailing).where(Mailing.kind == "digest", Mailing.status == "sent").order_by(Mailing.period_end.desc())
    )


def shown(curation: Curation | None) -> bool:
    """Whether members hear about the bill: the advocate approved it, or flagged an action alert on it."""
    return curation is not None and (curation.status == "approved"
                                     or (curation.alert and curation.status != "dismissed"))


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

    Sections: flagged alerts whose deadline is ahead (action needed); bills members have not read about yet (new
    bills we are watching); bills with a new action, status or version in the period (moved); hearings of the
    next two weeks; watch-priority bills, listed briefly whatever happened (watch list).
    """
    if start is None:
        previous = last_sent_digest(session)
        start = previous.period_end if previous else None
    end = end or now
    if start is not None and end < start:
        raise ValueError(f"the period ends ({end.astimezone(UTC):%Y-%m-%d %H:%M} UTC) before it starts "
                         f"({start.astimezone(UTC):%Y-%m-%d %H:%M} UTC)")
    tracked = _tracked(session)
    reported = _reported(session)
    items: list[tuple[str, int | None, int | None]] = []  # (section, bill_id, hearing_id)
    news = 0  # items that are new since the last digest: without any, the digest is skipped

    def fresh(moment: datetime | None) -> bool:
        return start is None or (moment is not None and moment > start)

    alerts = sorted((c for c in tracked.values() if c.alert and c.alert_deadline and c.alert_deadline >= now),
                    key=lambda c: (c.alert_deadline, c.bill_id))
    for cur in alerts:
        items.append(("action_needed", cur.bill_id, None))
        news += fresh(cur.updated_at)

    query = select(ChangeEvent.bill_id, ChangeEvent.kind).where(
        ChangeEvent.bill_id.in_(list(tracked)), ChangeEvent.detected_at <= end)
    if start is not None:
        query = query.where(ChangeEvent.detected_at > start)
    kinds: dict[int, set[str]] = defaultdict(set)
    for bill_id, kind in session.execute(query):
        kinds[bill_id].add(kind)

    approved = sorted((c for c in tracked.values() if c.status == "approved"), key=_bill_order)
    watch, new, moved = [], [], []
    for cur in approved:
        moving = bool(kinds[cur.bill_id] & MOVING_EVENTS)
        if cur.priority == "watch":
            watch.append(cur.bill_id)
            news += moving or cur.bill_id not in reported
        elif cur.bill_id not in reported:
            new.append(cur.bill_id)
            news += 1
        elif moving:
            moved.append(cur.bill_id)
            news += 1
    items += [("moved", b, None) for b in moved] + [("new_bills", b, None) for b in new]

    hearings = session.scalars(
        select(Hearing).options(selectinload(Hearing.bills))
        .where(Hearing.start >= now, Hearing.start <= now + HEARING_WINDOW, Hearing.cancelled.is_(False))
        .order_by(Hearing.start, Hearing.id)
    )
    for hearing in hearings:
        if any(b.id in tracked for b in hearing.bills):
            items.append(("hearings", None, hearing.id))
            news += fresh(hearing.updated_at)
    items += [("watch_list", b, None) for b in watch]

    news += len(answered(session, start, end))  # answers from a call are news for those who missed it
    if not news and not note.strip() and not allow_empty:
        raise NothingNew("nothing moved since the last digest" + (f" ({start:%Y-%m-%d %H:%M} UTC)" if start else ""))

    digest = Mailing(kind="digest", period_start=start, period_end=end, opening_note=note, status="draft",
                    created_at=now)
    for position, (section, bill_id, hearing_id) in enumerate(items):
        digest.items.append(MailingItem(section=section, position=position, bill_id=bill_id, hearing_id=hearing_id))
    session.add(digest)
    session.flush()
    return digest


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
            select(Hearing).options(selectinload(Hearing.bills)).where(Hearing.id.in_(hearing_ids))
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
        from advocacy.outbound.opportunities import testimony_info

        testimony = {h.id: testimony_info(session, config, h) for h in hearings.values()}
    return DigestView(digest, bills, curations, tags, events, hearings, items, testimony,
                      answered(session, digest.period_start, digest.period_end))


def answered(session: Session, since: datetime | None, until: datetime) -> list[m.AnsweredQuestion]:
    """Questions the advocate answered on calls in the period, with the notes written for the digest."""
    from advocacy.inbound.intake import answered_since
    from advocacy.outbound.agenda import districts

    return [m.AnsweredQuestion(text=q.text, answer=q.answer_notes, districts=districts(session, q))
            for q in answered_since(session, since)
            if q.answer_notes.strip() and q.answered_at is not None and q.answered_at <= until]


def official_url(config: Config, bill: Bill) -> str:
    """The legislature's page: the jurisdiction's configured template first, else what the source gave."""
    code = bill.session.jurisdiction.code
    try:
        template = config.jurisdiction(code).bill_url
    except KeyError:
        template = ""
    prefix, _, number = bill.identifier.partition(" ")
    if template:
        return template.format(session=bill.session.identifier, prefix=prefix, number=number,
                               slug=f"{prefix.lower()}{number}")
    if bill.url.startswith(("http://", "https://")):
        return bill.url
    return f"{config.collaborative.base_url}/bills/{bill.id}"


def display_number(config: Config, bill: Bill) -> str:
    return billnum.display(bill.identifier, config.bill_style(bill.session.jurisdiction.code))


def _http(url: str) -> str:
    return url if url.startswith(("http://", "https://")) else ""


def bill_item(config: Config, bill: Bill, curation: Curation | None, tags: Sequence[TagAssessment],
              events: Sequence[ChangeEvent]) -> m.BillItem:
    """A bill as emails show it; `events` (the period's) pick which actions and versions are new."""
    zone = config.collaborative.tz
    actions = sorted(bill.actions, key=lambda a: (a.when, a.order), reverse=True)
    fresh_actions = {(e.occurred_at, e.summary) for e in events if e.kind == "new_action"}
    recent = [a for a in actions if (a.when, f"{bill.identifier}: {a.description}") in fresh_actions] or actions[:1]
    new_names = {e.summary.partition(": new version ")[2] for e in events if e.kind == "new_version"}
    new_versions = sorted((v for v in bill.versions if v.name in new_names),
                          key=lambda v: v.when or datetime.min.replace(tzinfo=UTC), reverse=True)
    return m.BillItem(
        key=f"{bill.session.jurisdiction.code}-{bill.session.identifier}-{bill.identifier}",
        number=display_number(config, bill),
        title=bill.title,
        url=official_url(config, bill),
        status=bill.status,
        status_date=actions[0].when.astimezone(zone).date() if actions else None,
        position=POSITIONS.get(curation.position or "", m.Position.NONE) if curation else m.Position.NONE,
        priority=PRIORITIES.get(curation.priority or "", m.Priority.NORMAL) if curation else m.Priority.NORMAL,
        commentary=curation.commentary if curation else "",
        tag_reasons=tuple(f"{t.label or t.tag}: {'; '.join(t.reasons)}" for t in tags[:2]),
        sponsors=tuple(m.Sponsor(name=s.name, party=s.party, place=s.district) for s in bill.sponsors[:3]),
        committee=bill.committee,
        latest_actions=tuple(
            m.ActionLine(when=a.when.astimezone(zone), description=a.description, chamber=a.chamber,
                         committee=a.committee)
            for a in recent[:3]
        ),
        new_versions=tuple(m.VersionLine(name=v.name, url=_http(v.url) or _http(v.html_url),
                                         when=v.when.astimezone(zone).date() if v.when else None)
                           for v in new_versions),
        tracker_url=f"{config.collaborative.base_url}/bills/{bill.id}",
    )


def hearing_item(config: Config, hearing: Hearing, bills: Sequence[m.BillItem],
                 testimony: m.TestimonyInfo | None = None) -> m.HearingItem:
    return m.HearingItem(
        committee=hearing.committee, start=hearing.start.astimezone(config.collaborative.tz),
        location=hearing.location, chamber=hearing.chamber, bills=tuple(bills),
        testimony_deadline=hearing.testimony_deadline, url=_http(hearing.url),
        note="This hearing has been cancelled." if hearing.cancelled else "",
        testimony=testimony,
    )


def action_item(config: Config, curation: Curation, bill: m.BillItem) -> m.ActionItem:
    assert curation.alert_deadline is not None  # curation refuses an alert without one
    return m.ActionItem(
        title=f"{bill.number}, {bill.title}",
        deadline=curation.alert_deadline.astimezone(config.collaborative.tz),
        what_to_do=curation.alert_action or "Contact your legislators about this bill.",
        bill=bill,
    )


def collaborative(config: Config) -> m.Collaborative:
    c = config.collaborative
    return m.Collaborative(name=c.name, postal_address=c.postal_address, timezone=c.timezone,
                           advocate_title="Legislative advocate")


def footer(config: Config) -> m.Footer:
    """The same footer for everyone; the member's own token is substituted at send time."""
    base = config.collaborative.base_url
    return m.Footer(
        reason=f"You receive this because your district is a member of {config.collaborative.name}.",
        preferences_url=f"{base}/m/{MEMBER_TOKEN}/preferences",
        unsubscribe_url=f"{base}/m/{MEMBER_TOKEN}/unsubscribe",
    )


def questions_call(config: Config, now: datetime) -> m.QuestionsCall:
    """The next call whose question cutoff is still ahead: members are never asked to reply by a past time."""
    start, end = next_call(config, now)
    while question_cutoff(config, start) <= now:
        start, end = next_call(config, start)
    return m.QuestionsCall(start=start, end=end, cutoff=question_cutoff(config, start),
                           title=config.schedule.call_title, join_url=config.schedule.call_join_url)


def member_topics_key(member: Member) -> tuple[str, ...] | None:
    return None if member.topics is None else tuple(sorted(member.topics))


def concerns(topics: Sequence[str] | None, bill_topics: Sequence[str]) -> bool:
    """Whether members who chose `topics` (None: all) see a bill. A bill without topics concerns everyone."""
    return topics is None or not bill_topics or bool(set(topics) & set(bill_topics))


def context_for(config: Config, view: DigestView, topics: tuple[str, ...] | None, now: datetime,
                items_cache: dict[int, m.BillItem] | None = None) -> m.DigestContext | None:
    """The digest as members with these topics see it, or None when nothing new in it concerns them."""
    cache = items_cache if items_cache is not None else {}

    def item(bill_id: int) -> m.BillItem | None:
        if not concerns(topics, view.topics_of(bill_id)):
            return None
        if bill_id not in cache:
            cache[bill_id] = bill_item(config, view.bills[bill_id], view.curations.get(bill_id),
                                       view.tags.get(bill_id, []), view.events.get(bill_id, []))
        return cache[bill_id]

    sections: dict[str, list] = {s: [] for s in SECTIONS}
    watch_moved = False
    for it in view.items:
        if it.section == "hearings" and it.hearing_id:
            hearing = view.hearings[it.hearing_id]
            if hearing.start < now:
                continue  # frozen before it took place; old news by the time this is sent
            bills = [b for b in (item(b.id) for b in hearing.bills if shown(view.curations.get(b.id))) if b]
            if bills:
                sections["hearings"].append(hearing_item(config, hearing, bills, view.testimony.get(hearing.id)))
            continue
        if it.bill_id is None:
            continue
        bill_view = item(it.bill_id)
        if bill_view is None:
            continue
        if it.section == "action_needed":
            cur = view.curations[it.bill_id]
            if cur.alert and cur.alert_deadline is not None and cur.alert_deadline >= now:
                sections["action_needed"].append(action_item(config, cur, bill_view))
        else:
            sections[it.section].append(bill_view)
            if it.section == "watch_list":
                kinds = {e.kind for e in view.events.get(it.bill_id, [])}
                watch_moved = watch_moved or bool(kinds & MOVING_EVENTS) or "new_bill" in kinds
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
        tracker_url=f"{config.collaborative.base_url}/bills",
    )


def digest_app_context(app: App, mailing_id: int, topics: tuple[str, ...] | None = None) -> m.DigestContext | None:
    with app.sessions() as session:
        digest = session.get(Mailing, mailing_id)
        if digest is None:
            raise ValueError(f"no digest {mailing_id}")
        return context_for(app.config, load_view(session, digest, app.config), topics, app.now())


def renderer_for(config: Config, view: DigestView, renderer: EmailRenderer, now: datetime
                 ) -> Callable[[Member], m.RenderedEmail | None]:
    """One rendering per distinct set of topics, shared by every member who chose it."""
    cache: dict[int, m.BillItem] = {}

    def render(topics: tuple[str, ...] | None) -> m.RenderedEmail | None:
        ctx = context_for(config, view, topics, now, cache)
        return renderer.digest(ctx) if ctx else None

    get = cached(render)
    return lambda member: get(member_topics_key(member))


def send_digest(app: App, mailing_id: int, backend: MailBackend, *, resend: Sequence[str] = (),
                progress: Callable[[str], None] | None = None, renderer: EmailRenderer | None = None
                ) -> SendReport:
    """Send a digest to every active member once. A second call refuses unless told whom to resend to.

    A send that stopped part-way (a crash, temporary failures) resumes where it stopped.
    """
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
        elif digest.status == "draft":
            # who receives it is decided once, when sending starts; a resumed send keeps that list
            sending.prepare(session, digest, active_members(session), app.now())
        digest.status = "sending"
        view = load_view(session, digest, app.config)
    render = renderer_for(app.config, view, renderer or EmailRenderer(), app.now())
    compose = compose_with(app, render, substitute=MEMBER_TOKEN)
    return sending.send(app, mailing_id, backend, compose, key=member_topics_key, progress=progress)


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
