from __future__ import annotations

import click

from advocacy.app import App
from advocacy.cli import pass_app
from advocacy.demo.run import DEMO_NOW, run_demo


@click.command("demo")
@click.option("--site-port", type=int, envvar="ADVOCACY_DEMO_PORT",
              help="Local port for the sample sources (default: the one used last, else 48765, else a free one; "
                   "kept so that a second run sees the same URLs).")
@pass_app(migrated=False)
def demo(app: App, site_port: int | None) -> None:
    """Run the whole pipeline on bundled sample data (SQLite under var/, email to var/outbox/).

    Run it twice: the second run finds nothing new and sends nothing.
    """

    try:
        result = run_demo(app.config, echo=click.echo, site_port=site_port)
    except OSError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("")
    click.echo("What the demo wrote:")
    for kind, path in result.digest_files.items():
        click.echo(f"  digest preview ({kind}): {path}")
    click.echo(f"  outbox (.eml files as sent): {result.outbox}")
    for kind, path in result.agenda_files.items():
        click.echo(f"  call agenda ({kind}): {path}")
    if result.nothing_new:
        click.echo("Nothing new: the sample sources have not changed since the last run.")
    click.echo("")
    click.echo("Browse the demo in the staff web pages:")
    click.echo(f"  export ADVOCACY_DATABASE__URL=sqlite:///var/demo.db ADVOCACY_NOW={DEMO_NOW.isoformat()}")
    click.echo("  .venv/bin/advocacy user add you@example.org --role advocate && .venv/bin/advocacy web")
    click.echo("  (ADVOCACY_NOW shows the pages at the demo's own date, so its hearings are still ahead)")


COMMANDS = [demo]
