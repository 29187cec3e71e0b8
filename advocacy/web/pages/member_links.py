"""The pages members reach from an email, without an account: the signed link is the key.

    /m/{token}/preferences   topics, alerts on/off, pause (and coming back after an unsubscribe)
    /m/{token}/unsubscribe   GET: a confirmation; POST: unsubscribe. Mail providers POST
                             `List-Unsubscribe=One-Click` here (RFC 8058) with no cookie, so that body is
                             accepted without the form token; any other POST must carry it.
    /a/{token}               "I contacted them" on an action alert: GET asks, POST records. A link scanner
                             that opens every link in a message must not report an action nobody took.
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from advocacy.app import App
from advocacy.models import Member
from advocacy.outbound.acted import handle_acted_link, read_acted_token
from advocacy.outbound.outgoing import read_member_token
from advocacy.people.members import unsubscribe
from advocacy.tokens import TokenError
from advocacy.web.csrf import check_csrf
from advocacy.web.flash import flash
from advocacy.web.preferences import PreferencesForm, render_preferences, save_preferences
from advocacy.web.render import render
from advocacy.web.routing import SAFE_METHODS, posted_form, public

ONE_CLICK = "One-Click"
BAD_LINK = ("This link is not valid: it may have been cut short when it was copied. "
            "Open it again from the email, or reply to any of our emails and we will help.")


def _member(app: App, session: Session, token: str) -> Member:
    try:
        member_id = read_member_token(app, token)
    except (TokenError, ValueError):
        raise HTTPException(404, BAD_LINK) from None
    member = session.get(Member, member_id)
    if member is None:
        raise HTTPException(404, "We have no member for this link any more.")
    return member


def preferences(request: Request) -> Response:
    app: App = request.app.state.app
    token = request.path_params["token"]
    form: PreferencesForm | None = None

    def find(session: Session) -> Member:
        return _member(app, session, token)

    if request.method == "POST":
        saved = save_preferences(app, posted_form(request), find)
        if not saved.refused:
            flash(request, "Your preferences are saved." if saved.changed else "Nothing changed.")
            return RedirectResponse(request.url.path, status_code=303)
        form = saved.form
    return render_preferences(request, app, find, form, lambda _: {"public": True, "token": token, "status": ""},
                              status_code=200 if form is None else 400)


def _unsubscribe(app: App, token: str) -> tuple[Member, bool]:
    with app.transaction() as session:
        member = _member(app, session, token)
        changed = unsubscribe(session, member, app.now())
        session.expunge(member)
        return member, changed


async def unsubscribe_page(request: Request) -> Response:
    app: App = request.app.state.app
    token = request.path_params["token"]
    if request.method in SAFE_METHODS:
        def show() -> Response:
            with app.sessions() as session:
                member = _member(app, session, token)
                return render(request, "unsubscribe.html", {"member": member, "token": token, "done": False})
        return await run_in_threadpool(show)
    form: FormData = await request.form()
    if form.get("List-Unsubscribe") == ONE_CLICK:
        # RFC 8058: the mail provider posts this on the member's behalf; the signed link is the authority
        await run_in_threadpool(_unsubscribe, app, token)
        return PlainTextResponse("Unsubscribed.\n")
    check_csrf(request, form)
    member, _ = await run_in_threadpool(_unsubscribe, app, token)
    return render(request, "unsubscribe.html", {"member": member, "token": token, "done": True})


def acted(request: Request) -> Response:
    app: App = request.app.state.app
    token = request.path_params["token"]
    if request.method in SAFE_METHODS:  # a HEAD from a link scanner must not record an action
        try:
            read_acted_token(app.signing_key, token)
        except TokenError:
            raise HTTPException(404, "This link is not valid. Reply to the alert email with \"done\" instead.") from None
        return render(request, "acted.html", {"token": token, "result": None})
    with app.transaction() as session:
        result = handle_acted_link(session, app.signing_key, token, app.now())
    return render(request, "acted.html", {"token": token, "result": result}, status_code=200 if result.ok else 404)


ROUTES = [
    public("/m/{token}/preferences", preferences, name="member_preferences", methods=["GET", "POST"]),
    public("/m/{token}/unsubscribe", unsubscribe_page, name="member_unsubscribe", methods=["GET", "POST"],
           csrf=False),
    public("/a/{token}", acted, name="acted", methods=["GET", "POST"]),
]
