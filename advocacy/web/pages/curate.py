"""The advocate's decisions on bills: one-click approve/dismiss/snooze (queue and bill page) and the curation form.

Both write through `advocacy.curation.decisions.curate`, as the CLI does, so every rule and the audit live there; a change
that flags an action (or makes a bill with a hearing coming high priority) becomes an urgent alert right away.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from advocacy.app import App
from advocacy.curation import decisions as cur
from advocacy.models import Bill, Curation
from advocacy.outbound.alerts import create_alerts
from advocacy.web import forms
from advocacy.web.auth import require_user
from advocacy.web.curation_form import CurationForm
from advocacy.web.flash import flash
from advocacy.web.pages.bills import display_label, render_bill
from advocacy.web.pages.signin import safe_next
from advocacy.web.routing import action, posted_form

DECISIONS = ("approve", "dismiss", "snooze", "reopen")
SNOOZE_DAYS = (7, 14, 30)
_DONE = {"approve": "approved", "dismiss": "dismissed", "snooze": "snoozed", "reopen": "back in the queue"}


def _bill(session: Session, bill_id: int) -> Bill:
    bill = session.get(Bill, bill_id)
    if bill is None:
        raise HTTPException(404, "There is no bill with that number here.")
    return bill


def _label(app: App, bill: Bill) -> str:
    return display_label(app.config, bill.session.jurisdiction.code, bill.identifier)


def _apply(app: App, session: Session, bill: Bill, actor: str, **changes: object) -> tuple[cur.Change, int]:
    now = app.now()
    change = cur.curate(session, bill, actor, now, **changes)
    alerts = len(create_alerts(session, app.config, now)) if change.changed else 0
    return change, alerts


def decide(request: Request) -> Response:
    """Approve, dismiss, snooze (for `days`) or reopen a bill; back to where the button was."""
    app: App = request.app.state.app
    user = require_user(request)
    form = posted_form(request)
    target = safe_next(str(form.get("next", "")) or request.url_for("queue").path)
    try:
        decision = forms.choice(form, "decision", DECISIONS)
        if decision is None:
            raise forms.FieldError("decision", "say what to do with the bill")
        changes: dict[str, object] = {"status": _DONE[decision] if decision != "reopen" else "new"}
        if decision == "snooze":
            days = forms.whole_number(form, "days", low=1, high=365)
            changes["snoozed_until"] = app.now() + timedelta(days=days)
    except forms.FieldError as exc:
        flash(request, f"Nothing changed: {exc}", "bad")
        return RedirectResponse(target, status_code=303)
    try:
        with app.transaction() as session:
            bill = _bill(session, request.path_params["bill_id"])
            label = _label(app, bill)
            change, alerts = _apply(app, session, bill, user.email, **changes)
    except cur.CurationError as exc:
        flash(request, f"Nothing changed: {exc}", "bad")
        return RedirectResponse(target, status_code=303)
    message = f"{label} {_DONE[decision]}"
    if decision == "reopen" and change.before.get("status"):
        message += f" (it was {change.before['status']}; it waits for a new decision)"
    if decision == "snooze":
        message += f" for {form.get('days')} days"
    flash(request, message + (f"; {alerts} urgent alert ready to send" if alerts else "") + ".")
    return RedirectResponse(target, status_code=303)


def curate_bill(request: Request) -> Response:
    """The curation form: "Preview" shows the commentary as members will read it; "Save" writes."""
    app: App = request.app.state.app
    user = require_user(request)
    bill_id = request.path_params["bill_id"]
    posted = posted_form(request)
    form = CurationForm.from_post(posted)
    zone = app.config.collaborative.tz
    if posted.get("intent") == "preview" or form.errors:
        with app.sessions() as session:
            _bill(session, bill_id)
            shown = replace(form, preview=not form.errors)
            return render_bill(request, session, bill_id, shown, status_code=400 if form.errors else 200)
    try:
        with app.transaction() as session:
            bill = _bill(session, bill_id)
            label = _label(app, bill)
            curation = session.scalar(select(Curation).where(Curation.bill_id == bill_id))
            change, alerts = _apply(app, session, bill, user.email, **form.changes(curation, zone))
    except cur.CurationError as exc:
        with app.sessions() as session:
            return render_bill(request, session, bill_id, form.with_problems(exc.problems), status_code=400)
    if change.changed:
        fields = ", ".join(name.replace("_", " ") for name in change.after)
        message = f"{label}: saved ({fields})"
    else:
        message = f"{label}: nothing changed; marked reviewed"
    flash(request, message + (f"; {alerts} urgent alert ready to send" if alerts else "") + ".")
    return RedirectResponse(request.url_for("bill", bill_id=bill_id).path + "#curation", status_code=303)


ROUTES = [
    action("/bills/{bill_id:int}/decide", decide, name="decide"),
    action("/bills/{bill_id:int}/curate", curate_bill, name="curate"),
]
