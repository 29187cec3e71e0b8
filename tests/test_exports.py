"""Exports read back with their parsers: the tracked bills and members as CSV (members round-trip through
`members import`), the digest as Word (python-docx) and PDF (pypdf) with every section and link of the HTML
digest, and a district's board packet."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import docx
import pypdf
from bs4 import BeautifulSoup
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from advocacy import db
from advocacy.app import App
from advocacy.cli import cli
from advocacy.config import Config
from advocacy.exports.digest import digest_document
from advocacy.exports.packet import board_packet, find_district
from advocacy.exports.tables import members_csv
from advocacy.models import ActionTemplate, Bill, District, Legislator, Mailing, RollCall, VoteCast
from advocacy.outbound.content import MEMBER_TOKEN
from advocacy.outbound.digest import context_for, create_digest, load_view
from advocacy.people.legislators import store_people
from advocacy.people.members import import_csv
from digests.documents import Block, Run, pdf_bytes
from digests.render import EmailRenderer
from tests.factories import TEST_NOW, build_world, frozen_fixture
from tests.people_helpers import ohio_roster
from tests.websupport import advocate_client

CEDAR = "Cedar Falls City Schools"
frozen = frozen_fixture(TEST_NOW)  # the commands run on the system clock: at the world's "now"


def _cli(app: App, config_path: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config_path), *args],
                                env={"ADVOCACY_DATABASE__URL": app.database_url or ""})
    assert result.exit_code == 0, result.output
    return result.output


def _rows(text: str) -> dict[str, dict[str, str]]:
    return {row["bill"]: row for row in csv.DictReader(io.StringIO(text))}


def test_tracked_bills_csv_from_the_command_and_the_web_page(app: App, config_path: Path, frozen: object) -> None:
    build_world(app, app.now())
    rows = _rows(_cli(app, config_path, "export", "bills"))
    assert set(rows) == {"H.B. 96", "H.B. 114", "H.B. 141", "S.B. 52"}  # the approved ones; the pawpaw bill is not tracked
    hb114 = rows["H.B. 114"]
    assert (hb114["position"], hb114["priority"]) == ("oppose", "high")
    assert hb114["next_hearing"].startswith("2026-12-01 10:00")
    assert "foundation payments" in hb114["commentary"] and hb114["topics"]
    assert rows["H.B. 96"]["commentary"].startswith("The substitute **lowers the base cost**")
    assert list(csv.reader(io.StringIO(_cli(app, config_path, "export", "bills"))))[0] == [
        "jurisdiction", "session", "bill", "title", "status", "position", "priority", "topics", "next_hearing",
        "commentary", "url"]
    page = advocate_client(app).get("/bills/tracked.csv")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/csv")
    assert "attachment" in page.headers["content-disposition"]
    assert _rows(page.text) == rows


def test_members_csv_round_trips_through_members_import(app: App, config: Config, tmp_path: Path) -> None:
    build_world(app, app.now())
    with app.transaction() as session:
        cedar = session.scalar(select(District).where(District.name == CEDAR))
        assert cedar is not None
        cedar.code, cedar.house_districts, cedar.senate_districts = "045112", ["61"], ["18"]
    with app.sessions() as session:
        exported = members_csv(session)
    other = App(config, clock=app.clock, database_url=f"sqlite:///{tmp_path / 'other.db'}")
    db.upgrade(other.engine)
    with other.transaction() as session:
        report = import_csv(session, exported, known_topics=set(config.tagging.member_topics()))
    assert not report.rejected and report.created == 4
    with other.sessions() as session:
        assert members_csv(session) == exported
    with app.transaction() as session:  # into the same list: everyone updated, nobody doubled
        again = import_csv(session, exported, known_topics=set(config.tagging.member_topics()))
    assert (again.created, again.updated, again.rejected) == (0, 4, [])
    rows = list(csv.DictReader(io.StringIO(exported)))
    ben = next(r for r in rows if r["email"].startswith("ben."))
    assert (ben["topics"], ben["alerts"]) == ("literacy_curriculum", "yes")
    assert next(r for r in rows if r["district"] == CEDAR)["house_districts"] == "61"
    other.engine.dispose()


def _digest_html(session: Session, config: Config, digest: Mailing, app: App) -> BeautifulSoup:
    ctx = context_for(config, load_view(session, digest, config), None, app.now())
    assert ctx is not None
    html = EmailRenderer().digest(ctx).html.replace(MEMBER_TOKEN, "preview")
    return BeautifulSoup(html, "lxml").select_one("td.pad")  # the email's content, without its footer


def test_the_digest_as_word_and_pdf_carries_every_section_and_link_of_the_html(app: App) -> None:
    build_world(app, app.now())
    with app.transaction() as session:
        digest = create_digest(session, app.config, app.now(), note="Dear superintendents, **two** things.")
    with app.sessions() as session:
        digest = session.get(Mailing, digest.id)
        content = _digest_html(session, app.config, digest, app)
        word = digest_document(session, app.config, digest, app.now(), "docx")
        pdf = digest_document(session, app.config, digest, app.now(), "pdf")
    sections = [h.get_text(" ", strip=True) for h in content.find_all("h2")]
    links = {a["href"] for a in content.find_all("a", href=True)}
    assert len(sections) >= 3 and links

    document = docx.Document(io.BytesIO(word))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert headings == sections
    assert {h.url for p in document.paragraphs for h in p.hyperlinks} == links
    assert document.sections[0].header.paragraphs[0].text == app.config.collaborative.name
    body = "\n".join(p.text for p in document.paragraphs)
    assert "Dear superintendents, two things." in body
    assert "H.B. 114" in body and "Due " in body

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert [item.title for item in reader.outline if not isinstance(item, list)] == sections  # h3s nest
    for section in sections:
        assert section in text
    assert app.config.collaborative.name in text and "Dear superintendents" in text
    uris = {a.get_object()["/A"]["/URI"] for page in reader.pages for a in page.get("/Annots", [])}
    assert links <= uris


def test_digest_downloads_from_the_digest_page(app: App) -> None:
    build_world(app, app.now())
    with app.transaction() as session:
        mailing_id = create_digest(session, app.config, app.now()).id
    client = advocate_client(app)
    assert f"/digest/{mailing_id}/export.pdf" in client.get("/digest").text
    pdf = client.get(f"/digest/{mailing_id}/export.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    word = client.get(f"/digest/{mailing_id}/export.docx")
    assert docx.Document(io.BytesIO(word.content)).paragraphs[0].text.startswith("Legislative update")
    assert client.get(f"/digest/{mailing_id}/export.html").status_code == 404


def _packet_world(app: App) -> None:
    build_world(app, app.now())
    with app.transaction() as session:
        store_people(session, "OH", ohio_roster(), app.now(), source="ohio-legislature")
        cedar = session.scalar(select(District).where(District.name == CEDAR))
        assert cedar is not None
        cedar.code, cedar.jurisdiction, cedar.house_districts, cedar.senate_districts = "045112", "OH", ["61"], ["18"]
        hb114 = session.scalar(select(Bill).where(Bill.identifier == "HB 114"))
        assert hb114 is not None
        session.add(ActionTemplate(bill_id=hb114.id, effects={CEDAR: "Cedar Falls would lose $412,000 a year."},
                                   default_effect="Districts lose foundation aid."))


def test_a_board_packet_has_the_districts_bills_legislators_dates_and_a_resolution(
        app: App, config_path: Path, tmp_path: Path, frozen: object) -> None:
    _packet_world(app)
    target = tmp_path / "packet.docx"
    _cli(app, config_path, "export", "packet", "--district", "045112", "-o", str(target))
    document = docx.Document(str(target))
    text = "\n".join(p.text for p in document.paragraphs)
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["Bills that affect the district", "Your legislators", "Upcoming hearings and deadlines",
                        "Template resolution"]
    assert "Cedar Falls would lose $412,000 a year." in text
    assert "Our position: Oppose" in text
    with app.sessions() as session:
        mine = [f"{p.chamber} District {p.district}: {p.name}" for p in session.scalars(
            select(Legislator).where(Legislator.district.in_(("61", "18"))))]
    assert mine and all(line in text for line in mine)
    assert "House Primary and Secondary Education hears H.B. 114" in text
    assert "Submit opponent testimony by Monday 10 a.m." in text
    assert "NOW, THEREFORE, BE IT RESOLVED" in text and "opposes H.B. 114;" in text
    links = {h.url for p in document.paragraphs for h in p.hyperlinks}
    assert any(url.startswith("http") for url in links)
    assert "voted" not in text  # no vote storage: no votes, and no error


def test_a_packet_shows_how_the_districts_legislators_voted_when_votes_exist(app: App) -> None:
    _packet_world(app)

    def votes(session: Session, legislator: Legislator, bill: Bill) -> str | None:
        return "Nay" if bill.identifier == "HB 114" else None

    with app.sessions() as session:
        data = board_packet(session, app.config, find_district(session, "cedar falls city schools"), app.now(), votes)
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    assert "H.B. 114: voted Nay" in text


def test_the_members_page_offers_each_districts_packet(app: App) -> None:
    _packet_world(app)
    client = advocate_client(app)
    page = client.get("/members").text
    with app.sessions() as session:
        cedar_id = session.scalar(select(District.id).where(District.name == CEDAR))
    assert "Board packet (Word)" in page and f'value="{cedar_id}"' in page
    packet = client.get(f"/members/packet.docx?district={cedar_id}")
    assert packet.status_code == 200
    assert "Cedar Falls would lose" in "\n".join(p.text for p in docx.Document(io.BytesIO(packet.content)).paragraphs)
    assert client.get("/members/packet.docx?district=9999").status_code == 404
    exported = client.get("/members/export.csv")
    assert exported.status_code == 200 and "ana.rivera@cedarfalls.example.org" in exported.text


def test_a_packet_reads_the_recorded_roll_calls_of_the_districts_own_legislators(app: App) -> None:
    _packet_world(app)
    with app.transaction() as session:
        hb114 = session.scalar(select(Bill).where(Bill.identifier == "HB 114"))
        own = session.scalar(select(Legislator).where(Legislator.chamber == "House", Legislator.district == "61"))
        assert hb114 is not None and own is not None
        roll = RollCall(bill_id=hb114.id, key="ohio:1", source="ohio", when=app.now(), chamber="House",
                        motion="Third reading", passed=True, yeas=60, nays=38)
        roll.votes.append(VoteCast(name=own.name, legislator_id=own.id, option="no"))
        session.add(roll)
        name = own.name
    with app.sessions() as session:
        data = board_packet(session, app.config, find_district(session, "045112"), app.now())
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    assert f"{name}" in text and "H.B. 114: voted No on Third reading" in text


def test_a_pdf_title_outside_windows_1252_prints_readably_not_as_question_marks() -> None:
    title = "Zażółć “levy” — HB 5 → Senate, ≥ 3 votes ✓ ﬁnal (Łódź)"
    pdf = pdf_bytes(title, "Collaborative", [Block("paragraph", [Run("Plan − 2 ‑ ok")])])
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "Zazólc “levy” — HB 5 -> Senate, >= 3 votes v final (Lódz)" in text  # ó is Windows-1252
    assert "Plan - 2 - ok" in text and "?" not in text
