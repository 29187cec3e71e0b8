from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import time_machine
from click.testing import CliRunner

from advocacy.app import App, system_clock
from advocacy.cli import cli
from advocacy.cli.web import pages_app
from advocacy.config import Config, Secrets
from advocacy.models import JobRun, SourceRun
from advocacy.runtime.health import format_report, health_report
from advocacy.web.app import create_app, healthz_route
from tests.factories import frozen_fixture
from tests.scheduling import Recorder, service

ET = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 2, 11, 0, tzinfo=ET)  # a Wednesday, mid-morning


frozen = frozen_fixture(NOW)


def _scraped(app: App, source: str, finished: datetime, status: str = "ok", error: str = "") -> None:
    with app.transaction() as session:
        session.add(SourceRun(source=source, kind="rss", jurisdiction="OH", started_at=finished - timedelta(minutes=1),
                              finished_at=finished, status=status, error=error))


def _get_healthz(app: App, scheduler: object, caller: str = "127.0.0.1") -> httpx.Response:
    web = create_app(app, extra_routes=[healthz_route(app, scheduler)])  # type: ignore[arg-type]

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=web, client=(caller, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            return await client.get("/healthz")

    return asyncio.run(get())


@pytest.fixture
def now_app(sqlite_app: App) -> App:
    sqlite_app.clock = system_clock  # time_machine moves it
    return sqlite_app


def test_healthz_reports_database_scheduler_jobs_and_source_ages(
        config: Config, db_url: str, frozen: time_machine.Traveller) -> None:
    svc = service(config, db_url, Recorder())
    svc.start()
    _scraped(svc.app, "ohio-legislature", datetime(2026, 12, 2, 10, 16, tzinfo=ET))
    _scraped(svc.app, "ohio-news", datetime(2026, 12, 2, 9, 46, tzinfo=ET))
    with svc.app.transaction() as session:
        session.add(JobRun(job="digest", scheduled_for=datetime(2026, 12, 1, 7, tzinfo=ET), status="ok",
                           started_at=datetime(2026, 12, 1, 12, tzinfo=UTC),
                           finished_at=datetime(2026, 12, 1, 12, 2, tzinfo=UTC)))
    response = _get_healthz(svc.app, svc.scheduler)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok", body["attention"]
    assert body["database"]["ok"] is True
    assert body["scheduler"] == {"state": "running"}
    assert body["sources"]["ohio-legislature"]["age_s"] == 44 * 60
    assert body["sources"]["ohio-legislature"]["last_success"] == "2026-12-02T10:16:00-05:00"
    assert body["sources"]["ohio-news"]["stale"] is False
    assert body["jobs"]["digest"]["last_status"] == "ok"
    assert body["jobs"]["digest"]["next_run"] == "2026-12-15T07:00:00-05:00"
    assert body["jobs"]["scrape:ohio-legislature"]["next_run"] == "2026-12-02T11:15:00-05:00"
    assert body["attention"] == []
    remote = _get_healthz(svc.app, svc.scheduler, caller="203.0.113.7")  # a monitor on another machine
    assert (remote.status_code, remote.json()) == (200, {"status": "ok"})  # the verdict, not the details
    svc.stop(timeout=5)
    stopped = _get_healthz(svc.app, svc.scheduler)
    assert stopped.status_code == 503
    assert stopped.json()["status"] == "down"


def test_a_source_whose_last_due_scrape_failed_is_stale_and_says_why(
        now_app: App, frozen: time_machine.Traveller) -> None:
    _scraped(now_app, "ohio-legislature", datetime(2026, 12, 2, 7, 16, tzinfo=ET))
    _scraped(now_app, "ohio-legislature", datetime(2026, 12, 2, 8, 16, tzinfo=ET), "failed", "HTTP 503 from source")
    _scraped(now_app, "ohio-news", datetime(2026, 12, 2, 9, 46, tzinfo=ET))
    report = health_report(now_app, None, scheduler_note="not asked")
    legislature = report["sources"]["ohio-legislature"]
    assert legislature["stale"] is True
    assert legislature["last_status"] == "failed" and legislature["last_error"] == "HTTP 503 from source"
    assert report["sources"]["ohio-news"]["stale"] is False
    assert report["status"] == "degraded"
    assert "source ohio-legislature: no complete scrape since 2026-12-02T07:16:00-05:00" in report["attention"]
    text = format_report(report)
    assert "ohio-legislature  last success Wed 2026-12-02 07:16 EST (3 h ago)  STALE" in text
    assert "last error: HTTP 503 from source" in text


def test_out_of_hours_a_source_is_not_stale(now_app: App, frozen: time_machine.Traveller) -> None:
    _scraped(now_app, "ohio-legislature", datetime(2026, 12, 4, 18, 16, tzinfo=ET))  # Friday's last slot
    _scraped(now_app, "ohio-news", datetime(2026, 12, 4, 18, 46, tzinfo=ET))
    frozen.move_to(datetime(2026, 12, 6, 15, 0, tzinfo=ET))  # Sunday afternoon
    report = health_report(now_app, None)
    assert {name: s["stale"] for name, s in report["sources"].items()} == {
        "ohio-legislature": False, "ohio-news": False}
    assert report["sources"]["ohio-legislature"]["age_s"] == (44 * 60 + 44) * 60


def test_an_unreachable_database_is_down_with_503(config: Config, tmp_path: Path) -> None:
    broken = App(config, secrets=Secrets.from_env({}), database_url=f"sqlite:///{tmp_path}")  # a directory
    response = _get_healthz(broken, None)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["database"]["ok"] is False and "unable to open database file" in body["database"]["error"]
    assert body["attention"][0].startswith("database unreachable")
    broken.engine.dispose()


def test_an_unmigrated_database_is_down_on_healthz_and_status_exits_4_with_the_fix(config: Config, config_path: Path,
                                                                                 tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    empty = App(config, secrets=Secrets.from_env({}), database_url=url)
    body = _get_healthz(empty, None).json()
    assert body["status"] == "down" and "run `advocacy db upgrade` first" in body["database"]["error"]
    empty.engine.dispose()
    result = CliRunner().invoke(cli, ["--config", str(config_path), "status", "--url", "http://127.0.0.1:9"],
                                env={"ADVOCACY_DATABASE__URL": url})
    assert result.exit_code == 4, result.output
    assert "has no tables yet; run `advocacy db upgrade` first" in result.output
    assert "Traceback" not in result.output


def test_the_pages_alone_answer_healthz_with_the_scheduler_running_elsewhere(now_app: App) -> None:
    web = pages_app(now_app)

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=web, client=("127.0.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://pages") as client:
            return await client.get("/healthz")

    response = asyncio.run(get())
    assert response.status_code == 200
    body = response.json()
    assert body["scheduler"]["state"] == "elsewhere" and body["database"]["ok"] is True
    assert not any("scheduler" in line for line in body["attention"])


def test_now_fixes_the_clock_of_every_command_and_an_offsetless_time_is_refused(config_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["--config", str(config_path), "db", "upgrade"]).exit_code == 0
    shown = runner.invoke(cli, ["--config", str(config_path), "status", "--json", "--url", "http://127.0.0.1:9"],
                          env={"ADVOCACY_NOW": "2026-11-24T09:00:00-05:00"})
    assert '"time": "2026-11-24T09:00:00-05:00"' in shown.output
    refused = runner.invoke(cli, ["--config", str(config_path), "--now", "2026-11-24T09:00", "status"])
    assert refused.exit_code == 2 and "has no offset" in refused.output
