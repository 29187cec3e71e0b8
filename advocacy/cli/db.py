from __future__ import annotations

import click

from advocacy import db
from advocacy.app import App
from advocacy.cli import pass_app
from advocacy.runtime.queue import ensure_schema


@click.group("db")
def db_group() -> None:
    """Create and migrate the database."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@pass_app(migrated=False)
def upgrade(app: App, revision: str) -> None:
    """Apply the Alembic migrations (creates the database on first use); with `[queue] backend = "procrastinate"`,
    install or upgrade the task queue's tables too (stop the workers first)."""
    before = db.current_revision(app.engine)
    db.upgrade(app.engine, revision)
    after = db.current_revision(app.engine)
    url = app.engine.url.render_as_string(hide_password=True)
    if before == after:
        click.echo(f"{url}: already at revision {after}")
    else:
        click.echo(f"{url}: migrated {before or 'empty'} -> {after}")
    if app.config.queue.backend == "procrastinate" and revision == "head":
        click.echo(ensure_schema(app).line())


@db_group.command("current")
@pass_app(migrated=False)
def current(app: App) -> None:
    """Show the database's revision and the code's."""
    click.echo(f"database: {db.current_revision(app.engine) or 'empty'}   code: {db.head_revision()}")


COMMANDS = [db_group]
