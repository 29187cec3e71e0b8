"""A member's calendar feed: upcoming hearings of the bills members are shown (the member's topics, the
member's state), open comment periods (their deadlines) and the member Q&A calls, as one subscribable .ics
(rendered by `digests.calendar`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from advocacy.config import Config
from advocacy.models import Call, Curation, Hearing, Member, TagAssessment
from advocacy.outbound.audience import member_state, reaches
from advocacy.outbound.content import (
    comment_item,
    concerns,
    display_number,
    official_url,
    open_comment_periods,
    shown,
)
from advocacy.outbound.opportunities import testimony_deadline
from advocacy.schedule import next_call
from digests.calendar import CalendarEvent, feed
from digests.timefmt import format_when

HEARING_HOURS = 2  # notices give a start, rarely an end
COMMENT_HOURS = 1  # a comment deadline is shown as the hour that ends at it


def _hearing_events(session: Session, config: Config, member: Member, now: datetime) -> list[CalendarEvent]:
    state = member_state(member)
    hearings = session.scalars(select(Hearing).where(Hearing.start >= now).order_by(Hearing.start)
                               .options(selectinload(Hearing.bills), selectinload(Hearing.jurisdiction)))
    events = []
    for hearing in hearings:
        if not reaches(state, hearing.jurisdiction.code):  # their state's hearings and federal ones
            continue
        bills = [b for b in hearing.bills if _shown_to(session, member, b.id)]
        if not bills:
            continue
        numbers = ", ".join(display_number(config, b) for b in bills)
        lines = [f"{display_number(config, b)}: {b.title} ({official_url(config, b)})" for b in bills]
        if not hearing.cancelled:
            due = testimony_deadline(config, hearing)
            lines.append(f"Written testimony due {format_when(due, config.collaborative.tz)}.")
        if hearing.url:
            lines.append(f"Committee notice: {hearing.url}")
        events.append(CalendarEvent(
            uid=f"hearing-{hearing.id}@{config.email.reply_domain}", start=hearing.start.astimezone(
                config.collaborative.tz), end=(hearing.start + timedelta(hours=HEARING_HOURS)).astimezone(
                config.collaborative.tz), summary=f"{hearing.committee}: {numbers}", location=hearing.location,
            description="\n".join(lines), url=hearing.url if hearing.url.startswith("https://") else "",
            cancelled=hearing.cancelled))
    return events


def _comment_events(session: Session, config: Config, member: Member, now: datetime) -> list[CalendarEvent]:
    """Comment periods still open, each as the hour ending at its deadline (a proposed rule concerns every member
    its jurisdiction reaches: it has no bills, so no topics)."""
    zone, state = config.collaborative.tz, member_state(member)
    events = []
    for period in open_comment_periods(session, now):
        if not reaches(state, period.jurisdiction.code):
            continue
        item = comment_item(config, period)
        lines = [f"{item.due_label} {format_when(item.deadline, zone)}.", item.what_to_do]
        if item.link_url:
            lines.append(f"{item.link_label}: {item.link_url}")
        events.append(CalendarEvent(
            uid=f"comment-{period.id}@{config.email.reply_domain}",
            start=(period.start - timedelta(hours=COMMENT_HOURS)).astimezone(zone), end=item.deadline,
            summary=f"Comment deadline: {period.committee}", location=period.location,
            description="\n".join(lines), url=item.link_url if item.link_url.startswith("https://") else ""))
    return events


def _shown_to(session: Session, member: Member, bill_id: int) -> bool:
    if not shown(session.scalar(select(Curation).where(Curation.bill_id == bill_id))):
        return False
    tags = list(session.scalars(select(TagAssessment.tag).where(TagAssessment.bill_id == bill_id)))
    return concerns(member.topics, tags)


def _call_events(session: Session, config: Config, now: datetime) -> list[CalendarEvent]:
    zone, name = config.collaborative.tz, config.collaborative.name
    calls = list(session.scalars(select(Call).where(Call.starts_at >= now).order_by(Call.starts_at)))
    starts = [(c.starts_at, c.ends_at, c.title or config.schedule.call_title, c.join_url,
               f"call-{c.id}@{config.email.reply_domain}") for c in calls]  # the invite's UID (agenda.invite_uid)
    start, end = next_call(config, now)
    if not any(row.starts_at <= start for row in calls):
        starts.insert(0, (start, end, config.schedule.call_title, config.schedule.call_join_url,
                          f"call-{start:%Y%m%dT%H%M%z}@{config.email.reply_domain}"))
    return [CalendarEvent(uid=uid, start=s.astimezone(zone), end=e.astimezone(zone), summary=f"{name}: {title}",
                          location=join, url=join if join.startswith("https://") else "",
                          description="Reply to any of our emails with a question for the call.")
            for s, e, title, join, uid in starts]


def member_feed(session: Session, config: Config, member: Member, now: datetime) -> bytes:
    """The member's .ics: hearings, comment deadlines and calls, in time order, each with a stable UID."""
    events = (_hearing_events(session, config, member, now) + _comment_events(session, config, member, now)
              + _call_events(session, config, now))
    return feed(f"{config.collaborative.name}: hearings and calls", sorted(events, key=lambda e: e.start), now=now)
