"""`advocacy queue`, `advocacy curate`, `advocacy audit`: the advocate's review from the command line."""

from __future__ import annotations

import getpass
import shutil
import sys
import textwrap
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from advocacy.app import App
from advocacy.cli import EXIT_FAILED, pass_app
from advocacy.curation import decisions as cur
from advocacy.curation.lookup import BillLookupError, find_bill
from advocacy.models import AuditEntry, Bill
from advocacy.outbound.alerts import create_alerts
from vocabulary.billnum import display


def _name(app: App, code: str, identifier: str) -> str:
    return f"{code} {display(identifier, app.config.bill_style(code))}"


def _local(app: App, when: datetime | None, fmt: str = "%Y-%m-%d %H:%M %Z") -> str:
    return when.astimezone(app.config.collaborative.tz).strftime(fmt) if when else "-"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 3, 0)].rstrip() + "..."


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "advocate"


@click.command("queue", short_help="Bills waiting for review, highest score first.")
@click.option("--topic", help="Only bills with this tag (code or label).")
@click.option("--priority", type=click.Choice(cur.PRIORITIES))
@click.option("--status", type=click.Choice(cur.STATUSES), help="Every bill with this status.")
@click.option("--jurisdiction", help="State code, e.g. OH.")
@click.option("--all", "include_all", is_flag=True, help="Every curated bill, not only those that want a look.")
@pass_app()
def queue_command(app: App, topic: str | None, priority: str | None, status: str | None,
                  jurisdiction: str | None, include_all: bool) -> None:
    """Bills waiting for review: new, changed since you last looked, back from dismissal, or out of a snooze."""
    with app.sessions() as session:
        items = cur.queue(session, app.now(), topic=topic, priority=priority, status=status,
                          jurisdiction=jurisdiction, include_all=include_all)
    if not items:
        click.echo("Nothing to review." if not (include_all or status) else "No bills match.")
        return
    width = max(shutil.get_terminal_size((110, 24)).columns, 100)
    names = [_name(app, i.jurisdiction, i.identifier) for i in items]
    bill_w = max(len("BILL"), *(len(n) for n in names))
    tags = [", ".join(t.label or t.tag for t in i.tags) or "-" for i in items]
    tag_w = min(max(len("TAGS"), *(len(t) for t in tags)), 30)
    head = f"{'BILL':<{bill_w}}  {'SCORE':>5}  {'STATUS':<9}  {'PRIORITY':<8}  {'TAGS':<{tag_w}}  TITLE"
    title_w = max(width - len(head) + len("TITLE"), 30)
    click.echo(head)
    why_indent = " " * (bill_w + 2)
    for item, name, tag_text in zip(items, names, tags, strict=True):
        click.echo(f"{name:<{bill_w}}  {item.score:>5.2f}  {item.status:<9}  {item.priority or '-':<8}  "
                   f"{_cut(tag_text, tag_w):<{tag_w}}  {_cut(item.title, title_w)}".rstrip())
        for line in item.why:
            for n, part in enumerate(textwrap.wrap(line, width - len(why_indent) - 6) or [""]):
                click.echo(f"{why_indent}{'why: ' if n == 0 else '     '}{part}")
    click.echo(f"\n{len(items)} bill{'s' if len(items) != 1 else ''}")


def _deadline(value: date, tz: ZoneInfo) -> datetime:
    # A deadline given as a day means the end of that day where the collaborative is.
    return datetime.combine(value, time(23, 59), tz)


def _show(value: Any) -> str:
    if value is None or value == "":
        return "(none)"
    if isinstance(value, bool):
        return "on" if value else "off"
    return _cut(" ".join(str(value).split()), 60)


def _refuse_conflicts(decision: str | None, snooze: int | None, note: str | None, note_file: Path | None,
                      alert: bool, deadline: datetime | None, call_to_action: str | None, clear_alert: bool) -> None:
    if decision and snooze:
        raise click.UsageError("--approve/--dismiss and --snooze exclude each other")
    if note is not None and note_file is not None:
        raise click.UsageError("--note and --note-file exclude each other")
    if alert and clear_alert:
        raise click.UsageError("--alert and --clear-alert exclude each other")
    if (deadline or call_to_action) and not alert:
        raise click.UsageError("--deadline and --action go with --alert")


def _commentary(note: str | None, note_file: Path | None) -> str | None:
    """The new commentary, from --note or --note-file; None leaves it as it is."""
    if note_file is None:
        return note
    try:
        return note_file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise click.BadParameter(f"{note_file}: not UTF-8 text ({exc})", param_hint="--note-file") from exc


def _alert_changes(app: App, alert: bool, deadline: datetime | None, call_to_action: str | None,
                   clear_alert: bool) -> dict[str, Any]:
    if alert:
        return {"alert": True,
                "alert_deadline": _deadline(deadline.date(), app.config.collaborative.tz) if deadline else None,
                "alert_action": call_to_action or ""}
    return {"alert": False} if clear_alert else {}


def _decision_changes(now: datetime, decision: str | None, snooze: int | None, priority: str | None,
                      position: str | None) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if decision:
        changes["status"] = decision
    if snooze:
        changes["status"], changes["snoozed_until"] = "snoozed", now + timedelta(days=snooze)
    if priority:
        changes["priority"] = None if priority == "none" else priority
    if position:
        changes["position"] = None if position == "none" else position
    return changes


def _echo_change(name: str, change: cur.Change, alerts: list[str]) -> None:
    if not change.changed:
        click.echo(f"{name}: marked reviewed; nothing changed")
        return
    click.echo(f"{name}: {change.action}")
    for field in change.after:
        click.echo(f"  {field}: {_show(change.before[field])} -> {_show(change.after[field])}")
    for key in alerts:
        click.echo(f"  urgent alert ready ({key}): `advocacy alerts send` sends it")


@click.command("curate", short_help="Approve, dismiss, snooze or annotate a bill.")
@click.argument("bill", nargs=-1, required=True)
@click.option("--approve", "decision", flag_value="approved", help="Include the bill in digests.")
@click.option("--dismiss", "decision", flag_value="dismissed", help="Not for us (comes back on a floor vote).")
@click.option("--snooze", type=click.IntRange(min=1), metavar="DAYS", help="Out of the queue for DAYS days.")
@click.option("--priority", type=click.Choice([*cur.PRIORITIES, "none"]))
@click.option("--position", type=click.Choice([*cur.POSITIONS, "none"]))
@click.option("--note", help="Commentary (Markdown) for the digest.")
@click.option("--note-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Commentary (Markdown) from a file.")
@click.option("--alert", is_flag=True, help="Flag an action alert (needs --deadline and --action).")
@click.option("--deadline", type=click.DateTime(["%Y-%m-%d"]), help="Alert deadline, YYYY-MM-DD (end of day).")
@click.option("--action", "call_to_action", help="What members should do, for the alert.")
@click.option("--clear-alert", is_flag=True, help="Withdraw the action alert.")
@click.option("--as", "actor", default=_user, show_default="your login name", help="Who is curating.")
@pass_app()
def curate_command(app: App, bill: tuple[str, ...], decision: str | None, snooze: int | None,
                   priority: str | None, position: str | None, note: str | None, note_file: Path | None,
                   alert: bool, deadline: datetime | None, call_to_action: str | None, clear_alert: bool,
                   actor: str) -> None:
    """Review BILL (any spelling: "HB 33", "H.B. 33", "OH 136 HB 33") and record your decision."""
    _refuse_conflicts(decision, snooze, note, note_file, alert, deadline, call_to_action, clear_alert)
    now = app.now()
    changes = _decision_changes(now, decision, snooze, priority, position)
    commentary = _commentary(note, note_file)
    if commentary is not None:
        changes["commentary"] = commentary
    changes.update(_alert_changes(app, alert, deadline, call_to_action, clear_alert))
    with app.transaction() as session:
        try:
            found = find_bill(session, " ".join(bill), aliases=app.config.bill_aliases())
        except BillLookupError as exc:
            click.secho(str(exc), fg="red", err=True)
            sys.exit(EXIT_FAILED)
        name = _name(app, found.session.jurisdiction.code, found.identifier)
        try:
            change = cur.curate(session, found, actor, now, **changes)
        except cur.CurationError as exc:
            click.secho(f"{name}: nothing changed:", fg="red", err=True)
            for problem in exc.problems:
                click.secho(f"  {problem}", fg="red", err=True)
            sys.exit(EXIT_FAILED)
        # a flagged action (or a bill made high priority with a hearing coming) becomes an alert right away
        alerts = [a.key for a in create_alerts(session, app.config, now)] if change.changed else []
    _echo_change(name, change, alerts)


def _entity(app: App, entry: AuditEntry, bills: dict[int, Bill]) -> str:
    if entry.entity == cur.AUDIT_ENTITY and entry.entity_id in bills:
        bill = bills[entry.entity_id]
        return _name(app, bill.session.jurisdiction.code, bill.identifier)
    return f"{entry.entity} #{entry.entity_id}"


@click.command("audit", short_help="Who changed what in curation.")
@click.argument("bill", nargs=-1)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@pass_app()
def audit_command(app: App, bill: tuple[str, ...], limit: int) -> None:
    """Who changed what, newest first; only BILL's history when one is given."""
    with app.sessions() as session:
        found = None
        if bill:
            try:
                found = find_bill(session, " ".join(bill), aliases=app.config.bill_aliases())
            except BillLookupError as exc:
                click.secho(str(exc), fg="red", err=True)
                sys.exit(EXIT_FAILED)
        entries = cur.audit_log(session, found, limit=limit)
        ids = {e.entity_id for e in entries if e.entity == cur.AUDIT_ENTITY}
        bills = {b.id: b for b in (session.get(Bill, i) for i in ids) if b is not None}
        rows = [(e, _entity(app, e, bills)) for e in entries]
    if not rows:
        click.echo("No audit entries.")
        return
    for entry, what in rows:
        click.echo(f"{_local(app, entry.at)}  {entry.actor}  {entry.action}  {what}")
        for field in entry.after:
            click.echo(f"    {field}: {_show(entry.before.get(field))} -> {_show(entry.after[field])}")


COMMANDS = [queue_command, curate_command, audit_command]
