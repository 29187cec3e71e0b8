"""Urgent alerts between digests: an action the advocate flagged, or a hearing just scheduled for a high-priority bill.

Each alert is a `Mailing` of kind "alert" whose `key` names the bill and the event (`alert:{bill}:{deadline}`,
`hearing:{change event key}`), so a bill gets at most one alert per event however often this runs. It goes to
members who accept alerts and follow one of the bill's topics, and never more than
`email.alerts_per_member_per_day` to one member in a day of the collaborative's zone: the rest are recorded as
"deferred" and wait for the digest, which shows the same action and hearing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from advocacy.app import App
from advocacy.config import Config
from advocacy.models import (
    Bill,
    ChangeEvent,
    Curation,
    Delivery,
    Hearing,
    HearingBill,
    LegislativeSession,
    Mailing,
    MailingItem,
    Member,
    TagAssessment,
)
from advocacy.outbound import sending
from advocacy.outbound.acted import AlreadyReminded, acted_url, remind_not_acted
from advocacy.outbound.audience import bill_state, member_state, reaches
from advocacy.outbound.content import (
    MEMBER_TOKEN,
    action_item,
    bill_item,
    collaborative,
    concerns,
    footer,
    hearing_item,
    shown,
)
from advocacy.outbound.opportunities import call_to_action, testimony_info
from advocacy.outbound.outgoing import message_for
from advocacy.outbound.sending import SendReport, Skip
from advocacy.people.members import active_members
from digests import model as m
from digests.channels.email import MailBackend
from digests.message import OutgoingMessage
from digests.render import EmailRenderer
from digests.timefmt import format_when

DEFERRED = "waiting for the digest"
# Deliveries that count against a member's daily allowance: everything that went, or may still go, out.
_COUNTED = ("pending", "sending", "sent", "interrupted")


log = logging.getLogger("advocacy.outbound.alerts")


def action_key(bill_id: int, deadline: datetime) -> str:
    return f"alert:{bill_id}:{deadline.astimezone(UTC):%Y-%m-%dT%H:%MZ}"


def _create(session: Session, key: str, bill_id: int, now: datetime, item: MailingItem) -> Mailing | None:
    if session.scalar(select(Mailing.id).where(Mailing.key == key)) is not None:
        return None
    digest = Mailing(kind="alert", key=key, bill_id=bill_id, period_end=now, status="draft", created_at=now)
    digest.items.append(item)
    try:
        with session.begin_nested():  # another process may have made the same alert a moment ago
            session.add(digest)
    except IntegrityError:
        return None
    return digest


def create_alerts(session: Session, config: Config, now: datetime) -> list[Mailing]:
    """The alerts that are due and not made yet: one per bill per event. Safe to call as often as you like."""
    created: list[Mailing] = []
    flagged = session.scalars(
        select(Curation).where(Curation.alert.is_(True), Curation.status != "dismissed",
                               Curation.alert_deadline > now).order_by(Curation.alert_deadline, Curation.bill_id)
    )
    for cur in flagged:
        assert cur.alert_deadline is not None
        digest = _create(session, action_key(cur.bill_id, cur.alert_deadline), cur.bill_id, now, MailingItem(section="action_needed", bill_id=cur.bill_id))
        if digest:
            created.append(digest)

    within = timedelta(days=config.email.alert_hearing_within_days)
    if within:
        events = session.execute(
            select(ChangeEvent, Hearing)
            .join(Hearing, Hearing.id == ChangeEvent.hearing_id)
            .join(Curation, Curation.bill_id == ChangeEvent.bill_id)
            .where(ChangeEvent.kind == "bill_hearing", Hearing.cancelled.is_(False),
                   Hearing.start > now, Hearing.start <= now + within,
                   # newly scheduled: an old notice does not become an alert when its day comes near
                   ChangeEvent.detected_at >= now - within,
                   Curation.status == "approved", Curation.priority == "high")
            .order_by(Hearing.start, ChangeEvent.id)
        ).all()
        for event, hearing in events:
            if event.occurred_at != hearing.start:
                continue  # the event of a date the hearing has since moved from
            assert event.bill_id is not None
            digest = _create(session, f"hearing:{event.key}", event.bill_id, now,
                             MailingItem(section="hearings", bill_id=event.bill_id, hearing_id=hearing.id))
            if digest:
                created.append(digest)
    session.flush()
    return created


@dataclass(frozen=True)
class AlertContent:
    context: m.AlertContext | None
    topics: list[str]
    stale: str = ""  # why the alert no longer stands (withdrawn, past), when it does not


def alert_content(session: Session, config: Config, digest: Mailing, now: datetime) -> AlertContent:
    """What the alert says, built from the bill and hearing as they are now."""
    item = digest.items[0]
    bill = session.scalar(
        select(Bill).options(selectinload(Bill.sponsors), selectinload(Bill.actions), selectinload(Bill.versions),
                             selectinload(Bill.session).selectinload(LegislativeSession.jurisdiction))
        .where(Bill.id == item.bill_id)
    )
    assert bill is not None
    cur = session.scalar(select(Curation).where(Curation.bill_id == bill.id))
    tags = list(session.scalars(select(TagAssessment).where(TagAssessment.bill_id == bill.id)
                                .order_by(TagAssessment.score.desc(), TagAssessment.tag)))
    topics = [t.tag for t in tags]
    if not shown(cur):
        return AlertContent(None, topics, "the advocate no longer follows this bill")
    assert cur is not None
    zone = config.collaborative.tz
    view = bill_item(config, bill, cur, tags, [])
    common = {"collaborative": collaborative(config), "footer": footer(config),
              "base_url": config.collaborative.base_url, "note": cur.commentary, "bills": (view,)}
    if item.section == "action_needed":
        if not cur.alert or cur.alert_deadline is None or digest.key != action_key(cur.bill_id, cur.alert_deadline):
            return AlertContent(None, topics, "the advocate withdrew or changed this action alert")
        if cur.alert_deadline <= now:
            return AlertContent(None, topics, "the deadline has passed")
        headline = f"{view.number}: act by {format_when(cur.alert_deadline, zone)}"
        coming = next_hearing(session, bill.id, now)  # the member needs its day, room and deadline to act
        heard = hearing_item(config, coming, [view], testimony_info(session, config, coming, bill)) if coming else None
        return AlertContent(m.AlertContext(headline=headline, actions=(action_item(config, cur, view),),
                                           hearing=heard, **common), topics)
    hearing = session.get(Hearing, item.hearing_id)
    if hearing is None or hearing.cancelled:
        return AlertContent(None, topics, "the hearing was cancelled")
    if hearing.start <= now:
        return AlertContent(None, topics, "the hearing has started")
    headline = f"{view.number} gets a hearing {format_when(hearing.start, zone)}"
    if hearing.testimony_deadline and hearing.testimony_deadline > now:
        headline += f"; testimony due {format_when(hearing.testimony_deadline, zone)}"

    return AlertContent(m.AlertContext(headline=headline, hearing=hearing_item(
        config, hearing, [view], testimony_info(session, config, hearing, bill)), **common), topics)


def next_hearing(session: Session, bill_id: int, now: datetime) -> Hearing | None:
    """The bill's next hearing that will take place, if one is scheduled."""
    return session.scalar(select(Hearing).join(HearingBill, HearingBill.hearing_id == Hearing.id)
                          .where(HearingBill.bill_id == bill_id, Hearing.start > now, Hearing.cancelled.is_(False))
                          .order_by(Hearing.start).limit(1))


def local_day(config: Config, now: datetime) -> tuple[datetime, datetime]:
    """The collaborative's calendar day around `now`, as an interval of instants."""
    zone = config.collaborative.tz
    day = now.astimezone(zone).date()
    start = datetime.combine(day, time(0), zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), zone)


def alerts_today(session: Session, config: Config, now: datetime, exclude: int | None = None) -> dict[int, int]:
    """Alerts each member has received (or will) today, in the collaborative's zone."""
    start, end = local_day(config, now)
    query = (
        select(Delivery.member_id, func.count(Delivery.id)).join(Mailing, Mailing.id == Delivery.mailing_id)
        .where(Mailing.kind == "alert", Delivery.created_at >= start, Delivery.created_at < end,
               Delivery.status.in_(_COUNTED) | ((Delivery.status == "failed") & Delivery.permanent.is_(False)))
        .group_by(Delivery.member_id)
    )
    if exclude is not None:
        query = query.where(Delivery.mailing_id != exclude)
    return {member_id: count for member_id, count in session.execute(query)}


def _recipients(session: Session, config: Config, digest: Mailing, topics: list[str], now: datetime
                ) -> tuple[list[Member], Callable[[Member], tuple[str, str]]]:
    state = bill_state(session, digest.items[0].bill_id)  # members of that state (and of none known) get it
    members = [mem for mem in active_members(session, alerts=True)
               if concerns(mem.topics, topics) and reaches(member_state(mem), state)]
    today = alerts_today(session, config, now, exclude=digest.id)
    cap = config.email.alerts_per_member_per_day

    def decide(member: Member) -> tuple[str, str]:
        if today.get(member.id, 0) >= cap:
            return "deferred", f"{DEFERRED} ({cap} alert(s) a day at most)"
        return "pending", ""

    return members, decide


def send_alert(app: App, mailing_id: int, backend: MailBackend, renderer: EmailRenderer,
               progress: Callable[[str], None] | None = None) -> SendReport:
    """Send one alert to the members it concerns, once (a re-run resumes); a stale alert is skipped.
    The send lease is held from before the recipients are written."""
    with sending.lease(app, mailing_id, f"alert {mailing_id}"):
        return _send_alert(app, mailing_id, backend, renderer, progress)


def _send_alert(app: App, mailing_id: int, backend: MailBackend, renderer: EmailRenderer,
                progress: Callable[[str], None] | None) -> SendReport:
    now = app.now()
    with app.transaction() as session:
        digest = session.get(Mailing, mailing_id)
        if digest is None or digest.kind != "alert":
            raise ValueError(f"no alert {mailing_id}")
        content = alert_content(session, app.config, digest, now)
        if content.context is None:
            digest.status = "skipped"
            session.execute(update(Delivery).where(Delivery.mailing_id == mailing_id, Delivery.status == "pending")
                            .values(status="skipped", error=content.stale))
            report = SendReport(mailing_id, kind="alert")
            report.skipped = sending.counts(session, mailing_id).get("skipped", 0)
            return report
        rendered = renderer.alert(content.context)
        if digest.status == "draft":
            members, decide = _recipients(session, app.config, digest, content.topics, now)
            sending.prepare(session, digest, members, now, decide)
            digest.status = "sending"
        digest.subject = rendered.subject

    compose = _personal(app, renderer, content.context, digest.items[0], alert_id=mailing_id)
    # every alert is personal (own legislators, own link): one request per member, so a crash costs one
    return sending.send(app, mailing_id, backend, compose, key=lambda member: member.id, progress=progress,
                        leased=True)


def _personal(app: App, renderer: EmailRenderer, context: m.AlertContext, item: MailingItem, *, alert_id: int,
              headline_prefix: str = "") -> Callable[[Mailing, Member], OutgoingMessage]:
    """Each member's own legislators, the committee sentence when true, and their "I contacted them" link
    (always for the original alert, so acting on a reminder counts for the alert)."""

    def compose(email: Mailing, member: Member) -> OutgoingMessage:
        if not member.alerts:
            raise Skip("the member turned alerts off")
        with app.sessions() as session:
            member = session.get(Member, member.id)  # type: ignore[assignment]
            bill = session.get(Bill, item.bill_id)
            hearing = session.get(Hearing, item.hearing_id) if item.hearing_id else None
            assert member is not None and bill is not None
            url = acted_url(app.config.collaborative.base_url, app.signing_key, alert_id, member.id)
            cta = call_to_action(session, app.config, member, bill, hearing, acted_url=url)
        for warning in cta.warnings:
            log.warning("alert %s: %s", alert_id, warning)
        personal = renderer.alert(replace(context, call=cta.call, headline=headline_prefix + context.headline))
        return message_for(app, email, member, personal, substitute=MEMBER_TOKEN, reply_mailing_id=alert_id)

    return compose


def send_reminder(app: App, alert_id: int, backend: MailBackend, *, renderer: EmailRenderer | None = None
                  ) -> SendReport:
    """The one reminder of an alert, to members of the districts that have not acted yet. Raises
    `advocacy.outbound.acted.AlreadyReminded` the second time and `NothingToRemind` when every district acted."""

    with sending.lease(app, f"reminder-of:{alert_id}", f"the reminder of alert {alert_id}"):
        return _send_reminder(app, alert_id, backend, renderer or EmailRenderer())


def _send_reminder(app: App, alert_id: int, backend: MailBackend, renderer: EmailRenderer) -> SendReport:
    now = app.now()
    key = f"reminder-of:{alert_id}"
    with app.transaction() as session:
        alert = session.get(Mailing, alert_id)
        if alert is None or alert.kind != "alert":
            raise ValueError(f"no alert {alert_id}")
        content = alert_content(session, app.config, alert, now)
        if content.context is None:
            raise ValueError(f"alert {alert_id} no longer stands: {content.stale}")
        reminder = session.scalar(select(Mailing).where(Mailing.key == key))
        if reminder is not None and reminder.status == "sent":
            raise AlreadyReminded(f"alert {alert_id} was already reminded on {reminder.sent_at:%Y-%m-%d %H:%M} UTC")
        if reminder is None:  # a crashed reminder is resumed below, never recorded twice
            who = remind_not_acted(session, alert_id, now)
            item = alert.items[0]
            reminder = Mailing(kind="reminder", key=key, bill_id=alert.bill_id, period_end=now, status="sending",
                              subject=who.subject, created_at=now)
            reminder.items.append(MailingItem(section=item.section, bill_id=item.bill_id, hearing_id=item.hearing_id))
            session.add(reminder)
            session.flush()
            sending.prepare(session, reminder, list(who.members), now)
        reminder_id, item = reminder.id, alert.items[0]
    compose = _personal(app, renderer, content.context, item, alert_id=alert_id, headline_prefix="Reminder: ")
    return sending.send(app, reminder_id, backend, compose, key=lambda member: member.id)


def pending_alerts(session: Session) -> list[int]:
    return list(session.scalars(select(Mailing.id).where(Mailing.kind == "alert",
                                                        Mailing.status.in_(("draft", "sending")))
                                .order_by(Mailing.created_at, Mailing.id)))


def send_alerts(app: App, backend: MailBackend, *, renderer: EmailRenderer | None = None,
                progress: Callable[[str], None] | None = None) -> list[SendReport]:
    """Send every alert not sent yet, oldest first, so the daily allowance goes to the earliest news."""
    renderer = renderer or EmailRenderer()
    with app.sessions() as session:
        ids = pending_alerts(session)
    return [send_alert(app, mailing_id, backend, renderer, progress) for mailing_id in ids]


@dataclass(frozen=True)
class AlertRow:
    id: int
    key: str
    status: str
    subject: str
    created_at: datetime
    counts: dict[str, int]


def list_alerts(session: Session, limit: int = 50) -> list[AlertRow]:
    rows = session.scalars(select(Mailing).where(Mailing.kind == "alert")
                           .order_by(Mailing.created_at.desc(), Mailing.id.desc()).limit(limit))
    return [AlertRow(d.id, d.key or "", d.status, d.subject, d.created_at, sending.counts(session, d.id))
            for d in rows]
