"""Who acted on an action alert: a signed "I contacted them" link, a reply of "done", and one reminder.

An alert is a `Mailing` of kind "alert"; its recipients are the members with a delivery for it. A district has
acted when any of its members said so. The reminder is written (`AlertReminder`) before it is sent, so an alert
never gets two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from advocacy.models import ActionTaken, AlertReminder, Delivery, Mailing, Member
from advocacy.tokens import Secret, TokenError, sign, unsign

PURPOSE = "acted"
HOW = ("click", "reply")
# A reply that starts by saying it is done: "Done", "done!", "Done - called both offices", "I contacted them".
_DONE = re.compile(
    r"^\s*(?:(?:all\s+)?done|did\s+it|called(?:\s+(?:them|both|him|her|my\s+\w+))?"
    r"|contacted(?:\s+(?:them|both|him|her))?|i\s+(?:have\s+|just\s+)?(?:contacted|called|emailed)\s+\w+"
    r"|(?:we|i)\s+did)\b(?![^\n]*\?)",
    re.IGNORECASE,
)
_NEGATED = re.compile(r"^\s*(?:not|never|haven't|have not|didn't|did not)\b", re.IGNORECASE)


class AlreadyReminded(Exception):
    pass


class NothingToRemind(Exception):
    pass


def acted_token(secret: Secret, alert_id: int, member_id: int) -> str:
    return sign(secret, PURPOSE, [alert_id, member_id])


def acted_url(base_url: str, secret: Secret, alert_id: int, member_id: int) -> str:
    """The "I contacted them" link of one member's alert; the web app routes `/a/{token}` to
    `handle_acted_link`."""
    return f"{base_url.rstrip('/')}/a/{acted_token(secret, alert_id, member_id)}"


def read_acted_token(secret: Secret, token: str) -> tuple[int, int]:
    """(alert id, member id); TokenError when tampered with or made for another purpose."""
    value = unsign(secret, PURPOSE, token)
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value)):
        raise TokenError("acted token carries no alert and member")
    return value[0], value[1]


def record_action(session: Session, alert_id: int, member: Member, how: str, now: datetime) -> bool:
    """Record that `member` acted on the alert. True when new; a second click or reply changes nothing."""
    if how not in HOW:
        raise ValueError(f"how must be one of {', '.join(HOW)}, not {how!r}")
    if session.get(Mailing, alert_id) is None:
        raise ValueError(f"no alert {alert_id}")
    query = select(ActionTaken).where(ActionTaken.mailing_id == alert_id, ActionTaken.member_id == member.id)
    if session.scalar(query) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(ActionTaken(mailing_id=alert_id, member_id=member.id, district_id=member.district_id,
                                    how=how, at=now))
    except IntegrityError:  # the same member clicked twice at once: the other request recorded it
        return False
    return True


@dataclass(frozen=True)
class ActedPage:
    """What the web app shows after a click on the link."""

    ok: bool
    message: str
    alert_id: int | None = None
    member_id: int | None = None
    new: bool = False


def handle_acted_link(session: Session, secret: Secret, token: str, now: datetime) -> ActedPage:
    """The `/a/{token}` handler's work: verify, record once, and say thank you (or why not)."""
    try:
        alert_id, member_id = read_acted_token(secret, token)
    except TokenError:
        return ActedPage(False, "This link is not valid. Reply to the alert email with \"done\" instead.")
    member = session.get(Member, member_id)
    if member is None or session.get(Mailing, alert_id) is None:
        return ActedPage(False, "This alert or member no longer exists.", alert_id, member_id)
    new = record_action(session, alert_id, member, "click", now)
    district = member.district.name if member.district else "your district"
    message = (f"Thank you: we recorded that {district} contacted its legislators." if new
               else f"Thank you: we had already recorded that {district} contacted its legislators.")
    return ActedPage(True, message, alert_id, member_id, new)


class Reply(Protocol):
    """What the intake has read of a reply (`advocacy.inbound.replies.ParsedReply`)."""

    text: str
    auto_reply: bool


def is_done_reply(text: str) -> bool:
    """Whether a reply's own text (quotes and signature already removed) says the member acted."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return bool(first) and not _NEGATED.match(first) and bool(_DONE.match(first))


def record_done_reply(session: Session, parsed: Reply, mailing_id: int, member: Member, now: datetime) -> bool:
    """For the reply intake: a "done" reply to an alert records the member's action. True when recorded."""
    if parsed.auto_reply or not is_done_reply(parsed.text):
        return False
    digest = session.get(Mailing, mailing_id)
    if digest is None or digest.kind != "alert":
        return False
    return record_action(session, mailing_id, member, "reply", now)


@dataclass
class ActedReport:
    alert_id: int
    acted: list[str] = field(default_factory=list)  # district names
    not_acted: list[str] = field(default_factory=list)
    without_district: list[str] = field(default_factory=list)  # recipients in no district (emails)
    reminded_at: datetime | None = None

    def lines(self) -> list[str]:
        out = [f"alert {self.alert_id}: {len(self.acted)} district(s) acted, {len(self.not_acted)} not yet"]
        out += [f"  acted:     {name}" for name in self.acted]
        out += [f"  not yet:   {name}" for name in self.not_acted]
        out += [f"  no district: {email}" for email in self.without_district]
        if self.reminded_at:
            out.append(f"  reminder sent {self.reminded_at:%Y-%m-%d %H:%M} UTC")
        return out


def recipients(session: Session, alert_id: int) -> list[Member]:
    """The members the alert went to (every delivery that was not a permanent failure)."""
    query = (select(Member).join(Delivery, Delivery.member_id == Member.id)
             .where(Delivery.mailing_id == alert_id, Delivery.status.in_(("sent", "sending", "pending")))
             .order_by(Member.id))
    return list(session.scalars(query))


def acted_report(session: Session, alert_id: int) -> ActedReport:
    if session.get(Mailing, alert_id) is None:
        raise ValueError(f"no alert {alert_id}")
    acted_members = set(session.scalars(select(ActionTaken.member_id).where(ActionTaken.mailing_id == alert_id)))
    districts: dict[str, bool] = {}
    report = ActedReport(alert_id)
    for member in recipients(session, alert_id):
        if member.district is None:
            report.without_district.append(member.email)
            continue
        districts[member.district.name] = districts.get(member.district.name, False) or member.id in acted_members
    report.acted = sorted(name for name, done in districts.items() if done)
    report.not_acted = sorted(name for name, done in districts.items() if not done)
    reminder = session.get(AlertReminder, alert_id)
    report.reminded_at = reminder.created_at if reminder else None
    return report


@dataclass(frozen=True)
class Reminder:
    alert_id: int
    subject: str
    members: tuple[Member, ...]
    districts: tuple[str, ...]


def remind_not_acted(session: Session, alert_id: int, now: datetime) -> Reminder:
    """The one reminder of an alert, to the members of districts that have not acted. Recorded before sending:
    a second call raises AlreadyReminded; when every district acted, NothingToRemind."""
    digest = session.get(Mailing, alert_id)
    if digest is None:
        raise ValueError(f"no alert {alert_id}")
    existing = session.get(AlertReminder, alert_id)
    if existing is not None:
        raise AlreadyReminded(f"alert {alert_id} was already reminded on {existing.created_at:%Y-%m-%d %H:%M} UTC")
    report = acted_report(session, alert_id)
    pending = set(report.not_acted)
    members = tuple(m for m in recipients(session, alert_id)
                    if m.district is not None and m.district.name in pending
                    and m.unsubscribed_at is None and not m.paused and m.alerts)
    if not members:
        raise NothingToRemind(f"alert {alert_id}: every district has acted")
    try:
        with session.begin_nested():
            session.add(AlertReminder(mailing_id=alert_id, created_at=now, member_ids=[m.id for m in members]))
    except IntegrityError as exc:
        raise AlreadyReminded(f"alert {alert_id} is being reminded by another process") from exc
    subject = f"Reminder: {digest.subject}" if digest.subject else f"Reminder: alert {alert_id}"
    return Reminder(alert_id, subject, members, tuple(sorted(pending)))
