"""The advocate's commands, run as the advocate runs them: on a database migrated by `advocacy db upgrade`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from advocacy.app import App
from advocacy.cli import EXIT_FAILED, EXIT_USAGE, cli
from advocacy.collect.ingest import Store, ensure_jurisdiction
from advocacy.config import Secrets, load_config
from advocacy.tagging.store import tag_bills
from tests.factories import (
    TEST_NOW,
    amphibian_bill,
    edchoice_bill_introduced,
    et,
    frozen_fixture,
    funding_bill,
)
from tests.keyword_tagger import SCHOOL_RULES, KeywordTagger
from vocabulary.records import ScrapeResult

# The commands build their own App on the system clock: every test here runs with it frozen.
frozen = frozen_fixture(TEST_NOW)
pytestmark = pytest.mark.usefixtures("frozen")

RULES = {**SCHOOL_RULES, "vouchers": ("Vouchers", ("voucher", "scholarship", "edchoice"))}


def run(config_path: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config_path), *args])


@pytest.fixture
def migrated(config_path: Path) -> Path:
    result = run(config_path, "db", "upgrade")
    assert result.exit_code == 0, result.output
    app = App(load_config(config_path, env={}), secrets=Secrets.from_env({}))
    with app.transaction() as session:
        oh = ensure_jurisdiction(session, "OH", "Ohio", "America/New_York")
        report = Store(session, oh, source="test", now=app.now()).store_result(
            ScrapeResult(bills=(funding_bill(), edchoice_bill_introduced(), amphibian_bill())))
        tag_bills(session, KeywordTagger(RULES), report.changed_bill_ids, app.now())
    app.engine.dispose()
    return config_path


def test_queue_prints_each_bill_with_score_tags_title_and_why(migrated: Path) -> None:
    result = run(migrated, "queue")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["BILL", "SCORE", "STATUS", "PRIORITY", "TAGS", "TITLE"]
    assert lines[1].split()[:5] == ["OH", "H.B.", "96", "1.00", "new"]
    assert "School funding" in lines[1] and "Make operating appropriations" in lines[1]
    assert any(line.strip().startswith('why: School funding: title mentions "foundation"') for line in lines)
    assert lines.index(next(line for line in lines if line.startswith("OH H.B. 11"))) > 1
    assert "SB 12" not in result.output and "S.B. 12" not in result.output
    assert lines[-1] == "2 bills"


def test_queue_filters_and_says_when_nothing_is_waiting(migrated: Path) -> None:
    result = run(migrated, "queue", "--topic", "vouchers")
    assert [line.split()[2] for line in result.output.splitlines() if line.startswith("OH ")] == ["11"]
    assert run(migrated, "queue", "--jurisdiction", "MA").output == "Nothing to review.\n"
    assert run(migrated, "queue", "--priority", "urgent").exit_code == EXIT_USAGE


def test_curate_takes_any_spelling_and_prints_what_changed(migrated: Path, tmp_path: Path) -> None:
    note = tmp_path / "hb96.md"
    note.write_text("Cuts the guarantee for **mid-sized districts**.\n", encoding="utf-8")
    result = run(migrated, "curate", "House", "Bill", "96", "--approve", "--priority", "high", "--position",
                 "seek_amendment", "--note-file", str(note), "--as", "Priya Advocate")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "OH H.B. 96: approve",
        "  status: new -> approved",
        "  priority: (none) -> high",
        "  position: (none) -> seek_amendment",
        "  commentary: (none) -> Cuts the guarantee for **mid-sized districts**.",
    ]
    assert "OH H.B. 96" not in run(migrated, "queue").output
    assert "OH H.B. 96" in run(migrated, "queue", "--status", "approved").output

    again = run(migrated, "curate", "hb96", "--priority", "high", "--as", "Priya Advocate")
    assert again.output == "OH H.B. 96: marked reviewed; nothing changed\n"

    log = run(migrated, "audit", "H.B. 96")
    assert log.exit_code == 0, log.output
    first = log.output.splitlines()[0].split("  ")
    assert first[1:] == ["Priya Advocate", "approve", "OH H.B. 96"]
    assert "    status: new -> approved" in log.output.splitlines()


def test_curate_snooze_alert_and_clear(migrated: Path) -> None:
    snoozed = run(migrated, "curate", "OH 136 HB 11", "--snooze", "7", "--as", "Sam")
    assert snoozed.exit_code == 0, snoozed.output
    assert snoozed.output.splitlines()[:2] == ["OH H.B. 11: snooze", "  status: new -> snoozed"]
    assert "OH H.B. 11" not in run(migrated, "queue").output

    deadline = (TEST_NOW.astimezone(et(2026, 1, 1).tzinfo).date() + timedelta(days=10)).isoformat()
    flagged = run(migrated, "curate", "hb 11", "--alert", "--deadline", deadline, "--action",
                  "Ask your senator to vote no", "--as", "Sam")
    assert flagged.exit_code == 0, flagged.output
    assert flagged.output.splitlines()[:2] == ["OH H.B. 11: alert", "  alert: off -> on"]
    assert f"  alert_deadline: (none) -> {deadline}T23:59:00" in flagged.output
    cleared = run(migrated, "curate", "hb 11", "--clear-alert", "--as", "Sam")
    assert cleared.output.splitlines()[:2] == ["OH H.B. 11: clear_alert", "  alert: on -> off"]
    assert [line.split("  ")[2] for line in run(migrated, "audit").output.splitlines()
            if not line.startswith(" ")] == ["clear_alert", "alert", "snooze"]


def test_unknown_bill_exits_1_with_the_close_match(migrated: Path) -> None:
    result = run(migrated, "curate", "HB 69", "--approve")
    assert result.exit_code == EXIT_FAILED
    assert "no bill 'HB 69'; did you mean HB 96 (Make operating appropriations" in result.stderr
    assert run(migrated, "audit", "HB 69").exit_code == EXIT_FAILED


def test_invalid_curation_exits_1_naming_the_field(migrated: Path) -> None:
    result = run(migrated, "curate", "HB 96", "--alert", "--action", "Call")
    assert result.exit_code == EXIT_FAILED
    assert "alert_deadline: an alert needs a deadline" in result.stderr
    assert run(migrated, "audit").output == "No audit entries.\n"
    assert run(migrated, "curate", "HB 96", "--approve", "--snooze", "3").exit_code == EXIT_USAGE
    assert run(migrated, "curate", "HB 96", "--deadline", "2027-01-01").exit_code == EXIT_USAGE
