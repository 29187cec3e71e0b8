"""Every route of the staff pages says who may use it: pages need a sign-in, every write an advocate and the
form's token; only the machines' endpoints (mail providers' one-click unsubscribe, the inbound webhook) go
without the token."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from advocacy.app import App
from advocacy.people.staff import ADVOCATE as ADVOCATE_ROLE
from advocacy.people.staff import VIEWER as VIEWER_ROLE
from advocacy.web.pages import ROUTES
from advocacy.web.routing import GuardedRoute
from tests.websupport import (
    seed_bill,
    seed_call_questions,
    seed_members,
    seed_questions,
    signed_in_client,
    viewer_client,
    web_app,
)

NO_TOKEN = {"/m/{token}/unsubscribe"}  # RFC 8058: posted by mail providers, checked by the endpoint otherwise
ANY_SIGNED_IN = {"/logout"}
PUBLIC = {"/login", "/m/{token}/preferences", "/m/{token}/unsubscribe", "/a/{token}", "/m/renew",
          "/m/{token}/bills", "/m/{token}/bills/{bill_id:int}", "/m/{token}/questions", "/m/{token}/calendar.ics"}


def guarded() -> list[GuardedRoute]:
    assert all(isinstance(route, GuardedRoute) for route in ROUTES)
    return [route for route in ROUTES if isinstance(route, GuardedRoute)]


def test_every_write_needs_an_advocate_and_the_forms_token() -> None:
    for route in guarded():
        if "POST" not in (route.methods or ()) or route.path in PUBLIC:
            continue
        assert route.access.signed_in, route.path
        assert route.access.csrf, route.path
        expected = VIEWER_ROLE if route.path in ANY_SIGNED_IN else ADVOCATE_ROLE
        assert route.access.role == expected, route.path


def test_only_the_members_link_pages_are_public_and_only_one_click_skips_the_token() -> None:
    public = {route.path for route in guarded() if not route.access.signed_in}
    assert public == PUBLIC
    assert {route.path for route in guarded() if not route.access.csrf} == NO_TOKEN


def _fill(path: str) -> str:
    return re.sub(r"\{[a-z_]+(:int)?\}", "1", path)


def test_anonymous_visitors_are_sent_to_sign_in_from_every_page(app: App) -> None:
    client = TestClient(web_app(app))
    for route in guarded():
        if route.path in PUBLIC or "GET" not in (route.methods or ()):
            continue
        response = client.get(_fill(route.path), follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), route.path


@pytest.mark.parametrize("path", ["/queue", "/digest", "/questions", "/agenda", "/members", "/members/1",
                                  "/bills/1"])
def test_a_viewer_reads_every_page(app: App, path: str) -> None:
    seed_bill(app, app.now())
    seed_members(app, app.now())
    seed_questions(app, app.now())
    seed_call_questions(app, app.now())
    client = viewer_client(app)
    response = client.get(path)
    assert response.status_code == 200
    assert 'aria-current="page"' in response.text


def test_an_oversized_post_is_refused_before_its_body_is_read(sqlite_app: App) -> None:
    client = signed_in_client(sqlite_app, "big@example.org", ADVOCATE_ROLE)
    huge = b"x" * (5 * 1024 * 1024 + 1)
    response = client.post("/members/import", files={"csv": ("members.csv", huge, "text/csv")})
    assert response.status_code == 413
    viewer = signed_in_client(sqlite_app, "reader@example.org", VIEWER_ROLE)
    response = viewer.post("/members/import", files={"csv": ("members.csv", huge, "text/csv")})
    assert response.status_code == 403  # refused on the role alone
