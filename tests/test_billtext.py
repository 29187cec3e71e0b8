"""Bill text: real version texts extracted, fetched politely once per version, and two versions compared."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from advocacy.app import App
from advocacy.collect.billtext import fetch_texts
from advocacy.collect.compare import compare, summary
from advocacy.curation.decisions import queue
from advocacy.curation.saved import save_search
from advocacy.models import Bill, VersionText
from advocacy.runtime import steps
from scrapers.billtext import extract, without_line_numbers
from tests.factories import amphibian_bill, et, funding_bill, scrape
from tests.httpserver import Answer, FixtureServer, real_path
from tests.pdfmaker import make_pdf
from vocabulary.records import VersionRecord


def _real(name: str) -> Path:
    return real_path("billtext", name)


def test_real_california_bill_texts_come_out_as_plain_text() -> None:
    expected = {
        "100932": "SB 151, as introduced, Correa. State employees: memorandum of",
        "101038": "SB 7, as introduced, Steinberg. Medi-Cal: hospitals: quality",
        "105736": "THE PEOPLE OF THE STATE OF CALIFORNIA DO ENACT AS FOLLOWS:",
        "118442": "ACR 11",
        "138449": "ACR 9",
    }
    for doc_id, phrase in expected.items():
        found = extract(_real(f"legiscan_text_{doc_id}.json").read_bytes(), "application/json", doc_id)
        assert found.ok, found.problem
        assert found.kind == "html"
        assert phrase in found.text
        assert "<" not in found.text and "&amp;" not in found.text


def test_real_state_bill_pdfs_come_out_as_lines_in_reading_order_without_margin_numbers() -> None:
    texas = extract(_real("TX_HB23.pdf").read_bytes(), "application/pdf", "TX_HB23.pdf")
    assert texas.ok and texas.pages == 4
    assert "BE IT ENACTED BY THE LEGISLATURE OF THE STATE OF TEXAS:" in texas.text.split("\n")
    virginia = extract(_real("VA_HB1399.pdf").read_bytes(), "application/pdf", "VA_HB1399.pdf")
    lines = virginia.text.split("\n")
    assert "HOUSE BILL NO. 1399" in lines and "Be it enacted by the General Assembly of Virginia:" in lines
    assert not any(line.startswith("1 HOUSE BILL") for line in lines)
    iowa = extract(_real("IA_HF9.pdf").read_bytes(), "application/pdf", "IA_HF9.pdf").text
    assert iowa.index("An Act relating to parental and guardian consent and") < iowa.index(
        "BE IT ENACTED BY THE GENERAL ASSEMBLY OF THE STATE OF IOWA:")
    assert "Section 1. Section 256E.7, subsection 2, Code 2023, is" in iowa.split("\n")


def test_margin_line_numbers_are_dropped_only_when_most_lines_carry_them() -> None:
    numbered = "1 Section 1. Funding.\n2 Each district receives\n3 $5,000.\n4 The end."
    assert without_line_numbers(numbered) == "Section 1. Funding.\nEach district receives\n$5,000.\nThe end."
    prose = "2023 SESSION\nA BILL\n12 districts receive aid.\nThe end."
    assert without_line_numbers(prose) == prose


def test_ab50_as_amended_drops_struck_words_and_as_introduced_drops_inserted_ones() -> None:
    body = _real("legiscan_text_105736.json").read_bytes()
    amended = extract(body, "", "AB 50").text
    introduced = extract(body, "", "AB 50", view="previous").text
    assert "shall be treated as a qualified disaster" in " ".join(amended.split())
    assert "treaded" not in amended
    assert "shall be treaded as a qualified disaster" in " ".join(introduced.split())
    assert "American Red Cross" in amended and "American Red Cross" not in introduced


def test_comparing_two_real_versions_of_ab50_shows_what_the_amendment_changed() -> None:
    """California's amended AB 50 marks what the Assembly amendment of Feb. 3, 2011 inserted (<em>) and struck
    (<strike>): read both ways, it gives the introduced and the amended version of one bill."""
    body = _real("legiscan_text_105736.json").read_bytes()
    result = compare(extract(body, "", "AB 50", view="previous").text, extract(body, "", "AB 50").text,
                     "As Introduced", "Amended in Assembly Feb. 3, 2011")
    opening = [h for h in result.hunks if h.section == "(opening)"]
    assert [" ".join(p.text for p in h.pieces if p.kind == "added") for h in opening] == [
        "to amend Sections 17207.8 and 24347.10 of, and ,",
        "and corporation disaster loss carryovers:",
        ", the City of San Bruno, or the American Red Cross,",
        "The Personal Income Tax Law and the Corporation Tax Law provide for the carryover to specified taxable "
        "years of specified losses sustained in the County of San Mateo as a result of the explosion and fire "
        "that occurred in September 2010. This bill would change an obsolete statutory reference in these laws.",
    ]
    assert all(h.before and h.after for h in opening)  # each change comes with its lines of context
    section_one = [p for h in result.hunks if h.section == "Sec. 1" for p in h.pieces]
    assert "treaded" in {p.text for p in section_one if p.kind == "removed"}
    assert "treated" in {p.text for p in section_one if p.kind == "added"}
    assert ("Sec. 3", "Sec. 5") in result.renumbered  # the tax-levy clause, pushed down by the added sections
    block = summary(result)
    assert block.startswith("What Amended in Assembly Feb. 3, 2011 changed (compared with As Introduced):")
    assert "- Reworded: (opening), Sec. 1" in block


def test_comparison_reports_moved_sections_and_changed_amounts() -> None:
    old = ("Section 1. Short title.\nThe Better Schools Act.\nSection 2. Funding.\nEach district receives $5,000"
           " per pupil.\nSection 3. Reports.\nDistricts report yearly.\nSection 4. Levies.\nA levy of 2% is allowed.")
    new = ("Section 1. Short title.\nThe Better Schools Act.\nSection 3. Reports.\nDistricts report yearly.\n"
           "Section 4. Levies.\nA levy of 2.5% is allowed.\nSection 2. Funding.\n"
           "Each district receives $7,500 per pupil.\nSection 5. Vouchers.\nNo voucher exceeds $6,000.")
    result = compare(old, new, "As Introduced", "Substitute")
    assert result.moved_sections == ["Sec. 2"]
    assert result.added_sections == ["Sec. 5"]
    amounts = {(c.section, c.before, c.after) for c in result.amounts}
    assert ("Sec. 2", ("$5,000",), ("$7,500",)) in amounts
    assert ("Sec. 4", ("2%",), ("2.5%",)) in amounts
    assert ("Sec. 5", (), ("$6,000",)) in amounts
    highlighted = {p.text for h in result.hunks for p in h.pieces if p.amount}
    assert {"$5,000", "$7,500"} <= highlighted
    block = summary(result)
    assert "- Moved: Sec. 2." in block and "- Sec. 2: $5,000 -> $7,500." in block


def test_a_section_inserted_in_the_middle_renumbers_the_rest_without_rewording_them() -> None:
    old = "Section 1. Title.\nThe Act.\nSection 2. Funding.\nPays $5,000.\nSection 3. Reports.\nDue yearly."
    new = ("Section 1. Title.\nThe Act.\nSection 2. Vouchers.\nNo voucher exceeds $6,000.\nSection 3. Funding.\n"
           "Pays $5,000.\nSection 4. Reports.\nDue yearly.")
    result = compare(old, new)
    assert result.added_sections == ["Sec. 2"] and result.removed_sections == []
    assert result.renumbered == [("Sec. 2", "Sec. 3"), ("Sec. 3", "Sec. 4")]
    assert result.hunks == [] and result.moved_sections == []
    assert "- Renumbered: Sec. 2 -> Sec. 3, Sec. 3 -> Sec. 4." in summary(result)


def test_identical_versions_compare_as_unchanged() -> None:
    text = "Section 1. A.\nSame words."
    assert compare(text, text).identical
    assert "makes no change" in summary(compare(text, text, "A", "B"))


def test_a_pdf_without_a_text_layer_is_recorded_not_raised() -> None:
    found = extract(make_pdf([[], []]), "application/pdf", "https://example.org/hb96.pdf")
    assert not found.ok
    assert "https://example.org/hb96.pdf" in found.problem and "no text layer" in found.problem
    partial = extract(make_pdf([["Section 1. Funding of $5,000."], []]), "application/pdf", "u")
    assert partial.text == "Section 1. Funding of $5,000." and "page(s) 2 without text" in partial.problem


def _bill_with_versions(app: App, now: datetime, server: FixtureServer) -> int:
    versions = (
        VersionRecord("As Introduced", code="00_IN", when=et(2026, 2, 18), url=server.url("/hb96/in.pdf")),
        VersionRecord("As Reported", code="01_RH", when=et(2026, 3, 18), url=server.url("/hb96/rh.pdf"),
                      html_url=server.url("/hb96/rh.html")),
        VersionRecord("Copy", code="02_CP", when=et(2026, 3, 19), url=server.url("/hb96/copy.pdf")),
        VersionRecord("Gone", code="03_X", when=et(2026, 3, 20), url=server.url("/hb96/gone.pdf")),
    )
    scrape(app, now, [funding_bill(versions=versions)])
    with app.sessions() as session:
        return session.scalars(select(Bill.id).where(Bill.identifier == "HB 96")).one()


def test_text_fetch_stores_each_version_once_prefers_html_and_records_what_failed(sqlite_app: App,
                                                                                 clock: object) -> None:
    pdf = make_pdf([["Section 1. The foundation formula pays $5,000 per pupil."]])
    waits: list[float] = []
    with FixtureServer() as server:
        server.route("/hb96/in.pdf", Answer(body=pdf, content_type="application/pdf"))
        server.route("/hb96/copy.pdf", Answer(body=pdf, content_type="application/pdf"))
        server.route("/hb96/rh.html", Answer(body=b"<html><body><p>Section 1. Pays <u>$6,000</u> per pupil "
                                             b"<s>$5,000</s>.</p></body></html>", content_type="text/html"))
        server.route("/hb96/gone.pdf", Answer(status=404))
        bill_id = _bill_with_versions(sqlite_app, sqlite_app.now(), server)
        report = fetch_texts(sqlite_app, [bill_id], sleep=waits.append)
        again = fetch_texts(sqlite_app, [bill_id], sleep=waits.append)
        assert server.requests_to("/hb96/rh.pdf") == []  # HTML where offered
        assert len(server.requests_to("/hb96/in.pdf")) == 1
    assert (report.fetched, report.extracted, report.reused) == (3, 2, 1)
    assert again.fetched == 0  # once per version
    assert waits and all(0 < w <= 1.0 for w in waits)  # the per-host interval between requests
    with sqlite_app.sessions() as session:
        rows = {r.url.rsplit("/", 1)[1]: r for r in session.scalars(select(VersionText))}
    assert rows["in.pdf"].text == "Section 1. The foundation formula pays $5,000 per pupil."
    assert rows["copy.pdf"].content_hash == rows["in.pdf"].content_hash and rows["copy.pdf"].status == "ok"
    assert rows["rh.html"].text == "Section 1. Pays $6,000 per pupil ."
    assert rows["gone.pdf"].status == "failed" and "HTTP 404" in rows["gone.pdf"].problem
    assert any("gone.pdf" in p for p in report.problems)


def test_the_billtext_step_fetches_new_text_and_a_saved_search_queues_the_bill_by_a_word_in_it(
        sqlite_app: App) -> None:
    now = sqlite_app.now()
    with FixtureServer() as server:
        server.route("/hb96/in.pdf", Answer(body=make_pdf([["Section 1. A quintessential voucher rule."]]),
                                            content_type="application/pdf"))
        scrape(sqlite_app, now, [amphibian_bill(versions=(
            VersionRecord("As Introduced", code="00_IN", url=server.url("/hb96/in.pdf")),))])
        with sqlite_app.transaction() as session:
            save_search(session, "Voucher rules", "quintessential", "Priya Advocate", now)
        result = steps.billtext(sqlite_app)
    assert (result.counts["fetched"], result.counts["saved_search_matches"]) == (1, 1)
    with sqlite_app.sessions() as session:
        item = next(i for i in queue(session, now) if i.identifier == "SB 12")
    assert any(line.startswith("Voucher rules: ") for line in item.why)
