"""Dates and times the way people write them: "Tuesday, Dec 2, 10:00 a.m. ET".

Locale-independent on purpose: the server's locale must not change what members read.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# "EST"/"EDT" -> "ET": members think in the zone, not in daylight saving.
_US_STYLE = re.compile(r"^([A-Z])[SD]T$")


def zone_label(moment: datetime) -> str:
    name = moment.tzname() or ""
    match = _US_STYLE.match(name)
    return f"{match[1]}T" if match else name


def format_date(day: date) -> str:
    """'Dec 2'."""
    return f"{_MONTHS[day.month - 1]} {day.day}"


def format_day(day: date) -> str:
    """'Tuesday, Dec 2'."""
    return f"{_DAYS[day.weekday()]}, {format_date(day)}"


def format_time(moment: datetime) -> str:
    """'10:00 a.m.', 'noon', 'midnight'."""
    if moment.minute == 0 and moment.hour == 12:
        return "noon"
    if moment.minute == 0 and moment.hour == 0:
        return "midnight"
    hour = moment.hour % 12 or 12
    suffix = "a.m." if moment.hour < 12 else "p.m."
    return f"{hour}:{moment.minute:02d} {suffix}"


def localize(moment: datetime, zone: ZoneInfo) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()} cannot be shown in {zone.key}")
    return moment.astimezone(zone)


def format_when(moment: datetime, zone: ZoneInfo) -> str:
    """'Tuesday, Dec 2, 10:00 a.m. ET' in `zone`."""
    local = localize(moment, zone)
    return f"{format_day(local)}, {format_time(local)} {zone_label(local)}"


def format_clock(moment: datetime, zone: ZoneInfo) -> str:
    """'10:00 a.m.' in `zone`, for times on a day already named."""
    return format_time(localize(moment, zone))


def format_period(start: date, end: date) -> str:
    """'Nov 18 – Dec 1, 2025'; both years when the period crosses New Year."""
    if start.year != end.year:
        return f"{format_date(start)}, {start.year} – {format_date(end)}, {end.year}"
    return f"{format_date(start)} – {format_date(end)}, {end.year}"
