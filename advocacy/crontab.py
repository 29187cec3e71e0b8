"""Crontab expressions read the way cron reads them (APScheduler 3 numbers weekdays from Monday = 0)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field (0 or 7 = Sunday) as weekday names.

    APScheduler 3 reads day-of-week numbers with 0 = Monday (its documented historical mistake), so "1-5"
    passed through unchanged would mean Tuesday to Saturday. Names mean the same to both.
    """
    if field == "*":
        return field
    days: set[int] = set()
    for part in field.lower().split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1

        def number(token: str) -> int:
            value = CRON_DAYS.index(token[:3]) if token[:3] in CRON_DAYS else int(token)
            if not 0 <= value <= 7:
                raise ValueError(f"day of week {token!r} is out of range (0-7, or sun..sat)")
            return value

        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            low, high = base.split("-", 1)
            first, last = number(low), number(high)
        else:
            first = number(base)
            last = 6 if step_text else first
        days.update(d % 7 for d in range(first, last + 1, step))
    return ",".join(CRON_DAYS[d] for d in sorted(days))


def crontab_trigger(expr: str, timezone: str) -> CronTrigger:
    """A standard five-field crontab expression, read the way cron reads it, in the given zone."""
    minute, hour, day, month, day_of_week = expr.split()
    return CronTrigger(minute=minute, hour=hour, day=day, month=month,
                       day_of_week=_crontab_weekdays(day_of_week), timezone=ZoneInfo(timezone))
