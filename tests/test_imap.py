"""IMAP polling against a real (small) IMAP server on 127.0.0.1 over TLS."""

from __future__ import annotations

import imaplib
import ssl
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from advocacy.app import App
from advocacy.config import Secrets
from advocacy.inbound import imap
from advocacy.models import InboundMessage, Question
from tests.factories import count
from tests.imapserver import ImapServer, Mailbox, self_signed
from tests.inbound import add_members, literacy_bill, reply, sent_digest, store_bills

RIVERA = "rivera@cedarfalls.example.org"
OKAFOR = "okafor@riverbend.example.org"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def trust(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox(user="questions@heartland.example.org", password='pa"ss\\word')


@pytest.fixture
def server(mailbox: Mailbox, certificate: tuple[Path, Path]) -> Iterator[ImapServer]:
    with ImapServer(mailbox, *certificate) as running:
        yield running


@pytest.fixture
def polling(app: App, server: ImapServer, mailbox: Mailbox) -> Iterator[App]:
    settings = app.config.inbound.imap.model_copy(update={"host": "127.0.0.1", "port": server.port,
                                                          "username": mailbox.user, "timeout": 5})
    config = app.config.model_copy(update={"inbound": app.config.inbound.model_copy(update={"imap": settings})})
    configured = replace(app, config=config, secrets=Secrets.from_env({"ADVOCACY_IMAP_PASSWORD": mailbox.password}))
    with configured.transaction() as session:
        add_members(session)
        bills = store_bills(session, configured.now(), literacy_bill())
        configured.__dict__["mailing_id"] = sent_digest(session, configured.now(), list(bills.values())).id
    yield configured
    configured.engine.dispose()


def test_poll_over_tls_stores_marks_and_processes_new_messages(polling: App, mailbox: Mailbox,
                                                               trust: ssl.SSLContext) -> None:
    mailing_id = polling.__dict__["mailing_id"]
    mailbox.add(reply(polling, mailing_id, sender=RIVERA, text="When does the HB 58 money arrive?"))
    mailbox.add(reply(polling, mailing_id, sender=OKAFOR, text="Is HB 58 in the Senate yet?"))
    report = imap.poll(polling, context=trust)
    assert (report.fetched, report.stored, report.errors) == (2, 2, [])
    assert sorted(o.status for o in report.outcomes) == ["parsed", "parsed"]
    assert count(polling, Question) == 2
    assert all("$AdvocacyProcessed" in m.flags and "\\Seen" in m.flags for m in mailbox.messages)
    assert any(c.startswith("UID FETCH") and "BODY.PEEK[]" in c for c in mailbox.commands)

    again = imap.poll(polling, context=trust)
    assert (again.fetched, again.stored) == (0, 0)
    assert count(polling, InboundMessage) == 2


def test_message_stored_but_not_marked_is_fetched_again_and_not_duplicated(polling: App, mailbox: Mailbox,
                                                                           trust: ssl.SSLContext) -> None:
    mailbox.add(reply(polling, polling.__dict__["mailing_id"], sender=RIVERA, text="Is HB 58 funded?"))
    mailbox.fail_store = True
    first = imap.poll(polling, context=trust)
    assert first.stored == 1 and "stored but not marked" in first.errors[0]
    mailbox.fail_store = False
    second = imap.poll(polling, context=trust)
    assert (second.fetched, second.stored, second.duplicates) == (1, 0, 1)
    assert "$AdvocacyProcessed" in mailbox.messages[0].flags
    assert (count(polling, InboundMessage), count(polling, Question)) == (1, 1)


def test_mailbox_without_own_keywords_is_marked_seen_instead(polling: App, mailbox: Mailbox,
                                                             trust: ssl.SSLContext) -> None:
    mailbox.keywords = False
    mailbox.add(b"From: someone@example.com\r\nSubject: read by a person already\r\n\r\nhello\r\n", "\\Seen")
    mailbox.add(reply(polling, polling.__dict__["mailing_id"], sender=RIVERA, text="Is HB 58 funded?"))
    report = imap.poll(polling, context=trust)
    assert (report.fetched, report.errors) == (1, [])
    assert mailbox.messages[1].flags == {"\\Seen"}
    assert any(c == "UID SEARCH UNSEEN" for c in mailbox.commands)


def test_a_server_certificate_we_do_not_trust_is_refused(polling: App, mailbox: Mailbox) -> None:
    mailbox.add(b"Subject: x\r\n\r\ny\r\n")
    with pytest.raises(ssl.SSLCertVerificationError):
        imap.poll(polling)
    assert count(polling, InboundMessage) == 0


def test_wrong_password_is_a_clear_error(polling: App, trust: ssl.SSLContext) -> None:
    wrong = replace(polling, secrets=Secrets.from_env({"ADVOCACY_IMAP_PASSWORD": "nope"}))
    with pytest.raises(imaplib.IMAP4.error, match="invalid credentials"):
        imap.poll(wrong, context=trust)
