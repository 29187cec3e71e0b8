"""Routes that say who may use them. Every route of the web app is built here, so none forgets to check.

    page("/bills", bills_list, name="bills")                         # GET, any signed-in user
    action("/bills/{bill_id:int}/curate", curate, name="curate")     # POST, CSRF-checked, advocates only
    action("/logout", logout, name="logout", role=VIEWER)            # POST any signed-in user may make
    public("/login", login, name="login", methods=["GET", "POST"])   # no sign-in; POSTs still CSRF-checked
    public("/inbound/sendgrid", hook, methods=["POST"], csrf=False)  # machines: the endpoint authenticates

Endpoints may be plain functions (run in a worker thread, where database work belongs) or coroutines.
In a POST endpoint, `posted_form(request)` is the form the guard has already read and checked.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from advocacy.people.staff import ADVOCATE, VIEWER
from advocacy.web.auth import current_user, load_user
from advocacy.web.csrf import check_csrf

Endpoint = Callable[[Request], Response] | Callable[[Request], Awaitable[Response]]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Access:
    signed_in: bool  # anonymous visitors are sent to sign in
    role: str | None  # the role a POST needs (None: any, for public routes)
    csrf: bool  # POSTs must carry the session's token


class GuardedRoute(Route):
    """A Route whose endpoint runs only after its `access` rules pass."""

    def __init__(self, path: str, endpoint: Endpoint, *, access: Access, methods: Sequence[str],
                 name: str | None = None) -> None:
        self.access = access
        self.original_endpoint = endpoint
        super().__init__(path, _guard(endpoint, access), methods=list(methods), name=name or endpoint.__name__)


def page(path: str, endpoint: Endpoint, *, name: str | None = None) -> GuardedRoute:
    return GuardedRoute(path, endpoint, access=Access(True, VIEWER, True), methods=["GET"], name=name)


def action(path: str, endpoint: Endpoint, *, name: str | None = None, role: str = ADVOCATE) -> GuardedRoute:
    return GuardedRoute(path, endpoint, access=Access(True, role, True), methods=["POST"], name=name)


def form_page(path: str, endpoint: Endpoint, *, name: str | None = None, role: str = ADVOCATE) -> GuardedRoute:
    """One endpoint that shows a form on GET (to any signed-in user) and takes it on POST (to `role`)."""
    return GuardedRoute(path, endpoint, access=Access(True, role, True), methods=["GET", "POST"], name=name)


def public(path: str, endpoint: Endpoint, *, name: str | None = None, methods: Sequence[str] = ("GET",),
           csrf: bool = True) -> GuardedRoute:
    return GuardedRoute(path, endpoint, access=Access(False, None, csrf), methods=methods, name=name)


def posted_form(request: Request) -> FormData:
    """The form of this POST, already read (and CSRF-checked) by the guard."""
    form = getattr(request.state, "form", None)
    if not isinstance(form, FormData):
        raise RuntimeError("posted_form() is for POST endpoints of routes built with action() or form_page()")
    return form


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{request.url_for('login').path}?{urlencode({'next': target})}", status_code=303)


MAX_FORM_BYTES = 5 * 1024 * 1024


def _guard(endpoint: Endpoint, access: Access) -> Callable[[Request], Awaitable[Response]]:
    is_async = inspect.iscoroutinefunction(endpoint)

    async def guarded(request: Request) -> Response:
        app = request.app.state.app
        request.state.user = await run_in_threadpool(load_user, app, request.session)
        user = current_user(request)
        if access.signed_in and user is None:
            if request.method in SAFE_METHODS:
                return login_redirect(request)
            raise HTTPException(403, "Please sign in first.")
        if request.method not in SAFE_METHODS:
            # Who may post is decided before the body is read, and the body is bounded: a form is small, and
            # the one upload (a member CSV) is one file.
            if access.role is not None and (user is None or not user.can(access.role)):
                raise HTTPException(403, f"Your account can read but not change this; an {access.role} can.")
            if access.csrf:
                length = request.headers.get("content-length", "")
                if not length.isdigit() or int(length) > MAX_FORM_BYTES:
                    raise HTTPException(413, f"A form may carry at most {MAX_FORM_BYTES // (1024 * 1024)} MB.")
                form = await request.form(max_files=1, max_fields=500)
                request.state.form = form
                check_csrf(request, form)
        if is_async:
            return await endpoint(request)  # type: ignore[misc]
        return await run_in_threadpool(endpoint, request)  # type: ignore[arg-type]

    guarded.__name__ = getattr(endpoint, "__name__", "endpoint")
    guarded.__doc__ = endpoint.__doc__
    return guarded


def unguarded(routes: Sequence[Any]) -> list[str]:
    """Paths of routes not built with page/action/form_page/public (create_app refuses them)."""
    return [getattr(r, "path", repr(r)) for r in routes if not isinstance(r, GuardedRoute)]
