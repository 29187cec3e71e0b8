"""Legislators, who sits on which committee, what the advocate asks members to say, and who acted on an alert."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from advocacy.models.base import Base, utcnow
from advocacy.models.tenancy import Owned


class Legislator(Base):
    __tablename__ = "legislator"
    __table_args__ = (UniqueConstraint("jurisdiction", "session", "chamber", "source_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(String(8), index=True)  # "OH"
    session: Mapped[str] = mapped_column(String(64))  # the source's session, e.g. "136"
    chamber: Mapped[str] = mapped_column(String(16))  # House, Senate
    district: Mapped[str] = mapped_column(String(32))  # normalized: "7", not "HD-007"
    name: Mapped[str] = mapped_column(String(200))
    party: Mapped[str] = mapped_column(String(32), default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    office_address: Mapped[str] = mapped_column(Text, default="")
    photo_url: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(32), default="")  # ohio, legiscan, openstates
    source_id: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommitteeMembership(Base):
    __tablename__ = "committee_membership"
    __table_args__ = (UniqueConstraint("jurisdiction", "session", "committee_key", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(String(8))
    session: Mapped[str] = mapped_column(String(64))
    chamber: Mapped[str] = mapped_column(String(16), default="")
    committee: Mapped[str] = mapped_column(Text)  # as shown: "House Primary and Secondary Education"
    committee_key: Mapped[str] = mapped_column(String(300), index=True)  # advocacy.people.legislators.committee_key
    name: Mapped[str] = mapped_column(String(200))  # as the roster writes it
    legislator_id: Mapped[int | None] = mapped_column(ForeignKey("legislator.id", ondelete="SET NULL"))
    role: Mapped[str] = mapped_column(String(16), default="member")  # chair, vice_chair, ranking_member, member
    legislator: Mapped[Legislator | None] = relationship()


class ActionTemplate(Owned, Base):
    """The advocate's words for one bill's call to action and testimony, with per-district effects."""

    __tablename__ = "action_template"
    __table_args__ = (UniqueConstraint("collaborative_id", "bill_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(Text, default="")  # placeholders: {district} {effect} {bill} ...
    effects: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # district name or code -> effect on it
    default_effect: Mapped[str] = mapped_column(Text, default="")
    testimony_template: Mapped[str] = mapped_column(Text, default="")  # Markdown
    testimony_where: Mapped[str] = mapped_column(Text, default="")  # overrides the configured address
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActionTaken(Owned, Base):
    """A member said they contacted their legislators about an alert: by the signed link or a "done" reply."""

    __tablename__ = "action_taken"
    __table_args__ = (UniqueConstraint("mailing_id", "member_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    mailing_id: Mapped[int] = mapped_column(ForeignKey("mailing.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id", ondelete="SET NULL"))
    how: Mapped[str] = mapped_column(String(16))  # click, reply
    at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertReminder(Owned, Base):
    """The one reminder an alert may have: written before it is sent, so a second is refused."""

    __tablename__ = "alert_reminder"
    mailing_id: Mapped[int] = mapped_column(ForeignKey("mailing.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    member_ids: Mapped[list[int]] = mapped_column(default=list)
