"""One mailing's engagement: delivered, opened and clicked, in all, per district and per member topic.

The numbers come from SendGrid's Event Webhook (`advocacy.outbound.engagement`); on SMTP or the outbox the page
says they are unavailable rather than showing zeros.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from advocacy import calls
from advocacy.app import App
from advocacy.models import Mailing, Member
from advocacy.outbound.engagement import lift, mailing_engagement
from advocacy.outbound.ledger import ledger, open_alerts, set_attendance
from advocacy.web.flash import flash
from advocacy.web.pages.agenda import find_call
from advocacy.web.preferences import topic_choices
from advocacy.web.render import render
from advocacy.web.routing import action, page, posted_form


def engagement_page(request: Request) -> Response:
    app: App = request.app.state.app
    with app.sessions() as session:
        mailing = session.get(Mailing, request.path_params["mailing_id"])
        if mailing is None:
            raise HTTPException(404, "There is no email with that number.")
        numbers = mailing_engagement(session, mailing.id, app.config.email.backend, topic_choices(app.config))
        return render(request, "engagement.html", {"section": "digest", "mailing": mailing, "e": numbers,
                                                   "backend": app.config.email.backend})


def ledger_page(request: Request) -> Response:
    """Per district: questions, calls attended, alerts acted on, opens, clicks, last sign of life, quiet or not."""
    app: App = request.app.state.app
    weeks = app.config.engagement.quiet_weeks
    with app.sessions() as session:
        return render(request, "ledger.html", {
            "section": "members", "rows": ledger(session, app.now(), weeks), "weeks": weeks,
            "alerts": open_alerts(session, app.now()), "tracked": app.config.email.backend == "sendgrid"})


def attendance(request: Request) -> Response:
    """The advocate ticks the districts that were on the call (its row is made here if need be)."""
    app: App = request.app.state.app
    ticked = [int(v) for v in posted_form(request).getlist("district") if str(v).isdigit()]
    with app.transaction() as session:
        call = calls.saved(session, app.config, find_call(session, app, request.path_params["day"]))
        added, removed = set_attendance(session, call.id, ticked, app.now())
        day = call.starts_at.astimezone(app.config.collaborative.tz).date().isoformat()
    flash(request, f"Attendance saved: {added} district(s) ticked, {removed} unticked.")
    return RedirectResponse(f"{request.url_for('agenda').path}?call={day}#attendance", status_code=303)


def lift_suppression(request: Request) -> Response:
    """The advocate lifts a bounce or spam-report suppression (the address was fixed, the member asked)."""
    app: App = request.app.state.app
    member_id = request.path_params["member_id"]
    with app.transaction() as session:
        member = session.get(Member, member_id)
        if member is None:
            raise HTTPException(404, "There is no member with that number.")
        lifted = lift(session, member.email)
        email = member.email
    flash(request, f"{email}: suppression lifted; the next email goes to it." if lifted
          else f"{email} was not suppressed.")
    return RedirectResponse(request.url_for("member", member_id=member_id).path, status_code=303)


ROUTES = [
    page("/mailings/{mailing_id:int}/engagement", engagement_page, name="mailing_engagement"),
    page("/districts/engagement", ledger_page, name="ledger"),
    action("/agenda/{day}/attendance", attendance, name="agenda_attendance"),
    action("/members/{member_id:int}/suppression/lift", lift_suppression, name="member_lift_suppression"),
]
