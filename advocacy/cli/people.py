from __future__ import annotations

import sys

import click
from sqlalchemy import func, select

from advocacy.app import App
from advocacy.cli import EXIT_FAILED, pass_app
from advocacy.models import CommitteeMembership, District
from advocacy.outbound.acted import acted_report
from advocacy.outbound.opportunities import contact
from advocacy.people.legislators import legislators_for, sync_people
from vocabulary.rosters import ROLE_LABELS


@click.group("people")
def people_group() -> None:
    """Legislators, committee rosters, and who acted on an alert."""


@people_group.command("sync")
@click.option("--source", "sources", multiple=True, help="Only this configured source (repeatable).")
@pass_app()
def sync(app: App, sources: tuple[str, ...]) -> None:
    """Fetch legislators and committee rosters from the Ohio, LegiScan and Open States sources."""
    try:
        reports = sync_people(app, sources or None, progress=click.echo)
    except ValueError as exc:
        click.secho(str(exc), fg="red", err=True)
        sys.exit(EXIT_FAILED)
    if not reports:
        click.echo("no Ohio, LegiScan or Open States source is configured")
    if any(r.error for r in reports):
        sys.exit(EXIT_FAILED)


@people_group.command("for")
@click.argument("district_name")
@pass_app()
def for_district(app: App, district_name: str) -> None:
    """A district's state legislators, with contact details and committee seats."""
    with app.sessions() as session:
        district = session.scalar(select(District).where(func.lower(District.name) == district_name.lower()))
        if district is None:
            click.secho(f"no district named {district_name!r}", fg="red", err=True)
            sys.exit(EXIT_FAILED)
        click.echo(f"{district.name}: House district(s) {', '.join(district.house_districts) or 'none on file'}; "
                   f"Senate district(s) {', '.join(district.senate_districts) or 'none on file'}")
        found = legislators_for(session, district)
        if not found:
            click.secho("  no legislators on file (set the districts, then run `advocacy people sync`)", fg="yellow")
        for legislator in found:
            person = contact(legislator)
            click.echo(f"  {person.display}")
            for label, value in (("phone", person.phone), ("email", person.email), ("office", person.office_address)):
                if value:
                    click.echo(f"    {label}: {' / '.join(value.splitlines())}")
            seats = session.scalars(select(CommitteeMembership).where(
                CommitteeMembership.legislator_id == legislator.id).order_by(CommitteeMembership.committee))
            for seat in seats:
                click.echo(f"    {ROLE_LABELS.get(seat.role, seat.role)} of {seat.committee}")


@people_group.command("acted")
@click.argument("alert_id", type=int)
@pass_app()
def acted(app: App, alert_id: int) -> None:
    """Which districts acted on an alert and which have not."""
    with app.sessions() as session:
        try:
            report = acted_report(session, alert_id)
        except ValueError as exc:
            click.secho(str(exc), fg="red", err=True)
            sys.exit(EXIT_FAILED)
    for line in report.lines():
        click.echo(line)


COMMANDS = [people_group]
