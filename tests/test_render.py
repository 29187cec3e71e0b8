from __future__ import annotations

import re
import shutil
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from jinja2 import UndefinedError

from digests import examples
from digests.model import ActionLine, BillItem, Collaborative, ContextError, HearingItem, QuestionsCall
from digests.render import TEMPLATES, EmailRenderer, RenderError, render_digest
from digests.timefmt import format_when

FIXTURES = Path(__file__).parent / "fixtures" / "digests"
SECTIONS = [
    "Action needed",
    "Moved since the last update",
    "New bills we are watching",
    "Hearings in the next two weeks",
    "Watch list",
    "Your questions for the call",
]


@pytest.fixture(scope="module")
def renderer() -> EmailRenderer:
    return EmailRenderer()


def test_digest_sections_appear_in_reading_order_in_both_parts(renderer: EmailRenderer) -> None:
    email = renderer.digest(examples.digest())
    html_positions = [email.html.index(f">{title}</h2>") for title in SECTIONS]
    text_positions = [email.text.index(f"{title.upper()}\n{'=' * len(title)}") for title in SECTIONS]
    assert html_positions == sorted(html_positions)
    assert text_positions == sorted(text_positions)
    # The opening note comes before every section.
    assert email.text.index("The House passed HB 214") < text_positions[0]
    assert (
        email.subject
        == "Action needed: Maple Valley Schools Collaborative legislative update, Nov 18 – Dec 1, 2025"
    )


def test_empty_sections_are_left_out(renderer: EmailRenderer) -> None:
    email = renderer.digest(examples.empty_digest())
    for title in SECTIONS:
        assert title not in email.html
        assert title.upper() not in email.text
    assert "quiet two weeks" in email.text and "quiet two weeks" in email.html
    assert not email.subject.startswith("Action needed")


def test_member_without_funding_topic_gets_no_funding_ask_or_hearing(renderer: EmailRenderer) -> None:
    email = renderer.digest(examples.digest(topics=("transportation",)))
    assert "Action needed" not in email.html
    assert "Hearings in the next two weeks" not in email.html
    assert "HB 301" in email.text and "HB 214" not in email.text.split("WATCH LIST")[1]


def test_script_in_commentary_is_inert_in_html_and_harmless_in_text(renderer: EmailRenderer) -> None:
    hostile = (FIXTURES / "hostile-commentary.md").read_text()
    email = renderer.digest(examples.with_commentary(examples.digest(), hostile))
    html = email.html.lower()
    assert "<script" not in html
    assert not re.search(r"<[^<>]*onerror", html) and "<img" not in html  # as escaped words it is inert
    assert "javascript:" not in re.sub(
        r"&[a-z]+;", "", " ".join(re.findall(r'<a [^<>]*href="([^"]*)"', html))
    )
    assert "&lt;script&gt;" in html  # shown as words, never run
    assert "<strong>change</strong>" in html
    assert "<script" not in email.text and "alert(" not in email.text.split("Do not click")[0]
    assert "This bill would change the guarantee." in email.text


def test_relative_markdown_links_resolve_against_the_base_url(renderer: EmailRenderer) -> None:
    hostile = (FIXTURES / "hostile-commentary.md").read_text()
    email = renderer.digest(examples.with_commentary(examples.digest(), hostile))
    assert 'href="https://updates.maplevalley.example.org/memos/guarantee"' in email.html
    assert "the district memo (https://updates.maplevalley.example.org/memos/guarantee)" in " ".join(
        email.text.split()
    )


def test_every_link_in_the_html_is_absolute(renderer: EmailRenderer) -> None:
    for email in (
        renderer.digest(examples.digest()),
        renderer.alert(examples.alert()),
        renderer.agenda(examples.agenda()),
    ):
        hrefs = re.findall(r'<a [^<>]*href="([^"]*)"', email.html)
        assert hrefs
        assert all(h.startswith(("https://", "mailto:")) for h in hrefs), hrefs


def test_relative_url_in_a_context_fails_loudly_naming_the_field() -> None:
    with pytest.raises(ContextError, match=r"BillItem\.url.*'/bills/hb1'"):
        replace(examples.FUNDING_BILL, url="/bills/hb1")
    with pytest.raises(ContextError, match=r"Footer\.unsubscribe_url"):
        replace(examples.footer(), unsubscribe_url="unsubscribe/m1")


def test_a_template_that_emits_a_relative_link_fails_to_render(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    body = templates / "digest-body.html"
    body.write_text(
        body.read_text().replace("{% block content %}", '{% block content %}<a href="/oops">x</a>', 1)
    )
    with pytest.raises(RenderError, match="/oops"):
        EmailRenderer(templates).digest(examples.digest())


def test_missing_value_in_a_template_fails_instead_of_mailing_a_blank(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    (templates / "digest-subject.txt").write_text("{{ c.collaborative.nickname }} update\n")
    with pytest.raises(UndefinedError, match="nickname"):
        EmailRenderer(templates).digest(examples.digest())


def test_css_is_inlined_so_no_style_block_is_needed(renderer: EmailRenderer) -> None:
    html = renderer.digest(examples.digest()).html
    assert "<style" not in html
    assert re.search(r'<h2 style="[^"]*border-bottom: 2px solid #1d3557', html)
    assert re.search(r'<a class="button"[^>]*style="[^"]*padding: 12px 20px', html)
    assert re.search(r'class="page"[^>]*style="[^"]*max-width: 640px', html)


def test_text_part_is_written_for_reading(renderer: EmailRenderer) -> None:
    text = renderer.digest(examples.digest()).text
    assert "<" not in text.replace("<-", "")
    for line in text.splitlines():
        assert len(line) <= 72 or "://" in line, line
    assert "HB 214, School funding formula phase-in [Support]" in text
    assert "  Sponsors: Rep. Dana Whitfield (R-Lima); Rep. Marcus Oyelaran (D-Akron)" in text
    assert "  - Nov 25: Passed 61-34 (House)" in text
    assert "Testimony due Monday, Dec 1, 10:00 a.m. ET" in text
    assert "Unsubscribe: https://updates.maplevalley.example.org/unsubscribe/m1" in text
    assert "400 Orchard Street" in text


def test_questions_section_asks_for_a_reply_by_the_cutoff(renderer: EmailRenderer) -> None:
    email = renderer.digest(examples.digest())
    assert "Reply to this email with your question by <strong>Friday, Dec 5, noon ET</strong>" in email.html
    assert "Reply to this\nemail with your question by Friday, Dec 5, noon ET" in email.text


def test_moved_bills_are_shown_newest_first_whatever_the_input_order(renderer: EmailRenderer) -> None:
    context = examples.digest(topics=("funding", "choice"))
    oldest_first = replace(context, moved=tuple(reversed(context.moved)))
    assert oldest_first.moved[0].number == "SB 88"
    text = renderer.digest(oldest_first).text.split("MOVED SINCE THE LAST UPDATE")[1]
    assert text.index("HB 214,") < text.index("SB 88,")


def test_times_are_shown_in_the_collaboratives_zone(renderer: EmailRenderer) -> None:
    utc_start = datetime(2025, 12, 2, 15, 0, tzinfo=UTC)  # 10:00 in Ohio, 8:00 in Colorado
    hearing = replace(examples.HEARING, start=utc_start)
    context = replace(examples.digest(), hearings=(hearing,))
    assert "Tuesday, Dec 2, 10:00 a.m. ET" in renderer.digest(context).text
    mountain = Collaborative(
        name="Front Range Districts", postal_address="1 Main St, Golden, CO", timezone="America/Denver"
    )
    assert "Tuesday, Dec 2, 8:00 a.m. MT" in renderer.digest(replace(context, collaborative=mountain)).text


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2025, 12, 2, 15, 0, tzinfo=UTC), "Tuesday, Dec 2, 10:00 a.m. ET"),
        (datetime(2025, 7, 1, 16, 0, tzinfo=UTC), "Tuesday, Jul 1, noon ET"),  # daylight time is still "ET"
        (datetime(2025, 3, 4, 4, 59, tzinfo=UTC), "Monday, Mar 3, 11:59 p.m. ET"),
        (datetime(2025, 3, 4, 5, 0, tzinfo=UTC), "Tuesday, Mar 4, midnight ET"),
    ],
)
def test_times_read_the_way_people_write_them(moment: datetime, expected: str) -> None:
    assert format_when(moment, examples.EASTERN) == expected


def test_naive_datetimes_and_unknown_zones_are_refused() -> None:
    with pytest.raises(ContextError, match=r"HearingItem\.start"):
        HearingItem(committee="House Education", start=datetime(2025, 12, 2, 10))
    with pytest.raises(ContextError, match="Mars/Olympus"):
        Collaborative(name="x", postal_address="y", timezone="Mars/Olympus")
    with pytest.raises(ContextError, match="cutoff"):
        QuestionsCall(start=examples.at(2025, 12, 9, 10), cutoff=examples.at(2025, 12, 10, 10))


def test_bill_with_only_a_status_date_sorts_by_it(renderer: EmailRenderer) -> None:
    older = BillItem(
        key="a",
        number="HB 1",
        title="t",
        url="https://x.example/1",
        status="In committee",
        status_date=date(2025, 1, 1),
    )
    newer = replace(
        older,
        key="b",
        number="HB 2",
        latest_actions=(ActionLine(when=date(2025, 2, 1), description="Reported"),),
    )
    text = renderer.digest(replace(examples.empty_digest(), moved=(older, newer))).text
    assert text.index("HB 2") < text.index("HB 1")


def test_alert_leads_with_the_ask_and_the_hearing(renderer: EmailRenderer) -> None:
    email = renderer.alert(examples.alert())
    assert email.subject == "Alert: HB 214 gets a Senate hearing Tuesday; testimony due Monday 10:00 a.m."
    assert email.text.index("Send written testimony") < email.text.index("THE HEARING")
    assert (
        "Submit testimony: https://www.legislature.example.gov/committees/senate-education/testimony"
        in email.text
    )
    assert 'class="button"' in email.html


def test_agenda_time_boxes_the_call_and_credits_asking_districts(renderer: EmailRenderer) -> None:
    email = renderer.agenda(examples.agenda())
    assert email.subject == "Agenda: Member Q&A call, Tuesday, Dec 9, 10:00 a.m. ET"
    for slot in (
        "10:00 a.m.  Top story",
        "10:10 a.m.  Bills that moved",
        "10:30 a.m.  Your questions",
        "10:50 a.m.  Open Q&A",
    ):
        assert slot in email.text
    assert "(Cedar Falls City Schools, Riverbend Local Schools)" in " ".join(email.text.split())
    assert "runs past the scheduled end" not in email.text
    long_call = replace(examples.agenda(), end=examples.at(2025, 12, 9, 10, 30))
    assert "runs past the scheduled end" in renderer.agenda(long_call).text


def test_module_level_function_renders_without_a_prebuilt_renderer() -> None:
    assert render_digest(examples.empty_digest()).subject.startswith("Maple Valley")
