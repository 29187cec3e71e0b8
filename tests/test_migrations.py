from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import inspect

from advocacy import db
from advocacy.cli import EXIT_NOT_MIGRATED, cli
from advocacy.models import Base
from tests.conftest import pg_schema_url, pg_url, reset_pg_schema

COMPARE = {"compare_type": False, "include_name": db.compared}  # the search index is derived, not modelled


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
            diff = compare_metadata(MigrationContext.configure(conn, opts=COMPARE), Base.metadata)
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


MAILING_ROWS = {
    "member": "INSERT INTO member (id, email, name, role, alerts, paused, created_at) "
              "VALUES (1, 'a@example.org', 'A', 'superintendent', true, false, '2026-01-01 00:00:00')",
    "call": "INSERT INTO call (id, starts_at, ends_at, title, join_url, agenda_sequence, created_at) "
            "VALUES (1, '2026-01-02 15:00:00', '2026-01-02 16:00:00', 'Call', '', 0, '2026-01-01 00:00:00')",
    "digest": "INSERT INTO digest (id, kind, period_end, opening_note, status, subject, call_id, created_at) VALUES "
              "(1, 'digest', '2026-01-01 00:00:00', 'note', 'sent', 'Update', NULL, '2026-01-01 00:00:00'), "
              "(2, 'alert', '2026-01-01 00:00:00', '', 'sent', 'Act now', 1, '2026-01-01 00:00:00')",
    "digest_item": "INSERT INTO digest_item (id, digest_id, section, position) VALUES (1, 1, 'moved', 0)",
    "delivery": "INSERT INTO delivery (id, digest_id, member_id, status, attempts, permanent, error, provider_id, "
                "created_at) VALUES (1, 1, 1, 'sent', 1, false, '', 'sg-1', '2026-01-01 00:00:00'), "
                "(2, 2, 1, 'interrupted', 1, false, 'timeout', '', '2026-01-01 00:00:00')",
    "action_taken": "INSERT INTO action_taken (id, digest_id, member_id, how, at) "
                    "VALUES (1, 2, 1, 'click', '2026-01-01 00:00:00')",
    "alert_reminder": "INSERT INTO alert_reminder (digest_id, created_at, member_ids) "
                      "VALUES (2, '2026-01-01 00:00:00', '[1]')",
    "inbound_message": "INSERT INTO inbound_message (id, channel, received_at, raw, sha256, message_id, meta, status, "
                       "problems, sender, subject, text, digest_id) VALUES (1, 'webhook', '2026-01-01 00:00:00', "
                       "'raw', 'abc', '<m@x>', '{}', 'parsed', '[]', 'a@example.org', 'Re: Update', 'Q?', 1)",
}


def _table_rows(engine, table: str, column: str) -> list[tuple]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(f"SELECT id, {column} FROM {table} ORDER BY id")]


def test_renaming_digest_to_mailing_keeps_every_row_and_downgrades(tmp_path: Path) -> None:
    for url in _fresh_urls(tmp_path):
        engine = db.make_engine(url)
        db.upgrade(engine, "0001")
        with engine.begin() as conn:
            for sql in MAILING_ROWS.values():
                conn.exec_driver_sql(sql)
        db.upgrade(engine)
        assert _table_rows(engine, "mailing", "subject") == [(1, "Update"), (2, "Act now")], url
        assert _table_rows(engine, "mailing_item", "mailing_id") == [(1, 1)]
        assert _table_rows(engine, "delivery", "mailing_id || ':' || status || ':' || channel") == [
            (1, "1:sent:email"), (2, "2:interrupted:email")]
        assert _table_rows(engine, "action_taken", "mailing_id") == [(1, 2)]
        assert _table_rows(engine, "inbound_message", "mailing_id") == [(1, 1)]
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT mailing_id FROM alert_reminder").scalar() == 2
            diff = compare_metadata(MigrationContext.configure(conn, opts=COMPARE), Base.metadata)
        assert diff == [], f"models and migrations disagree on {engine.dialect.name}: {diff}"
        with engine.begin() as conn:  # deleting a mailing still cascades to its deliveries
            conn.exec_driver_sql("DELETE FROM action_taken")
            conn.exec_driver_sql("DELETE FROM alert_reminder")
            conn.exec_driver_sql("DELETE FROM mailing WHERE id = 2")
        assert _table_rows(engine, "delivery", "mailing_id") == [(1, 1)]
        command.downgrade(db.alembic_config(engine), "0001")
        assert _table_rows(engine, "digest", "subject") == [(1, "Update")]
        assert _table_rows(engine, "delivery", "digest_id") == [(1, 1)]
        assert _table_rows(engine, "digest_item", "digest_id") == [(1, 1)]
        assert "mailing" not in inspect(engine).get_table_names()
        engine.dispose()
    if pg_url():
        from tests.conftest import _PG_READY

        _PG_READY.clear()


FROZEN = {"0001_initial_schema.py": "615a942b15e6091223827d30dc0de0a8a52165cc7b2d95ee883e42f989fcfbb8"}


def test_released_revisions_are_never_edited() -> None:
    """Databases out there are at 0001 already: a schema change is a new revision that keeps their data."""
    for name, digest in FROZEN.items():
        text = (db.MIGRATIONS / "versions" / name).read_bytes()
        assert hashlib.sha256(text).hexdigest() == digest, f"{name} is frozen: add a new revision instead"


SINGLE_COLLABORATIVE_ROWS = (
    "INSERT INTO jurisdiction (id, code, name, timezone) VALUES (1, 'OH', 'Ohio', 'America/New_York')",
    "INSERT INTO legislative_session (id, jurisdiction_id, identifier) VALUES (1, 1, '136')",
    "INSERT INTO bill (id, session_id, identifier, title, synopsis, status, url, source, source_id, committee, "
    "subjects, analysis_text, content_hash, relevant, relevance_score, tagged_at, first_seen, updated_at) VALUES "
    "(1, 1, 'HB 96', 'Operating budget', '', '', '', 'ohio', '96', '', '[]', '', 'h', true, 0.9, "
    "'2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00'), "
    "(2, 1, 'HB 97', 'Frogs', '', '', '', 'ohio', '97', '', '[]', '', 'h', false, 0.1, NULL, "
    "'2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    "INSERT INTO tag_assessment (id, bill_id, tag, label, score, reasons, assessed_at) "
    "VALUES (1, 1, 'funding', 'School funding', 0.9, '[]', '2026-01-01 00:00:00')",
    "INSERT INTO curation (id, bill_id, status, commentary, alert, alert_action, resurfaced, changed_at, updated_at) "
    "VALUES (1, 1, 'approved', 'Watch it', false, '', '', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    "INSERT INTO member (id, email, name, role, alerts, paused, created_at) "
    "VALUES (1, 'a@example.org', 'A', 'superintendent', true, false, '2026-01-01 00:00:00')",
    "INSERT INTO staff_user (id, email, password_hash, role, created_at) "
    "VALUES (1, 'advocate@example.org', 'x', 'advocate', '2026-01-01 00:00:00')",
    "INSERT INTO mailing (id, kind, key, period_end, opening_note, status, subject, created_at) "
    "VALUES (1, 'digest', NULL, '2026-01-01 00:00:00', '', 'sent', 'Update', '2026-01-01 00:00:00')",
    "INSERT INTO delivery (id, mailing_id, member_id, status, attempts, permanent, error, provider_id, created_at) "
    "VALUES (1, 1, 1, 'sent', 1, false, '', 'sg-1', '2026-01-01 00:00:00')",
    "INSERT INTO inbound_message (id, channel, received_at, raw, sha256, message_id, meta, status, problems, sender, "
    "subject, text, member_id, mailing_id) VALUES (1, 'webhook', '2026-01-01 00:00:00', 'raw', 'abc', '<m@x>', "
    "'{}', 'parsed', '[]', 'a@example.org', 'Re: Update', 'Q?', 1, 1)",
    "INSERT INTO question (id, message_id, member_id, position, text, bill_identifiers, status, late, answer_notes, "
    "created_at) VALUES (1, 1, 1, 0, 'What about HB 96?', '[\"HB 96\"]', 'open', false, '', '2026-01-01 00:00:00')",
)


def test_a_single_collaborative_database_becomes_collaborative_default_with_every_row(tmp_path: Path) -> None:
    from advocacy.app import App
    from advocacy.config import load_config
    from advocacy.models import BillRelevance, Curation, Delivery, Member, Question, StaffUser

    config = load_config(db.MIGRATIONS.parent.parent / "config.toml", env={})
    for url in _fresh_urls(tmp_path):
        engine = db.make_engine(url)
        db.upgrade(engine, "0006")
        with engine.begin() as conn:
            for sql in SINGLE_COLLABORATIVE_ROWS:
                conn.exec_driver_sql(sql)
        db.upgrade(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts=COMPARE), Base.metadata)
            assert conn.exec_driver_sql("SELECT id, slug FROM collaborative").all() == [(1, "default")]
        assert diff == [], f"models and migrations disagree on {engine.dialect.name}: {diff}"
        app = App(config, database_url=url)  # today's config.toml: the host of one, collaborative "default"
        assert app.collaborative_id == 1
        with app.sessions() as session:
            assert [(c.bill_id, c.status, c.commentary) for c in session.query(Curation)] == [(1, "approved",
                                                                                              "Watch it")]
            assert [(d.member_id, d.status, d.provider_id) for d in session.query(Delivery)] == [(1, "sent", "sg-1")]
            assert [(q.member_id, q.text) for q in session.query(Question)] == [(1, "What about HB 96?")]
            assert [m.email for m in session.query(Member)] == ["a@example.org"]
            assert [u.email for u in session.query(StaffUser)] == ["advocate@example.org"]
            verdicts = [(v.bill_id, v.relevant, v.score) for v in session.query(BillRelevance).order_by("bill_id")]
            assert verdicts == [(1, True, 0.9)], url  # an untagged bill stays untagged: HB 97 has no verdict
        command.downgrade(db.alembic_config(engine), "0006")
        assert _table_rows(engine, "curation", "status") == [(1, "approved")]
        assert _table_rows(engine, "bill", "relevant") == [(1, True), (2, False)]
        engine.dispose()
    if pg_url():
        from tests.conftest import _PG_READY

        _PG_READY.clear()
