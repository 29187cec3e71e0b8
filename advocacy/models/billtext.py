"""What each bill version says (its extracted text), the search index over bills, and the advocate's saved searches."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from advocacy.models.base import Base, utcnow
from advocacy.models.legislation import BillVersion
from advocacy.models.tenancy import Owned


class VersionText(Base):
    """One version's text as fetched once: plain text, where it came from, or why it could not be extracted."""

    __tablename__ = "version_text"
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("bill_version.id", ondelete="CASCADE"), unique=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(100), default="")
    content_hash: Mapped[str] = mapped_column(String(64), default="", index=True)  # sha256 of the bytes served
    status: Mapped[str] = mapped_column(String(16))  # ok, empty (no text layer), failed (fetch or parse)
    problem: Mapped[str] = mapped_column(Text, default="")  # what could not be extracted, and why
    text: Mapped[str] = mapped_column(Text, default="")
    pages: Mapped[int] = mapped_column(default=0)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[BillVersion] = relationship()


class SearchDocument(Base):
    """A bill's searchable words, one row per bill; the full-text index (FTS5 or PostgreSQL) is built over it."""

    __tablename__ = "search_document"
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"), primary_key=True,
                                         autoincrement=False)
    identifier: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(Text, default="")
    synopsis: Mapped[str] = mapped_column(Text, default="")
    sponsors: Mapped[str] = mapped_column(Text, default="")
    subjects: Mapped[str] = mapped_column(Text, default="")
    committees: Mapped[str] = mapped_column(Text, default="")
    commentary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")  # the latest version's text
    indexed_at: Mapped[datetime] = mapped_column(default=utcnow)


class SavedSearch(Owned, Base):
    """A search the advocate keeps: a bill stored later that matches it joins the queue with `name` as the reason."""

    __tablename__ = "saved_search"
    __table_args__ = (UniqueConstraint("collaborative_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    query: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
