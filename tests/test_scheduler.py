"""The scheduler on a controllable clock: coalescing after downtime, misfire grace, overlap skipping, config
reconciliation. time_machine moves "now" for APScheduler and the App together; nothing sleeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine
from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent

from advocacy.config import Config
from advocacy.crontab import _crontab_weekdays
from advocacy.runtime.scheduler import EveryNDays, job_specs, stored_next_runs
from advocacy.schedule import agenda_due, next_call, next_digest, question_cutoff
from tests.factories import frozen_fixture
from tests.scheduling import Recorder, edited_config, runs, service, step_and_wait

ET = ZoneInfo("America/New_York")


frozen = frozen_fixture(datetime(2026, 11, 24, 15, 0, tzinfo=UTC))


def test_jobs_come_from_the_config_with_deterministic_ids(config: Config) -> None:
    specs = {spec.id: spec for spec in job_specs(config)}
    assert list(specs) == ["scrape:ohio-legislature", "scrape:ohio-news", "digest", "agenda", "cutoff_reminder", "inbound"]
    assert specs["scrape:ohio-legislature"].steps == ("scrape:ohio-legislature", "tag", "alerts", "billtext")
    assert [spec.id for spec in job_specs(config)] == list(specs)  # same config, same ids


def test_every_n_days_agrees_with_the_schedule_module_across_daylight_saving(config: Config) -> None:
    digest = EveryNDays(config.schedule.digest_first, config.schedule.digest_every_days, "America/New_York")
    specs = {spec.id: spec for spec in job_specs(config)}
    instant = datetime(2026, 11, 1, tzinfo=UTC)
    while instant < datetime(2027, 12, 1, tzinfo=UTC):
        expected = next_digest(config, instant)
        assert digest.get_next_fire_time(instant, instant) == expected
        call, _ = next_call(config, instant + timedelta(days=config.schedule.agenda_lead_days))
        agenda = specs["agenda"].trigger.get_next_fire_time(instant, instant)
        assert agenda == agenda_due(config, call)
        assert agenda.hour == 10  # type: ignore[union-attr]
        instant += timedelta(hours=37)
    cutoff = question_cutoff(config, datetime(2027, 3, 25, 10, 0, tzinfo=ET))
    reminder = specs["cutoff_reminder"].trigger.get_next_fire_time(None, datetime(2027, 3, 20, tzinfo=UTC))
    assert reminder == cutoff - timedelta(hours=config.schedule.reminder_hours_before_cutoff)


def test_a_digest_missed_three_times_during_downtime_runs_once(
        config: Config, db_url: str, frozen: time_machine.Traveller) -> None:
    recorder = Recorder()
    first = service(config, db_url, recorder)
    first.start()
    assert stored_next_runs(first.app)["digest"] == datetime(2026, 12, 1, 7, 0, tzinfo=ET)
    first.stop(timeout=5)  # the machine goes down for five weeks

    frozen.move_to(datetime(2026, 12, 29, 8, 0, tzinfo=ET))  # slots of Dec 1, Dec 15 and Dec 29 have passed
    again = service(config, db_url, recorder)
    again.start()
    step_and_wait(again)
    assert recorder.times("digest") == [datetime(2026, 12, 29, 8, 0, tzinfo=ET)]
    digest_runs = runs(again.app, "digest")
    assert [(r.status, r.scheduled_for) for r in digest_runs] == [("ok", datetime(2026, 12, 29, 7, 0, tzinfo=ET))]
    assert stored_next_runs(again.app)["digest"] == datetime(2027, 1, 12, 7, 0, tzinfo=ET)
    step_and_wait(again)  # looking again changes nothing
    assert len(recorder.times("digest")) == 1
    again.stop(timeout=5)


def test_a_slot_missed_by_more_than_the_grace_period_is_not_run_late(
        config: Config, db_url: str, frozen: time_machine.Traveller) -> None:
    recorder = Recorder()
    first = service(config, db_url, recorder)
    first.start()
    first.stop(timeout=5)
    frozen.move_to(datetime(2026, 12, 1, 7, 0, tzinfo=ET) + timedelta(minutes=config.schedule.misfire_grace_minutes + 1))
    again = service(config, db_url, recorder)
    missed: list[str] = []
    again.scheduler.add_listener(lambda event: missed.append(event.job_id), EVENT_JOB_MISSED)
    again.start()
    step_and_wait(again)
    assert recorder.times("digest") == []
    assert "digest" in missed
    assert runs(again.app, "digest") == []
    assert stored_next_runs(again.app)["digest"] == datetime(2026, 12, 15, 7, 0, tzinfo=ET)
    again.stop(timeout=5)


def test_a_scrape_that_would_overlap_its_previous_run_is_skipped_not_stacked(
        config: Config, db_url: str, frozen: time_machine.Traveller) -> None:
    frozen.move_to(datetime(2026, 11, 30, 7, 10, tzinfo=ET))  # a Monday
    recorder = Recorder()
    started, release = recorder.block("scrape:ohio-legislature")
    svc = service(config, db_url, recorder)
    skipped: list[JobEvent] = []
    svc.scheduler.add_listener(skipped.append, EVENT_JOB_MAX_INSTANCES)
    svc.start()
    try:
        frozen.move_to(datetime(2026, 11, 30, 7, 15, tzinfo=ET))
        svc.scheduler.step()  # type: ignore[attr-defined]
        assert started.wait(timeout=30)
        frozen.move_to(datetime(2026, 11, 30, 8, 15, tzinfo=ET))  # the 7:15 scrape is still going
        svc.scheduler.step()  # type: ignore[attr-defined]
        # (the 10-minute inbound job may also find its own previous run still going; this test is the scrape's)
        assert [e.job_id for e in skipped if e.job_id != "inbound"] == ["scrape:ohio-legislature"]
    finally:
        release.set()
    assert svc.executor.join(timeout=30)
    assert recorder.times("scrape:ohio-legislature") == [datetime(2026, 11, 30, 7, 15, tzinfo=ET)]
    assert [r.scheduled_for for r in runs(svc.app, "scrape:ohio-legislature")] == [
        datetime(2026, 11, 30, 7, 15, tzinfo=ET)]
    assert stored_next_runs(svc.app)["scrape:ohio-legislature"] == datetime(2026, 11, 30, 9, 15, tzinfo=ET)
    del recorder.gates["scrape:ohio-legislature"]
    frozen.move_to(datetime(2026, 11, 30, 9, 15, tzinfo=ET))
    step_and_wait(svc)
    assert len(recorder.times("scrape:ohio-legislature")) == 2
    svc.stop(timeout=5)


def test_restart_reconciles_jobs_with_a_changed_config(
        config: Config, config_path: Path, db_url: str, frozen: time_machine.Traveller) -> None:
    recorder = Recorder()
    first = service(config, db_url, recorder)
    report = first.start()
    assert sorted(report.added) == sorted(spec.id for spec in job_specs(config))
    first.stop(timeout=5)

    unchanged = service(config, db_url, recorder)
    report = unchanged.start()
    assert report.added == report.updated == report.removed == []
    unchanged.stop(timeout=5)

    edited = edited_config(config_path, 'schedule = "45 6-18 * * 1-5"', 'schedule = "30 8 * * 1-5"\nenabled = false')
    edited = edited_config(config_path, 'schedule = "15 7-18 * * 1-5"', 'schedule = "5 */2 * * *"')
    edited = edited_config(config_path.with_name("edited.toml"), 'schedule = "45 6-18 * * 1-5"',
                           'schedule = "45 6-18 * * 1-5"\nenabled = false')
    changed = service(edited, db_url, recorder)
    report = changed.start()
    assert report.updated == ["scrape:ohio-legislature"]
    assert report.removed == ["scrape:ohio-news"]
    assert "digest" in report.kept
    next_runs = stored_next_runs(changed.app)
    assert set(next_runs) == {"scrape:ohio-legislature", "digest", "agenda", "cutoff_reminder", "inbound"}
    assert next_runs["scrape:ohio-legislature"] == datetime(2026, 11, 24, 10, 5, tzinfo=ET)
    changed.stop(timeout=5)


def test_crontab_weekdays_mean_what_cron_means(config: Config) -> None:
    trigger = {spec.id: spec for spec in job_specs(config)}["scrape:ohio-legislature"].trigger
    friday_evening = datetime(2026, 11, 27, 18, 15, tzinfo=ET)
    assert trigger.get_next_fire_time(friday_evening, friday_evening) == datetime(2026, 11, 30, 7, 15, tzinfo=ET)
    assert _crontab_weekdays("1-5") == "mon,tue,wed,thu,fri"
    assert _crontab_weekdays("5-7") == "sun,fri,sat"
    assert _crontab_weekdays("*/2") == "sun,tue,thu,sat"
    assert _crontab_weekdays("0") == _crontab_weekdays("7") == "sun"


def test_the_inbound_job_is_the_same_job_on_every_start(config: Config) -> None:
    first = {s.id: repr(s.trigger) for s in job_specs(config)}["inbound"]
    with time_machine.travel(datetime(2027, 1, 5, 3, 0, tzinfo=UTC), tick=False):
        later = {s.id: repr(s.trigger) for s in job_specs(config)}["inbound"]
    assert first == later  # a restart must not count it as changed (and push its next run back)
