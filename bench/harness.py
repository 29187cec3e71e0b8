"""What every bench shares: measure one piece of work (CPU, wall, peak memory), set it beside its floor, print.

Each bench runs the production path and its floor (the simplest code doing the same work, written in the bench)
in the same process run, per size, and prints one table row per size: project / floor / ratio (CPU time) and the
peak memory each added. It also prints one `BENCH-RESULT {json}` line per row for `bench/summary.py`, which
runs every bench (`make bench`) and prints one table at the end even when a bench misses its target.

Peak memory is the rise of the process's peak resident set (VmHWM) over its resident set before the work; the
peak is reset before each measured piece (Linux `clear_refs`), so one process can measure several sizes.
"""

from __future__ import annotations

import contextlib
import gc
import json
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

T = TypeVar("T")


@dataclass(frozen=True)
class Measure:
    cpu: float  # seconds of CPU in this process (user + system)
    wall: float
    peak_mb: float  # peak resident memory added by the work


def _status_kb(key: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS (Linux >= 4.0)


def measure(work: Callable[[], T]) -> tuple[T, Measure]:
    gc.collect()
    _reset_peak()
    before = _status_kb("VmRSS") or 0
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    peak = _status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result, Measure(cpu, wall, max(0, peak - before) / 1024)


@dataclass
class Row:
    bench: str
    size: str
    project: Measure
    floor: Measure | None
    target: float | None = None  # the ratio to the floor it must stay under
    wall_target: float | None = None  # the wall seconds it must stay under
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    met: bool = True  # False: a target the bench checks itself (throughput, latency, completeness) was missed

    @property
    def ratio(self) -> float | None:
        if self.floor is None:
            return None
        return self.project.cpu / max(self.floor.cpu, 1e-9)

    @property
    def ok(self) -> bool:
        ratio_ok = self.target is None or self.ratio is None or self.ratio <= self.target
        return self.met and ratio_ok and (self.wall_target is None or self.project.wall <= self.wall_target)


HEADER = (f"{'bench':<24} {'size':>14} {'project cpu/wall s':>19} {'floor cpu/wall s':>17} {'ratio':>6} "
          f"{'target':>9} {'peak MB p/f':>12}  verdict")


def line(row: Row) -> str:
    floor = f"{row.floor.cpu:7.3f}/{row.floor.wall:7.3f}" if row.floor else f"{'-':>15}"
    ratio = f"{row.ratio:6.2f}" if row.ratio is not None else f"{'-':>6}"
    targets = ([f"{row.target:g}x"] if row.target is not None else []) + (
        [f"{row.wall_target:g}s"] if row.wall_target is not None else [])
    target = "<" + ",".join(targets) if targets else "-"
    peaks = f"{row.project.peak_mb:5.0f}/" + (f"{row.floor.peak_mb:<5.0f}" if row.floor else "-    ")
    verdict = ("ok" if row.ok else "MISSED") + (f"  {row.note}" if row.note else "")
    return (f"{row.bench:<24} {row.size:>14} {row.project.cpu:8.3f}/{row.project.wall:8.3f}  {floor:>17} "
            f"{ratio} {target:>9} {peaks:>12}  {verdict}")


def report(row: Row) -> Row:
    """Print the row for a reader and for `bench/summary.py`."""
    print(line(row), flush=True)
    data = {**asdict(row), "ratio": row.ratio, "ok": row.ok}
    print("BENCH-RESULT " + json.dumps(data), flush=True)
    return row


def scratch(base: str, schema: str) -> str:
    """A PostgreSQL URL whose tables live in `schema`, dropped and made anew."""
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"


def exit_code(rows: list[Row]) -> int:
    return 0 if all(r.ok for r in rows) else 1
