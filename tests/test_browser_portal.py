"""The members' side in a real browser, signed in nowhere: every link of a sent digest, alert and agenda (read
from the outbox .eml files) opens its page for its member; a tampered link is a 404; and axe-core finds no WCAG
2.1 AA violation on the member pages, the staff pages or the emails themselves."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from advocacy.app import App
from tests.accessibility import assert_accessible
from tests.browser import PHONE, Page, chromium, live_server, require_browser
from tests.mailings import our_links, recipient, send_all_kinds
from tests.websupport import ADVOCATE, PASSWORD, add_staff, web_app

pytestmark = pytest.mark.browser
NARROW = (320, 640)  # WCAG 1.4.10 reflow: 320 CSS pixels without scrolling sideways
STATUS = "var x = new XMLHttpRequest(); x.open('GET', arguments[0], false); x.send(); return x.status;"


@pytest.fixture
def sent(sqlite_app: App) -> dict[str, list[EmailMessage]]:
    return send_all_kinds(sqlite_app)


@pytest.fixture
def site(sqlite_app: App, tmp_path: Path) -> Iterator[Page]:
    require_browser()
    with live_server(web_app(sqlite_app)) as base_url, chromium(tmp_path / "profile") as driver:
        yield Page(driver, base_url)


def status(page: Page, path: str) -> int:
    code: int = page.driver.execute_script(STATUS, page.base_url + path)
    return code


def local(app: App, url: str) -> str:
    return url[len(app.config.collaborative.base_url):]


def test_every_link_of_a_sent_digest_alert_and_agenda_opens_for_its_member(
        site: Page, sqlite_app: App, sent: dict[str, list[EmailMessage]]) -> None:
    site.open("/m/renew")  # any page of ours, so the status checks below are same-origin
    for kind in ("digest", "alert", "agenda"):
        assert sent[kind], f"no {kind} was sent"
        for message in sent[kind]:
            for url in our_links(sqlite_app, message):
                path = local(sqlite_app, url)
                assert status(site, path) == 200, (kind, recipient(message), path)
                if path.endswith(".ics"):
                    continue  # a calendar feed is subscribed to, not shown (tests/test_portal.py reads it)
                site.open(path)
                assert site.path == path, f"{path} went to {site.path}"  # never the sign-in form
                if "/bills/" in path:
                    assert site.find("h1").text and "Status:" in site.text()
                elif path.endswith("/bills"):
                    assert "Bills " in site.text("h1")
                assert not site.find_all("a[href^='/login'], a[href='/']")  # no way into the staff pages
    token = local(sqlite_app, our_links(sqlite_app, sent["digest"][0])[0]).split("/")[2]
    tampered = token[:-3] + ("xyz" if not token.endswith("xyz") else "abc")
    for path in (f"/m/{tampered}/bills", f"/m/{tampered}/bills/1", f"/m/{tampered}/questions"):
        assert status(site, path) == 404, path
    site.open(f"/m/{tampered}/bills")
    assert "Not found" in site.text("h1")


def _open_email(site: Page, message: EmailMessage, folder: Path, name: str) -> None:
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    path = folder / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    site.driver.get(path.as_uri())


def test_the_emails_and_the_member_pages_have_no_wcag_violation(
        site: Page, sqlite_app: App, sent: dict[str, list[EmailMessage]], tmp_path: Path) -> None:
    for kind in ("digest", "alert", "agenda"):
        _open_email(site, sent[kind][0], tmp_path, kind)
        assert_accessible(site.driver, f"the {kind} email")
    paths = dict.fromkeys(local(sqlite_app, u) for m in sent["digest"][:1] + sent["alert"][:1]
                          for u in our_links(sqlite_app, m) if "/a/" not in u)
    for size in (None, NARROW):
        if size:
            site.as_phone(size)
        for path in [*paths, "/m/renew"]:
            site.open(path)
            assert_accessible(site.driver, path)
            _fits(site, size)


def _fits(site: Page, size: tuple[int, int] | None) -> None:
    if size:
        width = site.driver.execute_script("return document.documentElement.scrollWidth")
        widest = site.driver.execute_script(  # the innermost element past the edge, to say what to fix
            "const over = [...document.body.querySelectorAll('*')]"
            ".filter(e => e.getBoundingClientRect().right > arguments[0] + 1);"
            " const w = over.filter(e => !over.some(o => o !== e && e.contains(o))).shift();"
            " return w ? `<${w.tagName.toLowerCase()} class='${w.className}'> ${w.textContent.slice(0, 60)}` : '';",
            size[0])
        assert width <= size[0], f"{site.path} scrolls sideways at {size[0]} px ({width}px): {widest}"


STAFF_PAGES = ["/login", "/", "/queue", "/bills", "/bills/1", "/digest", "/questions", "/agenda", "/members",
               "/members/1"]


def test_the_staff_pages_have_no_wcag_violation(site: Page, sqlite_app: App,
                                                sent: dict[str, list[EmailMessage]]) -> None:
    add_staff(sqlite_app, ADVOCATE, "advocate")
    site.open("/login")
    assert_accessible(site.driver, "/login")
    site.sign_in(ADVOCATE, PASSWORD)
    for size in (None, PHONE, NARROW):
        if size:
            site.as_phone(size)
        for path in STAFF_PAGES[1:]:
            site.open(path)
            assert_accessible(site.driver, path)
            _fits(site, size)


def test_the_keyboard_focus_ring_stands_out_at_three_to_one(site: Page, sqlite_app: App) -> None:
    site.open("/m/renew")
    box = site.find("#renew-email")
    box.click()
    outline: Any = site.style("#renew-email", "outline-color")
    assert _contrast(outline, site.style("body", "background-color")) >= 3, outline


def _contrast(a: str, b: str) -> float:
    def luminance(css: str) -> float:
        parts = [float(x) for x in css[css.index("(") + 1:css.index(")")].split(",")[:3]]
        linear = [(c / 255) / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in parts]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
