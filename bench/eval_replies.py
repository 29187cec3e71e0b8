"""Accuracy of `advocacy.inbound.replies.parse_reply` on the reply corpus in tests/fixtures/replies.

Each `NN_name.eml` has `NN_name.expected.json` with text, questions, bills, auto_reply and is_question. Text
and questions are compared after collapsing whitespace. Prints per-field accuracy, a diff for every failure
and the parse time; exits 1 unless every reply matches.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import time
from pathlib import Path

from advocacy.inbound.replies import parse_reply

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "replies"
FIELDS = ("text", "questions", "bills", "auto_reply", "is_question")


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


def evaluate(corpus: Path) -> int:
    cases = sorted(corpus.glob("*.eml"))
    if not cases:
        print(f"{corpus}: no .eml files", file=sys.stderr)
        return 2
    right = dict.fromkeys(FIELDS, 0)
    failures = 0
    elapsed = 0.0
    for eml in cases:
        expected_path = eml.with_name(eml.stem + ".expected.json")
        expected = json.loads(expected_path.read_text(encoding="utf-8"))
        raw = eml.read_bytes()
        started = time.perf_counter()
        parsed = parse_reply(raw)
        elapsed += time.perf_counter() - started
        wrong = []
        for field in FIELDS:
            if _squash(getattr(parsed, field)) == _squash(expected[field]):
                right[field] += 1
            else:
                wrong.append(field)
        if wrong:
            failures += 1
            print(f"FAIL {eml.name}")
            for field in wrong:
                print(f"   {field}:")
                print(_diff(field, expected[field], getattr(parsed, field)))
    total = len(cases)
    print()
    for field in FIELDS:
        print(f"{field:<12} {right[field]:>3}/{total}  {100 * right[field] / total:5.1f}%")
    print(f"{'all fields':<12} {total - failures:>3}/{total}  {100 * (total - failures) / total:5.1f}%")
    print(f"parse time   {1000 * elapsed / total:.1f} ms per reply")
    return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=CORPUS)
    sys.exit(evaluate(parser.parse_args().corpus))


if __name__ == "__main__":
    main()
