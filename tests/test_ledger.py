"""The district engagement ledger: questions, calls attended (ticked on the agenda page), alerts acted on, opens
and clicks per district; districts with no sign of life for N weeks are quiet and listed while an alert is open."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from advocacy import calls
from advocacy.app import App
from advocacy.models import (
    ActionTaken,
    CallAttendance,
    Curation,
    District,
    EngagementEvent,
    Mailing,
    Member,
    Question,
)
from advocacy.outbound.ledger import ledger
from tests.factories import build_world
from tests.websupport import advocate_client, post_form, text_of

CEDAR, MAPLE, RIVER, OAK = ("Cedar Falls City Schools", "Maple Valley Local Schools",
                            "Riverbend Exempted Village Schools", "Oakridge City Schools")


def _member(session, district: str) -> Member:  # type: ignore[no-untyped-def]
    found = session.scalar(select(Member).join(District).where(District.name == district))
    assert found is not None
    return found


def _signs_of_life(app: App) -> int:
    """Cedar Falls asked a question last week, Maple Valley acted on an alert, Oakridge last opened an email ten
    weeks ago; Riverbend is on a call two weeks ago once the advocate ticks it. Returns that call's id."""
    now = app.now()
    with app.transaction() as session:
        cedar, maple, oak = _member(session, CEDAR), _member(session, MAPLE), _member(session, OAK)
        session.add(Question(member_id=cedar.id, text="Does HB 96 change our guarantee?", created_at=now - timedelta(days=7)))
        alert = Mailing(kind="alert", period_end=now, status="sent", sent_at=now - timedelta(days=3), created_at=now)
        session.add(alert)
        session.flush()
        session.add(ActionTaken(mailing_id=alert.id, member_id=maple.id, district_id=maple.district_id, how="click",
                                at=now - timedelta(days=2)))
        session.add(EngagementEvent(event_id="old-open", event="open", member_id=oak.id, email=oak.email,
                                    occurred_at=now - timedelta(weeks=10), received_at=now - timedelta(weeks=10)))
        call = calls.ensure_call(session, app.config, now - timedelta(days=14))
        return call.id


def test_the_ledger_counts_each_kind_of_sign_of_life_and_flags_quiet_districts(app: App) -> None:
    build_world(app, app.now())
    call_id = _signs_of_life(app)
    with app.transaction() as session:
        river = session.scalar(select(District.id).where(District.name == RIVER))
        session.add(CallAttendance(call_id=call_id, district_id=river, ticked_at=app.now()))
    with app.sessions() as session:
        rows = {r.district.name: r for r in ledger(session, app.now(), quiet_weeks=4)}
    assert (rows[CEDAR].questions, rows[MAPLE].acted, rows[RIVER].calls, rows[OAK].opens) == (1, 1, 1, 1)
    assert {name for name, r in rows.items() if r.quiet} == {OAK}
    assert rows[OAK].last_seen == app.now() - timedelta(weeks=10)
    with app.sessions() as session:
        assert {r.district.name for r in ledger(session, app.now(), quiet_weeks=12) if r.quiet} == set()


def test_the_advocate_ticks_attendance_on_the_agenda_page(app: App) -> None:
    build_world(app, app.now())
    client = advocate_client(app)
    page = client.get("/agenda").text
    assert "Who was on the call" in page
    with app.sessions() as session:
        ids = {d.name: d.id for d in session.scalars(select(District))}
        day = calls.upcoming(session, app.config, app.now()).starts_at.astimezone(app.config.collaborative.tz)
    response = post_form(client, "/agenda", f"/agenda/{day:%Y-%m-%d}/attendance",
                         {"district": [str(ids[RIVER]), str(ids[CEDAR])]})
    assert response.status_code == 303  # type: ignore[attr-defined]
    post_form(client, "/agenda", f"/agenda/{day:%Y-%m-%d}/attendance", {"district": [str(ids[RIVER])]})
    with app.sessions() as session:
        assert set(session.scalars(select(CallAttendance.district_id))) == {ids[RIVER]}
    assert f'value="{ids[RIVER]}" checked' in client.get("/agenda").text


def test_the_dashboard_lists_quiet_districts_while_an_action_alert_is_open(app: App) -> None:
    build_world(app, app.now())  # HB 114's alert is due Nov 30: open at TEST_NOW
    _signs_of_life(app)
    client = advocate_client(app)
    dashboard = text_of(client.get("/").text)
    assert "Quiet districts before the open action alert" in dashboard
    quiet = dashboard.split("Quiet districts before the open action alert", 1)[1].split("district engagement ledger")[0]
    assert OAK in quiet and RIVER in quiet and CEDAR not in quiet and MAPLE not in quiet
    ledger_page = text_of(client.get("/districts/engagement").text)
    assert "quiet" in ledger_page and OAK in ledger_page
    with app.transaction() as session:  # no alert open: no list
        for curation in session.scalars(select(Curation).where(Curation.alert.is_(True))):
            curation.alert = False
    assert "Quiet districts" not in client.get("/").text
