"""A calendar invitation (iCalendar, METHOD:REQUEST) for a member call, attached to the agenda email."""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event, vCalAddress, vText

from digests.calendar import with_timezones
from digests.message import Address, Attachment
from digests.model import AgendaContext


def call_invite(
    agenda: AgendaContext,
    *,
    uid: str,
    organizer: Address,
    attendee: Address,
    now: datetime,
    sequence: int = 0,
) -> Attachment:
    """An `invite.ics` for `attendee`. Keep `uid` stable per call and raise `sequence` when the call moves."""
    calendar = Calendar()
    calendar.add("prodid", "-//advocacy//member call//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("dtstart", agenda.start)
    event.add("dtend", agenda.end)
    event.add("sequence", sequence)
    event.add("summary", f"{agenda.collaborative.name}: {agenda.title}")
    if agenda.join_url:
        event.add("location", agenda.join_url)
        event.add("url", agenda.join_url)
    description = [item.title for item in agenda.items]
    if agenda.dial_in:
        description.append(f"By phone: {agenda.dial_in}")
    event.add("description", "\n".join(description))
    organizer_address = vCalAddress(f"mailto:{organizer.email}")
    organizer_address.params["cn"] = vText(organizer.name or agenda.collaborative.name)
    event["organizer"] = organizer_address
    attendee_address = vCalAddress(f"mailto:{attendee.email}")
    attendee_address.params["cn"] = vText(attendee.name or attendee.email)
    attendee_address.params["role"] = vText("REQ-PARTICIPANT")
    attendee_address.params["rsvp"] = vText("FALSE")
    event.add("attendee", attendee_address, encode=0)
    calendar.add_component(event)
    return Attachment(
        filename="invite.ics",
        content=with_timezones(calendar, now).to_ical(),
        mime_type="text/calendar",
        params=(("method", "REQUEST"), ("charset", "utf-8")),
    )
