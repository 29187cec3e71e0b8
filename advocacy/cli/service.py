"""`advocacy run` (the process a collaborative deploys), `advocacy jobs`, `advocacy status`."""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from types import FrameType
from typing import Any

import click
import httpx
from sqlalchemy import select
from starlette.types import ASGIApp

from advocacy import logs
from advocacy.app import App
from advocacy.cli import EXIT_CONFIG, EXIT_FAILED, EXIT_NOT_MIGRATED, EXIT_NOTHING, EXIT_OK, State, pass_app
from advocacy.models import JobRun
from advocacy.runtime import steps as step
from advocacy.runtime.health import format_report, health_report
from advocacy.runtime.jobs import Runner, Steps
from advocacy.runtime.scheduler import Service, collaborative_jobs, stored_next_runs
from advocacy.web.app import create_app, healthz_route

DEFAULT_STOP_TIMEOUT = 60.0  # keep below systemd's TimeoutStopSec (90 s by default)


# -- the composition root for scheduled work -------------------------------------------------------------------

def pipeline_steps(app: App, call_for_help: Callable[[int], object] | None = None,
                   others: Sequence[App] = (), tag_elsewhere: step.TagElsewhere | None = None) -> Steps:
    """Step name -> function, for every job the scheduler may wake up (see `advocacy.runtime.scheduler.job_specs`).

    Each step is `(app) -> StepResult`, idempotent, and decides from the database what is due: the scheduler
    only wakes it up. Steps that send write their per-member delivery rows before sending. On the task queue,
    `call_for_help` lets the digest step ask other workers to share its send (`advocacy.runtime.queue`). For the
    host's own collaborative on a host of several, `others` are the other collaboratives' Apps: the steps of a
    scrape job (scrape, tag, alerts, bill text) do their part for each of them too. With `tag_elsewhere` (the task
    queue's, on a host of several), the scrape hands every collaborative's tagging, catch-up included, to it, and
    another collaborative's alerts are sent by those tasks and by its own `alerts` job.
    """
    steps = Steps()
    for _jcfg, source in app.config.sources():
        steps.add(f"scrape:{source.name}", partial(step.scrape, source_name=source.name, others=others,
                                                   tag_elsewhere=tag_elsewhere))
    # on the queue each collaborative's tagging, catch-up included, is a task; the steps never wait for its turn
    wait = tag_elsewhere is None
    steps.add("tag", step.for_each(step.tag, others) if wait else step.tagged_elsewhere)
    steps.add("billtext", partial(step.billtext, others=others))
    # on the queue the others' alerts are sent by their tag tasks and their own `alerts` jobs; the alerts a
    # scrape's changes make are made by the tag task, so this step does not wait for its tagging turn
    steps.add("alerts", step.for_each(step.alerts, others) if wait else partial(step.alerts, wait=False))
    steps.add("digest", partial(step.digest, call_for_help=call_for_help))
    steps.add("agenda", step.agenda)
    steps.add("cutoff_reminder", step.cutoff_reminder)
    steps.add("inbound", step.inbound)
    return steps


def web_app(app: App, service: Service) -> ASGIApp:
    """The staff web app, with `/healthz`."""

    return create_app(app, extra_routes=[healthz_route(app, service.scheduler)])


def serve(app: App, steps: Steps, *, host: str, port: int, stop_timeout: float = DEFAULT_STOP_TIMEOUT,
          verbose: bool = False, on_started: Callable[[Service], None] | None = None) -> int:
    """Run the scheduler and the web app in this process until SIGTERM or SIGINT."""
    import uvicorn  # deferred: only the server commands need it, and it slows every other command's start

    service = Service(app, steps)
    server = uvicorn.Server(uvicorn.Config(web_app(app, service), host=host, port=port, log_config=None,
                                           access_log=verbose))

    def on_signal(signum: int, frame: FrameType | None) -> None:
        # Until uvicorn runs this asks it to stop; uvicorn re-raises the signal it handled once it has shut
        # down, and landing here (not in the default handler) lets the scheduler stop properly after it.
        server.should_exit = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    service.start()
    try:
        if on_started is not None:
            on_started(service)
        if not server.should_exit:
            server.run()
    finally:
        service.stop(stop_timeout)
    return EXIT_OK


# -- commands -------------------------------------------------------------------------------------------------

@click.command("run")
@click.option("--host", help="Address to listen on (default: [web] host).")
@click.option("--port", type=int, help="Port (default: [web] port).")
@click.option("--stop-timeout", type=float, default=DEFAULT_STOP_TIMEOUT, show_default=True,
              help="Seconds a job in flight gets to finish on SIGTERM before it is recorded as interrupted "
                   "(it resumes on the next start).")
@click.option("--log-format", type=click.Choice(["kv", "json"]), default="kv", show_default=True,
              help="One line per event: key=value or JSON.")
@click.pass_context
def run(ctx: click.Context, host: str | None, port: int | None, stop_timeout: float, log_format: str) -> None:
    """The service: the web app and the scheduler in one process.

    Jobs come from config.toml (see `advocacy jobs`) and are kept in the database, so schedules survive
    restarts. Stop it with SIGTERM: the job in flight finishes, or is recorded and resumed on the next start.
    """
    state: State = ctx.find_object(State)
    logs.configure(verbose=state.verbose, fmt=log_format)  # type: ignore[arg-type]
    state.app(migrated=False)
    if len(state.host) > 1:
        others = ", ".join(c.collaborative.slug for c in state.host[1:])
        click.secho(f"configuration error: {state.config_path or 'config.toml'}: [host] collaboratives lists "
                    f"{others}: `advocacy run` schedules one collaborative's jobs; a host of several runs them on "
                    'the task queue: [queue] backend = "procrastinate" (PostgreSQL), `advocacy web '
                    '--every-collaborative` and one or more `advocacy worker`', fg="red", err=True)
        sys.exit(EXIT_CONFIG)
    app = state.app()
    if app.config.queue.backend == "procrastinate":
        click.secho('configuration error: [queue] backend = "procrastinate": the jobs run on the task queue; run '
                    '`advocacy web` and one or more `advocacy worker` instead of `advocacy run`', fg="red", err=True)
        sys.exit(EXIT_CONFIG)
    web = app.config.web
    sys.exit(serve(app, pipeline_steps(app), host=host or web.host, port=port or web.port,
                   stop_timeout=stop_timeout, verbose=state.verbose))


def _local(value: datetime | None, app: App) -> str:
    return "-" if value is None else value.astimezone(app.config.collaborative.tz).strftime("%a %Y-%m-%d %H:%M %Z")


@click.group("jobs", invoke_without_command=True)
@click.pass_context
def jobs_group(ctx: click.Context) -> None:
    """The scheduled jobs and their next run times, in the collaborative's time zone."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_jobs)


@jobs_group.command("list")
@pass_app()
def list_jobs(app: App) -> None:
    """List the jobs (the default)."""


    specs = collaborative_jobs(app)
    stored = stored_next_runs(app)
    steps = pipeline_steps(app)
    now = app.now()
    rows = []
    with app.sessions() as session:
        for spec in specs:
            last = session.scalar(select(JobRun).where(JobRun.job == spec.id).order_by(JobRun.id.desc()).limit(1))
            if spec.id in stored:
                next_run = _local(stored[spec.id], app)
            else:  # not stored yet: what the service will schedule when it starts
                next_run = _local(spec.trigger.get_next_fire_time(None, now), app) + " *"
            notes = [f"no step {n!r} in this build" for n in spec.steps if n not in steps]
            last_text = f"{last.status} {_local(last.finished_at or last.started_at, app)}" if last else "never run"
            rows.append((spec.id, next_run, spec.when, last_text, "; ".join(notes)))
    tz = app.config.collaborative.timezone
    header = ("JOB", f"NEXT RUN ({tz})", "SCHEDULE", "LAST RUN", "")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    for row in [header, *rows]:
        click.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4])
    if any(spec.id not in stored for spec in specs):
        click.echo("* not stored yet: the next run the service will schedule when it starts")
    for job_id in sorted(set(stored) - {spec.id for spec in specs}):
        click.echo(f"{job_id}: stored but no longer configured; removed when the service next starts")


@jobs_group.command("run")
@click.argument("job_id")
@click.pass_context
def run_job(ctx: click.Context, job_id: str) -> None:
    """Run one job now, in this process (it still takes the job's lock: never beside the service's run)."""
    state: State = ctx.find_object(State)
    logs.configure(verbose=state.verbose)
    app = state.app()
    specs = {spec.id: spec for spec in collaborative_jobs(app)}
    if job_id not in specs:
        raise click.BadParameter(f"no job {job_id!r}; configured: {', '.join(specs)}", param_hint="JOB_ID")
    others = [app.beside(config) for config in state.host[1:]] if app.home else []  # a scrape tags for all
    outcome = Runner(app, pipeline_steps(app, others=others)).execute(job_id, specs[job_id].steps)
    counts = " ".join(f"{k}={v}" for k, v in outcome.counts.items())
    if outcome.status in ("locked", "claimed"):
        click.echo(f"{job_id}: not run: another process is running it")
        sys.exit(EXIT_NOTHING)
    click.echo(f"{job_id}: {outcome.status} in {outcome.duration_s:.1f} s {counts}".rstrip())
    if outcome.error:
        click.echo(f"  error: {outcome.error}", err=True)
    sys.exit(EXIT_OK if outcome.status == "ok" else EXIT_FAILED)


@click.command("status")
@click.option("--url", help="The running service's address (default: http://[web] host:port).")
@click.option("--json", "as_json", is_flag=True, help="Print the /healthz JSON.")
@pass_app(migrated=False)
def status(app: App, url: str | None, as_json: bool) -> None:
    """Health of the running service: database, scheduler, jobs, and each source's last good scrape.

    Asks the running service (GET /healthz); when it does not answer, reports what the database shows.
    """
    web = app.config.web
    host = "127.0.0.1" if web.host in ("0.0.0.0", "::", "") else web.host
    url = (url or f"http://{host}:{web.port}").rstrip("/")
    try:
        report: dict[str, Any] = httpx.get(f"{url}/healthz", timeout=5.0).json()
    except (httpx.HTTPError, ValueError) as exc:
        report = health_report(app, None, scheduler_note=f"the service did not answer at {url} "
                                                         f"({type(exc).__name__}); is `advocacy run` running?")
        if report["database"].get("migrated") is False and not as_json:
            click.secho(report["database"]["error"], fg="red", err=True)
            sys.exit(EXIT_NOT_MIGRATED)
    click.echo(json.dumps(report, indent=2) if as_json else format_report(report))
    sys.exit(EXIT_OK if report["status"] == "ok" else EXIT_FAILED)


COMMANDS = [run, jobs_group, status]

