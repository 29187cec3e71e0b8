"""Member Q&A calls as rows: one per scheduled slot (made on first need) or created by hand.

A call's row is what questions and the agenda hang on. Scheduled calls come from `advocacy.schedule`; a call
created by hand (a special session, a moved date) is just another row, and the next call is whichever comes
first.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from advocacy.config import Config
from advocacy.models import Call, Mailing
from advocacy.schedule import next_call


def slot(config: Config, start: datetime, *, minutes: int | None = None, title: str | None = None,
         join_url: str | None = None) -> Call:
    """The call a scheduled slot would be, with the schedule's defaults: unsaved (its `id` is None)."""
    s = config.schedule
    return Call(starts_at=start, ends_at=start + timedelta(minutes=minutes or s.call_minutes),
                title=title if title is not None else s.call_title,
                join_url=join_url if join_url is not None else s.call_join_url, agenda_sequence=0)


def ensure_call(session: Session, config: Config, start: datetime, *, minutes: int | None = None,
                title: str | None = None, join_url: str | None = None) -> Call:
    """The call starting at `start`, created with the schedule's defaults when there is none yet."""
    found = session.scalar(select(Call).where(Call.starts_at == start))
    if found is not None:
        return found
    call = slot(config, start, minutes=minutes, title=title, join_url=join_url)
    try:
        with session.begin_nested():  # another process may create the same slot at the same moment
            session.add(call)
            session.flush()
    except IntegrityError:
        found = session.scalar(select(Call).where(Call.starts_at == start))
        assert found is not None
        return found
    return call


def saved(session: Session, config: Config, call: Call) -> Call:
    """The call's row: itself when saved, else the row made now for its slot."""
    return call if call.id is not None else ensure_call(session, config, call.starts_at)


def peek_upcoming(session: Session, config: Config, after: datetime) -> Call:
    """The first call starting strictly after `after` as it would be, writing nothing: a row (made by hand or
    earlier), or the next scheduled slot unsaved."""
    start, _ = next_call(config, after)
    made = session.scalar(select(Call).where(Call.starts_at > after).order_by(Call.starts_at).limit(1))
    if made is not None and made.starts_at <= start:
        return made
    return slot(config, start)  # the first row is later than the slot, so the slot has no row


def upcoming(session: Session, config: Config, after: datetime) -> Call:
    """The first call starting strictly after `after`: a row made by hand, or the next scheduled slot's row."""
    return saved(session, config, peek_upcoming(session, config, after))


def previous(session: Session, config: Config, call: Call) -> datetime:
    """When the call before this one started (a row, or the schedule's slot before), for 'since the last call'."""
    row = session.scalar(select(Call.starts_at).where(Call.starts_at < call.starts_at)
                         .order_by(Call.starts_at.desc()).limit(1))
    if row is not None:
        return row
    local = call.starts_at.astimezone(config.collaborative.tz).replace(tzinfo=None)
    return (local - timedelta(days=config.schedule.call_every_days)).replace(tzinfo=config.collaborative.tz)


def peek_on(session: Session, config: Config, day: date) -> Call | None:
    """The call on this local date as it would be, writing nothing: a row, or the scheduled slot unsaved."""
    tz = config.collaborative.tz
    start = datetime.combine(day, time.min, tz)
    end = start + timedelta(days=1)
    found = session.scalar(select(Call).where(Call.starts_at >= start, Call.starts_at < end).order_by(Call.starts_at))
    if found is not None:
        return found
    when, _ = next_call(config, start - timedelta(microseconds=1))
    return slot(config, when) if when.astimezone(tz).date() == day else None


def call_on(session: Session, config: Config, day: date) -> Call | None:
    """The call on this local date: an existing row, or the row of the scheduled slot that falls on it."""
    found = peek_on(session, config, day)
    return None if found is None else saved(session, config, found)


def missed(call: Call, at: datetime) -> bool:
    """Whether a question arriving at `at` is too late for this call: its agenda went out, or it started."""
    return at >= call.starts_at or (call.agenda_sent_at is not None and at >= call.agenda_sent_at)


def call_for_reply(session: Session, config: Config, digest: Mailing | None, received_at: datetime
                   ) -> tuple[Call, bool]:
    """The call a reply's questions belong to, and whether they are late.

    A reply to an agenda is for that agenda's call; a reply to a digest is for the first call after the digest
    went out. A question that missed that call (its agenda was sent, or it already happened) is kept for the
    next call that it can still make, and marked late.
    """
    intended: Call | None = None
    if digest is not None and digest.kind == "agenda" and digest.call_id is not None:
        intended = session.get(Call, digest.call_id)
    if intended is None:
        anchor = (digest.sent_at or digest.created_at) if digest is not None else received_at
        intended = upcoming(session, config, min(anchor, received_at))
    target = intended
    while missed(target, received_at):
        target = upcoming(session, config, target.starts_at)
    return target, target is not intended
