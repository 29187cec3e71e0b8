"""A per-session token on every form, checked on every POST (synchronizer-token pattern)."""

from __future__ import annotations

import hmac
import secrets

from jinja2 import pass_context
from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

SESSION_KEY = "csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"


def csrf_token(request: Request) -> str:
    """The session's token, made on first use."""
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


def check_csrf(request: Request, form: FormData) -> None:
    """403 unless the form (or the X-CSRF-Token header) carries this session's token."""
    expected = request.session.get(SESSION_KEY)
    given = form.get(FIELD) or request.headers.get(HEADER)
    if not isinstance(expected, str) or not expected or not isinstance(given, str) or not hmac.compare_digest(
        expected.encode(), given.encode()
    ):
        raise HTTPException(403, "This form has expired or did not come from this site. Reload the page and try again.")


@pass_context
def csrf_field(context: dict[str, object]) -> Markup:
    """In a template: `<form method="post">{{ csrf_field() }} ...`."""
    request = context["request"]
    assert isinstance(request, Request)
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, csrf_token(request))
