"""`advocacy questions ...`: take replies in from files or IMAP, look at one, review the quarantine, answer."""

from __future__ import annotations

import json
import mailbox
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from advocacy import calls
from advocacy.app import App
from advocacy.cli import EXIT_FAILED, actor, pass_app
from advocacy.db import NotMigrated
from advocacy.inbound import imap, intake
from advocacy.inbound.replies import parse_reply, reply_summary
from advocacy.models import Call, InboundMessage, Member, Question


def messages_in(path: Path) -> Iterator[tuple[str, bytes]]:
    """(label, raw bytes) for an .eml file, or for every message of an mbox file."""
    data = path.read_bytes()
    if not data.startswith(b"From "):
        yield str(path), data
        return
    box = mailbox.mbox(path, create=False)
    try:
        for number, key in enumerate(box.iterkeys(), 1):
            yield f"{path}#{number}", box.get_bytes(key, from_=False)
    finally:
        box.close()


def describe(app: App, outcome: intake.Outcome) -> str:
    if outcome.status == "parsed" and outcome.call is not None:
        when = outcome.call.starts_at.astimezone(app.config.collaborative.tz)
        late = " (late: the agenda of the call it answered had gone out)" if outcome.late else ""
        return f"{len(outcome.questions)} question(s) for the call of {when:%Y-%m-%d %H:%M}{late}"
    if outcome.status == "quarantined":
        return "quarantined: " + "; ".join(outcome.problems)
    if outcome.status == "auto_reply":
        return outcome.problems[-1] if outcome.problems else "auto-reply"
    return outcome.status + (f" ({'; '.join(outcome.problems)})" if outcome.problems else "")


@click.group("questions")
def questions_group() -> None:
    """Members' questions by email reply: import, parse, quarantine review, answers."""


@questions_group.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--channel", type=click.Choice(intake.CHANNELS), default="file", show_default=True)
@pass_app()
def import_command(app: App, paths: tuple[Path, ...], channel: str) -> None:
    """Store and process .eml files and mbox files (each message once, however often it is imported)."""
    failed = False
    for path in paths:
        try:
            found = list(messages_in(path))
        except (OSError, mailbox.Error) as exc:
            click.secho(f"{path}: cannot read: {exc}", fg="red", err=True)
            failed = True
            continue
        for label, raw in found:
            taken = intake.take_in(app, raw, channel, {"file": label})
            if not taken.is_new:
                click.echo(f"{label}: already stored as message {taken.message_id} ({taken.status})")
            elif taken.error:
                click.secho(f"{label}: message {taken.message_id} stored, but processing failed: {taken.error}; "
                            "`advocacy questions process` tries again", fg="red", err=True)
                failed = True
            else:
                click.echo(f"{label}: message {taken.message_id}: "
                           + (describe(app, taken.outcome) if taken.outcome else "stored"))
    if failed:
        sys.exit(EXIT_FAILED)


@questions_group.command("parse")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for scripts.")
@pass_app(migrated=False)
def parse_command(app: App, path: Path, as_json: bool) -> None:
    """Show what intake would make of one message, without storing anything.

    Parsing needs no database: without a migrated one, member and digest are reported as not checked."""
    parsed = parse_reply(path.read_bytes(), max_bytes=app.config.inbound.parse_max_bytes,
                         reply_local=app.config.email.reply_local)
    unchecked = _database_missing(app)
    if unchecked:
        out = reply_summary(parsed)
        out["problems"] = [*out["problems"], f"member and digest not checked: {unchecked}"]
    else:
        with app.sessions() as session:
            out = intake.summary(session, parsed, config=app.config, secret=app.signing_key)
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False))
        return
    click.echo(f"From:       {parsed.sender_name} <{parsed.sender}>" if parsed.sender_name else
               f"From:       {parsed.sender or '(none)'}")
    click.echo(f"Subject:    {parsed.subject}")
    click.echo(f"Auto-reply: {'yes, ' + parsed.auto_reply_reason if parsed.auto_reply else 'no'}")
    missing = "(not checked: no database)" if unchecked else "(not attributed)"
    click.echo(f"Member:     {out['member'] or missing}")
    click.echo(f"Digest:     {out['digest'] or missing}")
    click.echo(f"Bills:      {', '.join(out['bills']) or '(none)'}")
    click.echo("Text:")
    click.echo("  " + (out["text"].replace("\n", "\n  ") if out["text"] else "(empty)"))
    click.echo("Questions:")
    for number, question in enumerate(out["questions"], 1):
        click.echo(f"  {number}. {question}")
    if out["problems"]:
        click.echo("Problems:")
        for problem in out["problems"]:
            click.echo(f"  - {problem}")


def _database_missing(app: App) -> str:
    """Why the database cannot attribute a reply ('' when it can). A missing SQLite file is not created."""
    url = app.database_url or app.config.database_url
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        return f"no database at {url[len('sqlite:///'):]}"
    try:
        app.check_migrated()
    except (NotMigrated, SQLAlchemyError) as exc:
        return str(exc).splitlines()[0]
    return ""


def _call_on(app: App, session: object, day: str | None) -> Call:
    if day is None:
        return calls.upcoming(session, app.config, app.now())  # type: ignore[arg-type]
    try:
        found = calls.call_on(session, app.config, date.fromisoformat(day))  # type: ignore[arg-type]
    except ValueError as exc:
        raise click.BadParameter(f"{day!r} is not a date (YYYY-MM-DD)", param_hint="--call") from exc
    if found is None:
        raise click.BadParameter(f"no call on {day}", param_hint="--call")
    return found


@questions_group.command("list")
@click.option("--quarantine", is_flag=True, help="The messages waiting for review instead.")
@click.option("--call", "day", metavar="DATE", help="Questions for the call on this date (default: the next call).")
@pass_app()
def list_command(app: App, quarantine: bool, day: str | None) -> None:
    """The questions for a call, or the quarantine."""
    zone = app.config.collaborative.tz
    with app.transaction() as session:
        if quarantine:
            rows = intake.quarantine(session)
            click.echo(f"{len(rows)} message(s) in the quarantine")
            for message in rows:
                click.echo(f"#{message.id}  {message.received_at.astimezone(zone):%Y-%m-%d %H:%M}  "
                           f"{message.sender or '(no sender)'}  {message.subject!r}")
                for problem in message.problems:
                    click.echo(f"      - {problem}")
            return
        call = _call_on(app, session, day)
        questions = list(session.scalars(select(Question).where(Question.call_id == call.id)
                                          .order_by(Question.created_at, Question.id)))
        click.echo(f"Call of {call.starts_at.astimezone(zone):%Y-%m-%d %H:%M}: {len(questions)} question(s)")
        for q in questions:
            member = session.get(Member, q.member_id) if q.member_id else None
            flags = [q.status] + (["late"] if q.late else []) + ([f"merged into #{q.merged_into_id}"]
                                                                  if q.merged_into_id else [])
            who = member.email if member else "?"
            bills = f" [{', '.join(q.bill_identifiers)}]" if q.bill_identifiers else ""
            click.echo(f"#{q.id}  {who}  ({', '.join(flags)}){bills}\n      {q.text}")
            if q.answer_notes:
                click.echo(f"      answer: {q.answer_notes}")


def _review(action):  # type: ignore[no-untyped-def]
    try:
        return action()
    except intake.IntakeError as exc:
        raise click.ClickException(str(exc)) from exc


@questions_group.command("accept")
@click.argument("message_id", type=int)
@click.option("--member", "member_email", required=True, help="The member (address or alias) who asked.")
@click.option("--text", help="The question(s) as the advocate reads them, instead of the parsed text.")
@pass_app()
def accept_command(app: App, message_id: int, member_email: str, text: str | None) -> None:
    """Accept a quarantined message as a member's; its questions join the call's agenda."""
    with app.transaction() as session:
        outcome = _review(lambda: intake.accept(session, message_id, member_email, config=app.config,
                                                secret=app.signing_key, actor=actor(), now=app.now(), text=text))
        click.echo(f"message {message_id}: " + describe(app, outcome))


@questions_group.command("discard")
@click.argument("message_id", type=int)
@click.option("--reason", default="", help="Kept in the audit log.")
@pass_app()
def discard_command(app: App, message_id: int, reason: str) -> None:
    """Take a message out of the quarantine for good (it is kept, not deleted)."""
    with app.transaction() as session:
        _review(lambda: intake.discard(session, message_id, actor=actor(), now=app.now(), reason=reason))
    click.echo(f"message {message_id}: discarded")


@questions_group.command("answer")
@click.argument("question_id", type=int)
@click.option("--notes", required=True, help="What was answered; the next digest can include it.")
@pass_app()
def answer_command(app: App, question_id: int, notes: str) -> None:
    """Mark a question answered, with notes."""
    with app.transaction() as session:
        _review(lambda: intake.answer(session, question_id, notes, actor=actor(), now=app.now()))
    click.echo(f"question {question_id}: answered")


@questions_group.command("poll-imap")
@pass_app()
def poll_imap_command(app: App) -> None:
    """Fetch new replies from the configured IMAP mailbox ([inbound.imap])."""

    report = imap.poll(app)
    for line in report.lines():
        click.echo(line)
    if report.errors:
        sys.exit(EXIT_FAILED)


@questions_group.command("process")
@pass_app()
def process_command(app: App) -> None:
    """Process messages stored but not yet parsed (after a crash or a failed run)."""
    outcomes = intake.process_pending(app)
    with app.sessions() as session:
        waiting = session.scalars(select(InboundMessage.id).where(InboundMessage.status == "received")).all()
    click.echo(f"{len(outcomes)} message(s) processed, {len(waiting)} still waiting")
    for outcome in outcomes:
        click.echo(f"  message {outcome.message_id}: {describe(app, outcome)}")


COMMANDS = [questions_group]
