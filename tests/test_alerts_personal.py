"""An action alert, sent for real to the outbox, names each member's own legislators."""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy

from advocacy.app import App
from advocacy.curation.decisions import curate
from advocacy.outbound.alerts import create_alerts, send_alerts
from advocacy.runtime.pipeline import make_tagger
from advocacy.tagging.store import tag_bills
from tests.people_helpers import bill, setup_world


def test_one_alert_names_each_members_own_legislators_and_carries_their_acted_link(sqlite_app: App) -> None:
    app = sqlite_app
    with app.transaction() as session:
        setup_world(session, app.now())
        hb96 = bill(session)
        tag_bills(session, make_tagger(app.config), [hb96.id], app.now())
        curate(session, hb96, "advocate", app.now(), status="approved", priority="high", alert=True,
               alert_deadline=app.now() + timedelta(days=3), alert_action="Call your legislators about HB 96.")
        assert len(create_alerts(session, app.config, app.now())) == 1
    reports = send_alerts(app, app.mail)
    assert sum(r.sent for r in reports) >= 2

    bodies = {}
    for path in app.config.path(app.config.email.outbox_dir).glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        bodies[message["To"].addresses[0].addr_spec] = message.get_body(("plain",)).get_content()
    riverbend = bodies["tamara.odum@riverbend.example.org"]
    maple = bodies["rosa.delgado@maplevalley.example.org"]
    assert "Delia Frankart" in riverbend and "Delia Frankart" not in maple
    assert "Curtis Vandermolen" in maple and "Curtis Vandermolen" not in riverbend
    assert "/a/" in riverbend  # the signed "I contacted them" link
    links = [line for line in riverbend.split() if "/a/" in line]
    assert links and all(link not in maple for link in links)  # each member's own link


def test_a_done_reply_to_the_alert_counts_the_district_as_acted(sqlite_app: App) -> None:
    from advocacy.inbound.intake import take_in
    from advocacy.models import Mailing
    from advocacy.outbound.acted import acted_report
    from advocacy.outbound.outgoing import reply_address

    test_one_alert_names_each_members_own_legislators_and_carries_their_acted_link(sqlite_app)
    app = sqlite_app
    with app.sessions() as session:
        alert_id = session.query(Mailing.id).filter(Mailing.kind == "alert").scalar()
    raw = (f"From: Tamara Odum <Tamara.Odum@riverbend.example.org>\r\nTo: {reply_address(app, alert_id)}\r\n"
           "Subject: Re: alert\r\nMessage-ID: <done-1@riverbend.example.org>\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\nDone, I called both offices this morning.\r\n\r\nTamara\r\n")
    taken = take_in(app, raw.encode())
    assert taken.status == "parsed" and not taken.outcome.questions
    with app.sessions() as session:
        report = acted_report(session, alert_id)
    assert report.acted == ["Riverbend Local Schools"]
    assert "Maple Valley City Schools" in report.not_acted


def test_the_one_reminder_goes_only_to_districts_that_have_not_acted(sqlite_app: App) -> None:
    import pytest

    from advocacy.models import Mailing
    from advocacy.outbound.acted import AlreadyReminded
    from advocacy.outbound.alerts import send_reminder

    test_a_done_reply_to_the_alert_counts_the_district_as_acted(sqlite_app)
    app = sqlite_app
    outbox = app.config.path(app.config.email.outbox_dir)
    before = set(outbox.glob("*.eml"))
    with app.sessions() as session:
        alert_id = session.query(Mailing.id).filter(Mailing.kind == "alert").scalar()
    report = send_reminder(app, alert_id, app.mail)
    new = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in set(outbox.glob("*.eml")) - before]
    recipients = {m["To"].addresses[0].addr_spec for m in new}
    assert report.sent == len(new) >= 1
    assert "tamara.odum@riverbend.example.org" not in recipients  # Riverbend replied "done"
    assert "rosa.delgado@maplevalley.example.org" in recipients
    assert all(m["Subject"].startswith("Reminder: ") or "Reminder: " in m.get_body(("plain",)).get_content()
               for m in new)
    with pytest.raises(AlreadyReminded):
        send_reminder(app, alert_id, app.mail)


def test_a_done_reply_to_the_reminder_counts_for_the_alert(sqlite_app: App) -> None:
    from advocacy.inbound.intake import take_in
    from advocacy.models import Mailing
    from advocacy.outbound.acted import acted_report

    test_the_one_reminder_goes_only_to_districts_that_have_not_acted(sqlite_app)
    app = sqlite_app
    outbox = app.config.path(app.config.email.outbox_dir)
    reminder = next(m for m in (email.message_from_bytes(p.read_bytes(), policy=policy.default)
                                for p in outbox.glob("*.eml"))
                    if m["X-Advocacy-Kind"] == "reminder" and "maplevalley" in m["To"].addresses[0].addr_spec)
    raw = (f"From: rosa.delgado@maplevalley.example.org\r\nTo: {reminder['Reply-To'].addresses[0].addr_spec}\r\n"
           "Subject: Re: reminder\r\nMessage-ID: <done-2@maplevalley.example.org>\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\nDone.\r\n")
    taken = take_in(app, raw.encode())
    assert taken.status == "parsed" and not taken.outcome.questions
    with app.sessions() as session:
        alert_id = session.query(Mailing.id).filter(Mailing.kind == "alert").scalar()
        assert "Maple Valley City Schools" in acted_report(session, alert_id).acted
