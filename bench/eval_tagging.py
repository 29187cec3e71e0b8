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
from advocacy.tagging.ranker import Example, train
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


def _ident(row: Labelled) -> str:
    return f"{row.bill.state} {row.bill.session} {row.bill.bill}"


def ranker_lift(tagger: Tagger, rows: list[Labelled], split: Split, raise_at: float | None) -> list[str]:
    """A simulated advocate: the dev labels as approve/dismiss decisions; the locked part measured with and without
    the ranker raising bills the rules missed (it never removes one)."""
    dev = [Example(_ident(r), r.bill, r.relevant, "decision") for r in rows if split.part(r.bill) == "dev"]
    training = train(dev, tagger, raise_at=raise_at)
    if training.ranker is None:
        return [f"  no model: {training.message}"]
    held, alone = training.metrics["held_out"], training.metrics["held_out_rules"]
    raise_at = training.ranker.raise_at
    lines = [f"  {training.message}; raise at {raise_at:g} (chosen on the dev decisions by cross-validation)",
             f"  dev decisions, cross-validated: rules alone precision {alone['precision']:.3f} recall "
             f"{alone['recall']:.3f}; rules + ranker precision {held['precision']:.3f} recall {held['recall']:.3f}"]
    rules, both = Counts(), Counts()
    raised = []
    for row in (r for r in rows if split.part(r.bill) == "locked"):
        assessment = tagger.assess(row.bill)
        suggestion = training.ranker.suggest(row.bill, assessment)
        for counts, said in ((rules, assessment.relevant), (both, assessment.relevant or suggestion.raised)):
            counts.tp += said and row.relevant
            counts.fp += said and not row.relevant
            counts.fn += (not said) and row.relevant
        if suggestion.raised:
            raised.append(f"    raised {_ident(row)} ({'relevant' if row.relevant else 'not relevant'}): "
                          f"{suggestion.reason}")
    queue = [(tagger.assess(r.bill), r) for r in rows if split.part(r.bill) == "locked"]
    queue = [(a, r) for a, r in queue if a.relevant]
    by_rules = [r.relevant for a, r in sorted(queue, key=lambda q: -q[0].score)]
    by_model = [r.relevant for a, r in sorted(queue, key=lambda q: -training.ranker.probability(q[1].bill, q[0]))]
    lines.append(f"  locked queue order (the rules' relevant bills): average precision by rules' score "
                 f"{_average_precision(by_rules):.3f}, by ranker {_average_precision(by_model):.3f}")
    for name, c in (("rules alone", rules), (f"rules + ranker (raise at {raise_at:g})", both)):
        lines.append(f"  locked, {name:<32} precision {c.precision:.3f} recall {c.recall:.3f}"
                     f" (tp {c.tp}, fp {c.fp}, fn {c.fn})")
    lift = both.recall - rules.recall
    if raise_at >= 1 or not raised:
        lines.append("  verdict: no lift; the ranker raises no bill the rules missed, it only orders the queue")
    else:
        lines.append(f"  verdict: recall {lift:+.3f} at precision {both.precision - rules.precision:+.3f} on locked")
    return lines + raised[:12]


def _average_precision(ordered: list[bool]) -> float:
    hits, total = 0, 0.0
    for rank, good in enumerate(ordered, start=1):
        if good:
            hits += 1
            total += hits / rank
    return total / hits if hits else 1.0


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
        split = load_split(CORPUS / "split.toml")
        table, reports = corpus_table(tagger, rows, split)
        out += table + ["", "learned ranker, trained on the dev labels as a simulated advocate's decisions:"]
        out += ranker_lift(tagger, rows, split, tagger.config.ranker.raise_at)
        out += ["", f"misclassified dev bills ({len(reports['dev'].wrong)}):"]
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
