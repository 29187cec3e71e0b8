from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from advocacy.app import App
from advocacy.collect.ingest import Store, ensure_jurisdiction
from advocacy.models import Bill, Curation, TagAssessment
from advocacy.tagging.store import bill_input, relevance, retag_all, store_assessment, tag_bills
from tests.factories import amphibian_bill, edchoice_bill_heard_in_finance, funding_bill
from tests.keyword_tagger import SCHOOL_RULES, Assessment, KeywordTagger, TagResult
from vocabulary.records import BillRecord, ScrapeResult

T0 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


SALAMANDER = "Names the spotted salamander the official state amphibian."


def store(app: App, *records: BillRecord, now: datetime = T0) -> list[int]:
    with app.transaction() as session:
        oh = ensure_jurisdiction(session, "OH", "Ohio", "America/New_York")
        report = Store(session, oh, source="test", now=now).store_result(ScrapeResult(bills=records))
        return list(report.changed_bill_ids)


def bill_named(session, identifier: str) -> Bill:  # type: ignore[no-untyped-def]
    return session.scalars(select(Bill).where(Bill.identifier == identifier)).one()


def test_bill_input_gives_the_tagger_the_latest_committee_when_no_referral_is_recorded(app: App) -> None:
    store(app, edchoice_bill_heard_in_finance(), funding_bill(analysis_text="The analysis says the guarantee ends in FY27."))
    with app.sessions() as session:
        voucher = bill_input(bill_named(session, "HB 11"))
        funding = bill_input(bill_named(session, "HB 96"))
    assert voucher == {
        "state": "OH", "session": "136", "bill": "HB 11", "title": "Expand the EdChoice scholarship program",
        "synopsis": "Raises income limits for the program.", "subjects": ("Education",),
        "committee": "House Finance", "sponsors": ("Rep. Ilse Marchetti",), "analysis_text": "", "text": "",
    }
    assert funding["committee"] == "House Finance"  # the current referral, as the source gave it
    assert funding["sponsors"] == ("Rep. Dana Whitfield", "Rep. Marcus Oyelaran")
    assert funding["analysis_text"] == "The analysis says the guarantee ends in FY27."


def test_relevant_bill_gets_its_tags_with_reasons_and_a_new_curation(app: App) -> None:
    ids = store(app, funding_bill(), amphibian_bill(synopsis=SALAMANDER))
    tagger = KeywordTagger(SCHOOL_RULES)
    with app.transaction() as session:
        report = tag_bills(session, tagger, ids, T0)
    assert report.tagged == 2 and report.relevant == 1
    assert [m.identifier for m in report.moved_in] == ["HB 96"]
    assert report.moved_in[0].reasons[0].startswith("School funding: title mentions")
    assert [b.bill for b in tagger.seen] == ["HB 96", "SB 12"]
    with app.sessions() as session:
        funding, amphibian = bill_named(session, "HB 96"), bill_named(session, "SB 12")
        verdict = relevance(session, funding.id)
        assert (verdict.relevant, verdict.score, verdict.tagged_at) == (True, 1.0, T0)
        (tag,) = session.scalars(select(TagAssessment).where(TagAssessment.bill_id == funding.id))
        assert (tag.tag, tag.label, tag.score) == ("funding", "School funding", 1.0)
        assert 'title mentions "foundation"' in tag.reasons
        assert 'subjects mentions "appropriations"' in tag.reasons
        curation = session.scalars(select(Curation).where(Curation.bill_id == funding.id)).one()
        assert (curation.status, curation.changed_at) == ("new", T0)
        verdict = relevance(session, amphibian.id)
        assert (verdict.relevant, verdict.score, verdict.tagged_at) == (False, 0.0, T0)
        assert session.scalar(select(Curation).where(Curation.bill_id == amphibian.id)) is None


def test_storing_an_assessment_replaces_the_bills_tags(app: App) -> None:
    store(app, funding_bill())
    with app.transaction() as session:
        bill = bill_named(session, "HB 96")
        first = Assessment(True, 0.9, [TagResult("funding", "School funding", 0.9, ["title mentions funding"]),
                                       TagResult("staff", "Educator workforce", 0.3, ["synopsis mentions staff"])])
        assert store_assessment(session, bill, first, T0) == "in"
        second = Assessment(True, 0.8, [TagResult("funding", "School funding", 0.8, ["synopsis mentions formula"]),
                                        TagResult("finance", "State budget", 0.6, ["subject Appropriations"])])
        assert store_assessment(session, bill, second, T0 + timedelta(hours=1)) is None
        assert store_assessment(session, bill, Assessment(False, 0.1, []), T0 + timedelta(hours=2)) == "out"
        assert store_assessment(session, bill, second, T0 + timedelta(hours=3)) == "in"
    with app.sessions() as session:
        rows = session.scalars(select(TagAssessment).order_by(TagAssessment.tag)).all()
        assert [(r.tag, r.score, r.reasons) for r in rows] == [
            ("finance", 0.6, ["subject Appropriations"]), ("funding", 0.8, ["synopsis mentions formula"]),
        ]
        assert session.scalars(select(Curation)).one().changed_at == T0 + timedelta(hours=3)


def test_retag_all_reports_bills_that_moved_in_and_out_with_their_reasons(app: App) -> None:
    store(app, funding_bill(), edchoice_bill_heard_in_finance(), amphibian_bill(synopsis=SALAMANDER))
    with app.transaction() as session:
        first = retag_all(session, KeywordTagger(SCHOOL_RULES), T0)
    assert sorted(m.identifier for m in first.moved_in) == ["HB 96"]  # one "scholarship" is not enough

    # The advocate drops the funding rule and widens the voucher rule.
    rules = {"vouchers": ("Vouchers", ("scholarship", "edchoice")), "staff": SCHOOL_RULES["staff"]}
    later = T0 + timedelta(days=3)
    with app.transaction() as session:
        report = retag_all(session, KeywordTagger(rules), later)
    assert report.tagged == 3 and report.relevant == 1
    (moved_in,) = report.moved_in
    assert (moved_in.identifier, moved_in.direction, moved_in.score, moved_in.tags) == ("HB 11", "in", 0.8,
                                                                                          ("vouchers",))
    assert moved_in.reasons == ('Vouchers: title mentions "scholarship"', 'Vouchers: title mentions "edchoice"')
    (moved_out,) = report.moved_out
    assert (moved_out.identifier, moved_out.direction, moved_out.previous_score, moved_out.score) == (
        "HB 96", "out", 1.0, 0.0)
    assert 'School funding: title mentions "foundation"' in moved_out.reasons  # what no longer holds
    with app.sessions() as session:
        assert session.scalars(select(TagAssessment.tag).where(
            TagAssessment.bill_id == bill_named(session, "HB 96").id)).all() == []


def test_retag_after_a_rule_change_leaves_unchanged_bills_out_of_the_queue(app: App) -> None:
    ids = store(app, funding_bill())
    with app.transaction() as session:
        tag_bills(session, KeywordTagger(SCHOOL_RULES), ids, T0)
        session.scalars(select(Curation)).one().reviewed_at = T0 + timedelta(hours=1)
    with app.transaction() as session:
        report = retag_all(session, KeywordTagger(SCHOOL_RULES), T0 + timedelta(days=1))
        assert report.moved_in == [] and report.moved_out == []
    with app.sessions() as session:
        assert session.scalars(select(Curation)).one().changed_at == T0  # nothing new to look at

    # A scrape that changed the bill does put it back in front of the advocate.
    with app.transaction() as session:
        tag_bills(session, KeywordTagger(SCHOOL_RULES), ids, T0 + timedelta(days=2))
    with app.sessions() as session:
        assert session.scalars(select(Curation)).one().changed_at == T0 + timedelta(days=2)
