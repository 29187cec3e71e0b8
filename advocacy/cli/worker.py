"""`advocacy worker`: a stateless worker of the task queue (`[queue] backend = "procrastinate"`, PostgreSQL)."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Sequence

import click
import procrastinate

from advocacy import logs
from advocacy.app import App
from advocacy.cli import EXIT_CONFIG, EXIT_OK, State
from advocacy.cli.service import pipeline_steps
from advocacy.config import ConfigError
from advocacy.logs import log_event
from advocacy.runtime.jobs import Steps
from advocacy.runtime.queue import (
    HEARTBEAT_S,
    POLL_S,
    STALLED_AFTER_S,
    StepsFor,
    build_queue,
    call_for_help,
    ensure_schema,
    host_jobs,
    log,
    start,
    tag_elsewhere,
)


def host_steps(app: App, others: Sequence[App]) -> StepsFor:
    """The steps of each collaborative of the host on the queue: the host file's own scrape for all (handing the
    others' tagging to `advocacy.tag` tasks), every collaborative's digest calling other workers to its send."""

    def steps_for(queue: procrastinate.App, one: App) -> Steps:
        home = one is app
        return pipeline_steps(one, call_for_help(one, queue), others=others if home else (),
                              tag_elsewhere=tag_elsewhere(queue) if others else None)

    return steps_for


@click.command("worker")
@click.option("--concurrency", type=click.IntRange(1, 32), default=1, show_default=True,
              help="Jobs this worker runs at once (each on its own thread). Prefer more worker processes.")
@click.option("--log-format", type=click.Choice(["kv", "json"]), default="kv", show_default=True,
              help="One line per event: key=value or JSON.")
@click.pass_context
def worker(ctx: click.Context, concurrency: int, log_format: str) -> None:
    """Run scheduled jobs from the task queue in the database, beside `advocacy web`; start as many as you like.

    Needs `[queue] backend = "procrastinate"` and a PostgreSQL [database] url. Every minute one worker (whichever
    comes first) defers the jobs that are due; any worker runs them, each slot once, and workers share a
    digest's send. A worker serves every collaborative of the host ([host] collaboratives; --collaborative is
    ignored): each source is scraped once for all of them and what changed is tagged for each collaborative
    following its state (one task each, spread over the workers); each collaborative's jobs run on its own
    schedule. Stop it with SIGTERM: the job in flight finishes first. Installs the queue's tables in the
    database on first start (`advocacy db upgrade` also does, and upgrades them).
    """
    state: State = ctx.find_object(State)
    logs.configure(verbose=state.verbose, fmt=log_format)  # type: ignore[arg-type]
    if state.app(migrated=False).config.queue.backend != "procrastinate":
        click.secho('configuration error: `advocacy worker` needs [queue] backend = "procrastinate" '
                    '(with backend = "embedded", `advocacy run` runs the jobs itself)', fg="red", err=True)
        sys.exit(EXIT_CONFIG)
    app, *others = state.host_apps()
    try:
        ensure_schema(app)
        queue, runner = build_queue(app, host_steps(app, others), others)
    except ConfigError as exc:
        click.secho(f"configuration error: {exc}", fg="red", err=True)
        sys.exit(EXIT_CONFIG)
    name = f"{socket.gethostname()}:{os.getpid()}"
    resumed = start(app, queue, runner, [spec.id for _one, specs in host_jobs(app, others) for spec in specs])
    log_event(log, "worker.started", worker=name, concurrency=concurrency, resumed=len(resumed),
              collaboratives=1 + len(others))
    queue.run_worker(name=name, concurrency=concurrency, update_heartbeat_interval=HEARTBEAT_S,
                     stalled_worker_timeout=STALLED_AFTER_S, fetch_job_polling_interval=POLL_S)
    log_event(log, "worker.stopped", worker=name)
    sys.exit(EXIT_OK)


COMMANDS = [worker]
