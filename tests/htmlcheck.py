"""The Nu Html Checker (vnu, the W3C's HTML validator), run once over a folder of pages written by the tests.

    folder = tmp / "pages"; (folder / "staff-bills.html").write_text(html)
    found = check_folder(folder)            # file name -> the problems left after ACCEPTED, one vnu start
    assert not found.get("staff-bills.html"), describe(found)

The jar is not in git (~30 MB): `.ci/fetch-vnu` downloads the version pinned in `.ci/vnu-jar.pin` from the npm
registry into ~/.cache/advocacy and checks its sha512; the tests read ADVOCACY_VNU_JAR or look in that cache.
Without the jar or Java the tests are skipped, except under CI (env CI set), where that is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIN = ROOT / ".ci" / "vnu-jar.pin"
JAR_ENV = "ADVOCACY_VNU_JAR"


@dataclass(frozen=True)
class Accepted:
    """A warning we keep on purpose: `message` (a regex) in files named like `files`, and why."""

    message: str
    files: str
    why: str


ACCEPTED = [
    Accepted(r"The “(border|cellpadding|cellspacing|align)” attribute on the “table” element is obsolete", "*email-*",
             "Outlook's Word engine ignores CSS padding and spacing on tables; these role=presentation layout "
             "tables need the attributes to render the same in every mail client"),
]


@dataclass(frozen=True)
class Problem:
    file: str
    kind: str  # "error" or "warning"
    line: int
    message: str
    extract: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.kind}: {self.message} [{' '.join(self.extract.split())}]"


def pinned_version() -> str:
    match = re.search(r"^VNU_VERSION=(\S+)$", PIN.read_text(encoding="utf-8"), re.MULTILINE)
    if not match:
        raise ValueError(f"{PIN}: no VNU_VERSION= line")
    return match.group(1)


def default_jar() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "advocacy" / f"vnu-jar-{pinned_version()}" / "vnu.jar"


def checker_missing() -> str | None:
    """Why vnu cannot run here, or None if it can."""
    if shutil.which("java") is None:
        return "java is not installed (the Nu Html Checker needs Java 17+: apt-get install default-jre-headless)"
    configured = os.environ.get(JAR_ENV)
    jar = Path(configured) if configured else default_jar()
    if not jar.is_file():
        where = f"{JAR_ENV}={configured}" if configured else f"{jar} ({JAR_ENV} is not set)"
        return f"the Nu Html Checker's jar is missing: {where}; run .ci/fetch-vnu to download it"
    return None


def jar() -> Path:
    """The checker's jar; skips the test without it (fails under CI)."""
    reason = checker_missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the HTML conformance tests must run in CI: {reason}")
        pytest.skip(reason)
    return Path(os.environ.get(JAR_ENV) or default_jar())


def check_folder(folder: Path) -> dict[str, list[Problem]]:
    """Every .html and .css file of `folder` checked in ONE run of vnu (its start takes seconds); by file name, the
    errors and the warnings not ACCEPTED for that file (vnu's plain info messages are dropped)."""
    # a short run: the quick JIT tier alone and the serial collector halve its time (same messages)
    command = ["java", "-Xss8m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", str(jar()), "--format", "json",
               "--exit-zero-always", "--also-check-css", str(folder)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    try:
        report = json.loads(done.stderr)
    except json.JSONDecodeError:
        raise AssertionError(f"vnu did not answer in JSON (exit {done.returncode}): {done.stderr[-2000:]}") from None
    found: dict[str, list[Problem]] = {path.name: [] for path in folder.iterdir()}
    for message in report["messages"]:
        problem = _problem(message, folder)
        if problem is not None and not _accepted(problem):
            found.setdefault(problem.file, []).append(problem)
    return found


def _problem(message: dict[str, object], folder: Path) -> Problem | None:
    url = str(message.get("url") or "")
    name = Path(unquote(urlparse(url).path)).name if url else folder.name
    kind = str(message.get("type"))
    if kind == "info" and message.get("subType") != "warning":
        return None
    return Problem(name, "warning" if kind == "info" else "error", int(str(message.get("lastLine") or 0)),
                   str(message.get("message")), str(message.get("extract") or ""))


def _accepted(problem: Problem) -> bool:
    return problem.kind == "warning" and any(
        fnmatch(problem.file, rule.files) and re.search(rule.message, problem.message) for rule in ACCEPTED)


def describe(found: dict[str, list[Problem]], files: list[str] | None = None) -> str:
    names = sorted(found) if files is None else files
    return "\n".join(str(p) for name in names for p in found.get(name, []))
