"""`advocacy search`: full-text search over bill numbers, titles, synopses, sponsors, subjects, committees,
commentary and bill text, best first, with the matched words in [brackets]."""

from __future__ import annotations

import sys

import click

from advocacy.app import App
from advocacy.cli import EXIT_NOTHING, EXIT_USAGE, pass_app
from advocacy.curation.search import MARK_END, MARK_START, SearchError, search


@click.command("search")
@click.argument("query", nargs=-1, required=True)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500), help="How many bills to show.")
@pass_app()
def search_command(app: App, query: tuple[str, ...], limit: int) -> None:
    """Find bills by any word: a sponsor's name, a code section ("3317"), a word of the text, "a phrase".

    Every word must match. Exit code 5 when nothing matches.
    """
    text = " ".join(query)
    with app.transaction() as session:  # a search brings the index up to date first
        try:
            hits = search(session, text, app.now(), limit=limit)
        except SearchError as exc:
            click.secho(str(exc), fg="red", err=True)
            sys.exit(EXIT_USAGE)
    if not hits:
        click.echo(f"No bill matches {text!r}.")
        sys.exit(EXIT_NOTHING)
    for hit in hits:
        click.echo(f"{hit.jurisdiction} {hit.session} {hit.identifier}: {hit.title}")
        click.echo(f"    {hit.snippet.replace(MARK_START, '[').replace(MARK_END, ']')}")


COMMANDS = [search_command]
