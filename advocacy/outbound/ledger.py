"""The district engagement ledger: per district, questions asked, calls attended, alerts acted on, opens and clicks,
and when it last showed any sign of life. A district with none for `[engagement] quiet_weeks` is "quiet"; while an
action alert is open the dashboard lists the quiet ones, so the advocate can call them before the deadline.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from advocacy.models import (
    ActionTaken,
    Bill,
    Call,
    CallAttendance,
    Curation,
    District,
    EngagementEvent,
    Member,
    Question,
)


@dataclass
class DistrictLedger:
    district: District
    questions: int = 0
    calls: int = 0
    acted: int = 0
    opens: int = 0
    clicks: int = 0
    last_seen: datetime | None = None
    quiet: bool = False

    def seen(self, when: datetime | None) -> None:
        if when is not None and (self.last_seen is None or when > self.last_seen):
            self.last_seen = when


@dataclass(frozen=True)
class OpenAlert:
    bill: Bill
    deadline: datetime
    action: str


def _by_district(session: Session, query: object) -> dict[int, tuple[int, datetime | None]]:
    return {district_id: (n, last) for district_id, n, last in session.execute(query)  # type: ignore[call-overload]
            if district_id is not None}


def ledger(session: Session, now: datetime, quiet_weeks: int) -> list[DistrictLedger]:
    """Every district's ledger, quietest first (never seen, then longest ago), then by name."""
    rows = {d.id: DistrictLedger(d) for d in session.scalars(select(District).order_by(District.name))}
    questions = _by_district(session, select(Member.district_id, func.count(Question.id), func.max(Question.created_at))
                             .join(Member, Member.id == Question.member_id).group_by(Member.district_id))
    calls = _by_district(session, select(CallAttendance.district_id, func.count(), func.max(Call.starts_at))
                         .join(Call, Call.id == CallAttendance.call_id).group_by(CallAttendance.district_id))
    acted = _by_district(session, select(ActionTaken.district_id, func.count(ActionTaken.id), func.max(ActionTaken.at))
                         .group_by(ActionTaken.district_id))
    events = {kind: _by_district(session, select(Member.district_id, func.count(EngagementEvent.id),
                                                 func.max(EngagementEvent.occurred_at))
                                 .join(Member, Member.id == EngagementEvent.member_id)
                                 .where(EngagementEvent.event == kind).group_by(Member.district_id))
              for kind in ("open", "click")}
    for district_id, row in rows.items():
        for table, attr in ((questions, "questions"), (calls, "calls"), (acted, "acted"), (events["open"], "opens"),
                            (events["click"], "clicks")):
            count, last = table.get(district_id, (0, None))
            setattr(row, attr, count)
            row.seen(last)
        row.quiet = row.last_seen is None or row.last_seen < now - timedelta(weeks=quiet_weeks)
    return sorted(rows.values(), key=lambda r: (not r.quiet, r.last_seen is not None, r.last_seen or now,
                                                r.district.name))


def open_alerts(session: Session, now: datetime) -> list[OpenAlert]:
    """Action alerts whose deadline is still ahead, soonest first."""
    rows = session.execute(select(Bill, Curation).join(Curation, Curation.bill_id == Bill.id)
                           .where(Curation.alert.is_(True), Curation.alert_deadline >= now)
                           .order_by(Curation.alert_deadline))
    return [OpenAlert(bill, curation.alert_deadline, curation.alert_action)  # type: ignore[arg-type]
            for bill, curation in rows]


def attended(session: Session, call_id: int) -> set[int]:
    return set(session.scalars(select(CallAttendance.district_id).where(CallAttendance.call_id == call_id)))


def attendance_sheet(session: Session, call_id: int | None) -> tuple[list[District], set[int]]:
    """Every district, and those ticked as on the call (none when the call has no row yet)."""
    ticked = attended(session, call_id) if call_id is not None else set()
    return list(session.scalars(select(District).order_by(District.name))), ticked


def set_attendance(session: Session, call_id: int, district_ids: Iterable[int], now: datetime) -> tuple[int, int]:
    """The districts on a call, as the advocate ticked them; returns (added, removed)."""
    known = set(session.scalars(select(District.id)))
    wanted = {d for d in district_ids if d in known}
    have = attended(session, call_id)
    for district_id in wanted - have:
        session.add(CallAttendance(call_id=call_id, district_id=district_id, ticked_at=now))
    gone = have - wanted
    if gone:
        session.execute(delete(CallAttendance).where(CallAttendance.call_id == call_id,
                                                     CallAttendance.district_id.in_(gone)))
    return len(wanted - have), len(gone)
