"""`advocacy export ...`: the tracked-bill list and members as CSV, a digest as Word or PDF, a board packet."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from advocacy.app import App
from advocacy.cli import EXIT_FAILED, EXIT_NOTHING, pass_app
from advocacy.exports.digest import FORMATS, digest_document, pick_digest
from advocacy.exports.packet import board_packet, find_district
from advocacy.exports.tables import bills_csv, members_csv, tracked_bills
from advocacy.outbound.digest import NothingNew

OUTPUT = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
                      help="Write here (default: standard output for CSV, a file named for the content otherwise).")


@click.group("export")
def export_group() -> None:
    """Files to hand on: bills and members as CSV, a digest as Word or PDF, a district's board packet."""


def _emit(data: str | bytes, output: Path | None, default: str | None = None) -> None:
    target = output or (Path(default) if default else None)
    if target is None:
        click.echo(data if isinstance(data, str) else data.decode(), nl=False)
        return
    target.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    click.echo(f"wrote {target}", err=True)


@export_group.command("bills")
@OUTPUT
@pass_app()
def export_bills(app: App, output: Path | None) -> None:
    """The tracked bills (approved in the queue): bill, title, status, position, priority, topics, next hearing,
    commentary."""
    with app.sessions() as session:
        _emit(bills_csv(tracked_bills(session, app.config, app.now()), app.config), output)


@export_group.command("members")
@OUTPUT
@pass_app()
def export_members(app: App, output: Path | None) -> None:
    """Every member, in the columns `advocacy members import` reads back."""
    with app.sessions() as session:
        _emit(members_csv(session), output)


@export_group.command("digest")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="docx", show_default=True)
@click.option("--id", "mailing_id", type=int, default=None, help="The digest (default: the draft, else the last sent).")
@OUTPUT
@pass_app()
def export_digest(app: App, fmt: str, mailing_id: int | None, output: Path | None) -> None:
    """The digest as Word or PDF under the collaborative's name, every section of the email in it."""
    with app.sessions() as session:
        try:
            digest = pick_digest(session, mailing_id)
            data = digest_document(session, app.config, digest, app.now(), fmt)
        except LookupError as exc:
            click.secho(str(exc), fg="red", err=True)
            sys.exit(EXIT_FAILED)
        except NothingNew as exc:
            click.echo(str(exc), err=True)
            sys.exit(EXIT_NOTHING)
        _emit(data, output, f"digest-{digest.id}.{fmt}")


@export_group.command("packet")
@click.option("--district", "code", required=True, help="The district's code (e.g. IRN) or its name.")
@OUTPUT
@pass_app()
def export_packet(app: App, code: str, output: Path | None) -> None:
    """A district's board packet (Word): its bills, legislators, hearings and deadlines, a template resolution."""
    with app.sessions() as session:
        try:
            district = find_district(session, code)
        except LookupError as exc:
            click.secho(str(exc), fg="red", err=True)
            sys.exit(EXIT_FAILED)
        data = board_packet(session, app.config, district, app.now())
        _emit(data, output, f"board-packet-{(district.code or district.name).replace(' ', '-').lower()}.docx")


COMMANDS = [export_group]
