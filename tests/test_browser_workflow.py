"""The advocate's fortnight in a real browser: review the queue, approve a bill with commentary, preview the
digest, send it to the outbox and read what members received; then questions, the agenda and the members' pages,
on a laptop and on a phone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from advocacy.app import App
from advocacy.outbound.outgoing import member_token
from tests.browser import PHONE, Page, chromium, live_server, require_browser
from tests.websupport import (
    ADVOCATE,
    PASSWORD,
    add_staff,
    outbox_messages,
    retag,
    seed_bill,
    seed_call_questions,
    seed_members,
    seed_other_bills,
    seed_questions,
    seed_runs,
    web_app,
)

pytestmark = pytest.mark.browser

COMMENTARY = ("**Oppose unless amended.** The guarantee ends in 2027; our estimate is a loss of $90 per pupil.\n\n"
              "- testify before the committee\n- <script>alert('x')</script> stays text")
LEE = "lee.okafor@maplefield.k12.example.org"
PAGES = {"dashboard": "/", "queue": "/queue", "digest": "/digest", "questions": "/questions", "agenda": "/agenda",
         "members": "/members"}


@pytest.fixture
def seeded(sqlite_app: App) -> App:
    now = sqlite_app.now()
    bill_id = seed_bill(sqlite_app, now)
    retag(sqlite_app, bill_id, {"funding": "School funding formula and state aid"})
    seed_other_bills(sqlite_app, now)
    seed_runs(sqlite_app, now)
    seed_members(sqlite_app, now)
    seed_questions(sqlite_app, now)
    seed_call_questions(sqlite_app, now)
    add_staff(sqlite_app, ADVOCATE, "advocate")
    return sqlite_app


@pytest.fixture
def page(seeded: App, tmp_path: Path) -> Iterator[Page]:
    require_browser()
    with live_server(web_app(seeded)) as base_url, chromium(tmp_path / "profile") as driver:
        yield Page(driver, base_url)


def words(page: Page, css: str = "main") -> str:
    return " ".join(page.text(css).split())


def fits_phone(page: Page) -> None:
    width = page.driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= PHONE[0], f"{page.path} scrolls sideways on a phone ({width}px)"


def test_advocate_approves_with_commentary_previews_and_sends_the_digest(page: Page, seeded: App) -> None:
    page.sign_in(ADVOCATE, PASSWORD)
    page.screenshot("dashboard")

    page.open("/queue")
    queue = words(page)
    assert "H.B. 96" in queue and "title mentions school funding formula and state aid" in queue
    page.screenshot("queue")
    page.submit(".qitem button[value='approve']")
    assert "H.B. 96 approved." in words(page, ".flash")
    assert "Nothing to review" in words(page)

    page.open("/bills/1")
    page.fill({"commentary": COMMENTARY})
    page.find("#position option[value='seek_amendment']").click()
    page.submit("button[value='preview']")
    preview = page.find(".preview .prose")
    assert preview.find_element("css selector", "strong").text == "Oppose unless amended."
    assert "<script>alert('x')</script> stays text" in preview.text  # shown as words, never run
    page.screenshot("bill")
    page.submit("button[value='save']")
    assert "saved (position, commentary)" in words(page, ".flash")

    page.open("/digest")
    page.submit("button[value='prepare']")
    assert "Digest 1 prepared" in words(page, ".flash")
    page.find(".textpart summary").click()
    text_part = page.text(".textpart pre")
    assert "H.B. 96" in text_part and "Oppose unless amended." in text_part
    frame = page.find("iframe.emailframe")
    page.driver.switch_to.frame(frame)
    assert "Oppose unless amended." in page.text("body")
    page.driver.switch_to.default_content()
    page.screenshot("digest")

    page.find(".sendlink a").click()
    assert "1 member will receive it" in words(page)
    page.screenshot("digest-confirm")
    page.submit(".confirm button[type='submit']")
    assert "Digest 1: sent 1, skipped 0, failed 0." in words(page, ".flash")

    received = outbox_messages(seeded)
    assert [m["To"].addresses[0].addr_spec for m in received] == [LEE]
    html = received[0].get_body(("html",)).get_content()
    assert "<strong>Oppose unless amended.</strong>" in html
    assert "&lt;script&gt;alert(" in html and "<script>alert(" not in html
    text = received[0].get_body(("plain",)).get_content()
    assert "Oppose unless amended." in text and "H.B. 96" in text
    assert "-member-token-" not in html + text  # the member's own links


def test_questions_agenda_and_members_pages(page: Page, seeded: App) -> None:
    page.sign_in(ADVOCATE, PASSWORD)
    page.open("/questions")
    assert "sender is not a member" in words(page)
    page.screenshot("questions")

    page.open("/agenda")
    page.submit("button[value='build']")
    assert "Agenda up to date" in words(page, ".flash")
    assert "Can buses run on the <b>new</b> schedule?" in words(page)  # members' words, shown as typed
    # the second guarantee question asks what the first asks (its "same as" list offers #4 first)
    page.submit("form.mergeform[action$='/questions/5/merge'] button")
    assert "Question 5 merged into question 4" in words(page, ".flash")
    assert "Does the guarantee end under the new formula?" not in words(page)
    page.screenshot("agenda")

    page.open("/members")
    page.screenshot("members")
    page.driver.delete_all_cookies()  # as the member sees it: no account, the signed link is the key
    token = member_token(seeded, 1)
    page.open(f"/m/{token}/preferences")
    assert "Your email preferences" in words(page)
    page.screenshot("member-preferences")


def test_every_main_page_fits_a_phone(page: Page, seeded: App) -> None:
    page.as_phone()
    page.sign_in(ADVOCATE, PASSWORD)
    page.open("/queue")
    page.screenshot("queue-phone")
    fits_phone(page)
    page.submit(".qitem button[value='approve']")
    page.open("/digest")
    page.submit("button[value='prepare']")
    page.open("/agenda")
    page.submit("button[value='build']")
    for name, path in {**PAGES, "bill": "/bills/1"}.items():
        page.open(path)
        page.screenshot(f"{name}-phone")
        fits_phone(page)
    page.driver.delete_all_cookies()
    page.open(f"/m/{member_token(seeded, 1)}/preferences")
    fits_phone(page)
    page.screenshot("member-preferences-phone")
