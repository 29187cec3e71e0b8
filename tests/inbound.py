"""Shared personas, bills and reply emails for the intake, webhook, IMAP and agenda tests."""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from advocacy.app import App
from advocacy.collect.ingest import Store, ensure_jurisdiction
from advocacy.models import Bill, Curation, District, Mailing, MailingItem, Member, MemberAlias
from advocacy.outbound.outgoing import reply_address
from tests.factories import et, funding_bill
from vocabulary.records import ActionRecord, BillRecord

# (email, name, district, aliases)
PEOPLE = (
    ("rivera@cedarfalls.example.org", "Dr. Ana Rivera", "Cedar Falls City Schools", ("ana.rivera@home.example.net",)),
    ("okafor@riverbend.example.org", "Tom Okafor", "Riverbend Local Schools", ()),
    ("lindqvist@oakhollow.example.org", "Greta Lindqvist", "Oak Hollow Local Schools", ()),
)


def add_members(session: Session) -> dict[str, Member]:
    out = {}
    for address, name, district_name, aliases in PEOPLE:
        district = District(name=district_name, jurisdiction="OH")
        member = Member(email=address, name=name, district=district,
                        aliases=[MemberAlias(email=a) for a in aliases])
        session.add(member)
        out[address] = member
    session.flush()
    return out


def literacy_bill() -> BillRecord:
    return funding_bill(identifier="HB 58", title="Fund literacy coaches in K-3 classrooms",
                        url="https://www.legislature.ohio.gov/legislation/136/hb58")


def calendar_bill() -> BillRecord:
    return funding_bill(identifier="SB 22", title="Allow a four-day school week",
                        url="https://www.legislature.ohio.gov/legislation/136/sb22")


def store_bills(session: Session, now: datetime, *records: BillRecord, session_id: str | None = None) -> dict[str, Bill]:
    oh = ensure_jurisdiction(session, "OH", "Ohio", "America/New_York")
    store = Store(session, oh, source="test", now=now)
    out = {}
    for record in records:
        if session_id:
            record = BillRecord(**{**record.__dict__, "session": session_id})
        _, bill = store.store_bill(record)
        out[record.identifier] = bill
    session.flush()
    return out


def approve(session: Session, bill: Bill, priority: str = "medium", *, alert: bool = False, now: datetime) -> None:
    session.add(Curation(bill_id=bill.id, status="approved", priority=priority, alert=alert, position="support",
                         changed_at=now, updated_at=now))
    session.flush()


def move_bill(session: Session, now: datetime, record: BillRecord, description: str) -> None:
    """A new action on a stored bill, detected at `now` (a change event of kind new_action)."""
    oh = ensure_jurisdiction(session, "OH", "Ohio", "America/New_York")
    moved = BillRecord(**{**record.__dict__,
                          "actions": record.actions + (ActionRecord(now, description, chamber="House"),)})
    Store(session, oh, source="test", now=now).store_bill(moved)
    session.flush()


def sent_digest(session: Session, now: datetime, bills: list[Bill] = ()) -> Mailing:  # type: ignore[assignment]
    digest = Mailing(kind="digest", period_end=now, status="sent", sent_at=now, created_at=now)
    for position, bill in enumerate(bills):
        digest.items.append(MailingItem(section="moved", position=position, bill_id=bill.id))
    session.add(digest)
    session.flush()
    return digest


def reply(app: App, mailing_id: int | None, *, sender: str, text: str, name: str = "",
          subject: str = "Re: Legislative update", message_id: str = "", when: datetime | None = None,
          headers: dict[str, str] | None = None, to: str | None = None) -> bytes:
    """A member's plain-text reply to the digest's signed reply address, as their mail client sends it."""
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>" if name else sender
    msg["To"] = to or (reply_address(app, mailing_id) if mailing_id is not None else "questions@reply.example.org")
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when or app.now())
    msg["Message-ID"] = message_id or f"<{hashlib.sha1(f'{sender}|{subject}|{text}'.encode()).hexdigest()[:20]}@mail.example.net>"
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(text)
    return bytes(msg)


def bill_named(session: Session, identifier: str) -> Bill:
    found = session.scalar(select(Bill).where(Bill.identifier == identifier))
    assert found is not None
    return found


__all__ = ["et"]
