"""Emails to one member about something they did: the acknowledgement of their questions, a fresh portal link.

Each is a mailing with one delivery row written before the request, as every other email is (`sending`), so it
shows with the member's emails, a suppressed address gets nothing, and "how many links this hour" is a count of
rows. The acknowledgement goes through `sending.send` itself; a fresh link is sent here (a paused member asking
for one must still get it: the preferences it opens are where they unpause).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from advocacy.app import App
from advocacy.models import Delivery, Mailing, Member
from advocacy.outbound import sending
from advocacy.outbound.engagement import suppressed
from digests.channels.email import MailBackend
from digests.message import OutgoingMessage

ACKNOWLEDGEMENT, LINK = "acknowledgement", "link"
PERSONAL_KINDS = (ACKNOWLEDGEMENT, LINK)  # not listed among the collaborative's sends on the digest page


def personal_mailing(session: Session, kind: str, member: Member, subject: str, now: datetime,
                     key: str | None = None) -> int:
    """A mailing of `kind` for one member, with its pending delivery row; its id."""
    mailing = Mailing(kind=kind, key=key, period_end=now, subject=subject, status="sending", created_at=now)
    session.add(mailing)
    session.flush()
    sending.prepare(session, mailing, [member], now)
    return mailing.id


def sent_since(session: Session, kind: str, member_id: int, since: datetime) -> int:
    """How many emails of `kind` were written for the member since `since` (sent or not: each was asked for)."""
    return session.scalar(select(func.count(Delivery.id)).join(Mailing, Mailing.id == Delivery.mailing_id).where(
        Mailing.kind == kind, Delivery.member_id == member_id, Delivery.created_at >= since)) or 0


def acknowledge(app: App, backend: MailBackend, mailing_id: int, message: OutgoingMessage) -> bool:
    """Send a prepared acknowledgement the way every email goes (`sending.send`); whether it was sent."""
    return sending.send(app, mailing_id, backend, lambda _mailing, _member: message).sent == 1


def send_link(app: App, backend: MailBackend, mailing_id: int, message: OutgoingMessage) -> bool:
    """Send a prepared fresh link (even to a paused member, never to a suppressed address); whether it was sent."""
    with app.sessions() as session:
        blocked = suppressed(session, [message.recipient.email])
    result = None if blocked else backend.send([message])[0]
    now = app.now()
    values: dict[str, object] = {"status": "skipped", "error": "address suppressed"}
    if result is not None:
        values = {"status": "sent" if result.ok else "failed", "permanent": result.permanent,
                  "sent_at": now if result.ok else None, "provider_id": result.provider_id, "error": result.reason}
    with app.transaction() as session:
        session.execute(update(Delivery).where(Delivery.mailing_id == mailing_id).values(attempts=1, **values))
        session.execute(update(Mailing).where(Mailing.id == mailing_id).values(status="sent", sent_at=now))
    return result is not None and result.ok
