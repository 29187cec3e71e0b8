"""Search: every word of a bill (text, title, synopsis, sponsors, subjects, committees, commentary), ranked, with
the matched words highlighted; and saved searches, tried against the stored bills before they become queue rules."""

from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from advocacy.app import App
from advocacy.curation.saved import Trial, delete_search, save_search, try_search
from advocacy.curation.search import SearchError
from advocacy.models import SavedSearch
from advocacy.web.auth import require_user
from advocacy.web.billtext_view import snippet_html
from advocacy.web.flash import flash
from advocacy.web.pages.bills import display_label
from advocacy.web.render import render
from advocacy.web.routing import action, page, posted_form

SHOWN = 50


def search_page(request: Request) -> Response:
    app: App = request.app.state.app
    query = str(request.query_params.get("q", "")).strip()[:300]
    trial: Trial | None = None
    problem = ""
    with app.transaction() as session:  # a search first brings the index up to date
        if query:
            try:
                trial = try_search(session, query, app.now(), limit=SHOWN)
            except SearchError as exc:
                problem = str(exc)
        saved = list(session.scalars(select(SavedSearch).order_by(SavedSearch.name)))
    labels = {h.bill_id: display_label(app.config, h.jurisdiction, h.identifier) for h in (trial.hits if trial else [])}
    return render(request, "search.html", {
        "section": "search", "query": query, "trial": trial, "problem": problem, "saved": saved,
        "labels": labels, "snippet_html": snippet_html, "shown": SHOWN,
    })


def save(request: Request) -> Response:
    app: App = request.app.state.app
    user = require_user(request)
    form = posted_form(request)
    query, name = str(form.get("q", "")), str(form.get("name", ""))
    back = request.url_for("search").path + "?" + urlencode({"q": query})
    try:
        with app.transaction() as session:
            saved = save_search(session, name, query, user.email, app.now())
    except SearchError as exc:
        flash(request, f"Not saved: {exc}", "bad")
        return RedirectResponse(back, status_code=303)
    flash(request, f"Saved “{saved.name}”: new bills matching “{saved.query}” will join the queue with that reason.")
    return RedirectResponse(back, status_code=303)


def delete(request: Request) -> Response:
    app: App = request.app.state.app
    with app.transaction() as session:
        if session.get(SavedSearch, request.path_params["search_id"]) is None:
            raise HTTPException(404)
        delete_search(session, request.path_params["search_id"])
    flash(request, "Saved search deleted; the bills it had queued keep their place until re-tagged.")
    return RedirectResponse(request.url_for("search").path, status_code=303)


ROUTES = [
    page("/search", search_page, name="search"),
    action("/search/saved", save, name="save_search"),
    action("/search/saved/{search_id:int}/delete", delete, name="delete_search"),
]
