"""iCalendar (RFC 5545) output: a member's subscribed feed and the call invitation share these helpers.

Every local time is written with its TZID and the calendar carries the matching VTIMEZONE (RFC 5545 3.8.3.1
requires one for each TZID used; Outlook refuses events without it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from icalendar import Calendar, Event

# VTIMEZONE rules are written for this span around the events: short files, valid for any date shown.
_YEARS_BEFORE, _YEARS_AFTER = 1, 3


@dataclass(frozen=True)
class CalendarEvent:
    uid: str  # stable per hearing or call, so an updated feed moves the event instead of adding one
    start: datetime  # aware, in the zone the event is held in
    end: datetime
    summary: str
    location: str = ""
    description: str = ""
    url: str = ""
    cancelled: bool = False


def with_timezones(calendar: Calendar, around: datetime) -> Calendar:
    """Add a VTIMEZONE for every TZID the calendar uses, covering a few years around `around`."""
    calendar.add_missing_timezones(first_date=date(around.year - _YEARS_BEFORE, 1, 1),
                                   last_date=date(around.year + _YEARS_AFTER, 12, 31))
    return calendar


def feed(name: str, events: Sequence[CalendarEvent], *, now: datetime) -> bytes:
    """A subscribable calendar (METHOD:PUBLISH) of `events`."""
    calendar = Calendar()
    calendar.add("prodid", "-//advocacy//member calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", now)
        event.add("dtstart", item.start)
        event.add("dtend", item.end)
        event.add("summary", item.summary)
        if item.location:
            event.add("location", item.location)
        if item.description:
            event.add("description", item.description)
        if item.url:
            event.add("url", item.url)
        event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
        calendar.add_component(event)
    return with_timezones(calendar, now).to_ical()
