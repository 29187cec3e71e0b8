"""`advocacy agenda ...`: build the agenda of a member call, adjust it, send it."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click
from sqlalchemy.orm import Session

from advocacy import calls
from advocacy.app import App
from advocacy.cli import EXIT_FAILED, EXIT_NOTHING, actor, pass_app
from advocacy.models import Call, Question
from advocacy.outbound import agenda, content
from advocacy.outbound.sending import AlreadySent

_call_option = click.option("--call", "day", metavar="DATE", help="The call on this date (default: the next call).")


def find_call(app: App, session: Session, day: str | None) -> Call:
    if day is None:
        return calls.upcoming(session, app.config, app.now())
    try:
        parsed = date.fromisoformat(day)
    except ValueError as exc:
        raise click.BadParameter(f"{day!r} is not a date (YYYY-MM-DD)", param_hint="--call") from exc
    found = calls.call_on(session, app.config, parsed)
    if found is None:
        raise click.BadParameter(f"no call on {day}: not in the schedule and none created by hand",
                                 param_hint="--call")
    return found


def show_agenda(app: App, call_id: int) -> None:
    zone = app.config.collaborative.tz
    with app.sessions() as session:
        call = session.get(Call, call_id)
        assert call is not None
        total = sum(i.minutes for i in call.agenda)
        sent = f", sent {call.agenda_sent_at.astimezone(zone):%Y-%m-%d %H:%M}" if call.agenda_sent_at else ""
        click.echo(f"{call.title} on {call.starts_at.astimezone(zone):%Y-%m-%d %H:%M}-"
                   f"{call.ends_at.astimezone(zone):%H:%M} ({total} of {agenda.call_minutes(call)} min{sent})")
        if not call.agenda:
            click.echo("  (no agenda yet: run `advocacy agenda build`)")
        for position, item in enumerate(sorted(call.agenda, key=lambda i: i.position), 1):
            click.echo(f"{position:>2}. [item {item.id}] {item.title} ({item.minutes} min)")
            if item.notes:
                click.echo(f"      notes: {item.notes}")
            for qid in item.question_ids:
                question = session.get(Question, qid)
                if question is None:
                    continue
                districts = content.districts(session, question)
                late = " (late)" if question.late else ""
                click.echo(f"      q{question.id}{late}: {question.text}"
                           + (f"  -- {', '.join(districts)}" if districts else ""))


def _edit(action):  # type: ignore[no-untyped-def]
    try:
        return action()
    except agenda.AgendaError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group("agenda")
def agenda_group() -> None:
    """The member call's agenda: build, adjust, send."""


@agenda_group.command("build")
@_call_option
@click.option("--fresh", is_flag=True, help="Start over (drops manual edits) instead of adding new questions.")
@pass_app()
def build_command(app: App, day: str | None, fresh: bool) -> None:
    """Build the agenda from the bills that moved and the members' questions (or add new questions to it)."""
    with app.transaction() as session:
        call_day = find_call(app, session, day).starts_at.astimezone(app.config.collaborative.tz).date()
    call_id = _edit(lambda: agenda.build_for(app, day=call_day, fresh=fresh))
    show_agenda(app, call_id)


@agenda_group.command("show")
@_call_option
@pass_app()
def show_command(app: App, day: str | None) -> None:
    """Print the agenda with item and question numbers for move/edit/merge."""
    with app.transaction() as session:
        call_id = find_call(app, session, day).id
    show_agenda(app, call_id)


@agenda_group.command("move")
@click.argument("item", type=int)
@click.argument("position", type=int)
@pass_app()
def move_command(app: App, item: int, position: int) -> None:
    """Move agenda item ITEM to POSITION (1 = first)."""
    with app.transaction() as session:
        call_id = _edit(lambda: agenda.move(session, item, position))[0].call_id
    show_agenda(app, call_id)


@agenda_group.command("edit")
@click.argument("item", type=int)
@click.option("--title")
@click.option("--notes", help="Markdown shown under the item's title.")
@click.option("--minutes", type=int)
@pass_app()
def edit_command(app: App, item: int, title: str | None, notes: str | None, minutes: int | None) -> None:
    """Change an agenda item's title, notes or time box."""
    with app.transaction() as session:
        call_id = _edit(lambda: agenda.edit(session, item, title=title, notes=notes, minutes=minutes)).call_id
    show_agenda(app, call_id)


@agenda_group.command("merge")
@click.argument("keep", type=int)
@click.argument("other", type=int)
@pass_app()
def merge_command(app: App, keep: int, other: int) -> None:
    """Merge question OTHER into KEEP (both open, on the same call): one question, both districts listed."""
    with app.transaction() as session:
        call_id = _edit(lambda: agenda.merge_questions(session, keep, other, actor=actor(),
                                                       now=app.now())).call_id
    if call_id is not None:
        show_agenda(app, call_id)


@agenda_group.command("export")
@_call_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Folder (default: outbox/agendas).")
@pass_app()
def export_command(app: App, day: str | None, out: Path | None) -> None:
    """Write the agenda as Markdown, .ics, HTML, text and a sample .eml."""
    with app.transaction() as session:
        call_id = find_call(app, session, day).id
    paths = _edit(lambda: agenda.export(app, call_id, out or app.config.path(app.config.email.outbox_dir) / "agendas"))
    for kind, path in paths.items():
        click.echo(f"  {kind:4} {path}")


@agenda_group.command("send")
@_call_option
@click.option("--update", is_flag=True, help="Send the edited agenda again as an update (same calendar event).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app()
def send_command(app: App, day: str | None, update: bool, yes: bool) -> None:
    """Email the agenda with a calendar invitation to every member, once; also write it as Markdown."""
    with app.transaction() as session:
        call = find_call(app, session, day)
        call_id, items = call.id, len(call.agenda)
    if not items:
        click.echo("This call has no agenda yet: run `advocacy agenda build` first.")
        sys.exit(EXIT_NOTHING)
    backend = app.mail
    if not yes and sys.stdin.isatty():
        click.confirm(f"Send the agenda ({items} items) through the {app.config.email.backend} backend?", abort=True)
    try:
        published = agenda.publish(app, call_id, backend=backend, update=update)
    except AlreadySent as exc:
        click.secho(str(exc), fg="yellow", err=True)
        sys.exit(EXIT_NOTHING)
    assert published.report is not None
    for line in published.report.lines():
        click.echo(line)
    for kind, path in published.paths.items():
        click.echo(f"  {kind:4} {path}")
    if published.report.failed:
        sys.exit(EXIT_FAILED)


COMMANDS = [agenda_group]
