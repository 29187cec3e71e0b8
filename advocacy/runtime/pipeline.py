"""The steps that follow each other: what runs after a scrape, shared by the CLI, the demo and the scheduler."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from advocacy.app import App
from advocacy.collect.scrape import SourceSummary
from advocacy.collect.votes import store_run_votes
from advocacy.config import Config
from advocacy.curation.decisions import resurface
from advocacy.curation.saved import apply_saved_searches
from advocacy.locks import advisory_key
from advocacy.models import DEFAULT_SLUG, ChangeEvent
from advocacy.models.tenancy import COLLABORATIVE
from advocacy.outbound.alerts import create_alerts
from advocacy.tagging.learning import RankedTagger, load_model
from advocacy.tagging.store import followed_bill_ids, tag_bills
from advocacy.tagging.tagger import Tagger


def ranker_path(config: Config) -> Path:
    """Where `advocacy tag learn` keeps this collaborative's learned ranker (learned from its own decisions): the
    default collaborative's at `var/tagging/ranker.json`, another's beside it in a folder named by its slug."""
    slug = config.collaborative.slug
    folder = config.path("var") / "tagging"
    return (folder if slug == DEFAULT_SLUG else folder / slug) / "ranker.json"


def make_tagger(config: Config) -> Tagger | RankedTagger:
    """The rules, with the learned ranker beside them once one has been trained (`advocacy tag learn`)."""
    rules = Tagger.from_config(config.tagging)
    stored = load_model(ranker_path(config))
    return rules if stored is None else RankedTagger(rules, stored.ranker)


def tagging_turn(session: Session, wait: bool = True) -> bool:
    """Wait for this transaction's turn to tag for its collaborative (PostgreSQL: an advisory lock until it commits).
    Two workers tagging for one collaborative at once, e.g. one scrape's catch-up `tag` step and another's new
    bills, would write the same bill's tags twice; two collaboratives' tags are separate rows, so each has its own
    turn. On SQLite the database itself has one writer at a time. With `wait=False`, False at once when another
    transaction has the turn (its holder is tagging and will make the alerts that calls for)."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    schema = str(session.scalar(text("SELECT current_schema()")) or "public")
    collaborative = session.info.get(COLLABORATIVE)
    key = advisory_key("tagging" if collaborative is None else f"tagging:{collaborative}", schema)
    if wait:
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
        return True
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key}))


def after_scrape(app: App, summaries: Sequence[SourceSummary], tagger: Tagger | RankedTagger | None = None) -> list[str]:
    """Store the roll calls the scrape found (shared), then `tag_changed` for the App's collaborative."""
    return store_votes(app, summaries) + tag_changed(app, *changes(summaries), tagger)


def store_votes(app: App, summaries: Sequence[SourceSummary]) -> list[str]:
    """Store the roll calls the scrapes of `summaries` found (shared by the host's collaboratives)."""
    votes = store_run_votes(app, [(s.name, s.run_id) for s in summaries if s.status != "failed"])
    lines: list[str] = [f"Stored {votes.stored} roll call(s), {votes.votes} vote(s)"] if votes.stored else []
    return lines + [f"Votes skipped: {problem}" for problem in votes.problems[:5]]


def changes(summaries: Sequence[SourceSummary]) -> tuple[list[int], list[int]]:
    """What the scrapes of `summaries` changed: (bill ids, change event ids)."""
    return (sorted({bill_id for s in summaries for bill_id in s.changed_bill_ids}),
            [e for s in summaries for e in s.event_ids])


def tag_changed(app: App, changed: Sequence[int], event_ids: Sequence[int],
                tagger: Tagger | RankedTagger | None = None) -> list[str]:
    """For the App's collaborative: tag the new and changed bills `changed` (those of jurisdictions it follows),
    run its saved searches on them, bring dismissed bills back to its queue when something material happened
    (`event_ids`), and make the alerts that calls for."""
    lines: list[str] = []
    if not changed and not event_ids:
        return lines
    tagger = tagger or make_tagger(app.config)
    with app.transaction() as session:
        tagging_turn(session)
        changed = followed_bill_ids(session, changed, app.config.followed())
        report = tag_bills(session, tagger, changed, app.now())
        searched = apply_saved_searches(session, changed, app.now())
        events = list(session.scalars(select(ChangeEvent).where(ChangeEvent.id.in_(event_ids))))
        back = resurface(session, events, app.now())
        alerts = create_alerts(session, app.config, app.now())
    lines.append(f"Tagged {report.tagged} new or changed bill(s): {report.relevant} relevant to our districts, "
                 f"{len(report.moved_in)} newly in the queue")
    lines += [f"  {m.identifier}: {m.reasons[0] if m.reasons else ''}" for m in report.moved_in]
    lines += [f"Back in the queue: {r.identifier}: {r.reason}" for r in back]
    lines += [f"Saved search {m.search!r}: {m.identifier}" for m in searched]
    if alerts:
        lines.append(f"{len(alerts)} urgent alert(s) ready: `advocacy alerts send` sends them")
    return lines
