"""Which members a bill reaches by state: each member sees their own state's bills (their district's
jurisdiction, the members CSV's `state` column) and federal ones; a member whose state is not known, and a bill
whose jurisdiction is not known, are not filtered."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from advocacy.models import Bill, District, Jurisdiction, LegislativeSession, Member

FEDERAL = "US"


def reaches(member_state: str, bill_state: str) -> bool:
    return not member_state or not bill_state or bill_state in (FEDERAL, member_state)


def member_states(session: Session) -> dict[int, str]:
    """member id -> state code, for members whose district has one."""
    rows = session.execute(select(Member.id, District.jurisdiction).join(District, Member.district_id == District.id))
    return {member_id: code for member_id, code in rows if code}


def member_state(member: Member) -> str:
    """A member's state, read through their district (the member must be attached to a session)."""
    return (member.district.jurisdiction if member.district is not None else "") or ""


def bill_state(session: Session, bill_id: int | None) -> str:
    if bill_id is None:
        return ""
    return session.scalar(
        select(Jurisdiction.code).join(LegislativeSession, LegislativeSession.jurisdiction_id == Jurisdiction.id)
        .join(Bill, Bill.session_id == LegislativeSession.id).where(Bill.id == bill_id)) or ""
