"""`advocacy questions ...` and `advocacy agenda ...` end to end through click, on the test database."""

from __future__ import annotations

import json
import mailbox
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner, Result
from sqlalchemy import select

from advocacy.app import App
from advocacy.cli import cli
from advocacy.models import AgendaItem, InboundMessage, Question
from tests.inbound import add_members, calendar_bill, literacy_bill, reply, sent_digest, store_bills

RIVERA = "rivera@cedarfalls.example.org"
OKAFOR = "okafor@riverbend.example.org"


@pytest.fixture
def run(app: App, config_path: Path):  # type: ignore[no-untyped-def]
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        # The command builds its own App on the system clock: freeze that at the test app's time, so "late" and
        # "the next call" mean the same on any day the suite runs.
        with time_machine.travel(app.now(), tick=False):
            return runner.invoke(cli, ["--config", str(config_path), *args],
                                 env={"ADVOCACY_DATABASE__URL": app.database_url}, catch_exceptions=False)

    return invoke


@pytest.fixture
def mailing_id(app: App) -> int:
    with app.transaction() as session:
        add_members(session)
        bills = store_bills(session, app.now(), literacy_bill(), calendar_bill())
        return sent_digest(session, app.now(), list(bills.values())).id


def test_parse_json_shows_attribution_and_stores_nothing(app: App, run, mailing_id: int, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "reply.eml"
    path.write_bytes(reply(app, mailing_id, sender=RIVERA, text="1. Is HB 58 funded?\n2. What about sb22?\n"))
    result = run("questions", "parse", str(path), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "text": "1. Is HB 58 funded?\n2. What about sb22?", "questions": ["Is HB 58 funded?", "What about sb22?"],
        "bills": ["HB 58", "SB 22"], "auto_reply": False, "member": RIVERA, "digest": str(mailing_id), "problems": []}
    human = run("questions", "parse", str(path))
    assert f"Member:     {RIVERA}" in human.output and "2. What about sb22?" in human.output
    with app.sessions() as session:
        assert session.scalars(select(InboundMessage)).all() == []


def test_parse_of_an_unknown_sender_says_why_it_is_not_attributed(app: App, run, mailing_id: int,  # type: ignore[no-untyped-def]
                                                                  tmp_path: Path) -> None:
    path = tmp_path / "reply.eml"
    path.write_bytes(reply(app, mailing_id, sender="someone@elsewhere.example", text="Is HB 58 funded?"))
    out = json.loads(run("questions", "parse", str(path), "--json").output)
    assert out["member"] is None and out["digest"] == str(mailing_id)
    assert out["problems"] == ["sender someone@elsewhere.example is not a known member or alias"]


def test_import_eml_and_mbox_once_then_review_the_quarantine(app: App, run, mailing_id: int,  # type: ignore[no-untyped-def]
                                                            tmp_path: Path) -> None:
    eml = tmp_path / "one.eml"
    eml.write_bytes(reply(app, mailing_id, sender=RIVERA, text="Is HB 58 funded?"))
    box = mailbox.mbox(tmp_path / "replies.mbox")
    box.add(reply(app, mailing_id, sender=OKAFOR, text="Does SB 22 let us keep a four-day week?"))
    box.add(reply(app, mailing_id, sender="clerk@riverbend.example.org", text="Tom wants to know about HB 58."))
    box.flush()
    box.close()
    result = run("questions", "import", str(eml), str(tmp_path / "replies.mbox"))
    assert result.exit_code == 0, result.output
    assert "one.eml: message 1: 1 question(s) for the call of" in result.output
    assert "replies.mbox#2: message 3: quarantined: sender clerk@riverbend.example.org" in result.output
    again = run("questions", "import", str(eml))
    assert "already stored as message 1 (parsed)" in again.output

    listed = run("questions", "list", "--quarantine")
    assert "1 message(s) in the quarantine" in listed.output and "#3" in listed.output
    assert run("questions", "accept", "3", "--member", "nobody@example.org").exit_code != 0
    accepted = run("questions", "accept", "3", "--member", OKAFOR)
    assert accepted.exit_code == 0 and "1 question(s)" in accepted.output
    assert "0 message(s) in the quarantine" in run("questions", "list", "--quarantine").output
    assert run("questions", "discard", "3").exit_code != 0  # no longer in the quarantine
    questions = run("questions", "list")
    assert questions.output.count("(open)") == 3

    with app.sessions() as session:
        first = session.scalar(select(Question.id).order_by(Question.id))
    assert run("questions", "answer", str(first), "--notes", "Funded in the House version.").exit_code == 0
    assert "answer: Funded in the House version." in run("questions", "list").output


def test_missing_file_is_named_and_the_others_still_imported(app: App, run, mailing_id: int,  # type: ignore[no-untyped-def]
                                                             tmp_path: Path) -> None:
    eml = tmp_path / "one.eml"
    eml.write_bytes(reply(app, mailing_id, sender=RIVERA, text="Is HB 58 funded?"))
    result = run("questions", "import", str(tmp_path / "missing.eml"), str(eml))
    assert result.exit_code == 1
    assert "missing.eml: cannot read" in result.output and "one.eml: message 1" in result.output


def test_agenda_build_adjust_and_send_through_the_outbox(app: App, run, mailing_id: int,  # type: ignore[no-untyped-def]
                                                         tmp_path: Path, config_path: Path) -> None:
    for n, (sender, text) in enumerate(((RIVERA, "Is HB 58 funded?"), (OKAFOR, "Is HB 58 funded yet?"),
                                        (OKAFOR, "Does SB 22 let us keep a four-day week?"))):
        path = tmp_path / f"r{n}.eml"
        path.write_bytes(reply(app, mailing_id, sender=sender, text=text))
        assert run("questions", "import", str(path)).exit_code == 0
    built = run("agenda", "build")
    assert built.exit_code == 0, built.output
    assert "Cedar Falls City Schools, Riverbend Local Schools" in built.output  # the duplicate was merged
    with app.sessions() as session:
        items = list(session.scalars(select(AgendaItem).order_by(AgendaItem.position)))
    sb22 = next(i for i in items if i.title.startswith("S.B. 22"))
    moved = run("agenda", "move", str(sb22.id), "1")
    assert moved.output.splitlines()[1].startswith(f" 1. [item {sb22.id}] S.B. 22")
    edited = run("agenda", "edit", str(sb22.id), "--minutes", "8", "--notes", "Vote expected Tuesday.")
    assert "(8 min)" in edited.output and "notes: Vote expected Tuesday." in edited.output
    assert run("agenda", "edit", str(sb22.id), "--minutes", "0").exit_code != 0

    sent = run("agenda", "send", "--yes")
    assert sent.exit_code == 0, sent.output
    assert "sent 3, failed 0" in sent.output
    outbox = config_path.parent / "var" / "outbox"
    assert len(list(outbox.glob("*.eml"))) == 3
    markdown = next((outbox / "agendas").glob("agenda-*.md")).read_text()
    assert "Vote expected Tuesday." in markdown
    assert run("agenda", "send", "--yes").exit_code == 5  # already sent: nothing to do without --update
