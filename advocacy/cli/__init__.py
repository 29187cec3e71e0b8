"""`advocacy`: a thin command line over plain functions. Each area's commands live in their own module.

Start-up stays fast because nothing heavy is imported before a command runs: `advocacy --help` lists the commands
from their modules' source (`advocacy.cli.lazy`), and a command's module is imported only when it is invoked. The
App, the configuration and the database layer are imported by name when the first command asks for the App.
"""

from __future__ import annotations

import getpass
import importlib
import logging
import sys
from collections.abc import Callable
from datetime import datetime
from functools import update_wrapper
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from advocacy import logs
from advocacy.cli.lazy import LazyGroup

if TYPE_CHECKING:
    from advocacy.app import App

F = TypeVar("F", bound=Callable[..., Any])

# Exit codes that mean something to a script or a scheduler.
EXIT_OK = 0
EXIT_FAILED = 1  # the step ran and something in it failed (a source, a send)
EXIT_USAGE = 2  # click's own: bad arguments
EXIT_CONFIG = 3  # the configuration is invalid or a secret is missing
EXIT_NOT_MIGRATED = 4  # run `advocacy db upgrade`
EXIT_NOTHING = 5  # nothing to do (e.g. no digest: nothing new); not an error for a scheduler


class State:
    def __init__(self, config_path: Path | None, verbose: bool, now: datetime | None = None,
                 collaborative: str | None = None) -> None:
        self.config_path = config_path
        self.collaborative = collaborative
        self.verbose = verbose
        self.now = now
        self._app: App | None = None
        self.host: list[Any] = []  # every collaborative's Config, the host file's own first (loaded with the App)

    def app(self, *, migrated: bool = True) -> App:
        if self._app is None:
            config = importlib.import_module("advocacy.config")  # imported when a command needs it: fast --help
            try:
                fixed = self.now
                clock = {"clock": lambda: fixed} if fixed else {}
                self.host = config.load_host(self.config_path)
                chosen = _collaborative(self.host, self.collaborative)
                self._app = importlib.import_module("advocacy.app").App(chosen, home=chosen is self.host[0],
                                                                        **clock)
            except config.ConfigError as exc:
                click.secho(f"configuration error:\n{exc}", fg="red", err=True)
                sys.exit(EXIT_CONFIG)
        if migrated:
            try:
                self._app.check_migrated()
            except importlib.import_module("advocacy.db").NotMigrated as exc:  # loaded by the App already
                click.secho(str(exc), fg="red", err=True)
                sys.exit(EXIT_NOT_MIGRATED)
        return self._app

    def host_apps(self, *, migrated: bool = True) -> list[App]:
        """An App for every collaborative of the host, the host file's own first, sharing one engine (ignores
        --collaborative: `advocacy worker` serves them all)."""
        if self.collaborative is not None:
            self.collaborative, self._app = None, None
        home = self.app(migrated=migrated)
        return [home, *(home.beside(config) for config in self.host[1:])]


def _collaborative(configs: list[Any], slug: str | None) -> Any:
    """The configuration of the collaborative `slug` (--collaborative), or the host file's own."""
    if slug is None:
        return configs[0]
    for config in configs:
        if config.collaborative.slug == slug:
            return config
    known = ", ".join(c.collaborative.slug for c in configs)
    raise importlib.import_module("advocacy.config").ConfigError(f"no collaborative {slug!r} on this host ({known})")


def actor() -> str:
    """Who the command line acts as, in audit records."""
    return f"cli:{getpass.getuser()}"


def pass_app(migrated: bool = True) -> Callable[[F], F]:
    """Give a command the App built from --config, refusing to run on an un-migrated database."""

    def decorator(f: F) -> F:
        @click.pass_context
        def wrapper(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
            state: State = ctx.find_object(State)
            try:
                return ctx.invoke(f, state.app(migrated=migrated), *args, **kwargs)
            except importlib.import_module("advocacy.config").ConfigError as exc:  # loaded by state.app
                click.secho(f"configuration error: {exc}", fg="red", err=True)
                sys.exit(EXIT_CONFIG)

        return update_wrapper(wrapper, f)  # type: ignore[return-value]

    return decorator


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time", param_hint="--now / ADVOCACY_NOW") from None
    if moment.tzinfo is None:
        raise click.BadParameter(f"{value!r} has no offset (e.g. -05:00)", param_hint="--now / ADVOCACY_NOW")
    return moment


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), envvar="ADVOCACY_CONFIG",
              help="Configuration file (default: config.toml of the project, or $ADVOCACY_CONFIG).")
@click.option("-v", "--verbose", is_flag=True, help="Log every step, not only the summary.")
@click.option("--now", "fixed_now", metavar="TIME", envvar="ADVOCACY_NOW", callback=lambda c, p, v: _moment(v),
              help="Act as if it were this moment (ISO 8601 with its offset; $ADVOCACY_NOW), e.g. to browse the "
                   "demo at its own date.")
@click.option("--collaborative", metavar="SLUG", envvar="ADVOCACY_COLLABORATIVE",
              help="Which collaborative of the host to act for ([collaborative] slug; default: the host file's).")
@click.version_option(package_name="advocacy")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: bool, fixed_now: datetime | None,
        collaborative: str | None) -> None:
    """Legislative updates, action alerts and Q&A call agendas for a collaborative of school districts.

    The pipeline: scrape -> tag -> queue/curate -> digest send -> questions import -> agenda build.
    `advocacy demo` runs all of it on bundled sample data; `advocacy run` is the long-running service.
    """
    logs.configure(verbose=verbose)  # the documented `key=value` lines, from every command
    if not verbose:  # a one-off command prints its own summary; its logs say only what went wrong
        logging.getLogger("advocacy").setLevel(logging.WARNING)
    ctx.obj = State(config_path, verbose, fixed_now, collaborative)


# One module per area, each exporting COMMANDS; the order is the order of `advocacy --help`.
COMMAND_MODULES = (
    "db",
    "scrape",
    "tag",
    "curation",
    "text",
    "search",
    "members",
    "export",
    "digest",
    "alerts",
    "questions",
    "agenda",
    "people",
    "web",
    "service",
    "worker",
    "demo",
)

cli.modules = tuple(f"advocacy.cli.{name}" for name in COMMAND_MODULES)  # type: ignore[attr-defined]


def main() -> None:
    cli(prog_name="advocacy")
