"""What goes into a digest, for whom: from curated rows to one `DigestContext` per member.

A digest covers everything since the last digest that was sent (or a given period). Its items are frozen on the
`Digest` row when it is created, so a preview and the send show the same bills; each member then sees only the
sections and items that match their topics.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from advocacy import billnum, sending
from advocacy.app import App
from advocacy.config import Config
from advocacy.members import active_members, wants
from advocacy.models import (
    Bill,
    ChangeEvent,
    Curation,
    Digest,
    DigestItem,
    Hearing,
    LegislativeSession,
    Member,
    TagAssessment,
)
from advocacy.outgoing import cached, compose_with, message_for
from advocacy.schedule import next_call, question_cutoff
from advocacy.sending import AlreadySent, SendReport
from digests import model as m
from digests.backends import MailBackend
from digests.message import build_message
from digests.render import EmailRenderer

SECTIONS = ("action_needed", "moved", "new_bills", "hearings", "watch_list")
MOVING_EVENTS = ("new_action", "status_change", "new_version", "bill_hearing")
HEARING_WINDOW = timedelta(days=14)
POSITIONS = {"support": m.Position.SUPPORT, "oppose": m.Position.OPPOSE, "monitor": m.Position.MONITOR,
             "seek_amendment": m.Position.AMEND}
PRIORITIES = {"high": m.Priority.HIGH, "medium": m.Priority.NORMAL, "watch": m.Priority.LOW}
MEMBER_TOKEN = "-member-token-"  # replaced per recipient (SendGrid substitutions, or locally by the backend)


class NothingNew(Exception):
    pass


def last_sent_digest(session: Session) -> Digest | None:
    return session.scalar(
        select(Digest).where(Digest.kind == "digest", Digest.status == "sent").order_by(Digest.period_end.desc())
    )


def _approved(session: Session) -> dict[int, Curation]:
    rows = session.scalars(
        select(Curation).options(selectinload(Curation.bill)).where(Curation.status == "approved")
    )
    return {c.bill_id: c for c in rows}


def create_digest(session: Session, config: Config, now: datetime, *, start: datetime | None = None,
                  end: datetime | None = None, note: str = "", allow_empty: bool = False) -> Digest:
    """Freeze what the next digest shows. Raises NothingNew when nothing moved and nothing is due."""
    if start is None:
        previous = last_sent_digest(session)
        start = previous.period_end if previous else None
    end = end or now
    approved = _approved(session)
    items: list[tuple[str, int | None, int | None]] = []  # (section, bill_id, hearing_id)

    news = 0  # items that are new since the last digest: without any, the digest is skipped

    def fresh(moment: datetime | None) -> bool:
        return start is None or (moment is not None and moment > start)

    for bill_id, cur in approved.items():
        if cur.alert and (cur.alert_deadline is None or cur.alert_deadline >= now):
            items.append(("action_needed", bill_id, None))
            news += fresh(cur.updated_at)

    query = select(ChangeEvent).where(ChangeEvent.bill_id.in_(approved), ChangeEvent.detected_at <= end)
    if start is not None:
        query = query.where(ChangeEvent.detected_at > start)
    events_by_bill: dict[int, list[ChangeEvent]] = defaultdict(list)
    for event in session.scalars(query):
        events_by_bill[event.bill_id].append(event)  # type: ignore[index]
    for bill_id, events in events_by_bill.items():
        kinds = {e.kind for e in events}
        if "new_bill" in kinds:
            items.append(("new_bills", bill_id, None))
            news += 1
        elif kinds & set(MOVING_EVENTS):
            items.append(("moved", bill_id, None))
            news += 1

    hearings = session.scalars(
        select(Hearing).options(selectinload(Hearing.bills))
        .where(Hearing.start >= now, Hearing.start <= now + HEARING_WINDOW, Hearing.cancelled.is_(False))
        .order_by(Hearing.start)
    )
    for hearing in hearings:
        if any(b.id in approved for b in hearing.bills):
            items.append(("hearings", None, hearing.id))
            news += fresh(hearing.updated_at)

    if not news and not note and not allow_empty:
        raise NothingNew("nothing moved since the last digest" + (f" ({start:%Y-%m-%d %H:%M} UTC)" if start else ""))
    for bill_id in approved:
        items.append(("watch_list", bill_id, None))

    digest = Digest(kind="digest", period_start=start, period_end=end, opening_note=note, status="draft",
                    created_at=now)
    for position, (section, bill_id, hearing_id) in enumerate(items):
        digest.items.append(DigestItem(section=section, position=position, bill_id=bill_id, hearing_id=hearing_id))
    session.add(digest)
    session.flush()
    return digest


@dataclass
class DigestView:
    """Everything needed to build per-member contexts, loaded once per digest."""

    digest: Digest
    bills: dict[int, Bill]
    curations: dict[int, Curation]
    tags: dict[int, list[TagAssessment]]
    events: dict[int, list[ChangeEvent]]
    hearings: dict[int, Hearing]
    items: list[DigestItem] = field(default_factory=list)
    testimony: dict[int, m.TestimonyInfo] = field(default_factory=dict)  # by hearing id


def load_view(session: Session, digest: Digest, config: Config | None = None) -> DigestView:
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
                             .order_by(TagAssessment.score.desc())):
        tags[t.bill_id].append(t)
    query = select(ChangeEvent).where(ChangeEvent.bill_id.in_(bill_ids), ChangeEvent.detected_at <= digest.period_end)
    if digest.period_start:
        query = query.where(ChangeEvent.detected_at > digest.period_start)
    events: dict[int, list[ChangeEvent]] = defaultdict(list)
    for e in session.scalars(query.order_by(ChangeEvent.occurred_at)):
        events[e.bill_id].append(e)  # type: ignore[index]
    testimony = {}
    if config is not None:  # deadline, where to send it and the template, computed while the rows are attached
        from advocacy.opportunities import testimony_info

        testimony = {h.id: testimony_info(session, config, h) for h in hearings.values()}
    return DigestView(digest, bills, curations, tags, events, hearings, items, testimony)


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
    return bill.url or f"{config.collaborative.base_url}/bills/{bill.id}"


def display_number(config: Config, bill: Bill) -> str:
    try:
        style = config.jurisdiction(bill.session.jurisdiction.code).bill_style
    except KeyError:
        style = {}
    return billnum.display(bill.identifier, style)


def bill_item(config: Config, view: DigestView, bill: Bill) -> m.BillItem:
    cur = view.curations.get(bill.id)
    zone = config.collaborative.tz
    actions = sorted(bill.actions, key=lambda a: (a.when, a.order), reverse=True)
    fresh = {e.summary for e in view.events.get(bill.id, [])}
    recent = [a for a in actions if f"{bill.identifier}: {a.description}" in fresh] or actions[:1]
    new_versions = [v for v in bill.versions if any(e.kind == "new_version" and v.name in e.summary
                                                     for e in view.events.get(bill.id, []))]
    return m.BillItem(
        key=f"{bill.session.jurisdiction.code}-{bill.session.identifier}-{bill.identifier}",
        number=display_number(config, bill),
        title=bill.title,
        url=official_url(config, bill),
        status=bill.status,
        status_date=actions[0].when.astimezone(zone).date() if actions else None,
        position=POSITIONS.get(cur.position or "", m.Position.NONE) if cur else m.Position.NONE,
        priority=PRIORITIES.get(cur.priority or "", m.Priority.NORMAL) if cur else m.Priority.NORMAL,
        commentary=cur.commentary if cur else "",
        tag_reasons=tuple(f"{t.label or t.tag}: {'; '.join(t.reasons)}" for t in view.tags.get(bill.id, [])[:2]),
        sponsors=tuple(m.Sponsor(name=s.name, party=s.party, place=s.district) for s in bill.sponsors[:3]),
        committee=bill.committee,
        latest_actions=tuple(
            m.ActionLine(when=a.when.astimezone(zone), description=a.description, chamber=a.chamber,
                         committee=a.committee)
            for a in recent[:3]
        ),
        new_versions=tuple(m.VersionLine(name=v.name, url=v.url if v.url.startswith("http") else "",
                                         when=v.when.astimezone(zone).date() if v.when else None)
                           for v in new_versions),
        tracker_url=f"{config.collaborative.base_url}/bills/{bill.id}",
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
    start, end = next_call(config, now)
    return m.QuestionsCall(start=start, end=end, cutoff=question_cutoff(config, start),
                           title=config.schedule.call_title, join_url=config.schedule.call_join_url)


def member_topics_key(member: Member) -> tuple[str, ...] | None:
    return None if member.topics is None else tuple(sorted(member.topics))


def context_for(config: Config, view: DigestView, topics: tuple[str, ...] | None, now: datetime,
                items_cache: dict[int, m.BillItem] | None = None) -> m.DigestContext | None:
    """The digest as members with these topics see it, or None when none of its items concern them."""
    cache = items_cache if items_cache is not None else {}
    probe = Member(email="", name="", topics=list(topics) if topics is not None else None)

    def item(bill_id: int) -> m.BillItem | None:
        bill = view.bills[bill_id]
        if not wants(probe, [t.tag for t in view.tags.get(bill_id, [])]):
            return None
        if bill_id not in cache:
            cache[bill_id] = bill_item(config, view, bill)
        return cache[bill_id]

    sections: dict[str, list] = {s: [] for s in SECTIONS}
    for it in view.items:
        if it.section == "hearings" and it.hearing_id:
            hearing = view.hearings[it.hearing_id]
            bills = [b for b in (item(b.id) for b in hearing.bills if b.id in view.curations) if b]
            if bills:
                sections["hearings"].append(m.HearingItem(
                    committee=hearing.committee, start=hearing.start.astimezone(config.collaborative.tz),
                    location=hearing.location, chamber=hearing.chamber, bills=tuple(bills),
                    testimony_deadline=hearing.testimony_deadline, url=hearing.url if hearing.url.startswith("http") else "",
                    testimony=view.testimony.get(hearing.id),
                ))
            continue
        if it.bill_id is None:
            continue
        bill_view = item(it.bill_id)
        if bill_view is None:
            continue
        if it.section == "action_needed":
            cur = view.curations[it.bill_id]
            sections["action_needed"].append(m.ActionItem(
                title=f"{bill_view.number}, {bill_view.title}",
                deadline=(cur.alert_deadline or view.digest.period_end + timedelta(days=7)).astimezone(
                    config.collaborative.tz),
                what_to_do=cur.alert_action or "Contact your legislators about this bill.",
                bill=bill_view,
            ))
        else:
            sections[it.section].append(bill_view)
    if not any(sections[s] for s in SECTIONS if s != "watch_list") and not view.digest.opening_note:
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
        tracker_url=f"{config.collaborative.base_url}/bills",
    )


def digest_app_context(app: App, digest_id: int, topics: tuple[str, ...] | None = None) -> m.DigestContext | None:
    with app.sessions() as session:
        digest = session.get(Digest, digest_id)
        if digest is None:
            raise ValueError(f"no digest {digest_id}")
        return context_for(app.config, load_view(session, digest, app.config), topics, app.now())


def _by_topics(config: Config, view: DigestView, renderer: EmailRenderer, now: datetime,
               cache: dict[int, m.BillItem]) -> Callable[[Member], m.RenderedEmail | None]:
    def render(topics: tuple[str, ...] | None) -> m.RenderedEmail | None:
        ctx = context_for(config, view, topics, now, cache)
        return renderer.digest(ctx) if ctx else None

    get = cached(render)
    return lambda member: get(member_topics_key(member))


def send_digest(app: App, digest_id: int, backend: MailBackend, *, resend: Sequence[str] = (),
                progress: Callable[[str], None] | None = None, renderer: EmailRenderer | None = None
                ) -> SendReport:
    """Send a digest to every active member once. A second call refuses unless told whom to resend to."""
    with app.transaction() as session:
        digest = session.get(Digest, digest_id)
        if digest is None:
            raise ValueError(f"no digest {digest_id}")
        if resend:
            unknown = sending.resend_to(session, digest, resend)
            if unknown:
                raise ValueError(f"not members: {', '.join(unknown)}")
        elif digest.status == "sent":
            raise AlreadySent(f"digest {digest_id} was sent on {digest.sent_at:%Y-%m-%d %H:%M} UTC; "
                              "use --resend-to EMAIL to send it again to named members")
        else:
            sending.prepare(session, digest, active_members(session))
        digest.status = "sending"
        view = load_view(session, digest, app.config)
    render = _by_topics(app.config, view, renderer or EmailRenderer(), app.now(), {})
    compose = compose_with(app, render, substitute=MEMBER_TOKEN)
    return sending.send(app, digest_id, backend, compose, progress=progress)


def latest_draft(session: Session) -> Digest | None:
    return session.scalar(select(Digest).where(Digest.kind == "digest", Digest.status.in_(("draft", "sending")))
                          .order_by(Digest.id.desc()))


def preview(app: App, digest_id: int, folder: Path, topics: tuple[str, ...] | None = None) -> dict[str, Path]:
    """Write the digest as members see it (HTML, text and a complete .eml) and return the paths."""
    with app.sessions() as session:
        digest = session.get(Digest, digest_id)
        if digest is None:
            raise ValueError(f"no digest {digest_id}")
        view = load_view(session, digest, app.config)
        ctx = context_for(app.config, view, topics, app.now())
        if ctx is None:
            raise NothingNew(f"digest {digest_id} has nothing for members with topics {topics}")
        rendered = EmailRenderer().digest(ctx)
        sample = Member(id=0, email="preview@example.org", name="Preview")
        message = message_for(app, digest, sample, rendered, substitute=MEMBER_TOKEN)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"digest-{digest_id}" + (f"-{'-'.join(topics)}" if topics else "")
    paths = {"html": folder / f"{stem}.html", "text": folder / f"{stem}.txt", "eml": folder / f"{stem}.eml"}
    paths["html"].write_text(rendered.html.replace(MEMBER_TOKEN, "preview"), encoding="utf-8")
    paths["text"].write_text(f"Subject: {rendered.subject}\n\n{rendered.text}".replace(MEMBER_TOKEN, "preview"),
                             encoding="utf-8")
    paths["eml"].write_bytes(bytes(build_message(message, app.now())))
    return paths
