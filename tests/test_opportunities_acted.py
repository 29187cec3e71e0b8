from __future__ import annotations

import pytest

from advocacy.app import App
from advocacy.inbound.replies import parse_reply
from advocacy.models import Delivery, Mailing, Member
from advocacy.outbound.acted import (
    AlreadyReminded,
    NothingToRemind,
    acted_report,
    acted_url,
    handle_acted_link,
    is_done_reply,
    record_done_reply,
    remind_not_acted,
)
from tests.people_helpers import member, setup_world

EMAILS = ("tamara.odum@riverbend.example.org", "rosa.delgado@maplevalley.example.org",
          "luis.ortega@lakeshore.example.org", "dana.cruz@oakhollow.example.org")
ALL = ["Lakeshore City Schools", "Maple Valley City Schools", "Oak Hollow Schools", "Riverbend Local Schools"]


def reply(sender: str, text: str) -> bytes:
    return (f"From: {sender}\r\nTo: questions+abc@reply.example.org\r\nSubject: Re: Alert: HB 96\r\n"
            f"Message-ID: <{abs(hash(text))}@mail.example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            f"{text}\r\n\r\nOn Tue, Dec 1, 2026 the collaborative wrote:\r\n> Contact your legislators.\r\n").encode()


@pytest.fixture
def alert(app: App) -> int:
    with app.transaction() as session:
        setup_world(session, app.now())
        digest = Mailing(kind="alert", key="alert:HB 96:hearing", period_end=app.now(), status="sent",
                        subject="Alert: HB 96 gets a hearing Wednesday")
        session.add(digest)
        session.flush()
        for email in EMAILS:
            session.add(Delivery(mailing_id=digest.id, member_id=member(session, email).id, status="sent"))
        return digest.id


def test_acted_counts_after_a_click_and_after_a_done_reply(app: App, alert: int) -> None:
    with app.sessions() as session:
        assert acted_report(session, alert).not_acted == ALL
        riverbend = member(session, EMAILS[0]).id
    link = acted_url(app.config.collaborative.base_url, app.signing_key, alert, riverbend)
    token = link.rsplit("/a/", 1)[1]
    with app.transaction() as session:
        page = handle_acted_link(session, app.signing_key, token, app.now())
    assert page.ok and page.new and "Riverbend Local Schools contacted its legislators" in page.message
    with app.transaction() as session:  # a second click records nothing new
        again = handle_acted_link(session, app.signing_key, token, app.now())
    assert again.ok and not again.new
    with app.sessions() as session:
        report = acted_report(session, alert)
    assert (report.acted, len(report.not_acted)) == (["Riverbend Local Schools"], 3)

    parsed = parse_reply(reply(EMAILS[1], "Done - called both offices this morning."))
    with app.transaction() as session:
        assert record_done_reply(session, parsed, alert, member(session, EMAILS[1]), app.now())
    question = parse_reply(reply(EMAILS[2], "Is the hearing done by noon? We may send someone."))
    with app.transaction() as session:
        assert not record_done_reply(session, question, alert, member(session, EMAILS[2]), app.now())
    with app.sessions() as session:
        report = acted_report(session, alert)
    assert report.acted == ["Maple Valley City Schools", "Riverbend Local Schools"]
    assert report.not_acted == ["Lakeshore City Schools", "Oak Hollow Schools"]
    assert report.lines()[0] == f"alert {alert}: 2 district(s) acted, 2 not yet"


def test_a_tampered_or_foreign_token_records_nothing(app: App, alert: int) -> None:
    with app.sessions() as session:
        riverbend = member(session, EMAILS[0]).id
    token = acted_url("https://x.example.org", app.signing_key, alert, riverbend).rsplit("/", 1)[1]
    with app.transaction() as session:
        assert not handle_acted_link(session, app.signing_key, token[:-2] + "xx", app.now()).ok
        assert not handle_acted_link(session, "another-key", token, app.now()).ok
    with app.sessions() as session:
        assert acted_report(session, alert).acted == []


def test_one_reminder_goes_to_the_districts_that_have_not_acted(app: App, alert: int) -> None:
    with app.transaction() as session:
        token = acted_url("https://x.example.org", app.signing_key, alert, member(session, EMAILS[0]).id)
        handle_acted_link(session, app.signing_key, token.rsplit("/", 1)[1], app.now())
    with app.transaction() as session:
        reminder = remind_not_acted(session, alert, app.now())
    assert [m.email for m in reminder.members] == list(EMAILS[1:])
    assert reminder.subject == "Reminder: Alert: HB 96 gets a hearing Wednesday"
    with app.transaction() as session, pytest.raises(AlreadyReminded):
        remind_not_acted(session, alert, app.now())
    with app.sessions() as session:
        assert acted_report(session, alert).reminded_at == app.now()


def test_no_reminder_when_every_district_acted(app: App, alert: int) -> None:
    with app.transaction() as session:
        for email in EMAILS:
            token = acted_url("https://x.example.org", app.signing_key, alert, member(session, email).id)
            handle_acted_link(session, app.signing_key, token.rsplit("/", 1)[1], app.now())
    with app.transaction() as session, pytest.raises(NothingToRemind):
        remind_not_acted(session, alert, app.now())


@pytest.mark.parametrize("text", ["done", "Done!", "DONE.", "Done - called both offices", "All done",
                                  "I contacted them", "Called them this morning", "I emailed both", "did it"])
def test_replies_saying_it_is_done(text: str) -> None:
    assert is_done_reply(text)


@pytest.mark.parametrize("text", ["Is it done?", "Not done yet", "Haven't done it", "What should I say?",
                                  "Donations are welcome", "", "Thanks!", "Done? Which committee?"])
def test_replies_that_do_not_say_it_is_done(text: str) -> None:
    assert not is_done_reply(text)


def test_member_without_delivery_is_not_counted(app: App, alert: int) -> None:
    with app.transaction() as session:
        session.add(Member(email="new@riverbend.example.org", name="New Person",
                           district=member(session, EMAILS[0]).district))
    with app.sessions() as session:
        assert len(acted_report(session, alert).not_acted) == 4
