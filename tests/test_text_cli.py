"""`advocacy text fetch`, `advocacy text compare` and `advocacy search`, as the advocate runs them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from advocacy.app import App
from advocacy.cli import EXIT_NOTHING, EXIT_USAGE, cli
from advocacy.collect.ingest import Store, ensure_jurisdiction
from advocacy.config import Secrets, load_config
from tests.factories import TEST_NOW, et, frozen_fixture, funding_bill
from tests.httpserver import Answer, FixtureServer
from tests.pdfmaker import make_pdf
from vocabulary.records import ScrapeResult, VersionRecord

frozen = frozen_fixture(TEST_NOW)
pytestmark = pytest.mark.usefixtures("frozen")

INTRODUCED = ["Section 1. Each district receives $5,000 per pupil.", "Section 2. Reports are due yearly."]
SUBSTITUTE = ["Section 1. Each district receives $7,500 per pupil.", "Section 2. Reports are due yearly.",
              "Section 3. No quintessential voucher exceeds 10% of the base cost."]


def run(config_path: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config_path), *args])


def _store_hb96(config_path: Path, server: FixtureServer) -> None:
    # the local server needs no pause between requests (the Fetcher's own tests prove the pause)
    config_path.write_text(config_path.read_text().replace("min_interval = 1.0", "min_interval = 0"))
    assert run(config_path, "db", "upgrade").exit_code == 0
    app = App(load_config(config_path, env={}), secrets=Secrets.from_env({}))
    versions = (VersionRecord("As Introduced", code="00_IN", when=et(2026, 2, 18), url=server.url("/in.pdf")),
                VersionRecord("Substitute", code="01_SB", when=et(2026, 3, 18), url=server.url("/s1.pdf")))
    with app.transaction() as session:
        oh = ensure_jurisdiction(session, "OH", "Ohio", "America/New_York")
        Store(session, oh, source="test", now=app.now()).store_result(
            ScrapeResult(bills=(funding_bill(versions=versions),)))
    app.engine.dispose()


def test_text_fetch_then_compare_then_search_by_a_word_of_the_text(config_path: Path) -> None:
    with FixtureServer() as server:
        server.route("/in.pdf", Answer(body=make_pdf([INTRODUCED]), content_type="application/pdf"))
        server.route("/s1.pdf", Answer(body=make_pdf([SUBSTITUTE]), content_type="application/pdf"))
        _store_hb96(config_path, server)
        fetched = run(config_path, "text", "fetch", "--bill", "hb96")
    assert fetched.exit_code == 0, fetched.output
    assert "bill text: 2 fetched, 2 extracted" in fetched.output

    compared = run(config_path, "text", "compare", "HB 96")
    assert compared.exit_code == 0, compared.output
    assert "What Substitute changed (compared with As Introduced):" in compared.output
    assert "- Added: Sec. 3." in compared.output
    assert "- Sec. 1: $5,000 -> $7,500." in compared.output
    assert "[-$5,000-] {+$7,500+}" in compared.output

    found = run(config_path, "search", "quintessential")
    assert found.exit_code == 0, found.output
    assert "OH 136 HB 96:" in found.output and "[quintessential]" in found.output
    nothing = run(config_path, "search", "salamander")
    assert nothing.exit_code == EXIT_NOTHING and "No bill matches 'salamander'." in nothing.output


def test_text_compare_names_the_versions_a_bill_has_when_asked_for_another(config_path: Path) -> None:
    with FixtureServer() as server:
        _store_hb96(config_path, server)
    result = run(config_path, "text", "compare", "HB 96", "--from", "Enrolled")
    assert result.exit_code == EXIT_USAGE
    assert "HB 96 has no version named 'Enrolled'; it has: as introduced, substitute" in result.output
