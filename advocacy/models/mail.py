"""Every outgoing email (digest, alert, agenda, reminder) as a mailing, and one delivery row per member."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from advocacy.models.base import Base, utcnow
from advocacy.models.tenancy import Owned


class Mailing(Owned, Base):
    """One email sent to many members: a digest, an alert, a call agenda or a reminder."""

    __tablename__ = "mailing"
    __table_args__ = (UniqueConstraint("collaborative_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="digest")  # digest, alert, agenda, reminder
    key: Mapped[str | None] = mapped_column(String(200))  # alerts: one per bill per event
    period_start: Mapped[datetime | None]
    period_end: Mapped[datetime]
    opening_note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft, sending, sent, skipped
    subject: Mapped[str] = mapped_column(Text, default="")
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id"))
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bill.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    items: Mapped[list[MailingItem]] = relationship(
        back_populates="mailing", cascade="all, delete-orphan", order_by="MailingItem.position"
    )
    deliveries: Mapped[list[Delivery]] = relationship(back_populates="mailing", cascade="all, delete-orphan")


class MailingItem(Owned, Base):
    __tablename__ = "mailing_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    mailing_id: Mapped[int] = mapped_column(ForeignKey("mailing.id", ondelete="CASCADE"), index=True)
    section: Mapped[str] = mapped_column(String(32))  # action_needed, moved, new_bills, hearings, watch_list
    position: Mapped[int] = mapped_column(default=0)
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bill.id"))
    hearing_id: Mapped[int | None] = mapped_column(ForeignKey("hearing.id"))
    mailing: Mapped[Mailing] = relationship(back_populates="items")


class Delivery(Owned, Base):
    """Written before any request, the last guard against sending twice.

    pending -> sending -> sent | failed; skipped (not sent, the reason in `error`); interrupted (its request may
    have reached the provider: never resent on its own).
    `channel` names the delivery channel (`digests.channels.CHANNELS`) that carries it.
    """

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("mailing_id", "member_id"),
                      Index("ix_delivery_claim", "mailing_id", "status", "group_key", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    mailing_id: Mapped[int] = mapped_column(ForeignKey("mailing.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16), default="email", server_default="email")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    permanent: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str] = mapped_column(Text, default="")
    provider_id: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # members with equal keys get the same email (`sending.prepare`): a send claims rows in this order
    group_key: Mapped[str | None] = mapped_column(String(40))
    mailing: Mapped[Mailing] = relationship(back_populates="deliveries")
