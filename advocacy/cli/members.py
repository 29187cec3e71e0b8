from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import select

from advocacy.app import App
from advocacy.cli import EXIT_FAILED, pass_app
from advocacy.models import Member
from advocacy.people.members import import_csv


@click.group("members")
def members_group() -> None:
    """Member districts and the people who receive the updates."""


@members_group.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app()
def import_members(app: App, csv_file: Path) -> None:
    """Add or update members from a CSV file (columns: email, name, district, role, topics, alerts, ...)."""
    with app.transaction() as session:
        report = import_csv(session, csv_file.read_bytes(), known_topics=set(app.config.tagging.member_topics()),
                            origin=str(csv_file))
    for line in report.lines():
        click.echo(line)
    if report.rejected:
        sys.exit(EXIT_FAILED)


@members_group.command("list")
@pass_app()
def list_members(app: App) -> None:
    """Every member with district, role, topics and status."""
    with app.sessions() as session:
        for m in session.scalars(select(Member).order_by(Member.email)):
            status = "unsubscribed" if m.unsubscribed_at else ("paused" if m.paused else "active")
            topics = ", ".join(m.topics) if m.topics else "all topics"
            district = m.district.name if m.district else "-"
            click.echo(f"{m.email:40} {m.name:24} {district:36} {m.role or '-':22} {status:12} {topics}")


COMMANDS = [members_group]
