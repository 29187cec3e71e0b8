"""What the bill page shows of roll-call votes: each roll call with its tally and votes, and how each member
district's own legislators voted."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from advocacy.models import District, RollCall
from advocacy.people.votes import LegislatorVote, votes_of_own_legislators


@dataclass(frozen=True)
class VotePanel:
    roll_calls: list[RollCall]
    by_district: list[tuple[str, list[LegislatorVote]]]  # districts whose legislators voted on this bill


def vote_panel(session: Session, bill_id: int) -> VotePanel:
    rolls = list(session.scalars(select(RollCall).where(RollCall.bill_id == bill_id)
                                 .options(selectinload(RollCall.votes))
                                 .order_by(RollCall.when.desc(), RollCall.id.desc())))
    if not rolls:
        return VotePanel([], [])
    by_district = []
    for district in session.scalars(select(District).order_by(District.name)):
        votes = votes_of_own_legislators(session, district, [bill_id])
        if votes:
            by_district.append((district.name, votes))
    return VotePanel(rolls, by_district)
