"""The collaborative's calendar: when digests go out, when calls happen, when questions close.

All arithmetic is in the collaborative's zone, so a 10 a.m. call stays at 10 a.m. across daylight-saving changes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from advocacy.config import Config


def _next_slot(first: datetime, every_days: int, after: datetime, config: Config) -> datetime:
    tz = config.collaborative.tz
    local_after = after.astimezone(tz)
    first_local = first.replace(tzinfo=tz)
    if local_after < first_local:
        return first_local
    periods = (local_after.date() - first_local.date()).days // every_days
    candidate = (first + timedelta(days=periods * every_days)).replace(tzinfo=tz)
    while candidate <= local_after:
        candidate = (candidate.replace(tzinfo=None) + timedelta(days=every_days)).replace(tzinfo=tz)
    return candidate


def next_digest(config: Config, after: datetime) -> datetime:
    """The first digest slot strictly after `after`."""
    s = config.schedule
    return _next_slot(s.digest_first, s.digest_every_days, after, config)


def previous_digest(config: Config, at: datetime) -> datetime | None:
    s = config.schedule
    candidate = next_digest(config, at)
    prev = (candidate.replace(tzinfo=None) - timedelta(days=s.digest_every_days))
    if prev < s.digest_first:
        return None
    return prev.replace(tzinfo=config.collaborative.tz)


def next_call(config: Config, after: datetime) -> tuple[datetime, datetime]:
    """(start, end) of the first call starting strictly after `after`."""
    s = config.schedule
    start = _next_slot(s.call_first, s.call_every_days, after, config)
    return start, start + timedelta(minutes=s.call_minutes)


def question_cutoff(config: Config, call_start: datetime) -> datetime:
    return call_start - timedelta(hours=config.schedule.question_cutoff_hours)


def agenda_due(config: Config, call_start: datetime) -> datetime:
    return call_start - timedelta(days=config.schedule.agenda_lead_days)
