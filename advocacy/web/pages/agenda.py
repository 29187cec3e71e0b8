"""The agenda builder: the next call's agenda as members will get it, reordered, edited, merged, then sent.

`advocacy.outbound.agenda` does the work (build, move, edit, context, publish), as for the CLI; a merge of two
questions posts to the questions page's one merge (`question_merge`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from advocacy import calls
from advocacy.app import App
from advocacy.models import AgendaItem, Call, Question
from advocacy.outbound import agenda
from advocacy.outbound.ledger import attendance_sheet
from advocacy.outbound.sending import AlreadySent, SendInProgress
from advocacy.people.members import active_members
from advocacy.web import forms
from advocacy.web.flash import flash
from advocacy.web.pages.digest import PREVIEW_CSP
from advocacy.web.pages.questions import call_choices
from advocacy.web.render import render
from advocacy.web.routing import action, page, posted_form
from digests.render import EmailRenderer, time_boxes


def find_call(session: Session, app: App, day: str | None) -> Call:
    """The call on `day` (default: the next call) as it would be, writing nothing: a scheduled slot nobody has
    touched yet is an unsaved Call (its `id` is None); a write action saves it with `calls.saved`."""
    if not day:
        return calls.peek_upcoming(session, app.config, app.now())
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise HTTPException(404, f"{day!r} is not a date.") from None
    found = calls.peek_on(session, app.config, parsed)
    if found is None:
        raise HTTPException(404, f"There is no call on {parsed:%b %-d, %Y}.")
    return found


def _call(session: Session, call_id: int) -> Call:
    call = session.get(Call, call_id)
    if call is None:
        raise HTTPException(404, "There is no call with that number.")
    return call


def _day(app: App, call: Call) -> str:
    return call.starts_at.astimezone(app.config.collaborative.tz).date().isoformat()


def agenda_page(request: Request) -> Response:
    """Read-only: an unsaved slot is shown as it would be; building its agenda (or ticking attendance) saves it."""
    app: App = request.app.state.app
    now = app.now()
    with app.sessions() as session:
        call = find_call(session, app, request.query_params.get("call"))
        items = sorted(call.agenda, key=lambda i: i.position)
        ctx = agenda.context(session, app.config, call, now) if items else None
        slots = time_boxes(ctx.start, [i.minutes for i in ctx.items]) if ctx else []
        question_ids = [qid for item in items for qid in item.question_ids]
        questions = {q.id: q for q in session.scalars(select(Question).where(Question.id.in_(question_ids)))}
        saved = call.id is not None
        return render(request, "agenda.html", {
            "section": "agenda", "call": call, "rows": list(zip(items, ctx.items, slots, strict=True)) if ctx else [],
            "questions": questions, "total": sum(i.minutes for i in items), "length": agenda.call_minutes(call),
            "choices": call_choices(session, app.config, now), "day": _day(app, call),
            "sent": agenda.agenda_digest(session, call) if saved else None,
            "overrun": bool(slots) and slots[-1][1] > ctx.end if ctx else False,
            "open_count": len(agenda.open_questions(session, call)) if saved else 0,
            "attendance": attendance_sheet(session, call.id),
            "past": agenda.past_calls(session, now),
        })


def agenda_email(request: Request) -> Response:
    app: App = request.app.state.app
    with app.sessions() as session:
        call = _call(session, request.path_params["call_id"])
        if not call.agenda:
            raise HTTPException(404, "This call has no agenda yet.")
        ctx = agenda.context(session, app.config, call, app.now())
    html = EmailRenderer().agenda(ctx).html.replace("-member-token-", "preview")
    return HTMLResponse(html, headers={"Content-Security-Policy": PREVIEW_CSP, "X-Frame-Options": "SAMEORIGIN"})


def _edit(request: Request, call_day: str, work: Callable[[Session], str], anchor: str = "") -> Response:
    app: App = request.app.state.app
    try:
        with app.transaction() as session:
            message = work(session)
    except (agenda.AgendaError, forms.FieldError) as exc:
        flash(request, f"Nothing changed: {exc}", "bad")
    else:
        flash(request, message)
    return RedirectResponse(f"{request.url_for('agenda').path}?call={call_day}{anchor}", status_code=303)


def _item_day(app: App, session: Session, item_id: int) -> str:
    item = session.get(AgendaItem, item_id)
    if item is None:
        raise HTTPException(404, "There is no agenda item with that number.")
    return _day(app, item.call)


def build(request: Request) -> Response:
    """Build (or bring up to date) the agenda of the call on a day: the call's row is made here if need be."""
    app: App = request.app.state.app
    fresh = posted_form(request).get("intent") == "fresh"
    with app.sessions() as session:
        day = _day(app, find_call(session, app, request.path_params["day"]))
    try:
        agenda.build_for(app, day=date.fromisoformat(day), fresh=fresh)
    except agenda.AgendaError as exc:
        flash(request, f"Nothing changed: {exc}", "bad")
    else:
        flash(request, "Agenda built from scratch." if fresh else "Agenda up to date with the latest questions.")
    return RedirectResponse(f"{request.url_for('agenda').path}?call={day}", status_code=303)


def move(request: Request) -> Response:
    app: App = request.app.state.app
    form = posted_form(request)
    item_id = request.path_params["item_id"]
    with app.sessions() as session:
        day = _item_day(app, session, item_id)

    def work(session: Session) -> str:
        position = forms.whole_number(form, "position", low=1, high=1000)
        agenda.move(session, item_id, position)
        return f"Item moved to position {position}."

    return _edit(request, day, work, f"#item-{item_id}")


def edit(request: Request) -> Response:
    app: App = request.app.state.app
    form = posted_form(request)
    item_id = request.path_params["item_id"]
    with app.sessions() as session:
        day = _item_day(app, session, item_id)

    def work(session: Session) -> str:
        agenda.edit(session, item_id, title=forms.text(form, "title", 500),
                    notes=forms.text(form, "notes", 10_000).strip(),
                    minutes=forms.whole_number(form, "minutes", low=1, high=600))
        return "Item saved."

    return _edit(request, day, work, f"#item-{item_id}")


def add(request: Request) -> Response:
    app: App = request.app.state.app
    form = posted_form(request)
    with app.sessions() as session:
        day = _day(app, _call(session, request.path_params["call_id"]))

    def work(session: Session) -> str:
        item = agenda.add_item(session, _call(session, request.path_params["call_id"]),
                               forms.text(form, "title", 500), notes=forms.text(form, "notes", 10_000).strip(),
                               minutes=forms.whole_number(form, "minutes", low=1, high=600))
        return f"“{item.title}” added."

    return _edit(request, day, work)


def remove(request: Request) -> Response:
    app: App = request.app.state.app
    item_id = request.path_params["item_id"]
    with app.sessions() as session:
        day = _item_day(app, session, item_id)

    def work(session: Session) -> str:
        item = agenda.remove_item(session, item_id)
        kept = " Its questions stay open." if item.question_ids else ""
        return f"“{item.title}” removed from the agenda.{kept}"

    return _edit(request, day, work)


def confirm_send(request: Request) -> Response:
    app: App = request.app.state.app
    with app.sessions() as session:
        call = _call(session, request.path_params["call_id"])
        if not call.agenda:
            flash(request, "This call has no agenda yet: build it first.", "warn")
            return RedirectResponse(f"{request.url_for('agenda').path}?call={_day(app, call)}", status_code=303)
        sent = agenda.agenda_digest(session, call)
        return render(request, "agenda_send.html", {
            "section": "agenda", "call": call, "items": len(call.agenda), "recipients": len(active_members(session)),
            "update": sent is not None and sent.status == "sent", "backend": app.config.email.backend,
            "day": _day(app, call),
        })


def send(request: Request) -> Response:
    app: App = request.app.state.app
    call_id = request.path_params["call_id"]
    with app.sessions() as session:
        call = _call(session, call_id)
        day = _day(app, call)
        sent = agenda.agenda_digest(session, call)
        update = sent is not None and sent.status == "sent"
    try:
        published = agenda.publish(app, call_id, backend=app.mail, update=update)
    except (AlreadySent, SendInProgress, agenda.AgendaError) as exc:
        flash(request, f"Not sent: {exc}", "bad")
    else:
        report = published.report
        assert report is not None
        flash(request, f"Agenda {'update ' if update else ''}sent: {report.sent} sent, {report.skipped} skipped, "
                       f"{report.failed} failed.", "bad" if report.failed else "good")
    return RedirectResponse(f"{request.url_for('agenda').path}?call={day}", status_code=303)


ROUTES = [
    page("/agenda", agenda_page, name="agenda"),
    page("/agenda/{call_id:int}/email", agenda_email, name="agenda_email"),
    action("/agenda/{day}/build", build, name="agenda_build"),
    action("/agenda/items/{item_id:int}/move", move, name="agenda_move"),
    action("/agenda/items/{item_id:int}/edit", edit, name="agenda_edit"),
    action("/agenda/{call_id:int}/items", add, name="agenda_add"),
    action("/agenda/items/{item_id:int}/remove", remove, name="agenda_remove"),
    page("/agenda/{call_id:int}/send", confirm_send, name="agenda_confirm"),
    action("/agenda/{call_id:int}/send", send, name="agenda_send"),
]

