"""`advocacy scrape` (collect, record what changed, tag) and `advocacy sources` (what is configured, how it went)."""

from __future__ import annotations

import sys

import click

from advocacy.app import App
from advocacy.cli import EXIT_FAILED, State, pass_app
from advocacy.collect import scrape as scraping
from advocacy.collect.check import check_sources
from advocacy.runtime.pipeline import after_scrape, changes, tag_changed


@click.command("scrape")
@click.option("--source", "sources", multiple=True, metavar="NAME",
              help="Only this source (repeatable; a disabled source runs when named). Default: all enabled.")
@click.option("--replay", "replay_run", type=int, metavar="RUN_ID",
              help="Re-parse the payloads archived by a past run, offline (see `advocacy sources`).")
@pass_app()
def scrape(app: App, sources: tuple[str, ...], replay_run: int | None) -> None:
    """Collect bill activity from the configured sources and record what changed, then tag it for every
    collaborative of the host that follows its jurisdiction."""
    if replay_run is not None:
        try:
            summaries = [scraping.replay(app, replay_run)]
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--replay") from exc
        click.echo(f"Replay of run {replay_run}: {summaries[0].line()}")
        for error in summaries[0].errors:
            click.echo(f"    error: {error}")
    else:
        try:
            summaries = scraping.run_sources(app, sources, progress=click.echo)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--source") from exc

    for line in after_scrape(app, summaries):
        click.echo(line)
    for other in _others(app):  # the host's other collaboratives: each tags what changed in what it follows
        for line in tag_changed(other, *changes(summaries))[:1]:
            click.echo(f"{other.config.collaborative.slug}: {line}")
    totals = {k: sum(getattr(s, k) for s in summaries) for k in ("fetched", "not_modified", "new_bills", "events")}
    errors = sum(len(s.errors) for s in summaries)
    failed = [s.name for s in summaries if s.status == "failed"]
    partial = [s.name for s in summaries if s.status == "partial"]  # stored, but some items were skipped
    click.echo(f"Summary: {len(summaries)} source(s); fetched {totals['fetched']}, not modified "
               f"{totals['not_modified']}, new bills {totals['new_bills']}, events {totals['events']}, errors {errors}"
               + (f"; failed: {', '.join(failed)}" if failed else "")
               + (f"; partial: {', '.join(partial)}" if partial else ""))
    if totals["events"] == 0 and not errors:
        click.echo("Nothing new.")
    if failed or partial:
        sys.exit(EXIT_FAILED)


def _others(app: App) -> list[App]:
    """The host's other collaboratives, beside `app`."""
    state = click.get_current_context().find_object(State)
    configs = state.host if state is not None else []
    return [app.beside(c) for c in configs if c.collaborative.slug != app.config.collaborative.slug]


@click.group("sources", invoke_without_command=True)
@click.pass_context
def sources(ctx: click.Context) -> None:
    """The configured sources, each with its last run: when, status, counts and error."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(sources_list)


@sources.command("check")
@click.option("--source", "names", multiple=True, metavar="NAME", help="Only this source (repeatable).")
@pass_app()
def sources_check(app: App, names: tuple[str, ...]) -> None:
    """Fetch one small page of each source and say what its parser would miss (exit 1 when anything)."""
    try:
        results = check_sources(app, names)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--source") from exc
    for result in results:
        for line in result.lines():
            click.echo(line)
    if any(r.problems for r in results):
        sys.exit(EXIT_FAILED)


@pass_app()
def sources_list(app: App) -> None:
    tz = app.config.collaborative.tz
    with app.sessions() as session:
        last = scraping.last_runs(session)
    for jcfg, source in app.config.sources():
        flags = "" if source.enabled else " [disabled]"
        click.echo(f"{source.name} ({source.kind}, {jcfg.code}){flags}  schedule: {source.schedule}")
        if problem := scraping.missing_key(app, source):
            click.echo(f"    cannot run: {problem}")
        run = last.get(source.name)
        if run is None:
            click.echo("    never run")
            continue
        started = run.started_at.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
        click.echo(f"    last run {run.id} at {started}: {run.status}; fetched {run.fetched}, not modified "
                   f"{run.not_modified}, records {run.records}, new bills {run.new_bills}, events {run.events}")
        errors = run.error.strip().splitlines()
        for line in errors[:3]:
            click.echo(f"    error: {line}")
        if len(errors) > 3:
            click.echo(f"    ... and {len(errors) - 3} more error(s)")


COMMANDS = [scrape, sources]
