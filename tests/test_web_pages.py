"""What each page shows: dashboard, bills list and search, bill page, members."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from advocacy.app import App
from advocacy.collect.ingest import Store, ensure_jurisdiction
from advocacy.models import Bill, Curation
from tests.websupport import (
    seed_bill,
    seed_members,
    seed_other_bills,
    seed_questions,
    seed_runs,
    text_of,
)
from vocabulary.records import BillRecord, ScrapeResult


def test_dashboard_shows_each_sources_last_run_status_counts_and_error(app: App, viewer: TestClient) -> None:
    seed_runs(app, app.now())
    page = text_of(viewer.get("/").text)
    legislature = page[page.index("ohio-legislature"):page.index("ohio-news")]
    assert "failed" in legislature
    assert "HTTP 503 after 4 retries" in legislature
    assert "Last good run: Tue Nov 24, 2026, 5:00 AM EST" in legislature
    news = page[page.index("ohio-news"):]
    assert re.search(r"Nov 24, 9:30 AM ok 1 9 0 2", news)


def test_dashboard_says_when_a_source_never_ran(app: App, viewer: TestClient) -> None:
    page = text_of(viewer.get("/").text)
    assert page.count("never run") == 2


def test_dashboard_counts_the_queue_open_questions_and_held_replies(app: App, viewer: TestClient) -> None:
    seed_bill(app, app.now())
    seed_questions(app, app.now())
    page = text_of(viewer.get("/").text)
    assert "1 bill waiting for review" in page
    assert "2 open questions from members" in page
    assert "2 replies held for a look" in page
    assert "stranger@elsewhere.example.net Question about HB 96 sender is not a member" in page
    assert "unknown sender (no subject) DKIM failed" in page


def test_dashboard_gives_next_digest_and_call_in_the_collaboratives_zone(viewer: TestClient) -> None:
    # The clock says Tue Nov 24, 2026 15:00 UTC; the first digest is Dec 1 at 7 a.m. and the first call Dec 3.
    page = text_of(viewer.get("/").text)
    assert "Next digest Tue Dec 1, 2026, 7:00 AM EST" in page
    assert "Next call Thu Dec 3, 2026, 10:00 AM EST – 11:00 AM" in page
    assert "Questions close Wed Dec 2, 2026, 10:00 AM EST" in page
    assert "Agenda goes out Tue Dec 1, 2026, 10:00 AM EST" in page


def test_dashboard_lists_recent_changes_linked_to_their_bills(app: App, viewer: TestClient) -> None:
    bill_id = seed_bill(app, app.now())
    page = viewer.get("/").text
    assert f'href="/bills/{bill_id}">HB 96</a>' in page


def test_bill_page_shows_everything_known_about_the_bill(app: App, viewer: TestClient) -> None:
    bill_id = seed_bill(app, app.now())
    raw = viewer.get(f"/bills/{bill_id}").text
    assert 'href="https://www.legislature.ohio.gov/example/hb96-fiscal-note.pdf"' in raw
    page = text_of(raw)
    assert "Ohio · session 136 · H.B. 96" in page  # the state's own style
    assert "Make operating appropriations and revise the school foundation funding formula" in page
    assert "In House Finance" in page
    assert "Referred to committee: Finance (House), Feb 19" in page  # the status is the latest action
    assert "Rep. Dana Whitfield, Rep. Marcus Oyelaran" in page
    # The timeline, newest first, with dates in the state's zone.
    assert page.index("Feb 19, 2026 Referred to committee: Finance") < page.index("Feb 18, 2026 Introduced")
    assert "As Introduced 00_IN" in page
    assert "Fiscal note for the introduced version fiscal note · Feb 20, 2026" in page
    assert "Wed Dec 2, 2026, 9:30 AM" in page and "House Primary and Secondary Education" in page
    assert "Statehouse Room 121" in page and "upcoming" in page
    assert "School funding" in page and "title mentions the school foundation funding formula" in page
    assert page.index("School funding") < page.index("Appropriations 0.55")  # strongest tag first
    review = page[page.index("Review State"):]
    assert "State new" in review and "Priority high" in review and "Position monitor" in review
    assert "Watch the guarantee changes." in review


def test_bill_page_review_is_read_only_for_a_viewer(app: App, viewer: TestClient) -> None:
    bill_id = seed_bill(app, app.now())
    page = viewer.get(f"/bills/{bill_id}").text
    assert 'id="curation"' in page
    assert "<form" not in page.split('id="curation"')[1].split("</section>")[0]  # the form is for advocates


def test_bill_page_escapes_scraped_text_and_links_only_to_web_addresses(app: App, viewer: TestClient) -> None:
    with app.transaction() as session:
        oh = ensure_jurisdiction(session, "OH", "Ohio", "America/New_York")
        Store(session, oh, source="test", now=app.now()).store_result(ScrapeResult(bills=(BillRecord(
            jurisdiction="OH", session="136", identifier="HB 7", title="<script>alert(1)</script> & more",
            url="javascript:alert(2)", status='"><img src=x onerror=alert(3)>',
        ),)))
        bill_id = session.scalar(select(Bill.id).where(Bill.identifier == "HB 7"))
    page = viewer.get(f"/bills/{bill_id}").text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert "<img" not in page
    assert "javascript:" not in page


def test_missing_bill_is_a_friendly_404(viewer: TestClient) -> None:
    response = viewer.get("/bills/4242")
    assert response.status_code == 404
    assert "no bill with that number" in response.text


@pytest.mark.parametrize("spelling", ["hb96", "H.B. No. 96", "House Bill 96", "Am. Sub. H.B. 96", " HB 96 "])
def test_bill_number_in_any_spelling_finds_the_bill(app: App, viewer: TestClient, spelling: str) -> None:
    bill_id = seed_bill(app, app.now())
    seed_other_bills(app, app.now())
    response = viewer.get("/bills", params={"q": spelling}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/bills/{bill_id}"


def test_unknown_bill_number_says_so(app: App, viewer: TestClient) -> None:
    seed_bill(app, app.now())
    page = text_of(viewer.get("/bills", params={"q": "SB 404"}).text)
    assert "No bill numbered SB 404 has been seen yet." in page


def test_title_words_find_bills_containing_all_of_them(app: App, viewer: TestClient) -> None:
    seed_bill(app, app.now())
    seed_other_bills(app, app.now())
    page = text_of(viewer.get("/bills", params={"q": "SCHOOL bus"}).text)
    assert "S.B. 12" in page and "H.B. 96" not in page
    page = text_of(viewer.get("/bills", params={"q": "school"}).text)
    assert "S.B. 12" in page and "H.B. 96" in page and "H.B. 200" not in page
    assert "2 bills" in page


def test_search_wildcards_are_taken_literally(app: App, viewer: TestClient) -> None:
    seed_bill(app, app.now())
    seed_other_bills(app, app.now())
    assert "H.B. 200" in text_of(viewer.get("/bills", params={"q": "100%"}).text)
    assert "No bill matches" in text_of(viewer.get("/bills", params={"q": "e%t"}).text)
    assert "H.B. 200" in text_of(viewer.get("/bills", params={"q": "abatement_rules"}).text)
    assert "No bill matches" in text_of(viewer.get("/bills", params={"q": "abatement_ru_es"}).text)


def test_bills_list_filters_by_review_state_and_relevance(app: App, viewer: TestClient) -> None:
    seed_bill(app, app.now())
    seed_other_bills(app, app.now())
    page = text_of(viewer.get("/bills").text)
    assert "3 bills" in page
    queued = text_of(viewer.get("/bills", params={"curation": "new"}).text)
    assert "H.B. 96" in queued and "S.B. 12" not in queued
    assert "No bill matches" in text_of(viewer.get("/bills", params={"curation": "approved"}).text)
    relevant = text_of(viewer.get("/bills", params={"relevant": "1"}).text)
    assert "1 bill" in relevant and "H.B. 96" in relevant


def test_bills_list_pages_through_many_bills(app: App, viewer: TestClient) -> None:
    with app.transaction() as session:
        oh = ensure_jurisdiction(session, "OH", "Ohio", "America/New_York")
        Store(session, oh, source="test", now=app.now()).store_bills(
            BillRecord(jurisdiction="OH", session="136", identifier=f"HB {n}", title=f"Bill number {n}")
            for n in range(1, 56)
        )
    first = text_of(viewer.get("/bills").text)
    assert "55 bills, page 1 of 2" in first
    second = viewer.get("/bills", params={"page": "2"}).text
    assert len(re.findall(r'href="/bills/\d+"', second)) == 5
    assert viewer.get("/bills", params={"page": "many"}).status_code == 200


def test_dashboard_queue_count_ignores_reviewed_bills(app: App, viewer: TestClient) -> None:
    seed_bill(app, app.now())
    with app.transaction() as session:
        session.scalar(select(Curation)).status = "approved"  # type: ignore[union-attr]
    assert "0 bills waiting for review" in text_of(viewer.get("/").text)


def test_members_page_lists_district_role_topics_and_status(app: App, viewer: TestClient) -> None:
    seed_members(app, app.now())
    page = text_of(viewer.get("/members").text)
    assert "3 on the list: 1 active, 1 paused, 1 unsubscribed" in page
    assert "Lee Okafor lee.okafor@maplefield.k12.example.org Maplefield City Schools House 41 · Senate 11 " \
           "Superintendent All topics on active" in page
    assert "Sam Ito" in page and "school_funding" in page and "paused" in page
    assert "Jo Park" in page and "Riverbend Local Schools" in page and "unsubscribed since Nov 24, 2026" in page
    # Sorted by district, then name.
    assert page.index("Lee Okafor") < page.index("Sam Ito") < page.index("Jo Park")


def test_nav_marks_the_current_page(viewer: TestClient) -> None:
    assert '<a href="/members" aria-current="page">Members</a>' in viewer.get("/members").text
    assert '<a href="/bills" aria-current="page">Bills</a>' in viewer.get("/bills").text
