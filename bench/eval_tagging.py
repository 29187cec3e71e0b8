"""Precision and recall of the default tagging rules on the labelled bills, and every misclassified bill.

Usage: python bench/eval_tagging.py [--rules config.toml] [--set tests/fixtures/tagging/eval.jsonl]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from advocacy.tagging.evaluate import Labelled, Report, evaluate, load_labelled
from advocacy.tagging.rules import load_tagging
from advocacy.tagging.tagger import Tagger

ROOT = Path(__file__).resolve().parent.parent


def _bill(row: Labelled) -> str:
    return f"{row.bill.state} {row.bill.session} {row.bill.bill}"


def render(report: Report) -> str:
    rel = report.relevance
    lines = [
        f"bills: {report.total}",
        f"relevance: precision {rel.precision:.3f}  recall {rel.recall:.3f}  (tp {rel.tp}, fp {rel.fp}, fn {rel.fn})",
        "",
        f"{'topic':<22}{'precision':>10}{'recall':>8}{'tp':>5}{'fp':>5}{'fn':>5}",
    ]
    for slug, c in sorted(report.topics.items()):
        lines.append(f"{slug:<22}{c.precision:>10.3f}{c.recall:>8.3f}{c.tp:>5}{c.fp:>5}{c.fn:>5}")
    lines += ["", f"misclassified relevance ({len(report.wrong)}):"]
    for row, result in report.wrong:
        said = "false positive" if result.relevant else "false negative"
        lines.append(f"  {said}: {_bill(row)} {row.bill.title!r} score {result.score:.2f}")
        if row.note:
            lines.append(f"      label note: {row.note}")
        lines.extend(f"      - {reason}" for reason in result.reasons)
        for tag in result.tags:
            lines.append(f"      {tag.tag} {tag.score:.2f}: {'; '.join(tag.reasons)}")
    lines += ["", f"topic differences on correctly judged bills ({len(report.topic_misses)}):"]
    for row, result in report.topic_misses:
        gold = sorted(row.topics) if row.relevant else []
        got = result.topics if result.relevant else []
        lines.append(f"  {_bill(row)} {row.bill.title!r}: labelled {gold}, tagged {got}")
        for tag in result.tags:
            if tag.tag not in gold:
                lines.append(f"      extra {tag.tag} {tag.score:.2f}: {'; '.join(tag.reasons)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=Path, default=ROOT / "config.toml")
    parser.add_argument("--set", dest="labelled", type=Path, default=ROOT / "tests/fixtures/tagging/eval.jsonl")
    args = parser.parse_args(argv)
    config = load_tagging(args.rules)
    tagger = Tagger.from_config(config)
    topics = [slug for slug, rule in config.topics.items() if not rule.context]
    print(render(evaluate(tagger, load_labelled(args.labelled), topics)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
