"""Precision and recall of the tagging rules: on the real labelled corpus (dev and locked parts, per state) and on
the project's own small sets, with every misclassified dev bill and its reasons.

Usage: python bench/eval_tagging.py [--rules config.toml] [--realdata ../shared/realdata] [--show-locked]

The corpus's bills are read from ../shared/realdata (as served); when that folder is absent the corpus part says
so and only the project's own sets are measured. Misclassified bills of the locked part are listed only with
--show-locked, after a rule change is final: the locked part is never used to choose a phrase or a weight.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from pathlib import Path

from advocacy.tagging.corpus import SOURCES, Split, join, load_split, read_labels, read_source
from advocacy.tagging.evaluate import Counts, Labelled, Report, evaluate, load_labelled
from advocacy.tagging.rules import load_tagging
from advocacy.tagging.tagger import Tagger

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests/fixtures/tagging/corpus"
OWN_SETS = ("eval.jsonl", "holdout.jsonl")


def find_realdata() -> Path | None:
    if os.environ.get("ADVOCACY_REALDATA"):
        return Path(os.environ["ADVOCACY_REALDATA"])
    for parent in ROOT.parents:
        if (parent / "shared" / "realdata").is_dir():
            return parent / "shared" / "realdata"
    return None


def load_corpus(realdata: Path) -> tuple[list[Labelled], list[str]]:
    labels = read_labels(CORPUS / "labels.jsonl")
    wanted = {row["source"] for row in labels}
    records = {name: read_source(realdata, SOURCES[name]) for name in sorted(wanted)}
    return join(labels, records)


def _bill(row: Labelled) -> str:
    return f"{row.bill.state} {row.bill.session} {row.bill.bill}"


def _line(name: str, c: Counts, bills: int) -> str:
    return (f"  {name:<14}{bills:>6}{c.tp + c.fn:>6}{c.precision:>10.3f}{c.recall:>8.3f}"
            f"{c.tp:>5}{c.fp:>5}{c.fn:>5}")


def corpus_table(tagger: Tagger, rows: list[Labelled], split: Split) -> tuple[list[str], dict[str, Report]]:
    parts: dict[str, list[Labelled]] = defaultdict(list)
    for row in rows:
        parts[split.part(row.bill)].append(row)
    lines = [f"  {'part/state':<14}{'bills':>6}{'rel':>6}{'precision':>10}{'recall':>8}{'tp':>5}{'fp':>5}{'fn':>5}"]
    reports = {}
    for part in ("dev", "locked"):
        report = evaluate(tagger, parts[part])
        reports[part] = report
        lines.append(_line(part, report.relevance, report.total))
        by_state: dict[str, list[Labelled]] = defaultdict(list)
        for row in parts[part]:
            by_state[row.bill.state].append(row)
        for state in sorted(by_state):
            sub = evaluate(tagger, by_state[state])
            lines.append(_line(f"  {state}", sub.relevance, sub.total))
    return lines, reports


def render_wrong(report: Report) -> list[str]:
    lines = []
    for row, result in report.wrong:
        said = "false positive" if result.relevant else "false negative"
        lines.append(f"  {said}: {_bill(row)} {row.bill.title[:110]!r} score {result.score:.2f}")
        if row.note:
            lines.append(f"      label note: {row.note}")
        lines.extend(f"      - {reason}" for reason in result.reasons[:6])
        for tag in result.tags[:3]:
            lines.append(f"      {tag.tag} {tag.score:.2f}: {'; '.join(tag.reasons[:4])}")
    return lines


def own_sets(tagger: Tagger) -> list[str]:
    lines = []
    for name in OWN_SETS:
        rel = evaluate(tagger, load_labelled(ROOT / "tests/fixtures/tagging" / name)).relevance
        lines.append(f"  {name:<16} precision {rel.precision:.3f}  recall {rel.recall:.3f}"
                     f"  (tp {rel.tp}, fp {rel.fp}, fn {rel.fn})")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=Path, default=ROOT / "config.toml")
    parser.add_argument("--realdata", type=Path, default=None)
    parser.add_argument("--show-locked", action="store_true")
    args = parser.parse_args(argv)
    tagger = Tagger.from_config(load_tagging(args.rules))
    realdata = args.realdata or find_realdata()
    out = ["relevance on the labelled corpus (tests/fixtures/tagging/corpus):"]
    if realdata is None or not (realdata / "tagging").is_dir():
        out.append(f"  corpus absent: no ../shared/realdata/tagging beside {ROOT} (set ADVOCACY_REALDATA); "
                   "the corpus is not measured")
    else:
        rows, problems = load_corpus(realdata)
        out.extend(f"  label without a record: {p}" for p in problems)
        table, reports = corpus_table(tagger, rows, load_split(CORPUS / "split.toml"))
        out += table + ["", f"misclassified dev bills ({len(reports['dev'].wrong)}):"]
        out += render_wrong(reports["dev"])
        if args.show_locked:
            out += ["", f"misclassified locked bills ({len(reports['locked'].wrong)}):"]
            out += render_wrong(reports["locked"])
    out += ["", "the project's own small sets (written with the rules; not evidence of generalization):"]
    out += own_sets(tagger)
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
