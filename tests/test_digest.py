"""What a digest says, to whom: sections, topics, escaping, links and the text part, from real curated rows."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import select

from advocacy.app import App
from advocacy.models import Mailing, Member, TagAssessment
from advocacy.outbound.digest import NothingNew, context_for, create_digest, load_view, preview, send_digest
from advocacy.people.members import set_preferences
from digests.model import DigestContext
from digests.render import EmailRenderer
from tests.factories import (
    WORLD_SCRAPED,
    FakeClock,
    build_world,
    curate_bill,
    et,
    funding_bill,
    levy_bill,
    scrape,
)
from vocabulary.records import ActionRecord, VersionRecord

SCRAPED = WORLD_SCRAPED
HREF = re.compile(r"""\shref=["']([^"']*)["']""")


@pytest.fixture
def world(app: App, clock: FakeClock) -> App:
    build_world(app, clock())
    return app


def context(app: App, mailing_id: int, topics: tuple[str, ...] | None = None) -> DigestContext | None:
    with app.sessions() as session:
        digest = session.get(Mailing, mailing_id)
        assert digest is not None
        return context_for(app.config, load_view(session, digest), topics, app.now())


def numbers(bills: tuple) -> list[str]:
    return [b.number for b in bills]


def new_digest(app: App, **options: object) -> int:
    with app.transaction() as session:
        return create_digest(session, app.config, app.now(), **options).id  # type: ignore[arg-type]


def test_tagger_topics_are_what_the_member_filters_use(world: App) -> None:
    with world.sessions() as session:
        tags = {(t.bill_id, t.tag) for t in session.scalars(select(TagAssessment))}
    assert {tag for _, tag in tags} >= {"funding", "choice", "literacy_curriculum", "taxes_levies"}


def test_first_digest_puts_each_curated_bill_in_one_section_in_the_states_style(world: App) -> None:
    ctx = context(world, new_digest(world))
    assert ctx is not None
    assert [a.title for a in ctx.action_needed] == [
        "H.B. 114, Expand EdChoice scholarship eligibility to all kindergarten students"]
    assert ctx.action_needed[0].deadline == et(2026, 11, 30, 10)
    # high priority first, then medium; the watch-priority bill only in the watch list
    assert numbers(ctx.new_bills) == ["H.B. 96", "H.B. 114", "S.B. 52"]
    assert numbers(ctx.watch_list) == ["H.B. 141"]
    assert ctx.moved == ()
    (h,) = ctx.hearings
    # the pawpaw bill is on the agenda but nobody curated it: members never see it
    assert numbers(h.bills) == ["H.B. 114", "H.B. 141"]
    assert h.start.utcoffset() == timedelta(hours=-5) and h.location == "Statehouse Room 121"
    assert ctx.new_bills[0].url == "https://www.legislature.ohio.gov/legislation/136/hb96"
    assert ctx.new_bills[0].position.label == "Support if amended"
    # the call's question cutoff is still ahead
    assert ctx.questions_call is not None and ctx.questions_call.cutoff > world.now()


def test_members_see_only_the_bills_of_their_topics(world: App) -> None:
    mailing_id = new_digest(world)
    literacy = context(world, mailing_id, ("literacy_curriculum",))
    assert literacy is not None
    assert literacy.action_needed == () and literacy.new_bills == ()
    assert numbers(literacy.watch_list) == ["H.B. 141"]
    assert [numbers(h.bills) for h in literacy.hearings] == [["H.B. 141"]]
    levies = context(world, mailing_id, ("taxes_levies",))
    assert levies is not None and numbers(levies.new_bills) == ["S.B. 52"] and levies.hearings == ()
    # a member whose topics match nothing in this digest gets no email at all
    assert context(world, mailing_id, ("meals",)) is None


def test_each_member_receives_the_sections_for_their_preferences(world: App, clock: FakeClock) -> None:
    with world.transaction() as session:
        dev = session.scalars(select(Member).where(Member.email.startswith("dev."))).one()
        set_preferences(session, dev, paused=True)
    report = send_digest(world, new_digest(world), world.mail)
    assert (report.sent, report.failed, report.skipped) == (3, 0, 0)
    bodies = {}
    for path in Path(world.config.path(world.config.email.outbox_dir)).glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        bodies[message["To"].addresses[0].addr_spec] = message.get_body(("plain",)).get_content()
    assert set(bodies) == {"ana.rivera@cedarfalls.example.org", "ben.osei@maplevalley.example.org",
                           "cara.lind@riverbend.example.org"}  # Dev paused
    ana, ben, cara = (bodies[k] for k in sorted(bodies))
    assert all(n in ana for n in ("H.B. 96", "H.B. 114", "S.B. 52", "H.B. 141"))
    assert "H.B. 141" in ben and not any(n in ben for n in ("H.B. 96", "H.B. 114", "S.B. 52"))
    assert "H.B. 96" in cara and "H.B. 114" in cara and "S.B. 52" not in cara
    assert "pawpaw" not in ana.lower()


def test_second_digest_shows_what_moved_newest_first_and_drops_passed_deadlines(world: App,
                                                                               clock: FakeClock) -> None:
    send_digest(world, new_digest(world), world.mail)
    clock.advance(days=3)
    scrape(world, clock(), bills=[
        levy_bill(actions=(*levy_bill().actions, ActionRecord(et(2026, 11, 25), "Reported by committee",
                                                              chamber="Senate"))),
        funding_bill(actions=(*funding_bill().actions, ActionRecord(et(2026, 11, 26), "Passed", chamber="House")),
                     versions=(*funding_bill().versions,
                               VersionRecord("As Passed by the House", code="01_PH", when=et(2026, 11, 26),
                                             url="https://www.legislature.ohio.gov/download?file=hb96-ph.pdf"))),
    ])
    clock.advance(days=11)
    ctx = context(world, new_digest(world))
    assert ctx is not None
    assert ctx.action_needed == ()  # Monday's deadline has passed
    assert numbers(ctx.moved) == ["H.B. 96", "S.B. 52"]
    assert ctx.new_bills == () and numbers(ctx.watch_list) == ["H.B. 141"]
    hb96 = ctx.moved[0]
    assert [a.description for a in hb96.latest_actions] == ["Passed"]
    assert [v.name for v in hb96.new_versions] == ["As Passed by the House"]
    assert ctx.period_start == (SCRAPED + timedelta(days=10)).astimezone(et(2026, 1, 1).tzinfo).date()
    text = EmailRenderer().digest(ctx).text
    assert text.index("S.B. 52") > text.index("H.B. 96")  # newest first: HB 96 moved on the 26th
    assert "Passed (House)" in text and "As Passed by the House" in text


def test_nothing_new_skips_the_digest_unless_told_otherwise(world: App, clock: FakeClock) -> None:
    send_digest(world, new_digest(world), world.mail)
    clock.advance(days=14)
    with pytest.raises(NothingNew, match="nothing moved since the last digest"):
        new_digest(world)
    mailing_id = new_digest(world, allow_empty=True)
    ctx = context(world, mailing_id)
    assert ctx is not None and ctx.new_bills == () and ctx.moved == ()
    # an opening note is news enough
    assert new_digest(world, note="The Senate returns on the 12th.") > mailing_id


def test_html_escapes_what_sources_and_the_advocate_wrote_and_links_are_absolute(world: App) -> None:
    scrape(world, world.now(), bills=[levy_bill(identifier="SB 60", title="Levy renewals <script>alert(1)</script>"
                                                " & school district property tax")])
    curate_bill(world, "SB 60", world.now(), status="approved", priority="medium",
                commentary='<img src=x onerror="steal()"> See [the analysis](/docs/sb60) and '
                           '[this](javascript:alert(2)).')
    ctx = context(world, new_digest(world))
    assert ctx is not None
    rendered = EmailRenderer().digest(ctx)
    assert "<script>" not in rendered.html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; school" in rendered.html
    assert "<img" not in rendered.html and "&lt;img src=x" in rendered.html
    assert not re.search(r"href=[\"']javascript", rendered.html)  # the link stays words
    hrefs = HREF.findall(rendered.html)
    assert hrefs and all(h.startswith(("https://", "http://", "mailto:")) for h in hrefs)
    assert "http://127.0.0.1:8000/docs/sb60" in hrefs
    # the text part reads as text: no markup, the links spelled out, the footer's address
    assert "<" not in rendered.text.replace("<script>alert(1)</script>", "")
    assert "the analysis (http://127.0.0.1:8000/docs/sb60)" in rendered.text
    assert "100 Example Parkway, Suite 200, Columbus, OH 43215" in rendered.text
    assert max(len(line) for line in rendered.text.splitlines() if "http" not in line) <= 72


def test_preview_writes_html_text_and_a_complete_eml_with_links_filled_in(world: App, tmp_path: Path) -> None:
    paths = preview(world, new_digest(world), tmp_path / "previews", ("choice",))
    assert sorted(paths) == ["eml", "html", "text"] and all(p.exists() for p in paths.values())
    message = email.message_from_bytes(paths["eml"].read_bytes(), policy=policy.default)
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "H.B. 114" in text and "H.B. 96" not in text
    assert "-member-token-" not in text + html and "/m/" in text
    assert message["Reply-To"].addresses[0].addr_spec.startswith("questions+")
    assert paths["text"].read_text().startswith("Subject: Action needed")


def test_answers_from_the_last_call_reach_the_next_digest_even_when_no_bill_moved(world: App, clock: FakeClock) -> None:
    from advocacy.inbound.intake import answer
    from advocacy.models import Question

    with world.transaction() as session:
        first = create_digest(session, world.config, world.now())
    send_digest(world, first.id, world.mail)
    clock.advance(days=3)
    with world.transaction() as session:
        member = session.scalar(select(Member).order_by(Member.id))
        assert member is not None
        question = Question(member_id=member.id, text="Does SB 52 apply to emergency levies?", created_at=world.now())
        session.add(question)
        session.flush()
        answer(session, question.id, "Only to **renewals**; emergency levies keep today's calendar.",
               actor="advocate", now=world.now())
    clock.advance(days=1)
    with world.transaction() as session:
        second = create_digest(session, world.config, world.now())  # no NothingNew: the answer is news
        view = load_view(session, second, world.config)
    ctx = context_for(world.config, view, None, world.now())
    assert ctx is not None and [a.text for a in ctx.answers] == ["Does SB 52 apply to emergency levies?"]
    rendered = EmailRenderer().digest(ctx)
    assert "ANSWERS FROM THE LAST CALL" in rendered.text
    assert "Q: Does SB 52 apply to emergency levies?" in rendered.text
    assert "<strong>renewals</strong>" in rendered.html
