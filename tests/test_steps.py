"""The scheduled steps decide from the database what is due: woken twice, they do the work once."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from advocacy.app import App
from advocacy.runtime import steps
from tests.factories import FakeClock, build_world


def test_the_digest_step_sends_once_per_slot_and_only_when_one_is_due(sqlite_app: App, clock: FakeClock) -> None:
    app = sqlite_app
    build_world(app, clock())  # Tuesday Nov 24; the first digest slot is Tuesday Dec 1, 7 a.m. Eastern
    assert steps.digest(app).note == "no digest due"

    clock.now = datetime(2026, 12, 1, 12, 5, tzinfo=UTC)  # 7:05 a.m. Eastern
    first = steps.digest(app)
    assert first.ok and first.counts["sent"] > 0

    again = steps.digest(app)  # woken again for the same slot (a restart, a second process)
    assert again.note == "no digest due" and "sent" not in again.counts

    clock.now = datetime(2026, 12, 15, 12, 5, tzinfo=UTC)  # the next slot, and nothing has moved since
    assert steps.digest(app).note.startswith("digest skipped: nothing moved since the last digest")


def test_the_tag_step_catches_up_on_bills_changed_since_they_were_tagged(sqlite_app: App, clock: FakeClock) -> None:
    from sqlalchemy import select, update

    from advocacy.models import Bill
    from advocacy.tagging.store import relevance

    app = sqlite_app
    build_world(app, clock())
    assert steps.tag(app).counts == {"tagged": 0}  # everything stored was tagged after its scrape
    with app.transaction() as session:
        session.execute(update(Bill).where(Bill.identifier == "HB 96").values(updated_at=app.now()))
    assert steps.tag(app).counts == {"tagged": 1}
    with app.sessions() as session:
        bill = session.scalars(select(Bill).where(Bill.identifier == "HB 96")).one()
        tagged_at = relevance(session, bill.id).tagged_at
        assert tagged_at is not None and tagged_at >= bill.updated_at


def test_the_cutoff_reminder_goes_once_to_members_who_have_not_asked_in_the_collaboratives_zone(
        sqlite_app: App, clock: FakeClock) -> None:
    import email
    from email import policy

    from sqlalchemy import select

    from advocacy import calls
    from advocacy.models import Member, Question

    app = sqlite_app
    build_world(app, clock())
    assert steps.cutoff_reminder(app).note == "no reminder due"  # Nov 24: the Dec 3 call's cutoff is far off
    with app.transaction() as session:
        call = calls.upcoming(session, app.config, app.now())
        asker = session.scalars(select(Member).order_by(Member.id)).first()
        assert asker is not None
        session.add(Question(member_id=asker.id, call_id=call.id, text="Already asked", created_at=app.now()))
        members = len(list(session.scalars(select(Member))))
        asker_email = asker.email
    clock.now = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # Tuesday 11 a.m. Eastern, a day before the cutoff
    first = steps.cutoff_reminder(app)
    assert first.counts["sent"] == members - 1
    assert steps.cutoff_reminder(app).note == "no reminder due"  # once per call
    outbox = app.config.path(app.config.email.outbox_dir)
    sent = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in outbox.glob("*.eml")]
    assert asker_email not in {m["To"].addresses[0].addr_spec for m in sent}
    body = sent[0].get_body(("plain",)).get_content()
    assert "close Wednesday, Dec 2, 10:00 a.m. ET" in " ".join(body.split())


def test_a_step_that_raises_for_one_collaborative_of_a_host_leaves_the_others_to_run() -> None:
    def apps(*slugs: str) -> list[App]:
        return [SimpleNamespace(config=SimpleNamespace(collaborative=SimpleNamespace(slug=s))) for s in slugs]  # type: ignore[misc]

    done: list[str] = []

    def step(app: App) -> steps.StepResult:
        slug = app.config.collaborative.slug
        if slug == "north":
            raise RuntimeError("the north tagging rules are broken")
        done.append(slug)
        return steps.StepResult(counts={"tagged": 2})

    host, north, south = apps("default", "north", "south")
    result = steps.for_each(step, [north, south])(host)
    assert done == ["default", "south"]
    assert (result.ok, dict(result.counts)) == (False, {"tagged": 4})
    assert result.note == "north: the north tagging rules are broken"


def test_a_scrape_whose_tagging_raises_for_one_collaborative_still_tags_the_hosts_others(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def app(slug: str, sources: tuple = ()) -> App:
        config = SimpleNamespace(collaborative=SimpleNamespace(slug=slug), sources=lambda: sources,
                                 follows=lambda code: True)
        return SimpleNamespace(config=config)  # type: ignore[return-value]

    summary = SimpleNamespace(status="ok", fetched=1, not_modified=0, new_bills=1, updated_bills=0, events=1,
                              errors=[], changed_bill_ids=[7], event_ids=[3])
    tagged: list[str] = []

    def tag_changed(each: App, changed: list, event_ids: list) -> list[str]:
        if each.config.collaborative.slug == "north":
            raise RuntimeError("broken rules")
        tagged.append(each.config.collaborative.slug)
        return []

    monkeypatch.setattr(steps, "run_source", lambda app, jcfg, source: summary)
    monkeypatch.setattr(steps, "after_scrape", lambda app, summaries: ["Tagged 1 new or changed bill(s)"])
    monkeypatch.setattr(steps, "tag_changed", tag_changed)
    host = app("default", ((SimpleNamespace(code="OH"), SimpleNamespace(name="ohio")),))
    result = steps.scrape(host, "ohio", [app("north"), app("south")])
    assert tagged == ["south"]
    assert not result.ok and "tagging failed for north" in result.note


def test_on_the_queue_a_scrape_that_changed_nothing_hands_a_catch_up_only_to_collaboratives_with_stale_bills(
        tmp_path, db_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.collaboratives import host_apps

    home, north = host_apps(tmp_path, db_url, clock)
    build_world(home, home.now())  # stored and tagged for home; north has not tagged them yet (a crash between)
    unchanged = SimpleNamespace(status="ok", fetched=1, not_modified=1, new_bills=0, updated_bills=0, events=0,
                                errors=[], changed_bill_ids=[], event_ids=[], name="ohio-legislature", run_id=None)
    monkeypatch.setattr(steps, "run_source", lambda app, jcfg, source: unchanged)
    handed: list[tuple[str, list, list]] = []
    result = steps.scrape(home, "ohio-legislature", [north],
                          tag_elsewhere=lambda app, changed, events: handed.append(
                              (app.config.collaborative.slug, list(changed), list(events))))
    assert result.ok and handed == [("north", [], [])]
    assert result.counts["tagging_handed_over"] == 1
    home.engine.dispose()
    north.engine.dispose()
