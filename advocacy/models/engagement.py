"""Who is listening: the provider's events per delivery, addresses we no longer mail, and calls districts attended."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from advocacy.models.base import Base, utcnow
from advocacy.models.tenancy import Owned


class EngagementEvent(Owned, Base):
    """One SendGrid Event Webhook event (delivered, open, click, bounce, dropped, spamreport, unsubscribe),
    stored once: `event_id` is SendGrid's sg_event_id, so a retried POST adds nothing."""

    __tablename__ = "engagement_event"
    __table_args__ = (UniqueConstraint("collaborative_id", "event_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100))
    event: Mapped[str] = mapped_column(String(32), index=True)
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("delivery.id", ondelete="CASCADE"), index=True)
    mailing_id: Mapped[int | None] = mapped_column(ForeignKey("mailing.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"), index=True)
    email: Mapped[str] = mapped_column(String(320), default="")
    url: Mapped[str] = mapped_column(Text, default="")  # the link of a click
    reason: Mapped[str] = mapped_column(Text, default="")  # a bounce's or a drop's reason
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Suppression(Owned, Base):
    """An address that bounced or reported spam: no later email goes to it until the advocate lifts it."""

    __tablename__ = "suppression"
    __table_args__ = (UniqueConstraint("collaborative_id", "email"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))  # lowercased
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(String(32))  # bounce, spamreport
    detail: Mapped[str] = mapped_column(Text, default="")
    event_id: Mapped[str] = mapped_column(String(100), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class CallAttendance(Owned, Base):
    """A district was on a Q&A call: the advocate ticks it on the agenda page."""

    __tablename__ = "call_attendance"
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id", ondelete="CASCADE"), primary_key=True)
    ticked_at: Mapped[datetime] = mapped_column(default=utcnow)
