"""Members: who receives the digest, for which district, about which topics; CSV import; one member's settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session, selectinload
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from advocacy.app import App
from advocacy.models import District, Member
from advocacy.outbound.engagement import member_events, suppressed
from advocacy.people.members import ImportReport, import_csv
from advocacy.web import forms
from advocacy.web.flash import flash
from advocacy.web.preferences import PreferencesForm, render_preferences, save_preferences, topic_choices
from advocacy.web.render import render
from advocacy.web.routing import action, form_page, page, posted_form

MAX_CSV = 5_000_000


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


def render_members(request: Request, report: ImportReport | None = None, upload_error: str = "", *,
                   status_code: int = 200) -> Response:
    app: App = request.app.state.app
    with app.sessions() as session:
        people = list_members(session)
        counts = {s: sum(1 for m in people if member_status(m) == s) for s in ("active", "paused", "unsubscribed")}
        return render(request, "members.html", {
            "section": "members", "members": people, "counts": counts, "status": member_status,
            "report": report, "upload_error": upload_error, "labels": topic_choices(app.config),
        }, status_code=status_code)


def members(request: Request) -> Response:
    return render_members(request)


def import_members(request: Request) -> Response:
    """Add or update members from an uploaded CSV; the report lists every rejected row and why."""
    app: App = request.app.state.app
    try:
        name, data = forms.upload(posted_form(request), "csv", MAX_CSV)
    except forms.FieldError as exc:
        return render_members(request, upload_error=exc.message, status_code=400)
    with app.transaction() as session:
        report = import_csv(session, data, known_topics=set(app.config.tagging.member_topics()), origin=name)
    return render_members(request, report)


def _member(session: Session, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None:
        raise HTTPException(404, "There is no member with that number.")
    return member


def _staff_view(member: Member) -> dict[str, Any]:
    session = object_session(member)
    assert session is not None
    return {"section": "members", "status": member_status(member), "public": False,
            "suppression": suppressed(session, [member.email]).get(member.email),
            "events": member_events(session, member.id)}


def member_detail(request: Request) -> Response:
    """One member's settings: anyone signed in reads them; an advocate changes them."""
    app: App = request.app.state.app
    member_id = request.path_params["member_id"]
    form: PreferencesForm | None = None

    def find(session: Session) -> Member:
        return _member(session, member_id)

    if request.method == "POST":
        saved = save_preferences(app, posted_form(request), find)
        if not saved.refused:
            done = f"saved ({', '.join(saved.changed)})." if saved.changed else "nothing changed."
            flash(request, f"{saved.member_name}: {done}")
            return RedirectResponse(request.url_for("member", member_id=member_id).path, status_code=303)
        form = saved.form
    return render_preferences(request, app, find, form, _staff_view, status_code=200 if form is None else 400)


ROUTES = [
    page("/members", members, name="members"),
    action("/members/import", import_members, name="members_import"),
    form_page("/members/{member_id:int}", member_detail, name="member"),
]
