"""The SendGrid Inbound Parse webhook, posted real multipart bodies through Starlette's TestClient."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from advocacy.app import App
from advocacy.config import Secrets
from advocacy.inbound import intake
from advocacy.inbound.replies import parse_reply
from advocacy.inbound.webhook import Parser
from advocacy.models import InboundMessage, Question
from advocacy.outbound.outgoing import reply_address
from advocacy.web.app import create_app
from tests.factories import FakeClock, count
from tests.inbound import add_members, calendar_bill, literacy_bill, reply, sent_digest, store_bills

RIVERA = "rivera@cedarfalls.example.org"
AUTH = ("sendgrid", "correct horse battery staple")
ENV = {"ADVOCACY_WEBHOOK_USER": AUTH[0], "ADVOCACY_WEBHOOK_PASSWORD": AUTH[1]}


@pytest.fixture
def hooked(app: App) -> Iterator[App]:
    with_secrets = replace(app, secrets=Secrets.from_env(ENV))
    yield with_secrets
    with_secrets.engine.dispose()


@pytest.fixture
def mailing_id(hooked: App) -> int:
    with hooked.transaction() as session:
        add_members(session)
        bills = store_bills(session, hooked.now(), literacy_bill(), calendar_bill())
        return sent_digest(session, hooked.now(), list(bills.values())).id


def client(app: App, process: object = None) -> TestClient:
    return TestClient(create_app(app, process_inbound=process))


def raw_form(raw: bytes, *, spf: str = "pass") -> dict[str, tuple[None, bytes]]:
    fields = {
        "email": raw,
        "SPF": spf.encode(),
        "dkim": b"{@cedarfalls.example.org : pass}",
        "envelope": json.dumps({"to": ["questions@reply.heartland-collab.example.org"], "from": RIVERA}).encode(),
        "charsets": json.dumps({"to": "UTF-8", "from": "UTF-8", "subject": "UTF-8"}).encode(),
        "spam_score": b"0.1",
        "sender_ip": b"192.0.2.10",
    }
    return {name: (None, value) for name, value in fields.items()}


def parsed_form(app: App, mailing_id: int, text: str, *, charset: str = "UTF-8",
                attachment: bytes | None = None) -> dict[str, tuple]:
    to = reply_address(app, mailing_id)
    headers = (f"Received: from mail.cedarfalls.example.org by mx.sendgrid.net\n"
               f"From: Ana Rivera <{RIVERA}>\nTo: Heartland questions <{to}>\n"
               f"Subject: Re: Legislative update\nMessage-ID: <parsed-1@cedarfalls.example.org>\n"
               f"Date: Tue, 24 Nov 2026 10:00:00 -0500\nMIME-Version: 1.0\n"
               f"Content-Type: multipart/alternative; boundary=\"xyz\"\n")
    fields: dict[str, tuple] = {
        "headers": (None, headers.encode()),
        "from": (None, f"Ana Rivera <{RIVERA}>".encode()),
        "to": (None, to.encode()),
        "subject": (None, b"Re: Legislative update"),
        "text": (None, text.encode(charset)),
        "html": (None, f"<p>{text}</p>".encode(charset)),
        "envelope": (None, json.dumps({"to": [to], "from": RIVERA}).encode()),
        "charsets": (None, json.dumps({"to": "UTF-8", "from": "UTF-8", "subject": "UTF-8", "text": charset,
                                       "html": charset}).encode()),
        "SPF": (None, b"pass"),
        "dkim": (None, b"{@cedarfalls.example.org : pass}"),
        "attachments": (None, b"1" if attachment else b"0"),
    }
    if attachment is not None:
        fields["attachment-info"] = (None, json.dumps(
            {"attachment1": {"filename": "board-memo.pdf", "name": "board-memo.pdf", "type": "application/pdf"}}
        ).encode())
        fields["attachment1"] = ("board-memo.pdf", attachment, "application/pdf")
    return fields


def test_raw_form_is_stored_parsed_and_a_retry_is_not_duplicated(hooked: App, mailing_id: int) -> None:
    raw = reply(hooked, mailing_id, sender=RIVERA, text="When does the HB 58 literacy money arrive?")
    with client(hooked) as http:
        first = http.post("/inbound/sendgrid", files=raw_form(raw), auth=AUTH)
        retry = http.post("/inbound/sendgrid", files=raw_form(raw), auth=AUTH)
    assert first.status_code == 200 and first.json()["duplicate"] is False
    assert retry.status_code == 200 and retry.json() == {"id": first.json()["id"], "duplicate": True}
    assert (count(hooked, InboundMessage), count(hooked, Question)) == (1, 1)
    with hooked.sessions() as session:
        message = session.scalar(select(InboundMessage))
        assert message is not None and message.raw == raw and message.status == "parsed"
        assert message.meta["form"] == "raw" and message.meta["SPF"] == "pass"
        assert message.meta["envelope"]["from"] == RIVERA


def test_parsed_form_is_rebuilt_into_one_message_and_a_retry_is_not_duplicated(hooked: App, mailing_id: int) -> None:
    form = parsed_form(hooked, mailing_id, "Is SB 22 going to the House floor?", attachment=b"%PDF-1.4 memo")
    with client(hooked) as http:
        first = http.post("/inbound/sendgrid", files=form, auth=AUTH)
        retry = http.post("/inbound/sendgrid", files=form, auth=AUTH)
    assert first.status_code == retry.status_code == 200
    assert retry.json()["duplicate"] is True
    with hooked.sessions() as session:
        message = session.scalar(select(InboundMessage))
        assert message is not None and message.status == "parsed" and message.meta["form"] == "parsed"
        parsed = parse_reply(message.raw)
        assert parsed.sender == RIVERA and parsed.message_id == "<parsed-1@cedarfalls.example.org>"
        assert [(a.filename, a.content_type) for a in parsed.attachments] == [("board-memo.pdf", "application/pdf")]
        questions = list(session.scalars(select(Question)))
        assert [q.text for q in questions] == ["Is SB 22 going to the House floor?"]
        assert [b.identifier for b in questions[0].bills] == ["SB 22"]


def test_parsed_form_text_is_read_in_its_declared_charset(hooked: App, mailing_id: int) -> None:
    form = parsed_form(hooked, mailing_id, "Does HB 58 pay for the café staff too?", charset="iso-8859-1")
    with client(hooked) as http:
        assert http.post("/inbound/sendgrid", files=form, auth=AUTH).status_code == 200
    with hooked.sessions() as session:
        assert session.scalar(select(Question.text)) == "Does HB 58 pay for the café staff too?"


def test_wrong_or_missing_credentials_are_refused_and_nothing_is_stored(hooked: App, mailing_id: int) -> None:
    raw = reply(hooked, mailing_id, sender=RIVERA, text="Is HB 58 funded?")
    with client(hooked) as http:
        wrong = http.post("/inbound/sendgrid", files=raw_form(raw), auth=(AUTH[0], "guess"))
        missing = http.post("/inbound/sendgrid", files=raw_form(raw))
    assert wrong.status_code == missing.status_code == 401
    assert "Basic" in wrong.headers["www-authenticate"]
    assert count(hooked, InboundMessage) == 0


def test_webhook_without_configured_credentials_answers_5xx_so_sendgrid_retries(app: App) -> None:
    with client(app) as http:
        response = http.post("/inbound/sendgrid", files={"email": (None, b"Subject: hi\n\nhello")}, auth=AUTH)
    assert response.status_code == 503
    assert count(app, InboundMessage) == 0


def test_oversized_reply_is_kept_in_part_and_quarantined_as_too_large_not_refused(
        hooked: App, mailing_id: int) -> None:
    config = hooked.config.model_copy(update={"email": hooked.config.email.model_copy(
        update={"max_inbound_bytes": 4096})})
    small = replace(hooked, config=config)
    raw = reply(small, mailing_id, sender=RIVERA, text="Is HB 58 funded?\n" + "x" * 8000)
    with client(small) as http:
        response = http.post("/inbound/sendgrid", files=raw_form(raw), auth=AUTH)
    assert response.status_code == 200  # a 4xx is never retried by SendGrid: the question would be lost
    with small.sessions() as session:
        message = session.scalar(select(InboundMessage))
        assert message is not None and message.status == "quarantined"
        assert len(message.raw) <= 4096 and RIVERA.encode() in message.raw  # who wrote, kept for the advocate
        assert message.problems[-1].startswith("too large:") and "4096" in message.problems[-1]
        assert message.meta["form"] == "too_large" and message.meta["size"] > 8000
    assert count(small, Question) == 0
    small.engine.dispose()


def test_oversized_parsed_form_keeps_the_senders_headers(hooked: App, mailing_id: int) -> None:
    config = hooked.config.model_copy(update={"email": hooked.config.email.model_copy(
        update={"max_inbound_bytes": 2048})})
    small = replace(hooked, config=config)
    fields = {"headers": f"From: Ana Rivera <{RIVERA}>\nSubject: Re: digest\n".encode(),
              "text": ("Is HB 58 funded?\n" + "y" * 6000).encode()}
    with client(small) as http:
        response = http.post("/inbound/sendgrid", files={k: (None, v) for k, v in fields.items()}, auth=AUTH)
    assert response.status_code == 200
    with small.sessions() as session:
        message = session.scalar(select(InboundMessage))
        assert message is not None and message.status == "quarantined"
        assert message.raw.startswith(b"From: Ana Rivera") and b"Is HB 58 funded?" in message.raw
    small.engine.dispose()


def test_crash_between_receipt_and_parsing_loses_nothing_and_parses_on_restart(
        hooked: App, mailing_id: int, clock: FakeClock) -> None:
    def power_cut(app: App, message_id: int) -> None:
        raise RuntimeError("the server went down before parsing")

    raw = reply(hooked, mailing_id, sender=RIVERA, text="When does the HB 58 literacy money arrive?")
    with client(hooked, process=power_cut) as http:
        response = http.post("/inbound/sendgrid", files=raw_form(raw), auth=AUTH)
    assert response.status_code == 200  # stored: SendGrid must not send it again
    with hooked.sessions() as session:
        assert session.scalar(select(InboundMessage.status)) == "received"
    hooked.engine.dispose()
    restarted = App(hooked.config, secrets=Secrets.from_env(ENV), clock=clock, database_url=hooked.database_url)
    assert [o.status for o in intake.process_pending(restarted)] == ["parsed"]
    assert count(restarted, Question) == 1
    with client(restarted) as http:  # SendGrid's retry after the restart changes nothing
        assert http.post("/inbound/sendgrid", files=raw_form(raw), auth=AUTH).json()["duplicate"] is True
    assert count(restarted, Question) == 1
    restarted.engine.dispose()


def test_the_answer_goes_out_before_the_parse_which_finishes_before_the_app_stops(
        hooked: App, mailing_id: int) -> None:
    started, release = threading.Event(), threading.Event()

    def slow_parse(app: App, message_id: int) -> None:
        started.set()
        release.wait(5)  # an answer that waited for the parse would come only after this
        intake.process_stored(app, message_id)

    raw = reply(hooked, mailing_id, sender=RIVERA, text="When does the HB 58 literacy money arrive?")
    with client(hooked, process=slow_parse) as http:
        assert http.post("/inbound/sendgrid", files=raw_form(raw), auth=AUTH).status_code == 200
        assert started.wait(5)
        with hooked.sessions() as session:
            assert session.scalar(select(InboundMessage.status)) == "received"  # answered, not yet parsed
        release.set()
    with hooked.sessions() as session:  # the app stopped only once the queued parse was done
        assert session.scalar(select(InboundMessage.status)) == "parsed"
    assert count(hooked, Question) == 1


def test_no_parse_starts_while_a_post_is_being_stored(hooked: App) -> None:
    parsed = threading.Event()
    parser = Parser(hooked, lambda app, message_id: parsed.set())
    with parser.answering():
        parser.submit(1)
        assert not parsed.wait(0.3)  # a burst of posts is answered first
    assert parsed.wait(5)
    parser.close()


def test_webhook_mail_failing_spf_and_dkim_goes_to_the_quarantine(hooked: App, mailing_id: int) -> None:
    raw = reply(hooked, mailing_id, sender=RIVERA, text="Is HB 58 funded?")
    form = raw_form(raw, spf="fail")
    form["dkim"] = (None, b"none")
    with client(hooked) as http:
        assert http.post("/inbound/sendgrid", files=form, auth=AUTH).status_code == 200
    with hooked.sessions() as session:
        assert [m.status for m in session.scalars(select(InboundMessage))] == ["quarantined"]
        assert count(hooked, Question) == 0


def test_a_body_that_is_not_a_form_is_kept_in_the_quarantine(hooked: App) -> None:
    with client(hooked) as http:
        response = http.post("/inbound/sendgrid", content=b"to=someone&text=hello",
                             headers={"content-type": "application/x-www-form-urlencoded"}, auth=AUTH)
    assert response.status_code == 200
    with hooked.sessions() as session:
        message = session.scalar(select(InboundMessage))
        assert message is not None and message.status == "quarantined"
        assert message.raw == b"to=someone&text=hello"
        assert "not a SendGrid form" in message.problems[0]
