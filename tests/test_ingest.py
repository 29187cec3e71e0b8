from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from advocacy.app import App
from advocacy.collect.ingest import Store, ensure_jurisdiction
from advocacy.models import Action, Bill, ChangeEvent, Hearing
from tests.factories import et, funding_bill, hearing
from vocabulary.records import ActionRecord, BillRecord, ScrapeResult, VersionRecord

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def store(app: App, result: ScrapeResult, now: datetime = NOW) -> tuple[dict[str, int], list[str]]:
    with app.transaction() as session:
        oh = ensure_jurisdiction(session, "OH", "Ohio", "America/New_York")
        report = Store(session, oh, source="test", now=now).store_result(result)
        return dict(report.bills), sorted(e.kind for e in report.events)


def events(app: App) -> list[tuple[str, str]]:
    with app.sessions() as session:
        return [(e.kind, e.summary) for e in session.scalars(select(ChangeEvent).order_by(ChangeEvent.id))]


def test_second_import_of_same_bill_is_a_noop(app: App) -> None:
    assert store(app, ScrapeResult(bills=(funding_bill(),))) == ({"insert": 1}, ["new_bill"])
    assert store(app, ScrapeResult(bills=(funding_bill(),))) == ({"noop": 1}, [])
    with app.sessions() as session:
        assert session.scalar(select(func.count(Action.id))) == 2


def test_source_reordering_its_lists_creates_no_event(app: App) -> None:
    bill = funding_bill()
    store(app, ScrapeResult(bills=(bill,)))
    shuffled = funding_bill(actions=tuple(reversed(bill.actions)), sponsors=tuple(reversed(bill.sponsors)))
    counts, kinds = store(app, ScrapeResult(bills=(shuffled,)))
    assert kinds == []
    assert len(events(app)) == 1


def test_changed_bill_reports_exactly_its_new_action_status_and_version(app: App) -> None:
    store(app, ScrapeResult(bills=(funding_bill(),)))
    moved = funding_bill(
        status="Passed House",
        actions=funding_bill().actions + (ActionRecord(et(2026, 11, 20, 19, 0), "Passed", chamber="House"),),
        versions=funding_bill().versions + (VersionRecord("As Passed by the House", code="02_PH"),),
    )
    counts, kinds = store(app, ScrapeResult(bills=(moved,)))
    assert counts == {"update": 1}
    assert kinds == ["new_action", "new_version", "status_change"]
    assert store(app, ScrapeResult(bills=(moved,))) == ({"noop": 1}, [])


def test_same_action_twice_on_one_day_is_two_actions_but_stable_across_scrapes(app: App) -> None:
    twice = funding_bill(actions=funding_bill().actions + (
        ActionRecord(et(2026, 3, 4), "Committee hearing held", order=0),
        ActionRecord(et(2026, 3, 4), "Committee hearing held", order=1),
    ))
    store(app, ScrapeResult(bills=(twice,)))
    with app.sessions() as session:
        assert session.scalar(select(func.count(Action.id))) == 4
    store(app, ScrapeResult(bills=(funding_bill(**{"actions": tuple(reversed(twice.actions))}),)))
    with app.sessions() as session:
        assert session.scalar(select(func.count(Action.id))) == 4


def test_an_evening_action_keeps_its_local_date(app: App) -> None:
    evening = funding_bill(actions=(ActionRecord(et(2026, 11, 20, 19, 0), "Passed", chamber="House"),))
    store(app, ScrapeResult(bills=(evening,)))
    with app.sessions() as session:
        action = session.scalars(select(Action)).one()
        assert action.when == datetime(2026, 11, 21, 0, 0, tzinfo=UTC)  # stored as the instant, in UTC
        assert action.when.astimezone(et(2026, 1, 1).tzinfo).date().isoformat() == "2026-11-20"


def test_bill_identity_includes_its_session(app: App) -> None:
    store(app, ScrapeResult(bills=(funding_bill(), funding_bill(session="135S1"))))
    with app.sessions() as session:
        assert session.scalar(select(func.count(Bill.id))) == 2


def test_hearing_scheduled_rescheduled_and_cancelled_are_each_reported_once(app: App) -> None:
    store(app, ScrapeResult(bills=(funding_bill(),)))
    store(app, ScrapeResult(hearings=(hearing(),)))
    store(app, ScrapeResult(hearings=(hearing(),)))
    store(app, ScrapeResult(hearings=(hearing(start=et(2026, 12, 3, 13, 0)),)))
    store(app, ScrapeResult(hearings=(hearing(start=et(2026, 12, 3, 13, 0), cancelled=True),)))
    store(app, ScrapeResult(hearings=(hearing(start=et(2026, 12, 3, 13, 0), cancelled=True),)))
    kinds = [k for k, _ in events(app)]
    assert kinds == [
        "new_bill",
        "hearing_scheduled", "bill_hearing",
        "hearing_rescheduled", "bill_hearing",
        "hearing_cancelled", "bill_hearing",
    ]
    with app.sessions() as session:
        h = session.scalars(select(Hearing)).one()
        assert h.cancelled and [b.identifier for b in h.bills] == ["HB 96"]
    assert ("hearing_rescheduled", "House Primary and Secondary Education hearing moved to 2026-12-03 13:00") in events(app)


def test_a_status_the_bill_had_before_is_news_again_on_a_later_day(app: App) -> None:
    store(app, ScrapeResult(bills=(funding_bill(),)))
    reported = funding_bill(status="Reported", actions=funding_bill().actions + (
        ActionRecord(et(2026, 3, 10), "Reported - Substitute", chamber="House"),))
    back = funding_bill(status="In House Finance", actions=reported.actions + (
        ActionRecord(et(2026, 4, 2), "Re-referred to committee: Finance", chamber="House"),))
    assert store(app, ScrapeResult(bills=(reported,)))[1] == ["new_action", "status_change"]
    assert store(app, ScrapeResult(bills=(back,)))[1] == ["new_action", "status_change"]
    assert store(app, ScrapeResult(bills=(back,))) == ({"noop": 1}, [])


def test_a_feed_item_adds_its_action_once_and_keeps_the_rest_of_the_bill(app: App) -> None:
    store(app, ScrapeResult(bills=(funding_bill(),)))
    item = BillRecord(jurisdiction="OH", session="136", identifier="HB 96", title="", partial=True,
                      actions=(ActionRecord(et(2026, 3, 10, 16, 0), "Reported - Substitute"),))
    assert store(app, ScrapeResult(bills=(item,))) == ({"update": 1}, ["new_action"])
    assert store(app, ScrapeResult(bills=(item,))) == ({"noop": 1}, [])
    # the official record catching up with the same action, the same day, is not news twice
    full = funding_bill(actions=funding_bill().actions + (ActionRecord(et(2026, 3, 10), "Reported - Substitute"),))
    assert store(app, ScrapeResult(bills=(full,))) == ({"update": 1}, [])
    with app.sessions() as session:
        bill = session.scalars(select(Bill)).one()
        assert bill.title == funding_bill().title and len(bill.sponsors) == 2 and len(bill.actions) == 3


def test_a_record_of_another_jurisdiction_is_refused_by_name(app: App) -> None:
    with pytest.raises(ValueError, match="MA 194 H 12: a record for MA cannot be stored under OH"):
        store(app, ScrapeResult(bills=(funding_bill(jurisdiction="MA", session="194", identifier="H 12"),)))


def test_a_bill_listed_twice_in_one_batch_is_one_bill_reported_changed_once(app: App) -> None:
    moved = funding_bill(status="Passed House")
    with app.transaction() as session:
        oh = ensure_jurisdiction(session, "OH", "Ohio", "America/New_York")
        report = Store(session, oh, source="test", now=NOW).store_result(ScrapeResult(bills=(funding_bill(), moved)))
        assert dict(report.bills) == {"insert": 1, "update": 1}
        assert len(report.changed_bill_ids) == 1
        assert [e.kind for e in report.events] == ["new_bill", "status_change"]


def test_the_same_hearing_time_written_in_another_zone_is_no_change(app: App) -> None:
    store(app, ScrapeResult(bills=(funding_bill(),)))
    store(app, ScrapeResult(hearings=(hearing(),)))
    in_utc = hearing(start=hearing().start.astimezone(UTC))
    assert store(app, ScrapeResult(hearings=(in_utc,)))[1] == []


def test_many_bills_are_stored_without_a_query_per_bill(app: App) -> None:
    records = tuple(funding_bill(identifier=f"HB {n}") for n in range(1, 301))
    statements: list[str] = []

    def count_statement(*args: object) -> None:
        if str(args[2]).lstrip().upper().startswith("SELECT"):
            statements.append(str(args[2]))

    from sqlalchemy import event

    event.listen(app.engine, "before_cursor_execute", count_statement)
    try:
        store(app, ScrapeResult(bills=records))
        first = len(statements)
        statements.clear()
        moved = tuple(funding_bill(identifier=f"HB {n}", status="Passed House") for n in range(1, 301))
        assert store(app, ScrapeResult(bills=moved))[0] == {"update": 300}
        second = len(statements)
    finally:
        event.remove(app.engine, "before_cursor_execute", count_statement)
    # reads per bill would be 300+ each; bulk loads keep them to a handful (writes are the database's batching)
    assert 0 < first < 15 and 0 < second < 15, (first, second)


def test_store_bill_says_what_it_did_to_the_one_bill(app: App) -> None:
    with app.transaction() as session:
        oh = ensure_jurisdiction(session, "OH", "Ohio", "America/New_York")
        store = Store(session, oh, source="test", now=NOW)
        outcome, bill = store.store_bill(funding_bill())
        assert (outcome, bill.identifier, bill.id is not None) == ("insert", "HB 96", True)
        assert store.store_bill(funding_bill()) == ("noop", bill)
        assert store.store_bill(funding_bill(status="Passed House"))[0] == "update"


def test_a_feed_item_adding_an_action_marks_the_bill_changed_for_the_tagger(app: App) -> None:
    from datetime import timedelta

    from vocabulary.records import BillRecord

    store(app, ScrapeResult(bills=(funding_bill(),)))
    later = NOW + timedelta(hours=3)
    item = BillRecord(jurisdiction="OH", session="136", identifier="HB 96", title="", partial=True,
                      actions=(ActionRecord(et(2026, 11, 24, 11), "Passed", chamber="House"),))
    assert store(app, ScrapeResult(bills=(item,)), now=later) == ({"update": 1}, ["new_action"])
    with app.sessions() as session:
        bill = session.scalars(select(Bill)).one()
        assert bill.updated_at == later and bill.title.startswith("Make operating appropriations")
    assert store(app, ScrapeResult(bills=(item,)), now=later) == ({"noop": 1}, [])
