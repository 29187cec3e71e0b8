"""Members' replies as received, the questions in them, calls and their agendas."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from advocacy.models.base import Base, utcnow
from advocacy.models.tenancy import Owned

if TYPE_CHECKING:
    from advocacy.models.legislation import Bill


class InboundMessage(Owned, Base):
    """Stored as received before anything parses it, so a crash never loses a reply."""

    __tablename__ = "inbound_message"
    __table_args__ = (UniqueConstraint("collaborative_id", "sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # webhook, imap, file
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(998), default="", index=True)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)  # webhook fields: SPF, dkim, envelope...
    # received, parsed, quarantined, auto_reply, discarded
    status: Mapped[str] = mapped_column(String(16), default="received", index=True)
    problems: Mapped[list[str]] = mapped_column(default=list)
    sender: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    mailing_id: Mapped[int | None] = mapped_column(ForeignKey("mailing.id"))
    parsed_at: Mapped[datetime | None]
    questions: Mapped[list[Question]] = relationship(back_populates="message")


class Call(Owned, Base):
    __tablename__ = "call"
    __table_args__ = (UniqueConstraint("collaborative_id", "starts_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    title: Mapped[str] = mapped_column(Text, default="")
    join_url: Mapped[str] = mapped_column(Text, default="")
    agenda_sent_at: Mapped[datetime | None]
    agenda_sequence: Mapped[int] = mapped_column(default=0)  # iCalendar SEQUENCE of the invite
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    agenda: Mapped[list[AgendaItem]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="AgendaItem.position"
    )


class Question(Owned, Base):
    __tablename__ = "question"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_message.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text)
    bill_identifiers: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, answered, merged
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("question.id"))
    late: Mapped[bool] = mapped_column(default=False)
    answer_notes: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    message: Mapped[InboundMessage | None] = relationship(back_populates="questions")
    bills: Mapped[list[Bill]] = relationship(secondary="question_bill")


class QuestionBill(Owned, Base):
    __tablename__ = "question_bill"
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"), primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"), primary_key=True)


class AgendaItem(Owned, Base):
    __tablename__ = "agenda_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(16))  # bill, topic, other
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bill.id"))
    topic: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(Text)
    notes: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[int] = mapped_column(default=5)
    question_ids: Mapped[list[int]] = mapped_column(default=list)
    call: Mapped[Call] = relationship(back_populates="agenda")
