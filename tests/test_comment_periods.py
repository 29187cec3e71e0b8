"""A Federal Register document open for comment, end to end: scraped from `documents.json`, stored as a comment
period, shown in every member's digest under "Action needed" as "Comment by <date>" with where to comment while the
deadline is ahead, and in members' calendars. The fixture (`federal_register/documents_education.json`, written in
the documented format) holds a proposed rule open for comment until Dec 21, a notice without a deadline and a
broken document."""

from __future__ import annotations

import email
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import select

from advocacy.app import App
from advocacy.collect.scrape import run_source
from advocacy.models import Hearing, Mailing, Member
from advocacy.outbound.calendar import member_feed
from advocacy.outbound.digest import NothingNew, context_for, create_digest, load_view, send_digest
from tests.factories import FakeClock, build_world, et
from tests.httpserver import FakeTime, FixtureServer
from tests.test_config_examples import example, local
from tests.test_state_routing import MEMBERS
from vocabulary.records import is_comment_period

COMMENT_URL = "https://www.regulations.gov/commenton/ED-2026-OESE-0101-0001"
RULE = "Proposed Priorities and Definitions - Rural School Transportation Grants"
NOTICE = "Title I Fiscal Reporting"  # the document without a comment deadline
DUE = "Comment by Monday, Dec 21, 11:59 p.m. ET"
STATES = {"ana.rivera@cedarfalls.example.org": "OH", "mia.costa@pioneer.example.org": "MA",
          "noa.hale@unknown.example.org": ""}


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as running:
        running.serve("/api/v1/documents.json", "federal_register/documents_education.json")
        yield running


@pytest.fixture
def world(app: App, clock: FakeClock, config_path: Path, server: FixtureServer) -> App:
    """The factories' Ohio world with members in Ohio, Massachusetts and no state, and the federal jurisdiction
    configured beside Ohio."""
    federal = local(example(config_path, "federal.toml"), server)
    app.config = app.config.model_copy(update={"jurisdictions": [*app.config.jurisdictions, federal]})
    build_world(app, clock(), members_csv=MEMBERS)
    return app


def scrape_federal_register(app: App) -> None:
    federal = app.config.jurisdiction("US")
    source = next(s for s in federal.sources if s.kind == "federal_register")
    time = FakeTime()
    summary = run_source(app, federal, source, sleep=time.sleep, monotonic=time.clock)
    assert summary.status == "partial", summary.errors  # the untitled document is skipped and reported


def new_digest(app: App, **options: object) -> int:
    with app.transaction() as session:
        return create_digest(session, app.config, app.now(), **options).id  # type: ignore[arg-type]


def sent(app: App) -> dict[str, EmailMessage]:
    folder = app.config.path(app.config.email.outbox_dir)
    messages = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in folder.glob("*.eml")]
    return {str(m["To"].addresses[0].addr_spec): m for m in messages}  # type: ignore[misc]


def part(message: EmailMessage, kind: str) -> str:
    return message.get_body((kind,)).get_content()  # type: ignore[union-attr]


def test_a_document_open_for_comment_is_stored_as_a_comment_period_and_one_without_a_deadline_is_not(
        world: App) -> None:
    scrape_federal_register(world)
    with world.sessions() as session:
        periods = [h for h in session.scalars(select(Hearing)) if is_comment_period(h.key)]
        (period,) = periods
        assert period.key == "comment:federalregister:2026-20411"
        assert period.start == et(2026, 12, 21, 23, 59) and period.url == COMMENT_URL
        assert period.bills == []


def test_every_members_digest_says_comment_by_the_deadline_with_the_link_in_text_and_html(world: App) -> None:
    scrape_federal_register(world)
    send_digest(world, new_digest(world), world.mail)
    messages = sent(world)
    assert set(messages) >= set(STATES)  # a state's members get federal opportunities too, as do the stateless
    for address in STATES:
        text, html = part(messages[address], "plain"), part(messages[address], "html")
        action_needed = text.split("ACTION NEEDED", 1)[1].split("MOVED SINCE", 1)[0].split("NEW BILLS", 1)[0]
        assert f"Public comment to Education Department: {RULE}" in " ".join(action_needed.split())
        assert DUE in " ".join(action_needed.split())
        assert f"How to comment: {COMMENT_URL}" in action_needed
        assert f'href="{COMMENT_URL}"' in html and DUE in html
        assert NOTICE not in text and NOTICE not in html  # a document without a deadline adds nothing
        assert messages[address]["Subject"].startswith("Action needed:")


def test_action_needed_lists_alerts_and_comment_periods_soonest_deadline_first(world: App) -> None:
    scrape_federal_register(world)
    with world.sessions() as session:
        digest = session.get(Mailing, new_digest(world))
        ctx = context_for(world.config, load_view(session, digest), None, world.now())  # type: ignore[arg-type]
    assert ctx is not None
    assert [(a.due_label, a.deadline) for a in ctx.action_needed] == [
        ("Due", et(2026, 11, 30, 10)), ("Comment by", et(2026, 12, 21, 23, 59))]
    assert ctx.action_needed[1].link_url == COMMENT_URL and ctx.action_needed[1].bill is None


def test_a_comment_period_past_its_deadline_is_not_shown(world: App, clock: FakeClock) -> None:
    scrape_federal_register(world)
    frozen = new_digest(world)  # frozen while the comment period is open
    clock.now = et(2026, 12, 22, 8)  # sent after the deadline
    with world.sessions() as session:
        digest = session.get(Mailing, frozen)
        late = context_for(world.config, load_view(session, digest), None, world.now())  # type: ignore[arg-type]
    assert late is None or all(a.due_label != "Comment by" for a in late.action_needed)
    with world.transaction() as session:
        digest = create_digest(session, world.config, world.now(), allow_empty=True)
        assert not any(item.hearing_id for item in digest.items if item.section == "action_needed")


def test_a_new_comment_period_makes_the_next_digest_and_is_news_only_once(world: App, clock: FakeClock) -> None:
    send_digest(world, new_digest(world), world.mail)
    clock.advance(days=1)
    scrape_federal_register(world)  # nothing else happened since the last digest
    with world.sessions() as session:
        digest = session.get(Mailing, new_digest(world))
        assert digest is not None
        (item,) = [i for i in digest.items if i.hearing_id and i.section == "action_needed"]
        assert item.bill_id is None
    send_digest(world, digest.id, world.mail)
    clock.advance(days=1)
    with pytest.raises(NothingNew), world.transaction() as session:
        create_digest(session, world.config, world.now())


def test_members_calendars_hold_the_comment_deadline_while_it_is_ahead(world: App, clock: FakeClock) -> None:
    scrape_federal_register(world)

    def deadlines() -> dict[str, list[tuple[str, object, str]]]:
        found = {}
        with world.sessions() as session:
            for address in STATES:
                member = session.scalars(select(Member).where(Member.email == address)).one()
                feed = Calendar.from_ical(member_feed(session, world.config, member, world.now()))
                found[address] = [(str(e["SUMMARY"]), e.decoded("DTEND"), str(e.get("URL", "")))
                                  for e in feed.walk("VEVENT") if str(e["UID"]).startswith("comment-")]
        return found

    for events in deadlines().values():
        assert events == [(f"Comment deadline: Public comment to Education Department: {RULE}",
                           et(2026, 12, 21, 23, 59), COMMENT_URL)]
    clock.now = et(2026, 12, 22, 8)
    assert all(events == [] for events in deadlines().values())

