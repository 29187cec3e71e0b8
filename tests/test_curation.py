from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from advocacy.app import App
from advocacy.collect.ingest import Store, ensure_jurisdiction
from advocacy.curation import decisions as cur
from advocacy.models import AuditEntry, Bill, Curation
from advocacy.tagging.store import tag_bills
from tests.factories import amphibian_bill, edchoice_bill_introduced, et, funding_bill, hearing
from tests.keyword_tagger import SCHOOL_RULES, KeywordTagger
from vocabulary.records import (
    ActionRecord,
    BillRecord,
    DocumentRecord,
    HearingRecord,
    ScrapeResult,
    VersionRecord,
)

T0 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
RULES = {**SCHOOL_RULES, "vouchers": ("Vouchers", ("voucher", "scholarship", "edchoice"))}


def scrape(app: App, now: datetime, bills: tuple[BillRecord, ...] = (),
           hearings: tuple[HearingRecord, ...] = ()) -> list[cur.Resurfaced]:
    """What the pipeline does after a scrape: store, tag what changed, resurface on material events."""
    with app.transaction() as session:
        oh = ensure_jurisdiction(session, "OH", "Ohio", "America/New_York")
        report = Store(session, oh, source="test", now=now).store_result(ScrapeResult(bills=bills,
                                                                                       hearings=hearings))
        tag_bills(session, KeywordTagger(RULES), report.changed_bill_ids, now)
        return cur.resurface(session, report.events, now)


def act(app: App, identifier: str, now: datetime, actor: str = "Priya Advocate", **changes: object) -> cur.Change:
    with app.transaction() as session:
        bill = session.scalars(select(Bill).where(Bill.identifier == identifier)).one()
        return cur.curate(session, bill, actor, now, **changes)


def queue(app: App, now: datetime, **filters: object) -> list[cur.QueueItem]:
    with app.sessions() as session:
        return cur.queue(session, now, **filters)  # type: ignore[arg-type]


def audit(app: App) -> list[tuple[str, str, str, dict[str, object], dict[str, object]]]:
    with app.sessions() as session:
        bills = {b.id: b.identifier for b in session.scalars(select(Bill))}
        return [(e.actor, e.action, bills[e.entity_id], e.before, e.after)
                for e in reversed(cur.audit_log(session))]


@pytest.fixture
def tagged(app: App) -> App:
    scrape(app, T0, bills=(funding_bill(), edchoice_bill_introduced(), amphibian_bill()))
    return app


def test_queue_lists_new_relevant_bills_highest_score_first_with_why(tagged: App) -> None:
    items = queue(tagged, T0)
    assert [(i.identifier, i.score, i.status) for i in items] == [("HB 96", 1.0, "new"), ("HB 11", 0.8, "new")]
    funding = items[0]
    assert [t.tag for t in funding.tags] == ["funding"]
    assert funding.why[1].startswith('School funding: title mentions "foundation"; title mentions "funding')
    assert funding.events[0].kind == "new_bill"  # never reviewed: what we know so far
    assert items[1].why == ["new bill", 'Vouchers: title mentions "scholarship"; title mentions "edchoice"']


def test_queue_filters_by_topic_priority_status_and_jurisdiction(tagged: App) -> None:
    assert [i.identifier for i in queue(tagged, T0, topic="vouchers")] == ["HB 11"]
    assert [i.identifier for i in queue(tagged, T0, topic="school funding")] == ["HB 96"]
    act(tagged, "HB 11", T0, priority="high")
    assert [i.identifier for i in queue(tagged, T0, priority="high")] == ["HB 11"]
    act(tagged, "HB 96", T0, status="approved")
    assert [i.identifier for i in queue(tagged, T0)] == ["HB 11"]
    assert [i.identifier for i in queue(tagged, T0, status="approved")] == ["HB 96"]
    assert [i.identifier for i in queue(tagged, T0, jurisdiction="oh")] == ["HB 11"]
    assert queue(tagged, T0, jurisdiction="MA") == []
    assert [(i.identifier, i.needs_look) for i in queue(tagged, T0, include_all=True)] == [
        ("HB 96", False), ("HB 11", True)]
    with pytest.raises(cur.CurationError, match=r"priority: 'urgent' is not one of high, medium, watch"):
        queue(tagged, T0, priority="urgent")


def test_approved_bill_returns_to_the_queue_when_it_changes_with_the_news(tagged: App) -> None:
    act(tagged, "HB 96", T0 + timedelta(hours=1), status="approved")
    assert [i.identifier for i in queue(tagged, T0 + timedelta(hours=2))] == ["HB 11"]
    later = T0 + timedelta(days=2)
    moved = funding_bill(actions=funding_bill().actions + (
        ActionRecord(et(2026, 11, 25, 10), "Reported - Substitute", chamber="House"),))
    scrape(tagged, later, bills=(moved,))
    item = next(i for i in queue(tagged, later) if i.identifier == "HB 96")
    assert (item.status, [e.summary for e in item.events]) == ("approved", ["Reported - Substitute"])


def test_snoozed_bill_comes_back_when_its_snooze_ends(tagged: App, clock) -> None:  # type: ignore[no-untyped-def]
    now = clock()
    act(tagged, "HB 11", now, status="snoozed", snoozed_until=now + timedelta(days=7))
    assert [i.identifier for i in queue(tagged, clock.advance(days=6, hours=23))] == ["HB 96"]
    items = queue(tagged, clock.advance(hours=1))
    assert [i.identifier for i in items] == ["HB 96", "HB 11"]
    assert items[1].snooze_ended == now + timedelta(days=7)
    assert items[1].why[0] == "snooze ended 2026-12-01"


def test_dismissed_bill_comes_back_on_a_floor_vote_but_not_on_a_referral(tagged: App) -> None:
    act(tagged, "HB 96", T0, status="dismissed")
    base = funding_bill().actions
    referral = ActionRecord(et(2026, 11, 25, 9), "Re-referred to committee: Ways and Means", chamber="House",
                            committee="Ways and Means")
    memo = DocumentRecord("fiscal note", "Fiscal note", "https://example.org/hb96-fiscal.pdf")
    assert scrape(tagged, T0 + timedelta(days=1), bills=(funding_bill(actions=base + (referral,),
                                                                      documents=(memo,)),)) == []
    assert [i.identifier for i in queue(tagged, T0 + timedelta(days=1))] == ["HB 11"]

    vote = ActionRecord(et(2026, 12, 2, 16), "Passed", chamber="House")
    back = scrape(tagged, T0 + timedelta(days=8), bills=(funding_bill(actions=base + (referral, vote),
                                                                      documents=(memo,)),))
    assert [(b.identifier, b.reason, b.status_before) for b in back] == [
        ("HB 96", "floor vote: Passed (House)", "dismissed")]
    item = queue(tagged, T0 + timedelta(days=8))[0]
    assert (item.identifier, item.status, item.why[0]) == ("HB 96", "new", "back: floor vote: Passed (House)")
    assert audit(tagged)[-1] == ("system", "resurface", "HB 96", {"status": "dismissed", "resurfaced": ""},
                                 {"status": "new", "resurfaced": "floor vote: Passed (House)"})


def test_classified_passage_resurfaces_and_informal_passing_does_not(tagged: App) -> None:
    act(tagged, "HB 96", T0, status="dismissed")
    base = funding_bill().actions
    postponed = ActionRecord(et(2026, 11, 25, 9), "Informally passed", chamber="House")
    assert scrape(tagged, T0 + timedelta(days=1), bills=(funding_bill(actions=base + (postponed,)),)) == []
    third = ActionRecord(et(2026, 11, 26, 9), "Third consideration", chamber="Senate",
                         classification=("passed-chamber",))
    signed = ActionRecord(et(2026, 11, 27, 9), "Governor's action", chamber="Governor",
                          classification=("signed",))
    back = scrape(tagged, T0 + timedelta(days=4), bills=(funding_bill(actions=base + (postponed, third, signed)),))
    assert [b.reason for b in back] == ["signed: Governor's action"]  # the weightier event wins


def test_hearing_and_new_version_resurface_a_dismissed_bill_but_a_cancelled_hearing_does_not(
        tagged: App) -> None:
    act(tagged, "HB 96", T0, status="dismissed")
    act(tagged, "HB 11", T0, status="snoozed", snoozed_until=T0 + timedelta(days=30))
    cancelled = hearing(key="https://example.org/meeting/1", cancelled=True)
    assert scrape(tagged, T0 + timedelta(hours=1), hearings=(cancelled,)) == []
    back = scrape(tagged, T0 + timedelta(hours=2), hearings=(hearing(),))
    assert [b.reason for b in back] == ["hearing: House Primary and Secondary Education hearing 2026-12-02 09:30"]
    act(tagged, "HB 96", T0 + timedelta(hours=3), status="dismissed")

    newer = edchoice_bill_introduced(versions=(VersionRecord("As Reported by House Education", code="01_RH"),))
    back = scrape(tagged, T0 + timedelta(hours=4), bills=(newer,))
    assert [(b.identifier, b.reason, b.status_before) for b in back] == [
        ("HB 11", "new version: As Reported by House Education", "snoozed")]
    with tagged.sessions() as session:
        curation = session.scalars(select(Curation).join(Bill).where(Bill.identifier == "HB 11")).one()
        assert (curation.status, curation.snoozed_until) == ("new", None)


def test_every_change_is_audited_with_before_and_after_of_the_changed_fields_only(tagged: App) -> None:
    change = act(tagged, "HB 96", T0, priority="high", position="Seek amendment",
                 commentary="Costs our districts **$2.1M**.\n")
    assert (change.action, change.before, change.after) == (
        "update", {"priority": None, "position": None, "commentary": ""},
        {"priority": "high", "position": "seek_amendment", "commentary": "Costs our districts **$2.1M**."})
    act(tagged, "HB 96", T0 + timedelta(minutes=5), actor="Sam Lobbyist", priority="high", status="approved")
    deadline = T0 + timedelta(days=3)
    act(tagged, "HB 96", T0 + timedelta(minutes=6), alert=True, alert_deadline=deadline,
        alert_action="Call your senator before the vote")
    act(tagged, "HB 96", T0 + timedelta(minutes=7), alert=False)
    unchanged = act(tagged, "HB 96", T0 + timedelta(minutes=8), position="seek_amendment")
    assert (unchanged.changed, unchanged.action) == (False, "review")
    assert audit(tagged) == [
        ("Priya Advocate", "update", "HB 96", {"priority": None, "position": None, "commentary": ""},
         {"priority": "high", "position": "seek_amendment", "commentary": "Costs our districts **$2.1M**."}),
        ("Sam Lobbyist", "approve", "HB 96", {"status": "new"}, {"status": "approved"}),
        ("Priya Advocate", "alert", "HB 96", {"alert": False, "alert_deadline": None, "alert_action": ""},
         {"alert": True, "alert_deadline": deadline.isoformat(), "alert_action": "Call your senator before the vote"}),
        ("Priya Advocate", "clear_alert", "HB 96",
         {"alert": True, "alert_deadline": deadline.isoformat(), "alert_action": "Call your senator before the vote"},
         {"alert": False, "alert_deadline": None, "alert_action": ""}),
    ]
    with tagged.sessions() as session:
        curation = session.scalars(select(Curation).join(Bill).where(Bill.identifier == "HB 96")).one()
        assert curation.reviewed_at == T0 + timedelta(minutes=8)


def test_the_helpers_each_make_one_audited_change(tagged: App) -> None:
    with tagged.transaction() as session:
        bill = session.scalars(select(Bill).where(Bill.identifier == "HB 11")).one()
        assert cur.set_priority(session, bill, "a", T0, "watch").after == {"priority": "watch"}
        assert cur.set_position(session, bill, "a", T0, "monitor").after == {"position": "monitor"}
        assert cur.set_commentary(session, bill, "a", T0, "Watch *closely*.").after == {
            "commentary": "Watch *closely*."}
        assert cur.flag_alert(session, bill, "a", T0, T0 + timedelta(days=1), "Testify").action == "alert"
        assert cur.clear_alert(session, bill, "a", T0).action == "clear_alert"
        assert cur.snooze(session, bill, "a", T0, T0 + timedelta(days=2)).action == "snooze"
        assert cur.approve(session, bill, "a", T0).after == {"status": "approved", "snoozed_until": None}
        assert cur.dismiss(session, bill, "a", T0).action == "dismiss"
    assert [a[1] for a in audit(tagged)] == ["update", "update", "update", "alert", "clear_alert", "snooze",
                                             "approve", "dismiss"]


@pytest.mark.parametrize(("changes", "message"), [
    ({"priority": "urgent"}, "priority: 'urgent' is not one of high, medium, watch or none"),
    ({"position": "neutral"}, "position: 'neutral' is not one of support, oppose, monitor, seek_amendment or none"),
    ({"status": "archived"}, "status: 'archived' is not one of new, approved, dismissed, snoozed"),
    ({"mood": "sunny"}, "unknown field(s) mood; allowed: status, snoozed_until"),
    ({"status": "snoozed"}, "snoozed_until: a snooze needs the date it ends"),
    ({"status": "snoozed", "snoozed_until": T0 - timedelta(days=1)}, "snoozed_until: 2026-11-23T15:00:00+00:00 is "
                                                                      "not in the future"),
    ({"status": "snoozed", "snoozed_until": datetime(2026, 12, 1)}, "snoozed_until: 2026-12-01T00:00:00 has no time"),
    ({"alert": True, "alert_deadline": T0 + timedelta(days=1)}, "alert_action: an alert needs a call to action"),
    ({"alert": True, "alert_action": "Call"}, "alert_deadline: an alert needs a deadline"),
    ({"alert_action": "Call"}, "alert_action: set only with an alert"),
    ({"commentary": 42}, "commentary: expected Markdown text, got int"),
])
def test_invalid_values_are_rejected_naming_the_field_and_nothing_is_written(
        tagged: App, changes: dict[str, object], message: str) -> None:
    with pytest.raises(cur.CurationError) as caught:
        act(tagged, "HB 96", T0, **changes)
    assert message in str(caught.value)
    with tagged.sessions() as session:
        assert session.scalar(select(func.count(AuditEntry.id))) == 0
        curation = session.scalars(select(Curation).join(Bill).where(Bill.identifier == "HB 96")).one()
        assert (curation.status, curation.priority, curation.reviewed_at) == ("new", None, None)


def test_several_problems_are_reported_together(tagged: App) -> None:
    with pytest.raises(cur.CurationError) as caught:
        act(tagged, "HB 96", T0, actor=" ", priority="urgent", position="neutral")
    assert [p.split(":")[0] for p in caught.value.problems] == ["actor", "priority", "position"]


def test_an_advocate_can_curate_a_bill_the_tagger_passed_over(tagged: App) -> None:
    act(tagged, "SB 12", T0, status="approved", commentary="The board asked us to track this.")
    # a bill the advocate decided on is listed with its status, whatever the tagger thought of it
    assert [i.identifier for i in queue(tagged, T0, status="approved")] == ["SB 12"]
    assert [i.identifier for i in queue(tagged, T0, include_all=True)] == ["HB 96", "HB 11", "SB 12"]


def test_a_hearing_puts_an_approved_bill_back_in_front_of_the_advocate_without_changing_its_status(
        tagged: App) -> None:
    act(tagged, "HB 96", T0, status="approved", priority="high")
    assert scrape(tagged, T0 + timedelta(hours=1), hearings=(hearing(),)) == []  # nothing to un-dismiss
    (item,) = [i for i in queue(tagged, T0 + timedelta(hours=1)) if i.identifier == "HB 96"]
    assert (item.status, item.priority, item.resurfaced) == ("approved", "high", "")
    assert item.why[0] == "House Primary and Secondary Education hearing 2026-12-02 09:30"
    assert [a[1] for a in audit(tagged)] == ["approve"]  # the system changed no decision


def test_reviewing_a_resurfaced_bill_clears_what_brought_it_back(tagged: App) -> None:
    act(tagged, "HB 96", T0, status="dismissed")
    scrape(tagged, T0 + timedelta(hours=1), hearings=(hearing(),))
    act(tagged, "HB 96", T0 + timedelta(hours=2), status="approved")
    with tagged.sessions() as session:
        curation = session.scalars(select(Curation).join(Bill).where(Bill.identifier == "HB 96")).one()
        assert (curation.status, curation.resurfaced) == ("approved", "")
    assert [i.identifier for i in queue(tagged, T0 + timedelta(hours=2))] == ["HB 11"]
