from __future__ import annotations

import sys

import click

from advocacy import scrape as scraping
from advocacy.app import App
from advocacy.cli import EXIT_FAILED, pass_app


@click.command("scrape")
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Only these sources (default: all enabled).")
@click.option("--replay", "replay_run", type=int, metavar="RUN_ID",
              help="Re-parse the payloads archived by a past run, offline.")
@pass_app()
def scrape(app: App, sources: tuple[str, ...], replay_run: int | None) -> None:
    """Collect bill activity from the configured sources and record what changed."""
    if replay_run is not None:
        summaries = [scraping.replay(app, replay_run)]
        click.echo(summaries[0].line())
    else:
        try:
            summaries = scraping.run_sources(app, sources, progress=click.echo)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--source") from exc
    from advocacy.pipeline import after_scrape

    after = after_scrape(app, summaries)
    for line in after:
        click.echo(line)
    totals = {k: sum(getattr(s, k) for s in summaries) for k in ("fetched", "not_modified", "new_bills", "events")}
    errors = sum(len(s.errors) for s in summaries)
    click.echo(f"Summary: {len(summaries)} source(s); fetched {totals['fetched']}, not modified "
               f"{totals['not_modified']}, new bills {totals['new_bills']}, events {totals['events']}, errors {errors}")
    if totals["events"] == 0 and not errors:
        click.echo("Nothing new.")
    if any(s.status == "failed" for s in summaries):
        sys.exit(EXIT_FAILED)


COMMANDS = [scrape]
