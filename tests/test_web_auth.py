"""Who may see and change what: sign-in, sessions, roles, CSRF and the login rate limit."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from advocacy.app import App
from advocacy.config import Secrets, load_config
from advocacy.people import staff
from advocacy.web.routing import action, posted_form
from tests.factories import FakeClock
from tests.websupport import (
    ADVOCATE,
    PASSWORD,
    VIEWER,
    add_staff,
    advocate_client,
    csrf_from,
    sign_in,
    viewer_client,
    web_app,
)

PAGES = ["/", "/bills", "/bills/1", "/members"]


def _flag_route(calls: list[str]) -> Route:
    """An advocate-only POST, as the curation pages will add: it records what it was sent."""

    def flag(request: Request) -> Response:
        calls.append(str(posted_form(request).get("note", "")))
        return PlainTextResponse("flagged")

    return action("/test/flag", flag, name="flag")


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitor_is_sent_to_sign_in_and_back(app: App, path: str) -> None:
    add_staff(app, VIEWER, "viewer")
    client = TestClient(web_app(app))
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == [path]

    signed = sign_in(client, VIEWER, next_path=path)
    assert signed.status_code == 303
    assert signed.headers["location"] == path


def test_signed_in_user_sees_every_page(app: App) -> None:
    from tests.websupport import seed_bill

    bill_id = seed_bill(app, app.now())
    client = viewer_client(app)
    for path in ["/", "/bills", f"/bills/{bill_id}", "/members"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert VIEWER in response.text  # the top bar names who is signed in


def test_wrong_password_is_refused_without_signing_in(app: App) -> None:
    add_staff(app, ADVOCATE, "advocate")
    client = TestClient(web_app(app))
    response = sign_in(client, ADVOCATE, "not the passphrase at all")
    assert response.status_code == 400
    assert "don&#39;t match an account" in response.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(app: App) -> None:
    add_staff(app, ADVOCATE, "advocate")
    client = TestClient(web_app(app))
    unknown = sign_in(client, "nobody@heartland-collab.example.org")
    wrong = sign_in(client, ADVOCATE, "not the passphrase at all")
    assert unknown.status_code == wrong.status_code == 400
    assert "don&#39;t match an account" in unknown.text


def test_email_is_matched_whatever_its_case(app: App) -> None:
    add_staff(app, ADVOCATE, "advocate")
    client = TestClient(web_app(app))
    assert sign_in(client, "  " + ADVOCATE.upper()).status_code == 303


def test_sixth_failure_in_fifteen_minutes_is_refused_even_with_the_right_password(
    app: App, clock: FakeClock
) -> None:
    add_staff(app, ADVOCATE, "advocate")
    client = TestClient(web_app(app))
    for _ in range(5):
        assert sign_in(client, ADVOCATE, "wrong guess number x").status_code == 400
    blocked = sign_in(client, ADVOCATE)
    assert blocked.status_code == 429
    assert "Try again in 15 minutes" in blocked.text

    clock.advance(minutes=14, seconds=59)
    assert sign_in(client, ADVOCATE).status_code == 429
    clock.advance(seconds=1)
    assert sign_in(client, ADVOCATE).status_code == 303


def test_rate_limit_counts_per_email_and_address(app: App) -> None:
    add_staff(app, ADVOCATE, "advocate")
    add_staff(app, VIEWER, "viewer")
    web = web_app(app)
    attacker = TestClient(web, client=("203.0.113.9", 40000))
    for _ in range(5):
        sign_in(attacker, ADVOCATE, "wrong guess number x")
    assert sign_in(attacker, ADVOCATE).status_code == 429
    assert sign_in(TestClient(web, client=("198.51.100.4", 40000)), ADVOCATE).status_code == 303
    assert sign_in(attacker, VIEWER).status_code == 303


def test_success_clears_earlier_failures(app: App) -> None:
    add_staff(app, ADVOCATE, "advocate")
    client = TestClient(web_app(app))
    for _ in range(4):
        sign_in(client, ADVOCATE, "wrong guess number x")
    assert sign_in(client, ADVOCATE).status_code == 303
    for _ in range(4):
        sign_in(client, ADVOCATE, "wrong guess number x")
    assert sign_in(client, ADVOCATE).status_code == 303


def test_post_without_csrf_token_is_refused(app: App) -> None:
    client = advocate_client(app)
    response = client.post("/logout", data={}, follow_redirects=False)
    assert response.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200  # still signed in


def test_post_with_another_sessions_token_is_refused(app: App) -> None:
    client = advocate_client(app)
    other = TestClient(web_app(app))
    foreign = csrf_from(other.get("/login").text)
    response = client.post("/logout", data={"csrf_token": foreign}, follow_redirects=False)
    assert response.status_code == 403


def test_sign_in_form_needs_its_csrf_token(app: App) -> None:
    add_staff(app, ADVOCATE, "advocate")
    client = TestClient(web_app(app))
    client.get("/login")
    response = client.post("/login", data={"email": ADVOCATE, "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 403


def test_csrf_token_may_come_in_a_header(app: App) -> None:
    calls: list[str] = []
    client = advocate_client(app, extra_routes=[_flag_route(calls)])
    token = csrf_from(client.get("/").text)
    response = client.post("/test/flag", data={"note": "by header"}, headers={"X-CSRF-Token": token})
    assert response.status_code == 200
    assert calls == ["by header"]


def test_viewer_cannot_post_to_an_advocate_action(app: App) -> None:
    calls: list[str] = []
    client = viewer_client(app, extra_routes=[_flag_route(calls)])
    token = csrf_from(client.get("/").text)
    response = client.post("/test/flag", data={"csrf_token": token, "note": "viewer"})
    assert response.status_code == 403
    assert "can read but not change" in response.text
    assert calls == []


def test_advocate_can_post_to_an_advocate_action(app: App) -> None:
    calls: list[str] = []
    client = advocate_client(app, extra_routes=[_flag_route(calls)])
    token = csrf_from(client.get("/").text)
    response = client.post("/test/flag", data={"csrf_token": token, "note": "advocate"})
    assert response.status_code == 200
    assert calls == ["advocate"]


def test_anonymous_post_is_refused(app: App) -> None:
    calls: list[str] = []
    client = TestClient(web_app(app, extra_routes=[_flag_route(calls)]))
    token = csrf_from(client.get("/login").text)
    assert client.post("/test/flag", data={"csrf_token": token}).status_code == 403
    assert calls == []


def test_role_change_takes_effect_on_the_next_request(app: App) -> None:
    calls: list[str] = []
    client = advocate_client(app, extra_routes=[_flag_route(calls)])
    token = csrf_from(client.get("/").text)
    with app.transaction() as session:
        staff.set_role(session, ADVOCATE, "viewer")
    assert client.post("/test/flag", data={"csrf_token": token}).status_code == 403


def test_routes_that_do_not_say_who_may_use_them_are_refused(app: App) -> None:
    with pytest.raises(ValueError, match="/open"):
        web_app(app, extra_routes=[Route("/open", lambda request: PlainTextResponse("hi"))])


def test_sign_out_ends_the_session(app: App) -> None:
    client = viewer_client(app)
    token = csrf_from(client.get("/").text)
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


def test_new_password_signs_out_open_sessions(app: App) -> None:
    client = advocate_client(app)
    with app.transaction() as session:
        staff.set_password(session, ADVOCATE, "another long passphrase", hasher=staff.default_hasher())
    assert client.get("/", follow_redirects=False).status_code == 303


def test_removed_account_is_signed_out(app: App) -> None:
    client = advocate_client(app)
    with app.transaction() as session:
        staff.remove_user(session, ADVOCATE)
    assert client.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("target", ["https://evil.example.net/", "//evil.example.net/x", "/\\evil.example.net"])
def test_sign_in_never_redirects_off_site(app: App, target: str) -> None:
    add_staff(app, ADVOCATE, "advocate")
    client = TestClient(web_app(app))
    response = sign_in(client, ADVOCATE, next_path=target)
    assert response.headers["location"] == "/"


def test_forged_session_cookie_is_ignored(app: App) -> None:
    add_staff(app, ADVOCATE, "advocate")
    client = viewer_client(app)
    payload, stamp, signature = client.cookies["advocacy_session"].strip('"').split(".")
    data = json.loads(base64.b64decode(payload))
    data["uid"] = 1  # the advocate, added first
    forged = base64.b64encode(json.dumps(data).encode()).decode()
    client.cookies.clear()
    client.cookies.set("advocacy_session", f"{forged}.{stamp}.{signature}")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_session_cookie_is_http_only_and_same_site_lax(app: App) -> None:
    add_staff(app, ADVOCATE, "advocate")
    response = sign_in(TestClient(web_app(app)), ADVOCATE)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie


def test_secure_cookies_setting_marks_the_cookie_secure(app: App, config_path: object) -> None:
    config = load_config(config_path, env={"ADVOCACY_WEB__SECURE_COOKIES": "true"})  # type: ignore[arg-type]
    secure = App(config, secrets=Secrets.from_env({}), clock=app.clock, database_url=app.database_url)
    add_staff(secure, ADVOCATE, "advocate")
    client = TestClient(web_app(secure), base_url="https://testserver")
    response = sign_in(client, ADVOCATE)
    assert "secure" in response.headers["set-cookie"].lower()
    secure.engine.dispose()


def test_session_secret_comes_from_the_environment_when_set(app: App) -> None:
    env_app = App(app.config, secrets=Secrets.from_env({"ADVOCACY_SESSION_SECRET": "s" * 40}), clock=app.clock,
                  database_url=app.database_url)
    add_staff(env_app, ADVOCATE, "advocate")
    signed = TestClient(web_app(env_app))
    sign_in(signed, ADVOCATE)
    # The same cookie means nothing to an app with another secret.
    other = TestClient(web_app(app))
    other.cookies.clear()
    other.cookies.set("advocacy_session", signed.cookies["advocacy_session"])
    assert other.get("/", follow_redirects=False).status_code == 303
    assert signed.get("/", follow_redirects=False).status_code == 200
    env_app.engine.dispose()


def test_unknown_address_gets_a_404_page_even_when_signed_out(app: App) -> None:
    response = TestClient(web_app(app)).get("/no/such/page")
    assert response.status_code == 404
    assert "There is nothing at this address." in response.text


def test_sign_out_by_get_is_not_allowed(app: App) -> None:
    client = viewer_client(app)
    assert client.get("/logout").status_code == 405
    assert client.get("/", follow_redirects=False).status_code == 200


def test_every_response_forbids_framing_scripts_and_caching(app: App) -> None:
    response = TestClient(web_app(app)).get("/login")
    assert response.headers["x-frame-options"] == "DENY"
    assert "script-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


def test_stylesheet_is_served_and_linked_with_its_version(app: App) -> None:
    client = TestClient(web_app(app))
    page = client.get("/login").text
    assert '/static/style.css?v=' in page
    css = client.get("/static/style.css")
    assert css.status_code == 200 and "@media" in css.text


def test_one_address_trying_many_emails_is_refused_with_retry_after(app: App, clock: FakeClock) -> None:
    add_staff(app, ADVOCATE, "advocate")
    web = web_app(app)
    attacker = TestClient(web, client=("203.0.113.9", 40000))
    for n in range(20):  # never five for one email, but twenty from one address
        assert sign_in(attacker, f"guess{n}@example.org", "wrong guess number x").status_code == 400
    blocked = sign_in(attacker, ADVOCATE)
    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "900"
    assert sign_in(TestClient(web, client=("198.51.100.4", 40000)), ADVOCATE).status_code == 303
    clock.advance(minutes=10)
    assert sign_in(attacker, ADVOCATE).headers["Retry-After"] == "300"
    clock.advance(minutes=5)
    assert sign_in(attacker, ADVOCATE).status_code == 303


@pytest.mark.parametrize("secure", [True, False])
def test_strict_transport_security_is_sent_only_with_secure_cookies(app: App, secure: bool) -> None:
    app.config = app.config.model_copy(update={"web": app.config.web.model_copy(update={"secure_cookies": secure})})
    response = TestClient(web_app(app), base_url="https://testserver").get("/login")
    assert response.status_code == 200
    assert response.headers.get("Strict-Transport-Security") == ("max-age=31536000" if secure else None)
