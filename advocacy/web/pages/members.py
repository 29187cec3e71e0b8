"""Members: who receives the digest, for which district, about which topics."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from starlette.requests import Request
from starlette.responses import Response

from advocacy.app import App
from advocacy.models import District, Member
from advocacy.web.render import render
from advocacy.web.routing import page


def member_status(member: Member) -> str:
    if member.unsubscribed_at is not None:
        return "unsubscribed"
    return "paused" if member.paused else "active"


def list_members(session: Session) -> list[Member]:
    return list(session.scalars(
        select(Member).outerjoin(District, District.id == Member.district_id)
        .options(selectinload(Member.district))
        .order_by(District.name.is_(None), District.name, Member.name, Member.email)
    ))


def members(request: Request) -> Response:
    app: App = request.app.state.app
    with app.sessions() as session:
        people = list_members(session)
        counts = {s: sum(1 for m in people if member_status(m) == s) for s in ("active", "paused", "unsubscribed")}
        return render(request, "members.html", {"section": "members", "members": people, "counts": counts,
                                                "status": member_status})


ROUTES = [page("/members", members, name="members")]
