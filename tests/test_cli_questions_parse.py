"""`advocacy questions parse FILE` reads a reply without any database: attribution is then reported unchecked."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from advocacy.cli import cli

REPLY = Path(__file__).parent / "fixtures" / "replies" / "04_outlook_desktop_signature_block.eml"


def _parse(config_path: Path, url: str, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--config", str(config_path), "questions", "parse", str(REPLY), *args],
                              env={"ADVOCACY_DATABASE__URL": url}, catch_exceptions=False)


def test_parse_without_a_database_reads_the_reply_and_creates_no_file(config_path: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "advocacy.db"
    result = _parse(config_path, f"sqlite:///{missing}", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["bills"] == ["HB 305"] and out["questions"][0].startswith("What is the latest estimate")
    assert out["member"] is None and out["digest"] is None
    assert out["problems"] == [f"member and digest not checked: no database at {missing}"]
    assert not missing.exists()


def test_parse_on_an_unmigrated_database_says_attribution_was_not_checked(config_path: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    result = _parse(config_path, f"sqlite:///{empty}")
    assert result.exit_code == 0, result.output
    assert "Member:     (not checked: no database)" in result.output
    assert "has no tables yet" in result.output and "HB 305" in result.output
