"""Jurisdictions, sessions, bills and what happens to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from advocacy.models.base import Base, utcnow


class Jurisdiction(Base):
    __tablename__ = "jurisdiction"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)  # "OH", "US"
    name: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64))


class LegislativeSession(Base):
    __tablename__ = "legislative_session"
    __table_args__ = (UniqueConstraint("jurisdiction_id", "identifier"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"))
    # "136", "135S1", or LegiScan's session name, e.g. "88th General Assembly (2012 Fiscal)"
    identifier: Mapped[str] = mapped_column(String(100))
    jurisdiction: Mapped[Jurisdiction] = relationship()


class Bill(Base):
    __tablename__ = "bill"
    __table_args__ = (UniqueConstraint("session_id", "identifier"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("legislative_session.id"), index=True)
    identifier: Mapped[str] = mapped_column(String(32))  # normalized "HB 33"
    title: Mapped[str] = mapped_column(Text)
    synopsis: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(32), default="")
    source_id: Mapped[str] = mapped_column(String(128), default="")
    committee: Mapped[str] = mapped_column(Text, default="")
    subjects: Mapped[list[str]] = mapped_column(default=list)
    analysis_text: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    session: Mapped[LegislativeSession] = relationship()
    sponsors: Mapped[list[Sponsor]] = relationship(
        back_populates="bill", cascade="all, delete-orphan", order_by="Sponsor.position"
    )
    actions: Mapped[list[Action]] = relationship(
        back_populates="bill", cascade="all, delete-orphan", order_by="(Action.when, Action.order)"
    )
    versions: Mapped[list[BillVersion]] = relationship(back_populates="bill", cascade="all, delete-orphan")
    documents: Mapped[list[Document]] = relationship(back_populates="bill", cascade="all, delete-orphan")


class Sponsor(Base):
    __tablename__ = "sponsor"
    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    primary: Mapped[bool] = mapped_column(default=True)
    party: Mapped[str] = mapped_column(String(32), default="")
    district: Mapped[str] = mapped_column(String(32), default="")
    chamber: Mapped[str] = mapped_column(String(32), default="")
    position: Mapped[int] = mapped_column(default=0)
    bill: Mapped[Bill] = relationship(back_populates="sponsors")


class Action(Base):
    __tablename__ = "action"
    __table_args__ = (UniqueConstraint("bill_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))  # content key: date, normalized text, order
    when: Mapped[datetime]
    order: Mapped[int] = mapped_column(default=0)
    chamber: Mapped[str] = mapped_column(String(32), default="")
    description: Mapped[str] = mapped_column(Text)
    committee: Mapped[str] = mapped_column(Text, default="")
    classification: Mapped[list[str]] = mapped_column(default=list)
    bill: Mapped[Bill] = relationship(back_populates="actions")


class BillVersion(Base):
    __tablename__ = "bill_version"
    __table_args__ = (UniqueConstraint("bill_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(Text)
    code: Mapped[str] = mapped_column(String(64), default="")
    when: Mapped[datetime | None]
    url: Mapped[str] = mapped_column(Text, default="")
    html_url: Mapped[str] = mapped_column(Text, default="")
    bill: Mapped[Bill] = relationship(back_populates="versions")


class Document(Base):
    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("bill_id", "url"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(1000))
    when: Mapped[datetime | None]
    bill: Mapped[Bill] = relationship(back_populates="documents")


class Hearing(Base):
    __tablename__ = "hearing"
    __table_args__ = (UniqueConstraint("jurisdiction_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("legislative_session.id"))
    key: Mapped[str] = mapped_column(String(500))
    committee: Mapped[str] = mapped_column(Text)
    chamber: Mapped[str] = mapped_column(String(32), default="")
    start: Mapped[datetime]
    location: Mapped[str] = mapped_column(Text, default="")
    cancelled: Mapped[bool] = mapped_column(default=False)
    url: Mapped[str] = mapped_column(Text, default="")
    bill_identifiers: Mapped[list[str]] = mapped_column(default=list)
    testimony_deadline: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    jurisdiction: Mapped[Jurisdiction] = relationship()
    bills: Mapped[list[Bill]] = relationship(secondary="hearing_bill")


class HearingBill(Base):
    __tablename__ = "hearing_bill"
    hearing_id: Mapped[int] = mapped_column(ForeignKey("hearing.id", ondelete="CASCADE"), primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"), primary_key=True)


class NewsItem(Base):
    __tablename__ = "news_item"
    __table_args__ = (UniqueConstraint("jurisdiction_id", "guid"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"))
    guid: Mapped[str] = mapped_column(String(1000))
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[datetime | None]
    summary: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(64), default="")
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)


class ChangeEvent(Base):
    """One real event, recorded once: its key is derived from its content, never from the order of a list."""

    __tablename__ = "change_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"))
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"), index=True)
    hearing_id: Mapped[int | None] = mapped_column(ForeignKey("hearing.id", ondelete="CASCADE"))
    news_id: Mapped[int | None] = mapped_column(ForeignKey("news_item.id", ondelete="CASCADE"))
    summary: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime | None]
    detected_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("source_run.id"))
    bill: Mapped[Bill | None] = relationship()
    hearing: Mapped[Hearing | None] = relationship()
