"""How a member's own legislators voted: the function the bill page, the member portal and the board packet share.

    votes_of_own_legislators(session, district, bill_ids=[...])  -> [LegislatorVote, ...]

Each row is one legislator of the district (House and Senate seats, `legislators_for`) on one roll call, newest
roll call first; a legislator absent from a roll call is left out (not every vote is in every chamber).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from advocacy.models import Bill, District, Legislator, Member, RollCall, VoteCast
from advocacy.people.legislators import legislators_for

OPTION_WORDS = {"yes": "Yes", "no": "No", "other": "Did not vote"}


@dataclass(frozen=True)
class LegislatorVote:
    legislator_id: int
    legislator: str  # "Rep. Name (R)" as shown
    chamber: str
    district: str
    bill_id: int
    bill: str  # identifier
    roll_call_id: int
    when: datetime | None
    motion: str
    option: str  # yes, no, other

    @property
    def said(self) -> str:
        return OPTION_WORDS.get(self.option, self.option)


def _label(legislator: Legislator) -> str:
    title = "Sen." if legislator.chamber == "Senate" else "Rep."
    party = f" ({legislator.party})" if legislator.party else ""
    return f"{title} {legislator.name}{party}"


def votes_of_legislators(session: Session, legislators: Iterable[Legislator],
                         bill_ids: Iterable[int] | None = None) -> list[LegislatorVote]:
    people = {p.id: p for p in legislators}
    if not people:
        return []
    query = (select(VoteCast, RollCall, Bill.identifier).join(RollCall, VoteCast.roll_call_id == RollCall.id)
             .join(Bill, RollCall.bill_id == Bill.id).where(VoteCast.legislator_id.in_(list(people))))
    if bill_ids is not None:
        query = query.where(RollCall.bill_id.in_(list(bill_ids)))
    rows = session.execute(query.order_by(RollCall.when.desc(), RollCall.id.desc(), VoteCast.id))
    out = []
    for cast, roll, identifier in rows:
        who = people[cast.legislator_id]  # type: ignore[index]
        out.append(LegislatorVote(who.id, _label(who), who.chamber, who.district, roll.bill_id, identifier,
                                  roll.id, roll.when, roll.motion, cast.option))
    return out


def votes_of_own_legislators(session: Session, district: District,
                             bill_ids: Iterable[int] | None = None) -> list[LegislatorVote]:
    """The votes cast by the district's own state legislators (on `bill_ids`, or on every bill)."""
    return votes_of_legislators(session, legislators_for(session, district), bill_ids)


def member_votes(session: Session, member: Member, bill_ids: Iterable[int] | None = None) -> list[LegislatorVote]:
    """For a member's view: how the member's own legislators voted (to thank them or to follow up)."""
    return votes_of_own_legislators(session, member.district, bill_ids) if member.district else []
