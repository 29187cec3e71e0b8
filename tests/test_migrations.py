from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import inspect

from advocacy import db
from advocacy.cli import EXIT_NOT_MIGRATED, cli
from advocacy.models import Base
from tests.conftest import pg_schema_url, pg_url, reset_pg_schema


def _fresh_urls(tmp_path: Path) -> list[str]:
    urls = [f"sqlite:///{tmp_path / 'fresh.db'}"]
    if pg_url():
        reset_pg_schema(pg_url())  # type: ignore[arg-type]
        urls.append(pg_schema_url(pg_url()))  # type: ignore[arg-type]
    return urls


def test_migrations_create_every_table_and_match_the_models(tmp_path: Path) -> None:
    for url in _fresh_urls(tmp_path):
        engine = db.make_engine(url)
        with pytest.raises(db.NotMigrated, match="has no tables yet; run `advocacy db upgrade`"):
            db.check_migrated(engine)
        db.upgrade(engine)
        db.check_migrated(engine)
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables, url
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
        assert diff == [], f"models and migrations disagree on {engine.dialect.name}: {diff}"
        db.upgrade(engine)  # a second upgrade is a no-op
        assert db.current_revision(engine) == db.head_revision()
        engine.dispose()
    if pg_url():
        from tests.conftest import _PG_READY

        _PG_READY.clear()  # the shared test schema was dropped: migrate it again for later tests


def test_commands_refuse_an_unmigrated_database_and_say_what_to_run(config_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["--config", str(config_path), "db", "current"])
    assert result.exit_code == 0, result.output
    assert "database: empty" in result.output
    result = runner.invoke(cli, ["--config", str(config_path), "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "migrated empty -> " in result.output
    result = runner.invoke(cli, ["--config", str(config_path), "db", "upgrade"])
    assert "already at revision" in result.output


def test_a_command_needing_data_stops_with_exit_code_4_before_migration(config_path: Path) -> None:
    import click

    from advocacy.cli import pass_app

    @click.command()
    @pass_app()
    def probe(app: object) -> None:
        click.echo("ran")

    cli.add_command(probe, "probe-test")
    try:
        result = CliRunner().invoke(cli, ["--config", str(config_path), "probe-test"])
    finally:
        cli.commands.pop("probe-test")
    assert result.exit_code == EXIT_NOT_MIGRATED
    assert "run `advocacy db upgrade` first" in result.output
    assert "ran" not in result.output
