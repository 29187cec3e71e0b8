from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click
from sqlalchemy import select

from advocacy.app import App
from advocacy.cli import EXIT_FAILED, EXIT_NOTHING, pass_app
from advocacy.models import Mailing
from advocacy.outbound.digest import (
    NothingNew,
    create_digest,
    join_digest,
    last_sent_digest,
    latest_draft,
    send_digest,
    withdrawn,
)
from advocacy.outbound.digest import preview as write_preview
from advocacy.outbound.sending import AlreadySent, SendInProgress, counts, failures


def _moment(app: App, value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=app.config.collaborative.tz)


def draft(app: App, since: str | None, until: str | None, note_file: Path | None, fresh: bool) -> int:
    note = note_file.read_text(encoding="utf-8") if note_file else ""
    with app.transaction() as session:
        existing = None if fresh else latest_draft(session)
        if existing is not None:
            if note:
                existing.opening_note = note
            return existing.id
        digest = create_digest(session, app.config, app.now(), start=_moment(app, since),
                                       end=_moment(app, until), note=note,
                                       allow_empty=not app.config.schedule.skip_empty_digest)
        return digest.id


@click.group("digest")
def digest_group() -> None:
    """Preview and send the bi-weekly digest."""


_period = [
    click.option("--since", help="Start of the period (local date/time, e.g. 2026-11-17); default: the last sent digest."),
    click.option("--until", help="End of the period; default: now."),
    click.option("--note-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 help="The advocate's opening note (Markdown)."),
    click.option("--new", "fresh", is_flag=True, help="Start a new draft instead of reusing the open one."),
]


def _with_period(f):  # type: ignore[no-untyped-def]
    for option in reversed(_period):
        f = option(f)
    return f


@digest_group.command("preview")
@_with_period
@click.option("--topic", "topics", multiple=True, help="Preview as a member who chose these topics.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Folder (default: var/previews).")
@pass_app()
def preview(app: App, since: str | None, until: str | None, note_file: Path | None, fresh: bool,
            topics: tuple[str, ...], out: Path | None) -> None:
    """Freeze the next digest as a draft and write it as members will see it (HTML, text, .eml)."""
    try:
        mailing_id = draft(app, since, until, note_file, fresh)
    except NothingNew as exc:
        click.echo(f"No digest: {exc}.")
        sys.exit(EXIT_NOTHING)
    paths = write_preview(app, mailing_id, out or app.config.path("var/previews"), tuple(sorted(topics)) or None)
    click.echo(f"Digest {mailing_id} (draft) preview:")
    for kind, path in paths.items():
        click.echo(f"  {kind:5} {path}")


@digest_group.command("send")
@_with_period
@click.option("--digest", "mailing_id", type=int, help="Send this digest (default: the open draft, or a new one).")
@click.option("--resend-to", multiple=True, metavar="EMAIL", help="Send an already-sent digest again to these members.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--join", is_flag=True, help="PostgreSQL: help the process sending --digest (claim members beside it).")
@pass_app()
def send(app: App, since: str | None, until: str | None, note_file: Path | None, fresh: bool,
         mailing_id: int | None, resend_to: tuple[str, ...], yes: bool, join: bool) -> None:
    """Send the digest to every active member, once. Re-running resumes an interrupted send."""
    if join:
        _join(app, mailing_id)
        return
    if mailing_id is None and resend_to:
        with app.sessions() as session:
            last = last_sent_digest(session)
        if last is None:
            raise click.BadParameter("no digest has been sent yet", param_hint="--resend-to")
        mailing_id = last.id  # resending means the digest those members missed: the last one sent
    if mailing_id is None:
        try:
            mailing_id = draft(app, since, until, note_file, fresh)
        except NothingNew as exc:
            click.echo(f"No digest to send: {exc}.")
            sys.exit(EXIT_NOTHING)
    with app.sessions() as session:
        row = session.get(Mailing, mailing_id)
        if row is None:
            raise click.BadParameter(f"no digest {mailing_id}", param_hint="--digest")
        items = len(row.items)
        for bill, status in withdrawn(session, row):
            click.secho(f"Note: {bill.identifier} is {status} now but still in digest {mailing_id}; "
                        "prepare it again (--fresh) to drop it.", fg="yellow", err=True)
    backend = app.mail
    if not yes and sys.stdin.isatty():
        click.confirm(f"Send digest {mailing_id} ({items} items) through the {app.config.email.backend} backend?",
                      abort=True)
    try:
        report = send_digest(app, mailing_id, backend, resend=resend_to, progress=click.echo)
    except AlreadySent as exc:
        click.secho(str(exc), fg="yellow", err=True)
        sys.exit(EXIT_NOTHING)
    except SendInProgress as exc:
        click.secho(str(exc), fg="red", err=True)
        sys.exit(EXIT_FAILED)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--resend-to") from exc
    for line in report.lines():
        click.echo(line)
    if app.config.email.backend == "outbox":
        click.echo(f"Outbox: {app.config.path(app.config.email.outbox_dir)}")
    if report.failed:
        sys.exit(EXIT_FAILED)


def _join(app: App, mailing_id: int | None) -> None:
    if mailing_id is None:
        raise click.BadParameter("name the digest being sent", param_hint="--digest")
    try:
        report = join_digest(app, mailing_id, app.mail, progress=click.echo)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--join") from exc
    for line in report.lines():
        click.echo(line)
    if report.failed:
        sys.exit(EXIT_FAILED)


@digest_group.command("status")
@click.option("--digest", "mailing_id", type=int, help="This digest (default: the latest one).")
@pass_app()
def status(app: App, mailing_id: int | None) -> None:
    """Who received a digest, and every delivery that did not go out, with its reason."""
    with app.sessions() as session:
        row = session.get(Mailing, mailing_id) if mailing_id else session.scalar(
            select(Mailing).where(Mailing.kind == "digest").order_by(Mailing.id.desc()))
        if row is None:
            click.echo("No digest yet." if mailing_id is None else f"No digest {mailing_id}.")
            sys.exit(EXIT_NOTHING)
        by_status = counts(session, row.id)
        problems = failures(session, row.id)
        line = f"Digest {row.id} ({row.status})"
        if row.sent_at:
            line += f", sent {row.sent_at.astimezone(app.config.collaborative.tz):%Y-%m-%d %H:%M %Z}"
    click.echo(line + ": " + (", ".join(f"{n} {s}" for s, n in sorted(by_status.items())) or "no deliveries"))
    for email, state, reason in problems:
        click.echo(f"  {state:11} {email}: {reason or '-'}")


COMMANDS = [digest_group]
