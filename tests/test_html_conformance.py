"""The Nu Html Checker beside axe-core: every staff page, every member page a sent email links to, and the HTML of
every sent digest, alert and agenda are valid HTML (no error; no warning but the ACCEPTED ones of
tests/htmlcheck.py), and the stylesheet is valid CSS. vnu starts once for the module, over a folder of files."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from advocacy import db
from advocacy.app import App
from advocacy.config import Secrets, load_config
from advocacy.models import Bill, Call, Mailing, Member
from tests.factories import TEST_NOW, FakeClock
from tests.htmlcheck import Problem, check_folder, describe, jar
from tests.mailings import our_links, send_all_kinds
from tests.websupport import ADVOCATE, STAFF_PAGES, add_staff, post_form, sign_in, web_app

ROOT = Path(__file__).resolve().parent.parent
STYLESHEET = ROOT / "advocacy" / "web" / "static" / "style.css"
# Pages that break a rule on purpose, checked in the same run: proof that vnu ran and that its report is read.
CANARIES = {
    "canary-id.html": '<p id="OH-136-HB 96">HB 96</p>',  # an id with a space: an error
    "canary-table.html": '<table cellpadding="0"><tr><td>x</td></tr></table>',  # accepted in emails only
}


@dataclass
class Checked:
    pages: dict[str, str]  # file name -> what it is (a page's path, an email)
    found: dict[str, list[Problem]]


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Checked:
    jar()  # skip (or fail under CI) before building anything
    folder = tmp_path_factory.mktemp("pages")
    pages: dict[str, str] = {}
    with _app(tmp_path_factory.mktemp("site")) as app:
        sent = send_all_kinds(app)
        client = TestClient(web_app(app))
        for name, what, html in [*_emails(sent), *_member_pages(app, client, sent), *_staff_pages(app, client)]:
            (folder / name).write_text(html, encoding="utf-8")
            pages[name] = what
    for name, body in CANARIES.items():
        (folder / name).write_text(f'<!DOCTYPE html><html lang="en"><head><title>{name}</title></head>'
                                   f"<body><main>{body}</main></body></html>", encoding="utf-8")
        pages[name] = "a page broken on purpose"
    (folder / "canary.css").write_text("body { colr: red; }\n", encoding="utf-8")
    pages["canary.css"] = "a stylesheet broken on purpose"
    shutil.copy(STYLESHEET, folder / "style.css")
    pages["style.css"] = str(STYLESHEET.relative_to(ROOT))
    return Checked(pages, check_folder(folder))


@contextmanager
def _app(folder: Path) -> Iterator[App]:
    """A migrated SQLite app on the factories' clock, for the whole module (the conftest's apps are per test)."""
    shutil.copy(ROOT / "config.toml", folder / "config.toml")
    (folder / "var").mkdir()
    url = f"sqlite:///{folder / 'var' / 'pages.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
    app = App(load_config(folder / "config.toml", env={}), secrets=Secrets.from_env({}), clock=FakeClock(TEST_NOW),
              database_url=url)
    yield app
    app.engine.dispose()


def _emails(sent: dict[str, list[EmailMessage]]) -> Iterator[tuple[str, str, str]]:
    for kind in ("digest", "alert", "agenda"):
        assert sent.get(kind), f"no {kind} was sent"
        for n, message in enumerate(sent[kind]):
            html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
            yield f"email-{kind}-{n}.html", f"the {kind} email to {message['To']}", html


def _get(client: TestClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, f"{path}: {response.status_code}"
    return response.text


def _member_pages(app: App, client: TestClient, sent: dict[str, list[EmailMessage]]) -> Iterator[tuple[str, str, str]]:
    base = app.config.collaborative.base_url
    links = [url[len(base):] for kind in ("digest", "alert", "agenda") for message in sent[kind]
             for url in our_links(app, message) if not url.endswith(".ics")]  # a feed is not a page
    token = next(path.split("/")[2] for path in links if path.startswith("/m/"))
    paths = list(dict.fromkeys([*links, f"/m/{token}/questions", "/m/renew"]))
    assert any("/bills/" in p for p in paths) and any(p.startswith("/a/") for p in paths), paths
    for n, path in enumerate(paths):
        yield f"member-{n:02d}.html", path, _get(client, path)
    tampered = f"/m/{token[:-3]}xyz/bills"
    yield "member-404.html", tampered, _get(client, tampered, 404)


def _staff_pages(app: App, client: TestClient) -> Iterator[tuple[str, str, str]]:
    add_staff(app, ADVOCATE, "advocate")
    yield "staff-login.html", "/login", _get(client, "/login")
    assert sign_in(client, ADVOCATE).status_code == 303  # type: ignore[attr-defined]
    with app.sessions() as session:
        digest = session.query(Mailing).filter_by(kind="digest").one()
        call = session.query(Call).one()
        more = [*(f"/bills/{b.id}" for b in session.query(Bill)), *(f"/members/{m.id}" for m in session.query(Member)),
                f"/mailings/{digest.id}/engagement", "/districts/engagement", f"/agenda/{call.id}/send"]
        previews = [f"/digest/{digest.id}/email", f"/agenda/{call.id}/email"]  # an email shown as it is sent
    paths = list(dict.fromkeys([*STAFF_PAGES[1:], *more]))  # `more`: pages the axe tests do not open
    for n, path in enumerate(paths):
        yield f"staff-{n:02d}.html", path, _get(client, path)
    for n, path in enumerate(previews):
        yield f"staff-email-{n}.html", path, _get(client, path)
    yield "staff-404.html", "/bills/999999", _get(client, "/bills/999999", 404)
    assert post_form(client, "/digest", "/digest/prepare").status_code == 303  # type: ignore[attr-defined]
    yield "staff-draft.html", "/digest with a draft prepared", _get(client, "/digest")


def _assert_valid(checked: Checked, prefix: str) -> None:
    names = [name for name in checked.pages if name.startswith(prefix)]
    assert names, f"no file named {prefix}*"
    if any(checked.found.get(name) for name in names):
        pages = "\n".join(f"  {name}: {checked.pages[name]}" for name in names if checked.found.get(name))
        pytest.fail(f"{describe(checked.found, names)}\nwhere\n{pages}", pytrace=False)


def test_every_staff_page_is_valid_html(checked: Checked) -> None:
    assert {checked.pages[name] for name in checked.pages if name.startswith("staff-")} >= set(STAFF_PAGES)
    _assert_valid(checked, "staff-")


def test_every_member_page_an_email_links_to_is_valid_html(checked: Checked) -> None:
    _assert_valid(checked, "member-")


def test_every_sent_digest_alert_and_agenda_is_valid_html(checked: Checked) -> None:
    _assert_valid(checked, "email-")


def test_the_stylesheet_is_valid_css(checked: Checked) -> None:
    _assert_valid(checked, "style.css")


def test_the_checker_reports_html_and_css_errors_and_the_warnings_it_was_not_told_to_accept(checked: Checked) -> None:
    id_problems = checked.found["canary-id.html"]
    assert [p.kind for p in id_problems] == ["error"] and "must not contain whitespace" in id_problems[0].message
    table = checked.found["canary-table.html"]  # accepted in emails, reported anywhere else
    assert [p.kind for p in table] == ["warning"] and "cellpadding" in table[0].message
    css = checked.found["canary.css"]
    assert [p.kind for p in css] == ["error"] and "colr" in css[0].message
