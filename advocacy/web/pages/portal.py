"""The member portal: read-only pages behind the signed link every email carries, no account needed.

    /m/{token}/bills              the bills the collaborative tracks (filter by topic, position, state)
    /m/{token}/bills/{id}         one bill: status, sponsors, position, hearings, timeline, texts, own legislators
    /m/{token}/questions          the member's own questions and answers, and the searchable archive
    /m/{token}/calendar.ics       the member's hearing and call calendar (advocacy.outbound.calendar)
    /m/renew                      an expired link: ask for a fresh one by email

A tampered token is a 404; an expired one (older than `portal.PORTAL_MAX_AGE`) is a 410 that offers a fresh
link. Nothing on these pages links to a staff page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from advocacy.app import App
from advocacy.logs import log_event
from advocacy.models import Member
from advocacy.outbound import portal
from advocacy.outbound.calendar import member_feed
from advocacy.outbound.outgoing import read_member_token
from advocacy.tokens import TokenError, TokenExpired
from advocacy.web.render import render
from advocacy.web.routing import posted_form, public

BAD_LINK = ("This link is not valid: it may have been cut short when it was copied. "
            "Open it again from the email, or reply to any of our emails and we will help.")
log = logging.getLogger("advocacy.web.portal")


class _Expired(Exception):
    pass


def portal_member(app: App, session: Session, token: str, max_age: int = portal.PORTAL_MAX_AGE) -> Member:
    """The member a portal link belongs to; 404 for a tampered link or a member gone, _Expired for an old one."""
    try:
        member_id = read_member_token(app, token, max_age=max_age)
    except TokenExpired:
        raise _Expired() from None
    except (TokenError, ValueError):
        raise HTTPException(404, BAD_LINK) from None
    member = session.get(Member, member_id)
    if member is None:
        raise HTTPException(404, "We have no member for this link any more.")
    return member


def _renew_page(request: Request, *, expired: bool = False, sent: bool = False, error: str = "",
                status_code: int = 200) -> Response:
    return render(request, "portal/renew.html", {"expired": expired, "sent": sent, "error": error,
                                                 "days": portal.PORTAL_MAX_AGE // 86400}, status_code=status_code)


def portal_page(build: Callable[[Request, App, Session, Member], Response], *,
                max_age: int = portal.PORTAL_MAX_AGE) -> Callable[[Request], Response]:
    """An endpoint that finds the link's member first and answers an expired link with the renewal form."""

    def endpoint(request: Request) -> Response:
        app: App = request.app.state.app
        with app.sessions() as session:
            try:
                member = portal_member(app, session, request.path_params["token"], max_age)
            except _Expired:
                return _renew_page(request, expired=True, status_code=410)
            return build(request, app, session, member)

    endpoint.__name__ = build.__name__
    return endpoint


def _context(member: Member, token: str, **more: Any) -> dict[str, Any]:
    return {"member": member, "token": token, "home": f"/m/{token}/bills", **more}


def _bills(request: Request, app: App, session: Session, member: Member) -> Response:
    params = request.query_params
    every = portal.tracked_bills(session, app.config)
    filters = portal.Filters(topic=params.get("topic", ""), position=params.get("position", ""),
                             state=params.get("state", ""))
    rows = portal.tracked_bills(session, app.config, filters) if filters != portal.Filters() else every
    return render(request, "portal/bills.html", _context(
        member, request.path_params["token"], rows=rows, filters=filters, choices=portal.filter_choices(every),
        positions=portal.POSITION_WORDS))


def _bill(request: Request, app: App, session: Session, member: Member) -> Response:
    view = portal.bill_view(session, app.config, member, request.path_params["bill_id"], app.now())
    if view is None:
        raise HTTPException(404, "We do not track this bill for members (or not any more).")
    return render(request, "portal/bill.html", _context(member, request.path_params["token"], v=view,
                                                           positions=portal.POSITION_WORDS))


def _questions(request: Request, app: App, session: Session, member: Member) -> Response:
    query = request.query_params.get("q", "").strip()[:200]
    mine = [(q, portal.answer_of(session, q)) for q in portal.own_questions(session, member)]
    return render(request, "portal/questions.html", _context(
        member, request.path_params["token"], mine=mine, query=query,
        archive=portal.search_answered(session, query)))


def renew(request: Request) -> Response:
    app: App = request.app.state.app
    if request.method == "GET":
        return _renew_page(request)
    address = str(posted_form(request).get("email", "")).strip()[:320]
    if "@" not in address:
        return _renew_page(request, error="Enter the email address our emails reach.", status_code=400)
    sent = portal.send_fresh_link(app, address)
    log_event(log, "portal_link_requested", sent=sent)
    return _renew_page(request, sent=True)


def _calendar(request: Request, app: App, session: Session, member: Member) -> Response:
    body = member_feed(session, app.config, member, app.now())
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'inline; filename="hearings.ics"'})


ROUTES = [
    public("/m/renew", renew, name="member_renew", methods=["GET", "POST"]),
    public("/m/{token}/bills", portal_page(_bills), name="member_bills"),
    public("/m/{token}/bills/{bill_id:int}", portal_page(_bill), name="member_bill"),
    public("/m/{token}/questions", portal_page(_questions), name="member_questions"),
    public("/m/{token}/calendar.ics", portal_page(_calendar, max_age=portal.FEED_MAX_AGE), name="member_calendar"),
]
