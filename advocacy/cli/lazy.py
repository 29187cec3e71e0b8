"""A click group that imports a command's module only when the command runs.

`advocacy --help` needs each command's name and one-line help, not its code: both are read from the module's source
with `ast` (the `COMMANDS` list, each command's `@click.command("name", short_help=...)` / `@click.group("name")`
decorator and its docstring). A module whose commands cannot be read that way is simply imported, so a new command
module works whatever its style; it only costs start-up time.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import click

_DECORATORS = frozenset({"command", "group"})


@dataclass(frozen=True)
class Listed:
    name: str
    module: str
    help: str  # the docstring, as click reads it
    short_help: str | None

    def short(self, limit: int) -> str:
        """What click would show beside the name (a stand-in command does the trimming exactly as click does)."""
        return click.Command(self.name, help=self.help, short_help=self.short_help).get_short_help_str(limit)


def _decorated_name(func: ast.FunctionDef) -> tuple[str, str | None] | None:
    """(name, short_help) from a `@click.command("name", ...)`-style decorator; None when not spelled out."""
    for deco in func.decorator_list:
        if not (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute)
                and deco.func.attr in _DECORATORS):
            continue
        if not (deco.args and isinstance(deco.args[0], ast.Constant) and isinstance(deco.args[0].value, str)):
            return None
        short = next((k.value.value for k in deco.keywords if k.arg == "short_help"
                      and isinstance(k.value, ast.Constant)), None)
        if any(k.arg in ("hidden", "deprecated", "help", "cls") for k in deco.keywords):
            return None  # rarer spellings: let click itself say what it shows
        return deco.args[0].value, short
    return None


def read_commands(module: str) -> list[Listed] | None:
    """The commands `module` exports, read from its source without importing it; None if they cannot be read."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        return None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    funcs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    exported = next((n.value for n in tree.body if isinstance(n, ast.Assign) and len(n.targets) == 1
                     and isinstance(n.targets[0], ast.Name) and n.targets[0].id == "COMMANDS"), None)
    if not isinstance(exported, ast.List | ast.Tuple):
        return None
    listed = []
    for item in exported.elts:
        func = funcs.get(item.id) if isinstance(item, ast.Name) else None
        found = _decorated_name(func) if func else None
        if func is None or found is None:
            return None
        name, short = found
        doc = inspect.cleandoc(ast.get_docstring(func, clean=False) or "").split("\f", 1)[0]
        listed.append(Listed(name, module, doc, short))
    return listed


class LazyGroup(click.Group):
    """Set `modules` (module names, each exporting `COMMANDS`) after creating the group."""

    modules: tuple[str, ...] = ()

    @cached_property
    def _listed(self) -> dict[str, Listed | None]:
        """Command name -> where it lives; None for a command found by importing its module."""
        found: dict[str, Listed | None] = {}
        for module in self.modules:
            listed = read_commands(module)
            if listed is None:
                for command in self._load(module):
                    found[command.name or ""] = None
            else:
                found.update((item.name, item) for item in listed)
        return found

    def _load(self, module: str) -> list[click.Command]:
        commands = importlib.import_module(module).COMMANDS
        for command in commands:
            self.add_command(command)
        return list(commands)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self._listed, *(name for name in self.commands if name not in self._listed)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        listed = self._listed.get(cmd_name)
        if cmd_name not in self.commands and listed is not None:
            self._load(listed.module)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(map(len, names))
        rows = []
        for name in names:
            listed = self._listed.get(name)
            if listed is None:
                command = self.get_command(ctx, name)
                rows.append((name, command.get_short_help_str(limit) if command else ""))
            else:
                rows.append((name, listed.short(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

