"""The tracked-bill list and the members list as CSV (the members file is the one `members import` reads)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from advocacy.config import Config
from advocacy.models import (
    Bill,
    Curation,
    District,
    Hearing,
    HearingBill,
    LegislativeSession,
    Member,
    TagAssessment,
)
from advocacy.people import members as roster
from vocabulary import billnum

BILL_COLUMNS = ("jurisdiction", "session", "bill", "title", "status", "position", "priority", "topics",
                "next_hearing", "commentary", "url")


@dataclass(frozen=True)
class TrackedBill:
    bill: Bill
    label: str  # in the state's own style
    curation: Curation
    topics: list[str]
    next_hearing: Hearing | None


def tracked_bills(session: Session, config: Config, now: datetime) -> list[TrackedBill]:
    """Bills the advocate approved (tracked), highest priority first, with their topics and next hearing."""
    rows = session.execute(
        select(Bill, Curation).join(Curation, Curation.bill_id == Bill.id).where(Curation.status == "approved")
        .options(selectinload(Bill.session).selectinload(LegislativeSession.jurisdiction))
    ).all()
    ids = [bill.id for bill, _ in rows]
    labels = config.tagging.member_topics()
    topics: dict[int, list[str]] = {}
    for tag in session.scalars(select(TagAssessment).where(TagAssessment.bill_id.in_(ids))
                               .order_by(TagAssessment.score.desc())):
        if tag.tag in labels:
            topics.setdefault(tag.bill_id, []).append(labels[tag.tag])
    hearings: dict[int, Hearing] = {}
    for bill_id, hearing in session.execute(
        select(HearingBill.bill_id, Hearing).join(Hearing, Hearing.id == HearingBill.hearing_id)
        .where(HearingBill.bill_id.in_(ids), Hearing.start >= now, Hearing.cancelled.is_(False))
        .order_by(Hearing.start)
    ):
        hearings.setdefault(bill_id, hearing)
    order = {"high": 0, "medium": 1, "watch": 2}
    out = [TrackedBill(bill, billnum.display(bill.identifier, config.bill_style(bill.session.jurisdiction.code)),
                       curation, topics.get(bill.id, []), hearings.get(bill.id)) for bill, curation in rows]
    return sorted(out, key=lambda t: (order.get(t.curation.priority or "", 3), t.bill.identifier))


def _write(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


def bills_csv(bills: Sequence[TrackedBill], config: Config) -> str:
    zone = config.collaborative.tz
    return _write(BILL_COLUMNS, [(
        t.bill.session.jurisdiction.code, t.bill.session.identifier, t.label, t.bill.title, t.bill.status,
        t.curation.position or "", t.curation.priority or "", "; ".join(t.topics),
        f"{t.next_hearing.start.astimezone(zone):%Y-%m-%d %H:%M} {t.next_hearing.committee}" if t.next_hearing else "",
        t.curation.commentary, t.bill.url,
    ) for t in bills])


_MEMBER_FIELDS: dict[str, Callable[[Member], str]] = {
    "email": lambda m: m.email,
    "name": lambda m: m.name,
    "district": lambda m: m.district.name if m.district else "",
    "role": lambda m: m.role,
    "district_code": lambda m: m.district.code if m.district else "",
    "topics": lambda m: ";".join(m.topics) if m.topics is not None else "",
    "alerts": lambda m: "yes" if m.alerts else "no",
    "house_districts": lambda m: ";".join(m.district.house_districts) if m.district else "",
    "senate_districts": lambda m: ";".join(m.district.senate_districts) if m.district else "",
    "aliases": lambda m: ";".join(a.email for a in m.aliases),
}


def members_csv(session: Session) -> str:
    """Every member, in the columns `members import` knows (a column it learns later is written empty)."""
    people = session.scalars(
        select(Member).outerjoin(District, District.id == Member.district_id)
        .options(selectinload(Member.district), selectinload(Member.aliases))
        .order_by(District.name, Member.email)
    )
    return _write(roster.KNOWN, [[_MEMBER_FIELDS.get(column, lambda m: "")(member) for column in roster.KNOWN]
                                 for member in people])
