"""Sign in and sign out."""

from __future__ import annotations

import math

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from advocacy.people import staff
from advocacy.people.staff import VIEWER
from advocacy.web.auth import LoginLimiter, current_user, sign_in, sign_out
from advocacy.web.render import render
from advocacy.web.routing import SAFE_METHODS, action, posted_form, public


def safe_next(target: str | None) -> str:
    """Only a path on this site: `next=https://evil.example` or `//evil.example` would be an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def login(request: Request) -> Response:
    if request.method in SAFE_METHODS:  # HEAD too: a link checker's HEAD is a GET without the body
        if current_user(request) is not None:
            return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
        return render(request, "login.html", {"email": "", "error": "",
                                              "next": safe_next(request.query_params.get("next"))})
    form = posted_form(request)
    email = str(form.get("email", "")).strip().lower()
    password = str(form.get("password", ""))
    target = safe_next(str(form.get("next", "")))
    address = request.client.host if request.client else ""
    limiter: LoginLimiter = request.app.state.limiter
    wait = limiter.retry_after(email, address)
    if wait is not None:
        minutes = max(1, round(wait.total_seconds() / 60))
        raise HTTPException(429, f"Too many failed sign-ins for {email}. Try again in {minutes} minute"
                                 f"{'s' if minutes != 1 else ''}.",
                            headers={"Retry-After": str(max(1, math.ceil(wait.total_seconds())))})
    app = request.app.state.app
    with app.transaction() as session:
        user = staff.authenticate(session, email, password, hasher=request.app.state.hasher)
        if user is not None:
            sign_in(request, user)
    if user is None:
        limiter.failed(email, address)
        return render(request, "login.html", {"email": email, "next": target,
                                              "error": "That email and password don't match an account."},
                      status_code=400)
    limiter.succeeded(email, address)
    return RedirectResponse(target, status_code=303)


def logout(request: Request) -> Response:
    sign_out(request)
    return RedirectResponse(request.url_for("login").path, status_code=303)


ROUTES = [
    public("/login", login, name="login", methods=["GET", "POST"]),
    action("/logout", logout, name="logout", role=VIEWER),
]
