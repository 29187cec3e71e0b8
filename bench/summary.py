"""Run every bench (each in its own process) and print one summary table, even when some miss their target.

    .venv/bin/python bench/summary.py [--quick]

Exit status 1 when any bench missed its target or failed to run; every bench runs regardless.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.harness import HEADER, Measure, Row, line  # noqa: E402

# (script, arguments): the default sizes keep each bench under a minute or two (scale.py a few); larger by argument.
BENCHES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("cli_start.py", ()),
    ("ingest.py", ()),
    ("digest_render.py", ()),
    ("digest_send.py", ()),
    ("send_workers.py", ("--members", "10000", "--latency", "0.3")),  # needs the local PostgreSQL
    ("scale.py", ()),  # real `advocacy worker` processes on the local PostgreSQL; a few minutes
    ("webhook_load.py", ()),
    ("unchanged_pass.py", ()),
    ("tenancy.py", ()),
    ("billtext.py", ("--pages", "1000")),
)


def run(script: str, args: tuple[str, ...]) -> tuple[list[Row], str]:
    began = time.perf_counter()
    done = subprocess.run([sys.executable, str(HERE / script), *args], capture_output=True, text=True)
    rows = []
    for text in done.stdout.splitlines():
        if text.startswith("BENCH-RESULT "):
            data = json.loads(text.removeprefix("BENCH-RESULT "))
            rows.append(Row(data["bench"], data["size"], Measure(**data["project"]),
                            Measure(**data["floor"]) if data["floor"] else None, data["target"],
                            data["wall_target"], data["note"], data["extra"], data["met"]))
    problem = ""
    if done.returncode != 0 and all(r.ok for r in rows):
        problem = f"{script} exited {done.returncode}: " + (done.stderr.strip().splitlines() or ["?"])[-1]
    sys.stdout.write(done.stdout if not rows else "")
    print(f"  {script}: {len(rows)} row(s) in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    return rows, problem


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="bench scripts to run (default: all)")
    args = parser.parse_args()
    rows: list[Row] = []
    problems: list[str] = []
    for script, bench_args in BENCHES:
        if args.only and script not in args.only:
            continue
        found, problem = run(script, bench_args)
        rows += found
        problems += [problem] if problem else []
    print("\n" + HEADER)
    for row in rows:
        print(line(row))
    for problem in problems:
        print("FAILED TO RUN:", problem)
    missed = [r for r in rows if not r.ok]
    print(f"\n{len(rows)} measurement(s), {len(missed)} missed target, {len(problems)} bench(es) failed to run")
    return 1 if missed or problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
