"""Start-up time of the command line: `advocacy --help` and `advocacy questions parse --help`, in fresh processes.

    .venv/bin/python bench/cli_start.py [--runs 7]

The floor is a fresh interpreter that imports click and prints a help page of its own: what any click command line
costs. Project and floor are the median of `--runs` starts, measured by the child's own CPU clock (resource usage
of the children) and the wall clock. Target: `advocacy --help` under 0.3 s of wall time.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import ROOT, Measure, Row, exit_code, report  # noqa: E402

FLOOR = "import click\n@click.group()\ndef cli():\n    'Floor.'\ncli(['--help'])"
LAUNCH = "from advocacy.cli import main; main()"


def start(args: list[str]) -> tuple[float, float, float]:
    """(CPU s, wall s, peak MB) of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run([sys.executable, *args], check=True, capture_output=True, cwd=ROOT,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, after.ru_maxrss / 1024


def median_start(args: list[str], runs: int) -> Measure:
    samples = [start(args) for _ in range(runs)]
    return Measure(statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples),
                   max(s[2] for s in samples))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    floor = median_start(["-c", FLOOR], args.runs)
    rows = []
    for label, argv in (("--help", ["--help"]), ("questions parse --help", ["questions", "parse", "--help"])):
        project = median_start(["-c", LAUNCH, *argv], args.runs)
        rows.append(report(Row("cli start", label, project, floor, wall_target=0.3 if label == "--help" else None)))
    return exit_code(rows)


if __name__ == "__main__":
    raise SystemExit(main())
