"""`advocacy text`: fetch each version's text once, and compare two versions of a bill."""

from __future__ import annotations

import sys

import click

from advocacy.app import App
from advocacy.cli import EXIT_FAILED, EXIT_USAGE, pass_app
from advocacy.collect.billtext import NoText, compare_versions, fetch_texts, version_texts
from advocacy.collect.compare import summary
from advocacy.curation.lookup import BillLookupError, find_bill
from advocacy.curation.saved import apply_saved_searches


def _bill_ids(app: App, names: tuple[str, ...]) -> list[int] | None:
    if not names:
        return None
    ids = []
    with app.sessions() as session:
        for name in names:
            try:
                ids.append(find_bill(session, name, aliases=app.config.bill_aliases()).id)
            except BillLookupError as exc:
                click.secho(f"--bill {name}: {exc}", fg="red", err=True)
                sys.exit(EXIT_USAGE)
    return ids


@click.group("text")
def text_group() -> None:
    """Bill text: fetch each version's text once (HTML where offered, else PDF); compare two versions."""


@text_group.command("fetch")
@click.option("--bill", "bills", multiple=True, help="Only this bill (any spelling); repeatable. Default: every bill.")
@click.option("--refetch", is_flag=True, help="Ask again for versions already fetched (conditional GET).")
@click.option("--retry-failed", is_flag=True, help="Try again the versions whose text could not be extracted.")
@pass_app()
def fetch(app: App, bills: tuple[str, ...], refetch: bool, retry_failed: bool) -> None:
    """Fetch and store the text of every version that has none yet; saved searches then see the new text."""
    report = fetch_texts(app, _bill_ids(app, bills), refetch=refetch, retry_failed=retry_failed,
                         progress=lambda line: click.secho(f"  could not extract: {line}", fg="yellow", err=True))
    with app.transaction() as session:
        matched = apply_saved_searches(session, report.bill_ids, app.now())
    click.echo(report.line())
    for match in matched:
        click.echo(f"Saved search {match.search!r}: {match.identifier} joins the queue")


@text_group.command("compare")
@click.argument("bill")
@click.option("--from", "old", help="The earlier version's name (e.g. \"As Introduced\"); default: the one before last.")
@click.option("--to", "new", help="The later version's name; default: the latest with text.")
@pass_app()
def compare_command(app: App, bill: str, old: str | None, new: str | None) -> None:
    """Print what changed between two versions of BILL: the paste-ready summary, then each change in context."""
    with app.sessions() as session:
        try:
            found = find_bill(session, bill, aliases=app.config.bill_aliases())
        except BillLookupError as exc:
            click.secho(str(exc), fg="red", err=True)
            sys.exit(EXIT_USAGE)
        by_name = {v.name.lower(): v.id for v, _ in version_texts(session, found.id)}
        unknown = [n for n in (old, new) if n and n.lower() not in by_name]
        if unknown:
            click.secho(f"{found.identifier} has no version named {unknown[0]!r}; it has: {', '.join(by_name)}",
                        fg="red", err=True)
            sys.exit(EXIT_USAGE)
        try:
            result = compare_versions(session, found.id, by_name.get((old or "").lower()),
                                      by_name.get((new or "").lower()))
        except NoText as exc:
            click.secho(f"{found.identifier}: {exc} (run `advocacy text fetch --bill {bill!r}`)", fg="red", err=True)
            sys.exit(EXIT_FAILED)
    click.echo(summary(result))
    for hunk in result.hunks:
        click.echo(f"\n[{hunk.section}]")
        for line in hunk.before:
            click.echo(f"  {line}")
        words = [f"[-{p.text}-]" if p.kind == "removed" else f"{{+{p.text}+}}" if p.kind == "added" else p.text
                 for p in hunk.pieces]
        click.echo("> " + " ".join(words))
        for line in hunk.after:
            click.echo(f"  {line}")


COMMANDS = [text_group]
