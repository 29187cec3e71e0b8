"""Urgent alerts: one per bill per event, to members who accept them, never more than the daily allowance."""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from advocacy.app import App
from advocacy.cli import EXIT_NOTHING, cli
from advocacy.cli import alerts as alerts_cli
from advocacy.collect.scrape import SourceSummary
from advocacy.config import Secrets, load_config
from advocacy.models import ChangeEvent, Delivery, Mailing, Member
from advocacy.outbound.alerts import DEFERRED, create_alerts, send_alerts
from advocacy.runtime.pipeline import after_scrape
from tests.factories import (
    MEMBERS_CSV,
    TEST_NOW,
    FakeClock,
    build_world,
    curate_bill,
    et,
    frozen_fixture,
    hearing,
    import_members,
    kindergarten_voucher_bill,
    scrape,
)

ANA, CARA, DEV, EVE = ("ana.rivera@cedarfalls.example.org", "cara.lind@riverbend.example.org",
                       "dev.patel@oakridge.example.org", "eve.moreau@birchwood.example.org")
CSV = MEMBERS_CSV + f"{EVE},Eve Moreau,Birchwood Local Schools,superintendent,choice,yes\n"


@pytest.fixture
def world(app: App, clock: FakeClock) -> App:
    build_world(app, clock(), CSV)
    return app


def make(app: App) -> list[str]:
    with app.transaction() as session:
        return [a.key or "" for a in create_alerts(session, app.config, app.now())]


def outbox(app: App) -> list[EmailMessage]:
    folder = app.config.path(app.config.email.outbox_dir)
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)  # type: ignore[misc]
            for p in sorted(folder.glob("*.eml"))]


def to(messages: list[EmailMessage]) -> list[str]:
    return sorted(m["To"].addresses[0].addr_spec for m in messages)


def deliveries(app: App) -> list[tuple[str, str, str, str]]:
    with app.sessions() as session:
        rows = session.execute(select(Mailing.key, Member.email, Delivery.status, Delivery.error)
                               .join(Mailing, Mailing.id == Delivery.mailing_id).join(Member)
                               .order_by(Mailing.id, Member.email))
        return [(k or "", e, s, r) for k, e, s, r in rows]


def test_a_flagged_action_makes_one_alert_for_members_who_accept_alerts_and_follow_the_topic(world: App) -> None:
    keys = make(world)
    with world.sessions() as session:
        hb114 = session.scalar(select(Mailing.bill_id).where(Mailing.kind == "alert"))
    assert keys == [f"alert:{hb114}:2026-11-30T15:00Z"]
    assert make(world) == []  # at most one alert per bill per event

    (report,) = send_alerts(world, world.mail)
    assert (report.sent, report.failed) == (2, 0)
    messages = outbox(world)
    # Cara follows vouchers but turned alerts off; Ben and Dev follow other topics
    assert to(messages) == [ANA, EVE]
    message = messages[0]
    assert message["Subject"] == "Alert: H.B. 114: act by Monday, Nov 30, 10:00 a.m. ET"
    text = message.get_body(("plain",)).get_content()
    assert "Submit opponent testimony by Monday 10 a.m." in text
    assert "https://www.legislature.ohio.gov/legislation/136/hb114" in text
    assert "-member-token-" not in text and "/m/" in text
    assert message["Reply-To"].addresses[0].addr_spec.startswith("questions+")
    assert send_alerts(world, world.mail) == []  # sent once


def test_a_hearing_newly_scheduled_for_a_high_priority_bill_within_the_window_alerts(world: App,
                                                                                      clock: FakeClock) -> None:
    make(world)
    send_alerts(world, world.mail)
    clock.advance(hours=2)
    scrape(world, clock(), hearings=[
        hearing(key="https://example.org/m/1", start=et(2026, 11, 27, 9), bills=("HB 96", "SB 52")),
        hearing(key="https://example.org/m/2", start=et(2026, 12, 20, 9), bills=("HB 96",)),  # too far ahead
    ])
    keys = make(world)
    assert len(keys) == 1 and keys[0].startswith("hearing:")  # SB 52 is medium priority: no alert
    (report,) = send_alerts(world, world.mail)
    assert report.sent == 1  # HB 96 is about funding: Ana follows everything; Cara has alerts off
    message = outbox(world)[-1]
    assert message["To"].addresses[0].addr_spec == ANA
    assert message["Subject"] == "Alert: H.B. 96 gets a hearing Friday, Nov 27, 9:00 a.m. ET"
    assert "Statehouse Room 121" in message.get_body(("plain",)).get_content()

    # moved to another day: a new event, a new alert; the same notice seen again: nothing
    clock.advance(hours=1)
    scrape(world, clock(), hearings=[hearing(key="https://example.org/m/1", start=et(2026, 11, 28, 9),
                                             bills=("HB 96", "SB 52"))])
    assert len(make(world)) == 1 and make(world) == []


def test_an_alert_withdrawn_before_it_goes_out_is_skipped(world: App, clock: FakeClock) -> None:
    make(world)
    curate_bill(world, "HB 114", clock(), alert=False)
    (report,) = send_alerts(world, world.mail)
    assert report.sent == 0 and outbox(world) == []
    with world.sessions() as session:
        assert session.scalar(select(Mailing.status).where(Mailing.kind == "alert")) == "skipped"


def test_the_daily_allowance_is_counted_in_the_collaboratives_zone_and_the_rest_wait(world: App,
                                                                                      clock: FakeClock) -> None:
    clock.now = et(2026, 11, 24, 20)  # 01:00 UTC on the 25th
    curate_bill(world, "SB 52", clock(), alert=True, alert_deadline=et(2026, 12, 1, 12),
                alert_action="Call your senator before the committee vote.")
    make(world)
    send_alerts(world, world.mail)
    assert to(outbox(world)) == [ANA, ANA, DEV, EVE]  # two alerts for Ana: her allowance for the day

    clock.now = et(2026, 11, 24, 23, 30)  # still the 24th in Ohio, already the 25th in UTC
    scrape(world, clock(), hearings=[hearing(key="https://example.org/m/7", start=et(2026, 11, 27, 9),
                                             bills=("HB 96",))])
    make(world)
    (late,) = send_alerts(world, world.mail)
    assert (late.sent, late.deferred) == (0, 1)
    assert deliveries(world)[-1][1:] == (ANA, "deferred", f"{DEFERRED} (2 alert(s) a day at most)")

    clock.now = et(2026, 11, 25, 0, 30)  # a new day
    scrape(world, clock(), hearings=[hearing(key="https://example.org/m/7", start=et(2026, 11, 27, 14),
                                             bills=("HB 96",))])
    make(world)
    (next_day,) = send_alerts(world, world.mail)
    assert next_day.sent == 1 and to(outbox(world)).count(ANA) == 3


def test_after_scrape_makes_the_alerts_of_what_it_stored(world: App, clock: FakeClock) -> None:
    make(world)
    report = scrape(world, clock(), hearings=[hearing(key="https://example.org/m/9", start=et(2026, 11, 26, 9),
                                                      bills=("HB 96",))])
    with world.sessions() as session:
        event_ids = [e.id for e in session.scalars(select(ChangeEvent).where(
            ChangeEvent.key.in_([e.key for e in report.events])))]
    lines = after_scrape(world, [SourceSummary(name="ohio", run_id=1, status="ok", event_ids=event_ids)])
    assert "1 urgent alert(s) ready: `advocacy alerts send` sends them" in lines


frozen = frozen_fixture(TEST_NOW)


@pytest.mark.usefixtures("frozen")  # the commands build their own App on the system clock
def test_curate_alerts_send_and_list_from_the_command_line(config_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["--config", str(config_path), "db", "upgrade"]).exit_code == 0
    app = App(load_config(config_path, env={}), secrets=Secrets.from_env({}))
    scrape(app, app.now(), bills=[kindergarten_voucher_bill()])
    import_members(app, CSV)
    app.engine.dispose()
    deadline = (TEST_NOW + timedelta(days=3)).astimezone(et(2026, 1, 1).tzinfo).date().isoformat()

    result = runner.invoke(cli, ["--config", str(config_path), "curate", "HB", "114", "--approve", "--alert",
                                 "--deadline", deadline, "--action", "Send testimony."])
    assert result.exit_code == 0, result.output
    assert "urgent alert ready (alert:" in result.output
    with monkeypatch.context() as at_a_terminal:
        at_a_terminal.setattr(alerts_cli, "interactive", lambda: True)
        result = runner.invoke(cli, ["--config", str(config_path), "alerts", "send"], input="n\n")
        assert result.exit_code == 1 and "Send 1 alert(s) to every member they concern" in result.output
        assert "Aborted" in result.output and "sent 2" not in result.output
    result = runner.invoke(cli, ["--config", str(config_path), "alerts", "send"])
    assert result.exit_code == 0, result.output
    assert "alert 1: sent 2, failed 0, skipped 0" in result.output
    result = runner.invoke(cli, ["--config", str(config_path), "alerts", "list"])
    assert "Alert: H.B. 114: act by" in result.output and "2 sent" in result.output
    result = runner.invoke(cli, ["--config", str(config_path), "alerts", "send"])
    assert result.exit_code == EXIT_NOTHING and "No alerts to send." in result.output


def test_an_action_alert_carries_the_bills_coming_hearing_with_room_notice_and_testimony_deadline(
        world: App) -> None:
    make(world)
    send_alerts(world, world.mail)
    message = next(m for m in outbox(world) if m["To"].addresses[0].addr_spec == ANA)
    text = " ".join(message.get_body(("plain",)).get_content().split())
    html = message.get_body(("html",)).get_content()
    assert "THE HEARING" in text
    assert "Tuesday, Dec 1, 10:00 a.m. ET" in text and "Statehouse Room 121" in text
    assert "Testimony due" in text
    assert "The hearing</h2>" in html and "Testimony due" in html
