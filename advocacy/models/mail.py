"""Digests, alerts and agendas as sent, and one delivery row per member per email."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from advocacy.models.base import Base, utcnow


class Digest(Base):
    __tablename__ = "digest"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="digest")  # digest, alert, agenda
    key: Mapped[str | None] = mapped_column(String(200), unique=True)  # alerts: one per bill per event
    period_start: Mapped[datetime | None]
    period_end: Mapped[datetime]
    opening_note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft, sending, sent, skipped
    subject: Mapped[str] = mapped_column(Text, default="")
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id"))
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bill.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    items: Mapped[list[DigestItem]] = relationship(
        back_populates="digest", cascade="all, delete-orphan", order_by="DigestItem.position"
    )
    deliveries: Mapped[list[Delivery]] = relationship(back_populates="digest", cascade="all, delete-orphan")


class DigestItem(Base):
    __tablename__ = "digest_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digest.id", ondelete="CASCADE"), index=True)
    section: Mapped[str] = mapped_column(String(32))  # action_needed, moved, new_bills, hearings, watch_list
    position: Mapped[int] = mapped_column(default=0)
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bill.id"))
    hearing_id: Mapped[int | None] = mapped_column(ForeignKey("hearing.id"))
    digest: Mapped[Digest] = relationship(back_populates="items")


class Delivery(Base):
    """Written before any request: pending -> sent | failed. The last guard against sending twice."""

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("digest_id", "member_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digest.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, sending, sent, failed
    attempts: Mapped[int] = mapped_column(default=0)
    permanent: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str] = mapped_column(Text, default="")
    provider_id: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    digest: Mapped[Digest] = relationship(back_populates="deliveries")
