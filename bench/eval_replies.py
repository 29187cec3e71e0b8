"""Accuracy of `advocacy.inbound.replies.parse_reply` on the reply corpus in tests/fixtures/replies.

Each `NN_name.eml` has `NN_name.expected.json` with text, questions, bills, auto_reply and is_question, and a
row in `corpus.json` (client family, language, kind, and part: development or locked). Text and questions are
compared after collapsing whitespace. Prints accuracy per part, per client family and per language, a diff for
every development failure (never for a locked one: the locked part is not for tuning) and the parse time.
Real replies kept outside the project (../shared/realdata/replies, labels in realdata.json) are reported too
when present. Exits 1 unless the development part is 100% and the locked part at least 95% per client family.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

from advocacy.inbound.replies import parse_reply
from advocacy.inbound.replytext import member_text

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "replies"
REALDATA = Path(__file__).resolve().parent.parent.parent / "shared" / "realdata" / "replies"
FIELDS = ("text", "questions", "bills", "auto_reply", "is_question")
LOCKED_FLOOR = 0.95


def _squash(value: object) -> object:
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list):
        return [_squash(item) for item in value]
    return value


def _diff(field: str, expected: object, got: object) -> str:
    if field == "text":
        lines = difflib.unified_diff(
            str(expected).splitlines(), str(got).splitlines(), "expected", "got", lineterm="", n=1
        )
        return "\n".join("      " + line for line in lines)
    return f"      expected: {expected!r}\n      got:      {got!r}"


def _table(title: str, scores: dict[tuple[str, str], list[int]]) -> None:
    print(f"\n{title:<24} {'development':>16} {'locked':>16}")
    for key in sorted({k for _, k in scores}):
        cells = []
        for part in ("dev", "locked"):
            right, total = scores.get((part, key), [0, 0])
            cells.append(f"{right:>3}/{total:<3} {100 * right / total:5.1f}%" if total else f"{'-':>16}")
        print(f"{key:<24} {cells[0]:>16} {cells[1]:>16}")


def evaluate(corpus: Path, show_locked: bool = False) -> int:
    manifest = json.loads((corpus / "corpus.json").read_text(encoding="utf-8"))["cases"]
    cases = sorted(corpus.glob("*.eml"))
    missing = [eml.name for eml in cases if eml.stem not in manifest]
    if not cases or missing:
        print(f"{corpus}: no .eml files, or not in corpus.json: {missing}", file=sys.stderr)
        return 2
    by_client: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    by_language: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    locked_failures: list[str] = []
    elapsed = 0.0
    for eml in cases:
        row = manifest[eml.stem]
        part = row["part"]
        if part == "dev":
            wrong, _, took = _report_dev(eml)
        else:
            wrong, _, took = _quiet(eml)
            if wrong:
                locked_failures.append(eml.name)
        elapsed += took
        for table, key in ((by_client, row["client"]), (by_language, row["language"])):
            table[(part, key)][0] += not wrong
            table[(part, key)][1] += 1
    for part in ("dev", "locked"):
        rows = [v for (p, _), v in by_client.items() if p == part]
        right, total = sum(r for r, _ in rows), sum(t for _, t in rows)
        print(f"{part:<8} {right:>3}/{total}  {100 * right / max(total, 1):5.1f}%")
    _table("client family", by_client)
    _table("language", by_language)
    print(f"\nparse time   {1000 * elapsed / len(cases):.1f} ms per reply")
    if show_locked and locked_failures:
        print("locked failures (for the record only, never for tuning): " + ", ".join(locked_failures))
    return _verdict(by_client)


def _report_dev(eml: Path) -> tuple[list[str], object, float]:
    expected = json.loads(eml.with_name(eml.stem + ".expected.json").read_text(encoding="utf-8"))
    wrong, parsed, took = _quiet(eml)
    if wrong:
        print(f"FAIL {eml.name}")
        for field in wrong:
            print(f"   {field}:\n" + _diff(field, expected[field], getattr(parsed, field)))
    return wrong, parsed, took


def _quiet(eml: Path) -> tuple[list[str], object, float]:
    expected = json.loads(eml.with_name(eml.stem + ".expected.json").read_text(encoding="utf-8"))
    started = time.perf_counter()
    parsed = parse_reply(eml.read_bytes())
    took = time.perf_counter() - started
    return [f for f in FIELDS if _squash(getattr(parsed, f)) != _squash(expected[f])], parsed, took


def _verdict(by_client: dict[tuple[str, str], list[int]]) -> int:
    dev_ok = all(right == total for (part, _), (right, total) in by_client.items() if part == "dev")
    locked_ok = all(right >= LOCKED_FLOOR * total for (part, _), (right, total) in by_client.items()
                    if part == "locked")
    return 0 if dev_ok and locked_ok else 1


def evaluate_realdata(corpus: Path, realdata: Path) -> None:
    """Real replies kept outside the project (bodies, or whole messages when `eml`): member text against the
    labels in realdata.json."""
    labels_path = corpus / "realdata.json"
    if not realdata.is_dir() or not labels_path.exists():
        print(f"\nreal replies: {realdata} not present, skipped")
        return
    labels = json.loads(labels_path.read_text(encoding="utf-8"))["cases"]
    scores: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for name, row in sorted(labels.items()):
        raw = (realdata / row["file"]).read_bytes()
        got = parse_reply(raw).text if row.get("eml") else member_text(raw.decode("utf-8"))
        right = _squash(got) == _squash(row["text"])
        if not right and row["part"] == "dev":
            print(f"FAIL real {name}")
        for key in (f"client:{row['client']}", f"language:{row['language']}"):
            scores[(row["part"], key)][0] += right
            scores[(row["part"], key)][1] += 1
    for part in ("dev", "locked"):
        rows = [v for (p, key), v in scores.items() if p == part and key.startswith("client:")]
        right, total = sum(r for r, _ in rows), sum(t for _, t in rows)
        print(f"\nreal {part:<8} {right:>3}/{total}  {100 * right / max(total, 1):5.1f}%", end="")
    print()
    _table("real replies", scores)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=CORPUS)
    parser.add_argument("--realdata", type=Path, default=REALDATA)
    parser.add_argument("--show-locked", action="store_true", help="Name the locked failures (for a report).")
    args = parser.parse_args()
    verdict = evaluate(args.corpus, args.show_locked)
    evaluate_realdata(args.corpus, args.realdata)
    sys.exit(verdict)


if __name__ == "__main__":
    main()
