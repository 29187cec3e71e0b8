"""`advocacy people ...` as the advocate runs it, on a database migrated by `advocacy db upgrade`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from advocacy.app import App
from advocacy.cli import EXIT_FAILED, cli
from advocacy.config import Secrets, load_config
from advocacy.people.members import import_csv
from tests.httpserver import FixtureServer
from tests.people_helpers import MEMBERS

OH = "/api/v2/general_assembly_136"


def run(config_path: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config_path), *args])


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as running:
        running.serve(f"{OH}/legislators/", "people/ohio_legislators_136.json")
        running.serve(f"{OH}/committees/", "people/ohio_committees_136.json")
        for lpid, file in (("cmte_h_primary_secondary_education_1", "ohio_cmte_h_primary_secondary_education"),
                           ("cmte_s_education_1", "ohio_cmte_s_education"), ("cmte_h_finance_1", "ohio_cmte_h_finance")):
            running.serve(f"{OH}/committees/{lpid}/members/", f"people/{file}.json")
        yield running


@pytest.fixture
def configured(config_path: Path, server: FixtureServer) -> Path:
    text = config_path.read_text()
    text = text.replace('kind = "ohio"\n', f'kind = "ohio"\noptions = {{ api_base_url = "{server.base_url}" }}\n', 1)
    text = text.replace("min_interval = 1.0", "min_interval = 0.0")
    config_path.write_text(text)
    assert run(config_path, "db", "upgrade").exit_code == 0
    app = App(load_config(config_path, env={}), secrets=Secrets.from_env({}))
    with app.transaction() as session:
        import_csv(session, MEMBERS)
    app.engine.dispose()
    return config_path


def test_sync_then_show_a_split_districts_legislators_and_their_seats(configured: Path) -> None:
    synced = run(configured, "people", "sync")
    assert synced.exit_code == 0, synced.output
    assert "ohio-legislature: 10 legislator(s) added, 0 updated, 0 removed, 0 unchanged; 9 committee seat(s)" \
        in synced.output
    shown = run(configured, "people", "for", "lakeshore city schools")
    assert shown.exit_code == 0, shown.output
    assert "Rep. Aaron Pelletier (D, House District 13)" in shown.output
    assert "Rep. Bettina Szabo (D, House District 14)" in shown.output
    assert "ranking member of House Primary and Secondary Education" in shown.output
    assert "Sen. Kendall Marsh (D, Senate District 23)" in shown.output
    again = run(configured, "people", "sync")
    assert "0 legislator(s) added, 0 updated, 0 removed, 10 unchanged" in again.output


def test_a_district_without_legislative_districts_says_so(configured: Path) -> None:
    shown = run(configured, "people", "for", "Oak Hollow Schools")
    assert "House district(s) none on file" in shown.output and "no legislators on file" in shown.output
    missing = run(configured, "people", "for", "Nowhere Schools")
    assert missing.exit_code == EXIT_FAILED and "no district named 'Nowhere Schools'" in missing.output
