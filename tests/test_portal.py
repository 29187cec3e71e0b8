"""The member portal: every link of every email opens, for its recipient, a read-only page; nothing else does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select
from starlette.testclient import TestClient

from advocacy.app import App
from advocacy.models import Delivery, Mailing, Member
from advocacy.outbound.outgoing import member_token
from advocacy.outbound.portal import FEED_MAX_AGE, LINKS_PER_HOUR, PORTAL_MAX_AGE
from tests.factories import FakeClock
from tests.mailings import ANA, member_id, our_links, recipient, send_all_kinds
from tests.websupport import csrf_from, text_of, web_app


@pytest.fixture
def sent(app: App) -> dict[str, list]:
    return send_all_kinds(app)


@pytest.fixture
def member(app: App) -> TestClient:
    return TestClient(web_app(app))  # no sign-in: the signed link is the key


def path_of(app: App, url: str) -> str:
    return url[len(app.config.collaborative.base_url):]


def test_every_link_of_a_digest_alert_and_agenda_opens_for_its_member_without_signing_in(
        app: App, sent: dict[str, list], member: TestClient) -> None:
    assert {"digest", "alert", "agenda"} <= set(sent)
    opened = 0
    for kind in ("digest", "alert", "agenda"):
        for message in sent[kind]:
            links = our_links(app, message)
            assert links, f"{kind} to {recipient(message)} has no link to the portal"
            assert any(u.endswith("/calendar.ics") for u in links) and any(u.endswith("/bills") for u in links)
            for url in links:
                if "/unsubscribe" in url or "/a/" in url:
                    continue  # confirmations with their own tests; opening them changes nothing
                if url.endswith("/calendar.ics"):
                    assert member.get(path_of(app, url)).headers["content-type"].startswith("text/calendar")
                    opened += 1
                    continue
                response = member.get(path_of(app, url), follow_redirects=False)
                assert response.status_code == 200, (kind, url, response.status_code)
                assert "Sign in" not in response.text and "/login" not in response.text
                opened += 1
    assert opened >= 6


def test_a_bill_link_shows_that_bill_with_status_sponsors_position_and_hearing(
        app: App, sent: dict[str, list], member: TestClient) -> None:
    alert = next(m for m in sent["alert"] if recipient(m) == ANA)
    bill_url = next(u for u in our_links(app, alert) if "/bills/" in u)
    page = text_of(member.get(path_of(app, bill_url)).text)
    assert "H.B. 114" in page
    assert "Our position: Oppose" in page and "Paid for by deductions" in page
    assert "Status: Introduced (House)" in page or "Status: Referred" in page
    assert "Written testimony due" in page
    assert "What has happened" in page and "Introduced (House)" in page and "Versions and documents" in page
    assert "Sponsors" in page and "Your legislators" in page
    assert "Why it was flagged" not in page and "score" not in page  # the tagger's internals stay on staff pages


def test_the_list_filters_by_topic_position_and_state(app: App, sent: dict[str, list], member: TestClient) -> None:
    token = member_token(app, member_id(app, ANA))
    every = text_of(member.get(f"/m/{token}/bills").text)
    assert all(n in every for n in ("H.B. 96", "H.B. 114", "H.B. 141", "S.B. 52"))
    opposed = text_of(member.get(f"/m/{token}/bills?position=oppose").text)
    assert "H.B. 114" in opposed and "S.B. 52" in opposed and "H.B. 96" not in opposed
    assert "2 bills" in opposed
    assert "No bill matches" in text_of(member.get(f"/m/{token}/bills?state=CA").text)


def test_a_bill_members_are_not_shown_is_not_found(app: App, sent: dict[str, list], member: TestClient) -> None:
    from advocacy.models import Bill

    with app.sessions() as session:
        pawpaw = session.query(Bill).filter_by(identifier="HB 150").one().id  # on a hearing, never curated
    token = member_token(app, member_id(app, ANA))
    assert member.get(f"/m/{token}/bills/{pawpaw}").status_code == 404


def test_a_tampered_token_is_not_found_and_an_old_one_offers_a_fresh_link(
        app: App, sent: dict[str, list], member: TestClient, clock: FakeClock) -> None:
    token = member_token(app, member_id(app, ANA))
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for path in (f"/m/{tampered}/bills", f"/m/{tampered}/bills/1", f"/m/{tampered}/questions",
                 f"/m/{tampered}/calendar.ics", "/m/not-a-token/bills"):
        response = member.get(path)
        assert response.status_code == 404, path
        assert "dashboard" not in response.text.lower()
    clock.advance(seconds=PORTAL_MAX_AGE + 60)
    expired = member.get(f"/m/{token}/bills")
    assert expired.status_code == 410 and "This link has expired" in expired.text
    assert member.get(f"/m/{token}/calendar.ics").status_code == 200  # the feed lives longer
    clock.advance(seconds=FEED_MAX_AGE)
    assert member.get(f"/m/{token}/calendar.ics").status_code == 410
    assert member.get(f"/m/{token}/preferences").status_code == 200  # preferences and unsubscribe never expire


def test_a_fresh_link_is_mailed_to_a_member_and_the_page_never_says_who_is_one(
        app: App, sent: dict[str, list], member: TestClient) -> None:
    folder = app.config.path(app.config.email.outbox_dir)
    before = set(folder.glob("*.eml"))
    for address in (ANA.upper(), "stranger@elsewhere.example.net"):
        form = csrf_from(member.get("/m/renew").text)
        answer = member.post("/m/renew", data={"email": address, "csrf_token": form})
        assert answer.status_code == 200 and "a fresh link is on its way" in answer.text
    new = set(folder.glob("*.eml")) - before
    assert len(new) == 1
    body = new.pop().read_text()
    assert ANA in body and "/m/" in body
    token = body.split("/m/", 1)[1].split("/", 1)[0]
    assert member.get(f"/m/{token}/bills").status_code == 200


def _ask_for_links(member: TestClient, address: str, times: int) -> None:
    for _ in range(times):
        form = csrf_from(member.get("/m/renew").text)
        answer = member.post("/m/renew", data={"email": address, "csrf_token": form})
        assert answer.status_code == 200 and "a fresh link is on its way" in answer.text  # limited or not


def test_fresh_links_are_limited_per_member_per_hour_by_the_apps_clock(
        app: App, sent: dict[str, list], member: TestClient, clock: FakeClock) -> None:
    folder = app.config.path(app.config.email.outbox_dir)
    before = set(folder.glob("*.eml"))
    with app.transaction() as session:  # a paused member still gets a link: its preferences are where to unpause
        found = session.get(Member, member_id(app, ANA))
        assert found is not None
        found.paused = True
    _ask_for_links(member, ANA, LINKS_PER_HOUR + 2)
    assert len(set(folder.glob("*.eml")) - before) == LINKS_PER_HOUR
    clock.advance(seconds=3601)
    _ask_for_links(member, ANA, 1)
    assert len(set(folder.glob("*.eml")) - before) == LINKS_PER_HOUR + 1
    with app.sessions() as session:
        rows = list(session.scalars(select(Delivery).join(Mailing).where(Mailing.kind == "link")))
    assert [row.status for row in rows] == ["sent"] * (LINKS_PER_HOUR + 1)


def test_questions_page_shows_the_members_own_questions_and_searches_the_answers(
        app: App, sent: dict[str, list], member: TestClient, clock: FakeClock) -> None:
    from advocacy.models import Question

    ana = member_id(app, ANA)
    with app.transaction() as session:
        session.add_all([
            Question(member_id=ana, text="Is the guarantee kept for us?", status="answered", created_at=app.now(),
                     answer_notes="Yes, through FY2027, under the Senate version.", answered_at=app.now()),
            Question(member_id=None, text="Do buses get more money?", status="answered", created_at=app.now(),
                     answer_notes="Transportation aid rises 3 percent.", answered_at=app.now()),
            Question(member_id=ana, text="What about levies?", status="open", created_at=app.now()),
        ])
    token = member_token(app, ana)
    page = text_of(member.get(f"/m/{token}/questions").text)
    assert "Is the guarantee kept for us?" in page and "through FY2027" in page
    assert "What about levies? asked" in page and "Not answered yet" in page
    found = text_of(member.get(f"/m/{token}/questions?q=transportation aid").text)
    assert "Do buses get more money?" in found and "Is the guarantee kept" not in found.split("Answers given")[1]


def test_the_calendar_feed_holds_the_members_hearings_and_calls_with_a_vtimezone(
        app: App, sent: dict[str, list], member: TestClient) -> None:
    token = member_token(app, member_id(app, ANA))
    response = member.get(f"/m/{token}/calendar.ics")
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    assert calendar.to_ical() == Calendar.from_ical(calendar.to_ical()).to_ical()  # round trip
    zones = {str(z["tzid"]) for z in calendar.walk("VTIMEZONE")}
    events = calendar.walk("VEVENT")
    assert zones == {"America/New_York"}
    assert {e["dtstart"].params["TZID"] for e in events} <= zones
    summaries = [str(e["summary"]) for e in events]
    assert any("H.B. 114" in s for s in summaries)  # the Dec 1 hearing of a bill Ana follows
    assert not any("H.B. 150" in s and "H.B. 114" not in s for s in summaries)  # an uncurated bill alone: never
    assert any("Q&A call" in s for s in summaries)
    assert len({str(e["uid"]) for e in events}) == len(events)
    assert all(e.decoded("dtstart") >= app.now() - timedelta(minutes=1) for e in events)


def test_head_requests_answer_like_gets_and_a_scanners_head_records_no_action(
        app: App, sent: dict[str, list], member: TestClient) -> None:
    from sqlalchemy import func, select

    from advocacy.models import ActionTaken

    assert member.head("/login").status_code == 200
    alert = next(m for m in sent["alert"] if recipient(m) == ANA)
    acted = next(u for u in our_links(app, alert) if "/a/" in u)
    assert member.head(path_of(app, acted)).status_code == 200
    with app.sessions() as session:
        assert session.scalar(select(func.count(ActionTaken.id))) == 0
    asked = member.get(path_of(app, acted)).text
    assert "<title>Did you contact your legislators?" in asked  # not "Thank you" before anything was done
    done = member.post(path_of(app, acted), data={"csrf_token": csrf_from(asked)})
    assert "<title>Thank you" in done.text
    with app.sessions() as session:
        assert session.scalar(select(func.count(ActionTaken.id))) == 1


def test_the_call_invite_carries_the_vtimezone_its_times_name(app: App, sent: dict[str, list]) -> None:
    message = sent["agenda"][0]
    invite = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    raw = invite.get_payload(decode=True)
    calendar = Calendar.from_ical(raw)
    assert Calendar.from_ical(calendar.to_ical()).to_ical() == calendar.to_ical()
    (event,) = calendar.walk("VEVENT")
    assert event["dtstart"].params["TZID"] == "America/New_York"
    assert [str(z["tzid"]) for z in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    assert {c.name for c in calendar.walk("VTIMEZONE")[0].subcomponents} == {"STANDARD", "DAYLIGHT"}
