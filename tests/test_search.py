"""Full-text search over bills, the same on SQLite (FTS5) and PostgreSQL, and saved searches that feed the queue."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from advocacy.app import App
from advocacy.collect.scrape import SourceSummary
from advocacy.curation.decisions import queue
from advocacy.curation.saved import save_search, try_search
from advocacy.curation.search import MARK_END, MARK_START, SearchError, search
from advocacy.models import Bill, BillVersion, VersionText
from advocacy.runtime.pipeline import after_scrape
from scrapers.billtext import extract
from tests.factories import amphibian_bill, curate_bill, fruit_bill, funding_bill, levy_bill, scrape
from tests.httpserver import real_path

VOUCHER_TEXT = ("Section 1. That section 3317.02 of the Revised Code be amended.\n"
                "Sec. 3317.02. A scholarship of $6,500 follows each pupil; the quintessential EdChoice rule.")


def give_text(app: App, identifier: str, body: str, now: datetime) -> None:
    """Store `body` as the extracted text of the bill's first version, as `advocacy text fetch` would."""
    with app.transaction() as session:
        bill = session.scalars(select(Bill).where(Bill.identifier == identifier)).one()
        version = session.scalars(select(BillVersion).where(BillVersion.bill_id == bill.id)).first()
        if version is None:
            version = BillVersion(bill_id=bill.id, key="test", name="As Introduced")
            session.add(version)
            session.flush()
        session.add(VersionText(version_id=version.id, bill_id=bill.id, url="https://example.org/text",
                                status="ok", text=body, fetched_at=now))


def _world(app: App) -> datetime:
    now = app.now()
    scrape(app, now, [funding_bill(), amphibian_bill(), levy_bill()])
    give_text(app, "HB 96", VOUCHER_TEXT, now)
    return now


def test_a_word_only_in_a_bills_text_finds_that_bill(app: App) -> None:
    now = _world(app)
    with app.sessions() as session:
        hits = search(session, "quintessential", now)
    assert [h.identifier for h in hits] == ["HB 96"]
    assert f"{MARK_START}quintessential{MARK_END}" in hits[0].snippet


def test_sponsor_code_section_and_commentary_find_their_bill(app: App) -> None:
    now = _world(app)
    curate_bill(app, "SB 52", now, commentary="Coordinate with the treasurers' association on renewals.")
    with app.sessions() as session:
        assert [h.identifier for h in search(session, "Whitfield", now)] == ["HB 96"]
        assert [h.identifier for h in search(session, "3317", now)] == ["HB 96"]
        assert [h.identifier for h in search(session, "treasurers", now)] == ["SB 52"]
        assert [h.identifier for h in search(session, "HB 96", now)][:1] == ["HB 96"]
        assert search(session, "quintessential amphibian", now) == []  # every word must match


def test_a_title_match_ranks_above_a_match_in_the_text_only(app: App) -> None:
    now = _world(app)
    give_text(app, "SB 12", "Section 1. The levy of a fee on amphibian permits.", now)
    with app.sessions() as session:
        hits = search(session, "levy", now)
    assert [h.identifier for h in hits] == ["SB 52", "SB 12"]
    assert hits[0].rank > hits[1].rank


def test_search_sees_text_stored_after_the_last_search(app: App) -> None:
    now = _world(app)
    with app.sessions() as session:
        assert search(session, "salamander", now) == []
    give_text(app, "SB 12", "Section 1. The spotted salamander is the state amphibian.", now)
    with app.sessions() as session:
        assert [h.identifier for h in search(session, "salamander", now)] == ["SB 12"]


def test_a_query_without_words_is_refused_by_name(app: App) -> None:
    now = _world(app)
    with app.sessions() as session, pytest.raises(SearchError, match="has no words"):
        search(session, ' "" -- ', now)


def _after_scrape(app: App, bill_ids: list[int]) -> list[str]:
    return after_scrape(app, [SourceSummary(name="test", run_id=0, status="ok", changed_bill_ids=bill_ids)])


def test_a_saved_search_is_tried_first_then_brings_a_matching_new_bill_into_the_queue(app: App) -> None:
    now = _world(app)
    with app.transaction() as session:
        trial = try_search(session, "pawpaw", now)
        assert (trial.total, trial.hits) == (0, [])
        assert [h.identifier for h in try_search(session, "levy", now).hits] == ["SB 52"]
        save_search(session, "State fruit watch", "pawpaw", "Priya Advocate", now)
    report = scrape(app, now, [fruit_bill()])
    lines = _after_scrape(app, report.changed_bill_ids)
    assert "Saved search 'State fruit watch': HB 150" in lines
    with app.sessions() as session:
        items = {i.identifier: i for i in queue(session, now)}
    assert "HB 150" in items
    assert any(line.startswith("State fruit watch: ") for line in items["HB 150"].why)


def test_a_saved_search_does_not_touch_bills_that_do_not_match(app: App) -> None:
    now = _world(app)
    with app.transaction() as session:
        save_search(session, "Salamanders", "salamander", "Priya Advocate", now)
    report = scrape(app, now, [fruit_bill()])
    assert not [line for line in _after_scrape(app, report.changed_bill_ids) if "Saved search" in line]
    with app.sessions() as session:
        assert "HB 150" not in {i.identifier for i in queue(session, now)}


def test_saving_a_search_without_a_name_or_twice_is_refused(app: App) -> None:
    now = _world(app)
    with app.transaction() as session:
        save_search(session, "Vouchers", "voucher", "Priya Advocate", now)
        with pytest.raises(SearchError, match="name: a saved search needs a name"):
            save_search(session, "  ", "voucher", "Priya Advocate", now)
        with pytest.raises(SearchError, match="already called 'Vouchers'"):
            save_search(session, "Vouchers", "scholarship", "Priya Advocate", now)


def test_a_word_only_in_a_real_bills_pdf_text_finds_it(app: App) -> None:
    pdf = real_path("billtext", "VA_HB1399.pdf")
    now = _world(app)
    virginia = extract(pdf.read_bytes(), "application/pdf", "VA_HB1399.pdf").text
    give_text(app, "SB 52", virginia, now)
    with app.sessions() as session:
        hits = search(session, "intramural", now)
        assert [h.identifier for h in hits] == ["SB 52"]
        assert f"{MARK_START}intramural{MARK_END}" in hits[0].snippet
        assert [h.identifier for h in search(session, "22.1-206.3", now)] == ["SB 52"]
