"""The command line lists its commands without importing them, and lists exactly what click would."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from advocacy.cli import COMMAND_MODULES, cli
from advocacy.cli.lazy import read_commands

ROOT = Path(__file__).resolve().parents[1]


def test_help_read_from_source_matches_what_the_imported_commands_say() -> None:
    for name in COMMAND_MODULES:
        module = f"advocacy.cli.{name}"
        listed = read_commands(module)
        imported = importlib.import_module(module).COMMANDS
        if listed is None:  # a module the reader cannot follow is imported instead: still correct
            continue
        assert [item.name for item in listed] == [c.name for c in imported], module
        for item, command in zip(listed, imported, strict=True):
            assert item.short(60) == command.get_short_help_str(60), (module, item.name)


def test_every_registered_command_is_listed_and_runs() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0, result.output
    names = [c.name for n in COMMAND_MODULES for c in importlib.import_module(f"advocacy.cli.{n}").COMMANDS]
    listed = [line.split()[0] for line in result.output.split("Commands:\n", 1)[1].splitlines() if line.strip()]
    assert listed == names
    assert CliRunner().invoke(cli, ["db", "--help"]).exit_code == 0


def test_help_imports_neither_the_app_nor_the_database_layer() -> None:
    code = ("import sys; from advocacy.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "heavy = sorted(m for m in ('advocacy.app', 'advocacy.config', 'sqlalchemy', 'advocacy.cli.digest')"
            " if m in sys.modules)\nprint('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, check=True).stdout
    assert "HEAVY []" in out, out
