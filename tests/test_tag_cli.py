from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from advocacy.cli import EXIT_USAGE, cli

FUNDING = {"state": "OH", "session": "136", "bill": "HB 96", "title": "Revise the school funding formula",
           "synopsis": "Changes the base cost and the guarantee for school districts.", "subjects": [],
           "committee": "House Primary and Secondary Education"}
TUITION = {"state": "OH", "session": "136", "bill": "SB 77", "title": "Extend the tuition guarantee at state universities",
           "synopsis": "Undergraduate tuition at state universities.", "subjects": [], "committee": ""}


def run(config_path: Path, *args: str, stdin: str = "") -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(config_path), *args], input=stdin)
    return result.exit_code, result.output


def test_explain_json_prints_the_documented_shape_without_a_database(config_path: Path) -> None:
    code, out = run(config_path, "tag", "explain", "--json", stdin=json.dumps(FUNDING))
    assert code == 0, out
    result = json.loads(out)
    assert result["relevant"] is True and result["score"] >= 1.0
    funding = next(t for t in result["tags"] if t["tag"] == "funding")
    assert any("'school funding formula' in title" in r for r in funding["reasons"])
    assert not (config_path.parent / "var" / "advocacy.db").exists()  # nothing stored, no database needed


def test_explain_text_reads_as_reasons_for_a_person(config_path: Path) -> None:
    code, out = run(config_path, "tag", "explain", stdin=json.dumps(TUITION))
    assert code == 0, out
    assert out.startswith("OH 136 SB 77: not relevant")
    assert "only higher education" in out


def test_explain_jsonl_answers_every_line_and_flags_a_bad_one(config_path: Path) -> None:
    lines = "\n".join([json.dumps(FUNDING), "{not json", json.dumps(TUITION)]) + "\n"
    code, out = run(config_path, "tag", "explain", "--jsonl", stdin=lines)
    results = [json.loads(line) for line in out.splitlines()]
    assert [r.get("relevant") for r in results] == [True, None, False]
    assert results[1]["line"] == 2 and "error" in results[1]
    assert code == 1


def test_explain_names_the_bad_field_of_the_input(config_path: Path) -> None:
    code, out = run(config_path, "tag", "explain", stdin=json.dumps({**FUNDING, "subjects": "Education"}))
    assert code == EXIT_USAGE
    assert "subjects" in out


def test_tag_all_reports_what_moved_in(config_path: Path) -> None:
    from advocacy.app import App
    from advocacy.collect.ingest import Store, ensure_jurisdiction
    from advocacy.config import load_config
    from tests.factories import funding_bill
    from vocabulary.records import ScrapeResult

    assert run(config_path, "db", "upgrade")[0] == 0
    app = App(load_config(config_path, env={}))
    with app.transaction() as session:
        oh = ensure_jurisdiction(session, "OH", "Ohio", "America/New_York")
        Store(session, oh, source="test", now=app.now()).store_result(ScrapeResult(bills=(funding_bill(),)))
    code, out = run(config_path, "tag", "--all")
    assert code == 0, out
    assert "Tagged 1 bill(s); 1 relevant." in out
    assert "in:  HB 96" in out
    code, out = run(config_path, "tag", "explain", "H.B.", "96")
    assert code == 0 and out.startswith("OH 136 HB 96: relevant"), out
