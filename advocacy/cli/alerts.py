"""`advocacy alerts send` and `advocacy alerts list`: urgent alerts between digests."""

from __future__ import annotations

import sys

import click

from advocacy.app import App
from advocacy.cli import EXIT_FAILED, EXIT_NOTHING, pass_app
from advocacy.outbound.acted import AlreadyReminded, NothingToRemind
from advocacy.outbound.alerts import create_alerts, list_alerts, pending_alerts, send_alerts, send_reminder
from advocacy.outbound.sending import SendInProgress


@click.group("alerts")
def alerts_group() -> None:
    """Urgent alerts: flagged actions and hearings newly scheduled for high-priority bills."""


def interactive() -> bool:
    return sys.stdin.isatty()


@alerts_group.command("send")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app()
def send(app: App, yes: bool) -> None:
    """Make the alerts that are due (one per bill per event) and send every alert not sent yet.

    Asks first, like `digest send`, when run at a terminal without --yes.
    """
    with app.transaction() as session:
        created = create_alerts(session, app.config, app.now())
        made = [(a.id, a.key) for a in created]
        waiting = len(pending_alerts(session))
    for mailing_id, key in made:
        click.echo(f"New alert {mailing_id}: {key}")
    if waiting and not yes and interactive():
        click.confirm(f"Send {waiting} alert(s) to every member they concern through the "
                      f"{app.config.email.backend} backend?", abort=True)
    backend = app.mail
    try:
        reports = send_alerts(app, backend, progress=click.echo)
    except SendInProgress as exc:
        click.secho(str(exc), fg="red", err=True)
        sys.exit(EXIT_FAILED)
    if not reports:
        click.echo("No alerts to send.")
        sys.exit(EXIT_NOTHING)
    for report in reports:
        for line in report.lines():
            click.echo(line)
    if any(r.failed for r in reports):
        sys.exit(EXIT_FAILED)


@alerts_group.command("list")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@pass_app()
def list_command(app: App, limit: int) -> None:
    """Recent alerts, newest first, with what happened to their deliveries."""
    with app.sessions() as session:
        rows = list_alerts(session, limit)
    if not rows:
        click.echo("No alerts yet.")
        return
    zone = app.config.collaborative.tz
    for row in rows:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(row.counts.items())) or "no deliveries yet"
        click.echo(f"{row.id:>5}  {row.created_at.astimezone(zone):%Y-%m-%d %H:%M}  {row.status:8}  "
                   f"{row.subject or row.key}")
        click.echo(f"       {counts}")


@alerts_group.command("remind")
@click.argument("alert_id", type=int)
@pass_app()
def remind(app: App, alert_id: int) -> None:
    """Send the alert's one reminder to the districts that have not acted yet."""

    try:
        report = send_reminder(app, alert_id, app.mail)
    except (AlreadyReminded, NothingToRemind) as exc:
        click.echo(str(exc))
        sys.exit(EXIT_NOTHING)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="ALERT_ID") from exc
    for line in report.lines():
        click.echo(line)
    if report.failed:
        sys.exit(EXIT_FAILED)


COMMANDS = [alerts_group]
