"""Shared personas and seed data for the web tests (HTTP and browser)."""

from __future__ import annotations

import email
import html
import re
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage

from argon2 import PasswordHasher
from starlette.applications import Starlette
from starlette.testclient import TestClient

from advocacy.app import App
from advocacy.collect.ingest import Store, ensure_jurisdiction
from advocacy.models import (
    Bill,
    BillRelevance,
    Curation,
    District,
    InboundMessage,
    Member,
    Question,
    SourceRun,
    TagAssessment,
)
from advocacy.people import staff
from advocacy.web.app import create_app
from tests.factories import et, funding_bill, hearing
from vocabulary.records import DocumentRecord, ScrapeResult

# Cheap parameters so a test signs in in milliseconds; the app verifies with whatever parameters a hash carries.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "a long enough passphrase"
ADVOCATE = "rowan.advocate@heartland-collab.example.org"
VIEWER = "pat.viewer@heartland-collab.example.org"
# Every staff page, as the accessibility tests visit them (axe-core in the browser, the Nu Html Checker)
STAFF_PAGES = ["/login", "/", "/queue", "/bills", "/bills/1", "/digest", "/questions", "/agenda", "/members",
               "/members/1"]

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def web_app(app: App, **kwargs: object) -> Starlette:
    return create_app(app, hasher=FAST_HASHER, **kwargs)  # type: ignore[arg-type]


def add_staff(app: App, email: str, role: str, password: str = PASSWORD) -> None:
    with app.transaction() as session:
        staff.add_user(session, email, password, role, now=app.now(), hasher=FAST_HASHER)


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD, *, next_path: str = "/") -> object:
    token = csrf_from(client.get("/login").text)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token,
                                       "next": next_path}, follow_redirects=False)


def signed_in_client(app: App, email: str, role: str, **kwargs: object) -> TestClient:
    add_staff(app, email, role)
    client = TestClient(web_app(app, **kwargs))
    response = sign_in(client, email)
    assert response.status_code == 303, response.text  # type: ignore[attr-defined]
    return client


def advocate_client(app: App, **kwargs: object) -> TestClient:
    """The advocate persona, signed in: curates, sends, answers questions."""
    return signed_in_client(app, ADVOCATE, "advocate", **kwargs)


def viewer_client(app: App, **kwargs: object) -> TestClient:
    """The viewer persona, signed in: reads every page, changes nothing."""
    return signed_in_client(app, VIEWER, "viewer", **kwargs)


def text_of(page: str) -> str:
    """The page as a reader sees it: tags dropped, entities decoded, whitespace collapsed."""
    spaced = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))
    return re.sub(r" ([,;])", r"\1", spaced)


def seed_bill(app: App, now: datetime) -> int:
    """HB 96 with sponsors, actions, a version, a hearing, two tag assessments and a curation row."""
    with app.transaction() as session:
        oh = ensure_jurisdiction(session, "OH", "Ohio", "America/New_York")
        Store(session, oh, source="ohio-legislature", now=now).store_result(
            ScrapeResult(bills=(funding_bill(documents=(DocumentRecord(
                "fiscal_note", "Fiscal note for the introduced version",
                "https://www.legislature.ohio.gov/example/hb96-fiscal-note.pdf", et(2026, 2, 20)),)),),
                hearings=(hearing(),))
        )
        bill = session.query(Bill).filter_by(identifier="HB 96").one()
        session.add_all([
            TagAssessment(bill_id=bill.id, tag="school_funding", label="School funding", score=0.92,
                          reasons=["title mentions the school foundation funding formula"], assessed_at=now),
            TagAssessment(bill_id=bill.id, tag="appropriations", label="Appropriations", score=0.55,
                          reasons=["subject: Appropriations"], assessed_at=now),
            Curation(bill_id=bill.id, status="new", priority="high", position="monitor",
                     commentary="Watch the guarantee changes.", changed_at=now, updated_at=now),
        ])
        session.add(BillRelevance(bill_id=bill.id, relevant=True, score=0.92, tagged_at=now))
        return bill.id


def seed_other_bills(app: App, now: datetime) -> None:
    from vocabulary.records import BillRecord

    with app.transaction() as session:
        oh = ensure_jurisdiction(session, "OH", "Ohio", "America/New_York")
        store = Store(session, oh, source="ohio-legislature", now=now)
        store.store_bills([
            BillRecord(jurisdiction="OH", session="136", identifier="SB 12",
                       title="Require districts to adopt a school bus safety policy", status="Introduced"),
            BillRecord(jurisdiction="OH", session="136", identifier="HB 200",
                       title="Revise the 100% tax abatement_rules for new housing", status="In committee"),
        ])


def seed_runs(app: App, now: datetime) -> None:
    with app.transaction() as session:
        session.add_all([
            SourceRun(source="ohio-legislature", kind="ohio", jurisdiction="OH", status="ok",
                      started_at=now - timedelta(hours=5), finished_at=now - timedelta(hours=5), fetched=12,
                      records=40, new_bills=3, events=7),
            SourceRun(source="ohio-legislature", kind="ohio", jurisdiction="OH", status="failed",
                      started_at=now - timedelta(hours=1), finished_at=now - timedelta(hours=1), fetched=2,
                      error="https://www.legislature.ohio.gov/legislation/search: HTTP 503 after 4 retries"),
            SourceRun(source="ohio-news", kind="rss", jurisdiction="OH", status="ok",
                      started_at=now - timedelta(minutes=30), finished_at=now - timedelta(minutes=29), fetched=1,
                      records=9, events=2),
        ])


def seed_questions(app: App, now: datetime) -> None:
    with app.transaction() as session:
        good = InboundMessage(channel="file", raw=b"one", sha256="1" * 64, status="parsed", received_at=now,
                              sender="lee.okafor@maplefield.k12.example.org", subject="Re: update")
        held = [
            InboundMessage(channel="webhook", raw=b"two", sha256="2" * 64, status="quarantined", received_at=now,
                           sender="stranger@elsewhere.example.net", subject="Question about HB 96",
                           problems=["sender is not a member"]),
            InboundMessage(channel="webhook", raw=b"three", sha256="3" * 64, status="quarantined",
                           received_at=now, sender="", subject="", problems=["DKIM failed"]),
        ]
        session.add_all([good, *held])
        session.flush()
        session.add_all([
            Question(message_id=good.id, text="Will HB 96 change our guarantee?", status="open", created_at=now),
            Question(message_id=good.id, text="When is the next hearing?", status="open", created_at=now),
            Question(message_id=good.id, text="Already handled", status="answered", created_at=now),
        ])


def seed_members(app: App, now: datetime) -> None:
    with app.transaction() as session:
        maple = District(name="Maplefield City Schools", code="044123", jurisdiction="OH",
                         house_districts=["41"], senate_districts=["11"])
        river = District(name="Riverbend Local Schools", code="045678", jurisdiction="OH")
        session.add_all([maple, river])
        session.flush()
        session.add_all([
            Member(district_id=maple.id, email="lee.okafor@maplefield.k12.example.org", name="Lee Okafor",
                   role="Superintendent", topics=None, created_at=now),
            Member(district_id=maple.id, email="sam.ito@maplefield.k12.example.org", name="Sam Ito",
                   role="Treasurer", topics=["school_funding"], paused=True, created_at=now),
            Member(district_id=river.id, email="jo.park@riverbend.k12.example.org", name="Jo Park",
                   role="Board member", topics=["transportation"], unsubscribed_at=now, created_at=now),
        ])


def retag(app: App, bill_id: int, tags: dict[str, str]) -> None:
    """Give the bill tags named like the config's topics (code -> label), replacing the seeded ones."""
    with app.transaction() as session:
        for row in session.query(TagAssessment).filter_by(bill_id=bill_id):
            session.delete(row)
        session.flush()
        session.add_all([TagAssessment(bill_id=bill_id, tag=code, label=label, score=0.9,
                                       reasons=[f"title mentions {label.lower()}"], assessed_at=app.now())
                         for code, label in tags.items()])


def outbox_messages(app: App) -> list[EmailMessage]:
    """Every .eml the outbox backend wrote, parsed, oldest first."""
    folder = app.config.path(app.config.email.outbox_dir)
    return [email.message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[misc]
            for path in sorted(folder.glob("*.eml"))]


def post_form(client: TestClient, page: str, action: str, data: dict[str, object] | None = None,
              **kwargs: object) -> object:
    """POST `data` to `action` with the CSRF token of `page`, as the browser would after loading it."""
    token = csrf_from(client.get(page).text)
    return client.post(action, data={**(data or {}), "csrf_token": token}, follow_redirects=False,
                       **kwargs)  # type: ignore[arg-type]


def seed_call_questions(app: App, now: datetime) -> int:
    """Three open questions from members for the next call (two of them ask the same thing); returns the call id."""
    from advocacy import calls

    with app.transaction() as session:
        call = calls.upcoming(session, app.config, now)
        members = {m.email: m for m in session.query(Member)}
        lee = members["lee.okafor@maplefield.k12.example.org"]
        sam = members["sam.ito@maplefield.k12.example.org"]
        session.add_all([
            Question(member_id=lee.id, call_id=call.id, text="Will the funding guarantee end for our district?",
                     status="open", created_at=now),
            Question(member_id=sam.id, call_id=call.id, text="Does the guarantee end under the new formula?",
                     status="open", created_at=now + timedelta(minutes=1)),
            Question(member_id=lee.id, call_id=call.id, text="Can buses run on the <b>new</b> schedule?",
                     status="open", created_at=now + timedelta(minutes=2)),
        ])
        return call.id
