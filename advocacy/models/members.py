"""Districts, the people in them who read our mail, and the staff who run the service."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from advocacy.models.base import Base, utcnow
from advocacy.models.tenancy import Owned


class District(Owned, Base):
    __tablename__ = "district"
    __table_args__ = (UniqueConstraint("collaborative_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(32), default="")  # e.g. Ohio IRN
    jurisdiction: Mapped[str] = mapped_column(String(8), default="")
    house_districts: Mapped[list[str]] = mapped_column(default=list)
    senate_districts: Mapped[list[str]] = mapped_column(default=list)
    members: Mapped[list[Member]] = relationship(back_populates="district")


class Member(Owned, Base):
    __tablename__ = "member"
    __table_args__ = (UniqueConstraint("collaborative_id", "email"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"))
    email: Mapped[str] = mapped_column(String(320))  # stored lowercased
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(64), default="")
    topics: Mapped[list[str] | None] = mapped_column(default=None)  # None: all topics
    alerts: Mapped[bool] = mapped_column(default=True)
    # every (each digest), alerts (no digest, alerts only), monthly (the first digest of each month)
    digest_frequency: Mapped[str] = mapped_column(String(16), default="every", server_default="every")
    paused: Mapped[bool] = mapped_column(default=False)
    unsubscribed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    district: Mapped[District | None] = relationship(back_populates="members")
    aliases: Mapped[list[MemberAlias]] = relationship(back_populates="member", cascade="all, delete-orphan")


class MemberAlias(Owned, Base):
    __tablename__ = "member_alias"
    __table_args__ = (UniqueConstraint("collaborative_id", "email"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    member: Mapped[Member] = relationship(back_populates="aliases")


class StaffUser(Owned, Base):
    __tablename__ = "staff_user"
    __table_args__ = (UniqueConstraint("collaborative_id", "email"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))  # advocate, viewer
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
