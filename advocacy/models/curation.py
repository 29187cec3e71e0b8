"""The tagger's judgement and the advocate's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from advocacy.models.base import Base, utcnow
from advocacy.models.legislation import Bill
from advocacy.models.tenancy import Owned


class TagAssessment(Owned, Base):
    __tablename__ = "tag_assessment"
    __table_args__ = (UniqueConstraint("collaborative_id", "bill_id", "tag"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"), index=True)
    tag: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200), default="")
    score: Mapped[float]
    reasons: Mapped[list[str]] = mapped_column(default=list)
    assessed_at: Mapped[datetime] = mapped_column(default=utcnow)


class BillRelevance(Owned, Base):
    """The tagger's verdict on one bill for one collaborative, and when it was given (stale once the bill changes)."""

    __tablename__ = "bill_relevance"
    __table_args__ = (UniqueConstraint("collaborative_id", "bill_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"), index=True)
    relevant: Mapped[bool] = mapped_column(default=False)
    score: Mapped[float] = mapped_column(default=0.0)
    tagged_at: Mapped[datetime | None]  # None: marked relevant (a saved search) but not tagged yet


class Curation(Owned, Base):
    __tablename__ = "curation"
    __table_args__ = (UniqueConstraint("collaborative_id", "bill_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="new")  # new, approved, dismissed, snoozed
    snoozed_until: Mapped[datetime | None]
    priority: Mapped[str | None] = mapped_column(String(16))  # high, medium, watch
    position: Mapped[str | None] = mapped_column(String(32))  # support, oppose, monitor, seek_amendment
    commentary: Mapped[str] = mapped_column(Text, default="")  # Markdown
    alert: Mapped[bool] = mapped_column(default=False)
    alert_deadline: Mapped[datetime | None]
    alert_action: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[datetime | None]  # when the advocate last looked
    resurfaced: Mapped[str] = mapped_column(Text, default="")  # the event that brought it back
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)  # last tagged change worth a look
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    bill: Mapped[Bill] = relationship()


class AuditEntry(Owned, Base):
    __tablename__ = "audit_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any]] = mapped_column(default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(default=dict)
