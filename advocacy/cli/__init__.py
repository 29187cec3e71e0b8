"""`advocacy`: a thin command line over plain functions. Each area's commands live in their own module."""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable
from functools import update_wrapper
from pathlib import Path
from typing import Any, TypeVar

import click

from advocacy.app import App
from advocacy.config import ConfigError, load_config
from advocacy.db import NotMigrated

F = TypeVar("F", bound=Callable[..., Any])

# Exit codes that mean something to a script or a scheduler.
EXIT_OK = 0
EXIT_FAILED = 1  # the step ran and something in it failed (a source, a send)
EXIT_USAGE = 2  # click's own: bad arguments
EXIT_CONFIG = 3  # the configuration is invalid or a secret is missing
EXIT_NOT_MIGRATED = 4  # run `advocacy db upgrade`
EXIT_NOTHING = 5  # nothing to do (e.g. no digest: nothing new); not an error for a scheduler


class State:
    def __init__(self, config_path: Path | None, verbose: bool) -> None:
        self.config_path = config_path
        self.verbose = verbose
        self._app: App | None = None

    def app(self, *, migrated: bool = True) -> App:
        if self._app is None:
            try:
                self._app = App(load_config(self.config_path))
            except ConfigError as exc:
                click.secho(f"configuration error:\n{exc}", fg="red", err=True)
                sys.exit(EXIT_CONFIG)
        if migrated:
            try:
                self._app.check_migrated()
            except NotMigrated as exc:
                click.secho(str(exc), fg="red", err=True)
                sys.exit(EXIT_NOT_MIGRATED)
        return self._app


def pass_app(migrated: bool = True) -> Callable[[F], F]:
    """Give a command the App built from --config, refusing to run on an un-migrated database."""

    def decorator(f: F) -> F:
        @click.pass_context
        def wrapper(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
            state: State = ctx.find_object(State)
            try:
                return ctx.invoke(f, state.app(migrated=migrated), *args, **kwargs)
            except ConfigError as exc:
                click.secho(f"configuration error: {exc}", fg="red", err=True)
                sys.exit(EXIT_CONFIG)

        return update_wrapper(wrapper, f)  # type: ignore[return-value]

    return decorator


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), envvar="ADVOCACY_CONFIG",
              help="Configuration file (default: config.toml of the project, or $ADVOCACY_CONFIG).")
@click.option("-v", "--verbose", is_flag=True, help="Log every step, not only the summary.")
@click.version_option(package_name="advocacy")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: bool) -> None:
    """Legislative updates, action alerts and Q&A call agendas for a collaborative of school districts.

    The pipeline: scrape -> tag -> queue/curate -> digest send -> questions import -> agenda build.
    `advocacy demo` runs all of it on bundled sample data; `advocacy run` is the long-running service.
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    ctx.obj = State(config_path, verbose)


# One module per area, each exporting COMMANDS; the order is the order of `advocacy --help`.
COMMAND_MODULES = (
    "db",
    "scrape",
    "tag",
    "curation",
    "text",
    "search",
    "members",
    "digest",
    "alerts",
    "questions",
    "agenda",
    "people",
    "web",
    "service",
    "demo",
)


def _register() -> None:

    for name in COMMAND_MODULES:
        for command in importlib.import_module(f"advocacy.cli.{name}").COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    cli(prog_name="advocacy")
