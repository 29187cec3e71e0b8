"""The search page, saved searches and the bill page's text comparison, over HTTP."""

from __future__ import annotations

from sqlalchemy import select
from starlette.testclient import TestClient

from advocacy.app import App
from advocacy.curation.saved import apply_saved_searches
from advocacy.models import Bill, BillVersion, SavedSearch, TagAssessment, VersionText
from tests.test_search import give_text
from tests.websupport import post_form, seed_bill, text_of


def test_search_page_finds_a_bill_by_a_word_of_its_text_and_highlights_it(app: App, viewer: TestClient) -> None:
    seed_bill(app, app.now())
    give_text(app, "HB 96", "Section 1. Smith & Jones' quintessential formula pays $6,500.", app.now())
    page = viewer.get("/search", params={"q": "quintessential"}).text
    assert "1 bill match “quintessential”" in text_of(page)
    assert "<mark>quintessential</mark>" in page and "Smith &amp; Jones" in page  # escaped text, our own marks
    assert 'name="name"' not in page  # a viewer may search but not save


def test_saved_search_is_tried_then_saved_and_listed(app: App, advocate: TestClient) -> None:
    seed_bill(app, app.now())
    tried = text_of(advocate.get("/search", params={"q": "guarantee"}).text)
    assert "1 bill match “guarantee”" in tried and "H.B. 96" in tried  # commentary: "Watch the guarantee..."
    response = post_form(advocate, "/search?q=guarantee", "/search/saved", {"q": "guarantee", "name": "Guarantee"})
    assert response.status_code == 303  # type: ignore[attr-defined]
    page = text_of(advocate.get("/search").text)
    assert "Saved “Guarantee”" in page and "Guarantee “guarantee”" in page
    with app.sessions() as session:
        assert session.scalars(select(SavedSearch.query)).all() == ["guarantee"]
    again = post_form(advocate, "/search", "/search/saved", {"q": "guarantee", "name": "Guarantee"})
    assert again.status_code == 303  # type: ignore[attr-defined]
    assert "Not saved: name: a saved search is already called 'Guarantee'" in text_of(advocate.get("/search").text)


def test_bill_page_compares_two_versions_with_amounts_and_a_paste_ready_summary(app: App,
                                                                               viewer: TestClient) -> None:
    bill_id = seed_bill(app, app.now())
    with app.transaction() as session:
        first = session.scalars(select(BillVersion).where(BillVersion.bill_id == bill_id)).one()
        sub = BillVersion(bill_id=bill_id, key="sub", name="Substitute", code="01_SB", when=app.now())
        session.add(sub)
        session.flush()
        session.add_all([
            VersionText(version_id=first.id, bill_id=bill_id, url="u1", status="ok",
                        text="Section 1. Pays $5,000 per pupil.\nSection 2. Reports.", fetched_at=app.now()),
            VersionText(version_id=sub.id, bill_id=bill_id, url="u2", status="ok",
                        text="Section 1. Pays $7,500 per pupil.\nSection 2. Reports.", fetched_at=app.now()),
        ])
    page = viewer.get(f"/bills/{bill_id}").text
    assert "What Substitute changed (compared with As Introduced):\n- Reworded: Sec. 1" in page
    assert "- Sec. 1: $5,000 -&gt; $7,500." in page
    assert '<del class="amount">$5,000</del>' in page and '<ins class="amount">$7,500</ins>' in page
    backwards = viewer.get(f"/bills/{bill_id}", params={"from": sub.id, "to": first.id}).text
    assert "What As Introduced changed (compared with Substitute):" in backwards


def test_bill_page_says_which_version_text_could_not_be_extracted(app: App, viewer: TestClient) -> None:
    bill_id = seed_bill(app, app.now())
    with app.transaction() as session:
        version = session.scalars(select(BillVersion).where(BillVersion.bill_id == bill_id)).one()
        session.add(VersionText(version_id=version.id, bill_id=bill_id, url="https://example.org/hb96.pdf",
                                status="empty", problem="the PDF's 3 page(s) have no text layer (a scan?)",
                                fetched_at=app.now()))
        assert session.scalar(select(Bill.id)) == bill_id
    page = text_of(viewer.get(f"/bills/{bill_id}").text)
    assert "As Introduced: could not be extracted: the PDF's 3 page(s) have no text layer (a scan?)" in page


def test_deleting_a_saved_search_takes_its_queue_reason_away(app: App, advocate: TestClient) -> None:
    seed_bill(app, app.now())
    post_form(advocate, "/search", "/search/saved", {"q": "guarantee", "name": "Guarantee"})
    with app.transaction() as session:
        saved = session.scalars(select(SavedSearch)).one()
        bill = session.scalars(select(Bill)).one()
        apply_saved_searches(session, [bill.id], app.now())
        assert session.scalar(select(TagAssessment.label).where(TagAssessment.tag == f"search:{saved.id}")) == "Guarantee"
    response = post_form(advocate, "/search", f"/search/saved/{saved.id}/delete")
    assert response.status_code == 303  # type: ignore[attr-defined]
    with app.sessions() as session:
        assert session.scalars(select(SavedSearch)).all() == []
        assert session.scalar(select(TagAssessment).where(TagAssessment.tag == f"search:{saved.id}")) is None
