"""Members over HTTP: CSV import with its report, a member's settings by staff, and the pages members reach
from an email without an account (preferences, unsubscribe with RFC 8058 one-click, "I contacted them")."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from advocacy.app import App
from advocacy.models import ActionTaken, Mailing, Member
from advocacy.outbound.acted import acted_token
from advocacy.outbound.outgoing import member_token
from tests.websupport import (
    advocate_client,
    csrf_from,
    post_form,
    seed_members,
    text_of,
    viewer_client,
    web_app,
)

CSV = (
    "email,name,district,role,topics,alerts\n"
    "ana.reyes@cedar.k12.example.org,Ana Reyes,Cedar Falls City Schools,Superintendent,funding;meals,yes\n"
    "not-an-address,Bo Chen,Cedar Falls City Schools,Treasurer,,yes\n"
    "cy.adams@cedar.k12.example.org,Cy Adams,Cedar Falls City Schools,Treasurer,bowling,no\n"
    "<script>@x.example.org,<b>Dee</b>,Oak Local,,,\n"
)


@pytest.fixture
def advocate(app: App) -> TestClient:
    """The advocate, signed in after the members were seeded."""
    seed_members(app, app.now())
    return advocate_client(app)


def member(app: App, email: str) -> Member:
    with app.sessions() as session:
        row = session.scalar(select(Member).where(Member.email == email))
        assert row is not None
        session.expunge(row)
        return row


def upload(client: TestClient, content: bytes, name: str = "members.csv") -> object:
    token = csrf_from(client.get("/members").text)
    return client.post("/members/import", data={"csrf_token": token},
                       files={"csv": (name, content, "text/csv")}, follow_redirects=False)


def test_import_adds_good_rows_and_reports_each_rejected_row_with_why(app: App, advocate: TestClient) -> None:
    response = upload(advocate, CSV.encode())
    assert response.status_code == 200
    page = text_of(response.text)
    assert "Import: 2 added, 0 updated, 2 rows rejected" in page
    assert "3 email 'not-an-address' is not an address" in page
    assert "4 unknown topic(s) bowling" in page
    assert member(app, "ana.reyes@cedar.k12.example.org").topics == ["funding", "meals"]
    assert "<b>Dee</b>" not in response.text and "&lt;b&gt;Dee&lt;/b&gt;" in response.text  # escaped
    again = text_of(upload(advocate, CSV.encode()).text)
    assert "0 added, 2 updated" in again  # the same file twice doubles nobody


def test_import_without_a_file_or_with_the_wrong_columns(advocate: TestClient) -> None:
    token = csrf_from(advocate.get("/members").text)
    response = advocate.post("/members/import", data={"csrf_token": token}, files={"csv": ("", b"", "text/csv")})
    assert response.status_code == 400 and 'id="csv-error">choose a file to upload<' in response.text
    page = text_of(upload(advocate, b"mail,fullname\nx@y.org,X\n", "wrong.csv").text)
    assert "wrong.csv: missing column(s) email, name, district" in page


def test_staff_edit_a_members_preferences(app: App, advocate: TestClient) -> None:
    lee = member(app, "lee.okafor@maplefield.k12.example.org")
    assert f'href="/members/{lee.id}"' in advocate.get("/members").text
    response = post_form(advocate, f"/members/{lee.id}", f"/members/{lee.id}",
                         {"topics_mode": "chosen", "topic": ["funding", "transportation"], "alerts": "1"})
    assert response.status_code == 303
    saved = member(app, lee.email)
    assert (saved.topics, saved.alerts, saved.paused) == (["funding", "transportation"], True, False)
    assert "Lee Okafor: saved (topics)." in text_of(advocate.get(f"/members/{lee.id}").text)
    refused = post_form(advocate, f"/members/{lee.id}", f"/members/{lee.id}", {"topics_mode": "chosen"})
    assert refused.status_code == 400 and "Choose at least one topic, or every topic." in refused.text


def test_viewer_reads_a_member_but_cannot_change_or_import(app: App, advocate: TestClient) -> None:
    viewer = viewer_client(app)
    lee = member(app, "lee.okafor@maplefield.k12.example.org")
    page = viewer.get(f"/members/{lee.id}").text
    assert "<fieldset disabled>" in page and "Save preferences" not in page
    assert "/members/import" not in viewer.get("/members").text
    assert post_form(viewer, f"/members/{lee.id}", f"/members/{lee.id}", {"paused": "1"}).status_code == 403
    assert member(app, lee.email).paused is False
    token = csrf_from(viewer.get("/members").text)
    response = viewer.post("/members/import", data={"csrf_token": token}, files={"csv": ("m.csv", CSV.encode())})
    assert response.status_code == 403
    with app.sessions() as session:
        assert session.scalar(select(Member).where(Member.email == "ana.reyes@cedar.k12.example.org")) is None


# -- members' own pages -----------------------------------------------------------------------------------------
@pytest.fixture
def anonymous(app: App) -> TestClient:
    seed_members(app, app.now())
    return TestClient(web_app(app))


def test_member_changes_preferences_from_the_link_without_an_account(app: App, anonymous: TestClient) -> None:
    lee = member(app, "lee.okafor@maplefield.k12.example.org")
    link = f"/m/{member_token(app, lee.id)}/preferences"
    page = text_of(anonymous.get(link).text)
    assert "Your email preferences" in page and "Lee Okafor" in page and "Sign out" not in page
    response = post_form(anonymous, link, link, {"topics_mode": "chosen", "topic": ["meals"], "paused": "1"})
    assert response.status_code == 303
    saved = member(app, lee.email)
    assert (saved.topics, saved.alerts, saved.paused) == (["meals"], False, True)
    assert "Your preferences are saved." in text_of(anonymous.get(link).text)


def test_preferences_post_needs_the_forms_token(app: App, anonymous: TestClient) -> None:
    lee = member(app, "lee.okafor@maplefield.k12.example.org")
    link = f"/m/{member_token(app, lee.id)}/preferences"
    assert anonymous.post(link, data={"paused": "1"}).status_code == 403
    assert member(app, lee.email).paused is False


def test_an_altered_link_is_a_friendly_404(app: App, anonymous: TestClient) -> None:
    lee = member(app, "lee.okafor@maplefield.k12.example.org")
    token = member_token(app, lee.id)
    for path in (f"/m/{token[:-2]}xx/preferences", f"/m/{token}x/unsubscribe", "/m/abc/preferences"):
        response = anonymous.get(path)
        assert response.status_code == 404 and "This link is not valid" in response.text, path
    assert anonymous.post(f"/m/{token[:-2]}xx/unsubscribe",
                          data={"List-Unsubscribe": "One-Click"}).status_code == 404


def test_unsubscribe_asks_first_then_unsubscribes(app: App, anonymous: TestClient) -> None:
    lee = member(app, "lee.okafor@maplefield.k12.example.org")
    link = f"/m/{member_token(app, lee.id)}/unsubscribe"
    assert "Unsubscribe?" in anonymous.get(link).text
    assert member(app, lee.email).unsubscribed_at is None  # opening the link changes nothing
    assert anonymous.post(link, data={}).status_code == 403  # a form post without its token
    assert member(app, lee.email).unsubscribed_at is None
    response = post_form(anonymous, link, link)
    assert response.status_code == 200 and "You are unsubscribed" in response.text
    assert member(app, lee.email).unsubscribed_at == app.now()
    prefs = text_of(anonymous.get(f"/m/{member_token(app, lee.id)}/preferences").text)
    assert "You unsubscribed on Nov 24, 2026" in prefs and "Subscribe me again" in prefs


def test_one_click_unsubscribe_works_without_a_cookie_or_token(app: App) -> None:
    seed_members(app, app.now())
    lee = member(app, "lee.okafor@maplefield.k12.example.org")
    provider = TestClient(web_app(app), cookies=None)
    response = provider.post(f"/m/{member_token(app, lee.id)}/unsubscribe",
                             content=b"List-Unsubscribe=One-Click",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200
    assert member(app, lee.email).unsubscribed_at == app.now()


def test_coming_back_after_unsubscribing(app: App, anonymous: TestClient) -> None:
    jo = member(app, "jo.park@riverbend.k12.example.org")  # unsubscribed in the seed
    link = f"/m/{member_token(app, jo.id)}/preferences"
    post_form(anonymous, link, link, {"topics_mode": "all", "alerts": "1", "subscribed": "1"})
    assert member(app, jo.email).unsubscribed_at is None


def test_i_contacted_them_asks_then_records_once(app: App, anonymous: TestClient) -> None:
    lee = member(app, "lee.okafor@maplefield.k12.example.org")
    with app.transaction() as session:
        alert = Mailing(kind="alert", key="alert:1:test", period_end=app.now(), status="sent", created_at=app.now())
        session.add(alert)
        session.flush()
        alert_id = alert.id
    link = f"/a/{acted_token(app.signing_key, alert_id, lee.id)}"
    assert "Did you contact your legislators?" in anonymous.get(link).text
    with app.sessions() as session:
        assert session.scalar(select(ActionTaken)) is None  # a link scanner's GET records nothing
    first = post_form(anonymous, link, link)
    assert "we recorded that Maplefield City Schools contacted its legislators" in first.text
    second = post_form(anonymous, link, link)
    assert "we had already recorded" in second.text
    with app.sessions() as session:
        assert len(session.scalars(select(ActionTaken)).all()) == 1
    assert anonymous.get("/a/not-a-token").status_code == 404
    assert anonymous.post(link, data={}).status_code == 403
