"""The pages in a real browser: sign in, read the dashboard and a bill, on a laptop and on a phone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from advocacy.app import App
from tests.browser import Page, chromium, live_server, require_browser
from tests.websupport import (
    ADVOCATE,
    PASSWORD,
    VIEWER,
    add_staff,
    seed_bill,
    seed_members,
    seed_other_bills,
    seed_questions,
    seed_runs,
    web_app,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def page(sqlite_app: App, tmp_path: Path) -> Iterator[Page]:
    require_browser()
    now = sqlite_app.now()
    seed_bill(sqlite_app, now)
    seed_other_bills(sqlite_app, now)
    seed_runs(sqlite_app, now)
    seed_questions(sqlite_app, now)
    seed_members(sqlite_app, now)
    add_staff(sqlite_app, ADVOCATE, "advocate")
    add_staff(sqlite_app, VIEWER, "viewer")
    with live_server(web_app(sqlite_app)) as base_url, chromium(tmp_path / "profile") as driver:
        yield Page(driver, base_url)


def test_advocate_signs_in_and_reads_the_dashboard_and_a_bill(page: Page) -> None:
    page.open("/")
    assert page.path == "/login?next=%2F"
    page.screenshot("login")
    page.sign_in(ADVOCATE, PASSWORD)
    assert page.path == "/"
    assert page.text("h1") == "Dashboard"
    dashboard = " ".join(page.text().split())
    assert "1 bill waiting for review" in dashboard
    assert "HTTP 503 after 4 retries" in dashboard
    page.screenshot("dashboard")

    page.find("a[href='/bills']").click()
    page.fill({"q": "h.b. no. 96"})
    page.submit(".searchbar button[type='submit']")
    assert page.text("h1") == "Make operating appropriations and revise the school foundation funding formula"
    bill = page.text()
    assert "Referred to committee: Finance" in bill and "School funding" in bill
    page.screenshot("bill")

    page.open("/bills")
    page.screenshot("bills")
    page.open("/members")
    page.screenshot("members")


def test_wrong_password_shows_the_form_again_with_a_message(page: Page) -> None:
    page.sign_in(ADVOCATE, "not the right passphrase")
    assert page.path == "/login"
    assert "don't match an account" in page.text(".alert")
    assert page.find("[name='email']").get_attribute("value") == ADVOCATE


def test_pages_fit_a_phone_and_sign_out_works(page: Page) -> None:
    page.as_phone()
    page.sign_in(VIEWER, PASSWORD)
    assert page.style("table.stack thead", "display") == "none"  # tables collapse into labelled rows
    width = page.driver.execute_script("return document.documentElement.scrollWidth")
    page.screenshot("dashboard-phone")
    assert width <= 390, f"the dashboard scrolls sideways on a phone ({width}px)"
    page.open("/bills/1")
    assert page.driver.execute_script("return document.documentElement.scrollWidth") <= 390
    page.screenshot("bill-phone")

    page.submit(".account button[type='submit']")
    assert page.path == "/login"
    page.open("/members")
    assert page.path.startswith("/login")
