"""Is the service well? Database reachability, the scheduler's state, each job's next and last run, and the age
of each source's last successful scrape. `/healthz` serves it as JSON; `advocacy status` prints it for a person.

HTTP 503 only when the service cannot work (database unreachable, scheduler not running); a stale source or a
failed job makes the status "degraded" with a 200, and says what needs attention.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.base import STATE_RUNNING, BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from sqlalchemy import select, text
from starlette.requests import Request
from starlette.responses import JSONResponse

from advocacy.app import App
from advocacy.collect.scrape import last_good_run
from advocacy.crontab import crontab_trigger
from advocacy.db import NotMigrated
from advocacy.models import JobRun, SourceRun
from advocacy.runtime.scheduler import STATE_NAMES, collaborative_jobs, stored_next_runs

LOOKBACK = timedelta(days=8)  # far enough back to find the last due slot of any weekly-or-better cadence


def _iso(value: datetime | None, app: App) -> str | None:
    return None if value is None else value.astimezone(app.config.collaborative.tz).isoformat(timespec="seconds")


def recent_slots(trigger: BaseTrigger, before: datetime, count: int) -> list[datetime]:
    """The last `count` fire times of `trigger` at or before `before` (within LOOKBACK), oldest first."""
    slots: list[datetime] = []
    fire = trigger.get_next_fire_time(None, before - LOOKBACK)
    while fire is not None and fire <= before:
        slots = [*slots[-(count - 1):], fire] if count > 1 else [fire]
        fire = trigger.get_next_fire_time(fire, before)
    return slots


def _database(app: App) -> dict[str, Any]:
    url = app.engine.url.render_as_string(hide_password=True)
    try:
        with app.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        app.check_migrated()
    except NotMigrated as exc:
        return {"ok": False, "url": url, "error": str(exc), "migrated": False}
    except Exception as exc:
        return {"ok": False, "url": url, "error": f"{type(exc).__name__}: {exc}".splitlines()[0]}
    return {"ok": True, "url": url}


def _sources(app: App, now: datetime, attention: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with app.sessions() as session:
        for _jcfg, source in app.config.sources():
            if not source.enabled:
                continue
            good = last_good_run(session, source.name)
            last_ok = good.finished_at if good else None
            latest = session.scalar(select(SourceRun).where(SourceRun.source == source.name,
                                                            SourceRun.replay_of.is_(None))
                                    .order_by(SourceRun.id.desc()).limit(1))
            # Stale: no good run (`last_good_run`: complete, not a replay) in the last two slots that have come
            # (one failure, or a run still going, is not yet a problem). Out of its hours (nights, weekends) a source is not stale.
            slots = recent_slots(crontab_trigger(source.schedule, app.config.collaborative.timezone), now, 2)
            stale = len(slots) == 2 and (last_ok is None or last_ok < slots[0])
            out[source.name] = {
                "last_success": _iso(last_ok, app),
                "age_s": None if last_ok is None else int((now - last_ok).total_seconds()),
                "last_status": latest.status if latest else None,
                "last_error": (latest.error.splitlines() or [""])[0] if latest and latest.status == "failed" else "",
                "stale": stale,
            }
            if stale:
                since = f"since {_iso(last_ok, app)}" if last_ok else "ever"
                attention.append(f"source {source.name}: no complete scrape {since}")
    return out


def _jobs(app: App, attention: list[str]) -> dict[str, Any]:
    next_runs = stored_next_runs(app)
    if app.config.queue.backend == "procrastinate":  # no stored jobs: a worker's tick defers each slot as it comes
        now = app.now()
        next_runs = {spec.id: spec.trigger.get_next_fire_time(None, now) for spec in collaborative_jobs(app)}
    out: dict[str, Any] = {}
    with app.sessions() as session:
        for spec in collaborative_jobs(app):
            last = session.scalar(select(JobRun).where(JobRun.job == spec.id, JobRun.status != "superseded")
                                  .order_by(JobRun.id.desc()).limit(1))
            out[spec.id] = {
                "schedule": spec.when,
                "next_run": _iso(next_runs.get(spec.id), app),
                "stored": spec.id in next_runs,
                "last_status": last.status if last else None,
                "last_started": _iso(last.started_at, app) if last else None,
                "last_finished": _iso(last.finished_at, app) if last else None,
            }
            if last is not None and last.status == "failed":
                attention.append(f"job {spec.id}: last run failed at {_iso(last.finished_at, app)}")
        stuck = session.scalars(select(JobRun).where(JobRun.status == "interrupted", JobRun.attempt >= 2))
        for run in stuck:
            attention.append(f"job {run.job}: run {run.id} was interrupted again after a resume; check it and "
                             f"run it by hand (`advocacy jobs run {run.job}`)")
    return out


WORKER_ALIVE = timedelta(minutes=1)  # procrastinate's workers beat every 10 s
TAG_TASK = "advocacy.tag"  # a collaborative's tagging on the queue (`advocacy.runtime.queue.TAG`)


def queue_status(app: App, now: datetime, attention: list[str]) -> dict[str, Any]:
    """The task queue's depth, its oldest waiting task and the workers alive (`[queue] backend = "procrastinate"`)."""
    try:
        with app.engine.connect() as conn:
            depth, oldest = conn.execute(text(
                "SELECT count(*), min(e.at) FROM procrastinate_jobs j LEFT JOIN procrastinate_events e "
                "ON e.job_id = j.id AND e.type = 'deferred' WHERE j.status = 'todo'")).one()
            recent = {"s": WORKER_ALIVE.total_seconds()}  # heartbeats are the database's time
            alive = conn.scalar(text("SELECT count(*) FROM procrastinate_workers "
                                     "WHERE last_heartbeat > now() - make_interval(secs => :s)"), recent)
            running, orphaned = conn.execute(text(
                "SELECT count(*), count(*) FILTER (WHERE w.id IS NULL) FROM procrastinate_jobs j "
                "LEFT JOIN procrastinate_workers w ON w.id = j.worker_id "
                "AND w.last_heartbeat > now() - make_interval(secs => :s) WHERE j.status = 'doing'"), recent).one()
            untagged = conn.scalar(text(
                "SELECT count(*) FROM procrastinate_jobs j WHERE j.task_name = :task AND j.status = 'failed' "
                "AND j.args->>'collaborative' = :slug AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs k WHERE "
                "k.task_name = :task AND k.status = 'succeeded' AND k.args->>'collaborative' = :slug AND k.id > j.id)"),
                {"task": TAG_TASK, "slug": app.config.collaborative.slug})
    except Exception as exc:
        attention.append("the task queue cannot be read (`advocacy db upgrade` installs it): "
                         f"{type(exc).__name__}")
        return {"backend": "procrastinate", "ok": False}
    waited = None if oldest is None else int((now - oldest).total_seconds())
    if not alive:
        attention.append("no `advocacy worker` is alive: scheduled jobs are not running")
    if orphaned:
        attention.append(f"{orphaned} task(s) were running on a worker that stopped answering; a worker's next "
                         "tick fails them and resumes their runs")
    if untagged:
        attention.append(f"{untagged} tagging task(s) failed since the last that succeeded (the worker's log has "
                         "why); the next scrape of a state this collaborative follows catches up")
    return {"backend": "procrastinate", "ok": True, "depth": depth, "oldest_waiting": _iso(oldest, app),
            "oldest_waiting_s": waited, "workers_alive": alive, "running": running, "orphaned": orphaned,
            "tagging_failed": untagged}


def health_report(app: App, scheduler: BaseScheduler | None, *, scheduler_note: str = "",
                  scheduler_elsewhere: bool = False) -> dict[str, Any]:
    """The whole picture as plain data. `scheduler` is None when the caller is not the service process;
    `scheduler_elsewhere` says this process is not meant to run one (`advocacy web` beside `advocacy run`)."""
    now = app.now()
    attention: list[str] = []
    database = _database(app)
    queued = app.config.queue.backend == "procrastinate"
    if queued and scheduler is None:
        sched: dict[str, Any] = {"state": "queue", "note": "`advocacy worker` processes run the jobs"}
    elif scheduler is not None:
        sched = {"state": STATE_NAMES.get(scheduler.state, str(scheduler.state))}
        if scheduler.state != STATE_RUNNING:
            attention.append(f"the scheduler is {sched['state']}")
    elif scheduler_elsewhere:
        sched = {"state": "elsewhere", "note": "this process serves the pages; `advocacy run` schedules the jobs"}
    else:
        sched = {"state": "unknown", "note": scheduler_note}
        attention.append(scheduler_note or "the scheduler's state is unknown here")
    report: dict[str, Any] = {"collaborative": app.config.collaborative.name, "time": _iso(now, app),
                              "timezone": app.config.collaborative.timezone, "database": database,
                              "scheduler": sched}
    if database["ok"]:
        report["sources"] = _sources(app, now, attention)
        report["jobs"] = _jobs(app, attention)
        if queued:
            report["queue"] = queue_status(app, now, attention)
    else:
        attention.insert(0, f"database unreachable: {database['error']}")
    down = not database["ok"] or (scheduler is not None and scheduler.state != STATE_RUNNING)
    report["status"] = "down" if down else ("degraded" if attention else "ok")
    report["attention"] = attention
    return report


def http_status(report: dict[str, Any]) -> int:
    return 503 if report["status"] == "down" else 200


def healthz_endpoint(app: App, scheduler: BaseScheduler | None, *, scheduler_elsewhere: bool = False
                     ) -> Callable[[Request], JSONResponse]:
    """`GET /healthz`, which `advocacy.web.app.healthz_route` mounts."""

    def healthz(request: Request) -> JSONResponse:  # sync: Starlette runs it in its thread pool
        report = health_report(app, scheduler, scheduler_elsewhere=scheduler_elsewhere)
        # The details (database URL, sources' errors) are for this machine; a monitor elsewhere gets the verdict.
        local = request.client is not None and request.client.host in ("127.0.0.1", "::1")
        body = report if local else {"status": report["status"]}
        return JSONResponse(body, status_code=http_status(report))

    return healthz


def _ago(seconds: int | None) -> str:
    if seconds is None:
        return ""
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes} min ago"
    return f"{minutes // 60} h ago" if minutes < 48 * 60 else f"{minutes // 1440} days ago"


def format_report(report: dict[str, Any]) -> str:
    """For a person at a terminal."""
    tz = ZoneInfo(report["timezone"])

    def local(iso: str | None) -> str:
        return "-" if iso is None else datetime.fromisoformat(iso).astimezone(tz).strftime("%a %Y-%m-%d %H:%M %Z")

    lines = [f"{report['collaborative']}: {report['status'].upper()}   ({local(report['time'])})"]
    db = report["database"]
    lines.append(f"database   {'reachable' if db['ok'] else 'UNREACHABLE: ' + db['error']}  {db['url']}")
    sched = report["scheduler"]
    lines.append(f"scheduler  {sched['state']}" + (f"  ({sched['note']})" if sched.get("note") else ""))
    if report.get("queue", {}).get("ok"):
        q = report["queue"]
        oldest = f", oldest waiting since {local(q['oldest_waiting'])}" if q["oldest_waiting"] else ""
        lines.append(f"queue      {q['depth']} waiting{oldest}; {q['running']} running; "
                     f"{q['workers_alive']} worker(s) alive")
    if "jobs" in report:
        lines.append("jobs")
        width = max((len(j) for j in report["jobs"]), default=0)
        for job_id, job in report["jobs"].items():
            last = f"last {job['last_status']} {local(job['last_finished'] or job['last_started'])}" \
                if job["last_status"] else "never run"
            nxt = local(job["next_run"]) if job["next_run"] else "not scheduled yet"
            lines.append(f"  {job_id:<{width}}  next {nxt}  {last}")
    if "sources" in report:
        lines.append("sources")
        width = max((len(s) for s in report["sources"]), default=0)
        for name, src in report["sources"].items():
            seen = f"last success {local(src['last_success'])} ({_ago(src['age_s'])})" if src["last_success"] \
                else "never succeeded"
            flag = "  STALE" if src["stale"] else ""
            error = f"  last error: {src['last_error']}" if src["last_error"] else ""
            lines.append(f"  {name:<{width}}  {seen}{flag}{error}")
    if report["attention"]:
        lines.append("needs attention")
        lines += [f"  - {item}" for item in report["attention"]]
    return "\n".join(lines)
