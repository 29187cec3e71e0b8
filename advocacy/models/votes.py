"""Roll-call votes on bills, and how each legislator voted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from advocacy.models.base import Base


class RollCall(Base):
    __tablename__ = "roll_call"
    __table_args__ = (UniqueConstraint("bill_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(200))  # the source's roll-call id, or date + chamber + motion
    source: Mapped[str] = mapped_column(String(32), default="")  # ohio, legiscan, openstates
    when: Mapped[datetime | None]
    chamber: Mapped[str] = mapped_column(String(32), default="")
    motion: Mapped[str] = mapped_column(Text, default="")
    passed: Mapped[bool | None]
    yeas: Mapped[int] = mapped_column(default=0)
    nays: Mapped[int] = mapped_column(default=0)
    other: Mapped[int] = mapped_column(default=0)
    votes: Mapped[list[VoteCast]] = relationship(back_populates="roll_call", cascade="all, delete-orphan",
                                                 order_by="VoteCast.name")


class VoteCast(Base):
    __tablename__ = "vote_cast"
    id: Mapped[int] = mapped_column(primary_key=True)
    roll_call_id: Mapped[int] = mapped_column(ForeignKey("roll_call.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")  # as the source gave it, or the legislator's name
    source_id: Mapped[str] = mapped_column(String(128), default="")  # the legislator's id at the source
    legislator_id: Mapped[int | None] = mapped_column(ForeignKey("legislator.id", ondelete="SET NULL"), index=True)
    option: Mapped[str] = mapped_column(String(16))  # yes, no, other
    roll_call: Mapped[RollCall] = relationship(back_populates="votes")
