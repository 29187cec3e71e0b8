"""Staff accounts and the web server: `advocacy user add|list|set-password|set-role|remove`, `advocacy web`."""

from __future__ import annotations

import sys

import click
from starlette.applications import Starlette

from advocacy.app import App
from advocacy.cli import State, pass_app
from advocacy.config import load_host
from advocacy.people import staff
from advocacy.web.app import create_app, healthz_route, host_app


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password"))


@click.group("user")
def user_group() -> None:
    """Staff accounts for the web pages (advocates change things, viewers read)."""


@user_group.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(staff.ROLES), required=True, help="advocate: curate; viewer: read only.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@pass_app()
def add(app: App, email: str, role: str, password_stdin: bool) -> None:
    """Create an account; the password is asked twice (or read from stdin)."""
    password = _read_password(password_stdin)
    try:
        with app.transaction() as session:
            user = staff.add_user(session, email, password, role, now=app.now())
            address = user.email
    except staff.UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"added {address} ({role})")


@user_group.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@pass_app()
def set_password(app: App, email: str, password_stdin: bool) -> None:
    """Give an account a new password (its open sessions end)."""
    password = _read_password(password_stdin)
    try:
        with app.transaction() as session:
            staff.set_password(session, email, password)
    except staff.UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"new password set for {email.strip().lower()}")


@user_group.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(staff.ROLES))
@pass_app()
def set_role(app: App, email: str, role: str) -> None:
    """Change what an account may do."""
    try:
        with app.transaction() as session:
            staff.set_role(session, email, role)
    except staff.UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{email.strip().lower()} is now {role}")


@user_group.command("remove")
@click.argument("email")
@pass_app()
def remove(app: App, email: str) -> None:
    """Delete an account (its open sessions end)."""
    try:
        with app.transaction() as session:
            staff.remove_user(session, email)
    except staff.UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"removed {email.strip().lower()}")


@user_group.command("list")
@pass_app()
def list_(app: App) -> None:
    """Every account with its role."""
    with app.sessions() as session:
        accounts = staff.list_users(session)
        if not accounts:
            click.echo("no accounts yet: add one with `advocacy user add EMAIL --role advocate`")
        for user in accounts:
            created = user.created_at.astimezone(app.config.collaborative.tz).strftime("%Y-%m-%d")
            click.echo(f"{user.email}\t{user.role}\tcreated {created}")


def pages_app(app: App) -> Starlette:
    """What `advocacy web` serves: the pages, and `/healthz` with the scheduler running elsewhere."""
    return create_app(app, extra_routes=[healthz_route(app, None)])


@click.command("web")
@click.option("--host", help="Address to listen on (default: [web] host).")
@click.option("--port", type=int, help="Port (default: [web] port).")
@click.option("--proxy-headers/--no-proxy-headers", default=True, show_default=True,
              help="Trust X-Forwarded-For/-Proto from the addresses in $FORWARDED_ALLOW_IPS (default 127.0.0.1).")
@click.option("--every-collaborative", is_flag=True,
              help="Serve every collaborative of the host, each at the host name of its [collaborative] base_url.")
@pass_app()
@click.pass_context
def web(ctx: click.Context, app: App, host: str | None, port: int | None, proxy_headers: bool,
        every_collaborative: bool) -> None:
    """Serve the staff web pages with uvicorn."""
    import uvicorn  # deferred: only the server commands need it, and it slows every other command's start

    host = host or app.config.web.host
    port = port or app.config.web.port
    with app.sessions() as session:
        if not staff.list_users(session):
            click.secho("no staff accounts yet: add one with `advocacy user add EMAIL --role advocate`",
                        fg="yellow", err=True)
    served = pages_app(app)
    if every_collaborative:
        configs = load_host(ctx.find_object(State).config_path)
        others = [c for c in configs if c.collaborative.slug != app.config.collaborative.slug]
        apps = [app, *(App(c, clock=app.clock) for c in others)]
        try:
            served = host_app(apps)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
    uvicorn.run(served, host=host, port=port, proxy_headers=proxy_headers, log_level="info")


COMMANDS = [user_group, web]
