"""The real labelled corpus: every label finds its record as served, the split is fixed, the size holds."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from advocacy.tagging.corpus import SOURCES, join, load_split, parse_legiscan_csv, read_labels, read_source
from advocacy.tagging.rules import load_tagging
from tests.httpserver import real_path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "fixtures" / "tagging" / "corpus"


def _realdata() -> Path:
    return real_path("tagging").parent


def test_every_label_finds_its_real_bill_and_the_corpus_spans_states_and_sessions() -> None:
    folder = _realdata()
    labels = read_labels(CORPUS / "labels.jsonl")
    records = {name: read_source(folder, SOURCES[name]) for name in {row["source"] for row in labels}}
    rows, problems = join(labels, records)
    assert problems == []
    assert len(rows) >= 600
    for row, label in zip(rows, labels, strict=True):
        assert (row.bill.state, row.bill.session, row.bill.bill) == (label["state"], label["session"], label["bill"])
        assert row.bill.title
    states = Counter(row.bill.state for row in rows)
    assert "US" in states and len(states) - 1 >= 8
    sessions = {(row.bill.state, row.bill.session) for row in rows}
    assert any(sum(1 for s, _ in sessions if s == state) >= 2 for state in states)


def test_labels_name_known_topics_and_the_split_covers_every_state_session_once() -> None:
    config = load_tagging(ROOT / "config.toml")
    known = set(config.member_topics())
    split = load_split(CORPUS / "split.toml")
    labels = read_labels(CORPUS / "labels.jsonl")
    for row in labels:
        assert set(row["topics"]) <= known, row
        assert bool(row["topics"]) == row["relevant"], row
        group = f"{row['state']} {row['session']}"
        assert (group in split.dev) != (group in split.locked), group
    relevant = [row for row in labels if row["relevant"]]
    # Hard cases on both sides carry a note saying why.
    assert sum(1 for row in relevant if row.get("note")) >= 10
    assert sum(1 for row in labels if not row["relevant"] and row.get("note")) >= 30


def test_a_label_without_its_record_is_reported_not_guessed() -> None:
    data = (b"bill_id,session_id,bill_number,status,status_desc,status_date,title,description,committee_id,"
            b"committee\n7,1,H7047,1,Introduced,2020-01-09,School Committees,Requires transport,1,House HEW\n")
    records = {"ri_2020": parse_legiscan_csv("RI", data)}
    labels = [{"source": "ri_2020", "key": "7", "relevant": True, "topics": ["transportation"]},
              {"source": "ri_2020", "key": "8", "relevant": False}]
    rows, problems = join(labels, records)
    assert [r.bill.bill for r in rows] == ["H7047"] and rows[0].bill.committee == "House HEW"
    assert problems == ["ri_2020 8: no such record"]


def test_a_label_line_missing_its_verdict_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    path.write_text('{"source": "ri_2020", "key": "7"}\n')
    with pytest.raises(ValueError, match="labels.jsonl:1: field 'relevant' is missing"):
        read_labels(path)


def test_make_eval_tagging_says_plainly_when_the_corpus_is_absent(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "eval_tagging.py"), "--realdata", str(tmp_path)],
                            capture_output=True, text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT)}, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "corpus absent: no ../shared/realdata/tagging" in result.stdout
    assert "eval.jsonl" in result.stdout and "holdout.jsonl" in result.stdout


def test_the_locked_part_has_a_state_with_twenty_relevant_bills_so_the_per_state_bar_is_measured() -> None:
    split = load_split(CORPUS / "split.toml")
    labels = read_labels(CORPUS / "labels.jsonl")
    locked = Counter(row["state"] for row in labels
                     if row["relevant"] and f"{row['state']} {row['session']}" in split.locked)
    assert [state for state, count in locked.items() if count >= 20] == ["GA"]
    # Georgia is a state the development part never shows.
    assert not any(group.startswith("GA ") for group in split.dev)
