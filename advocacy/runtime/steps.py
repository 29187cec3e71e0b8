"""What each scheduled job does. Every step is idempotent and asks the database what is due: the scheduler only
wakes it up, and a resumed run after a crash does nothing twice (delivery rows guard every send)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from advocacy.app import App
from advocacy.collect.billtext import fetch_texts
from advocacy.collect.scrape import run_source
from advocacy.curation.saved import apply_saved_searches
from advocacy.inbound.imap import poll
from advocacy.inbound.intake import process_pending
from advocacy.outbound.agenda import run_due
from advocacy.outbound.alerts import create_alerts, pending_alerts, send_alert
from advocacy.outbound.digest import NothingNew, create_digest, last_sent_digest, latest_draft, send_digest
from advocacy.outbound.reminders import send_cutoff_reminder
from advocacy.outbound.sending import SendInProgress
from advocacy.runtime.jobs import StepResult
from advocacy.runtime.pipeline import (
    after_scrape,
    changes,
    make_tagger,
    ranker_path,
    store_votes,
    tag_changed,
    tagging_turn,
)
from advocacy.schedule import previous_digest
from advocacy.tagging.learning import learn, retrain_due
from advocacy.tagging.store import stale_bill_ids, tag_bills
from advocacy.tagging.tagger import Tagger
from digests.render import EmailRenderer

log = logging.getLogger("advocacy.runtime.steps")


# Tag for another collaborative elsewhere (on the task queue: a task per collaborative, spread over the workers):
# (its App, the changed bill ids, the change event ids).
TagElsewhere = Callable[[App, Sequence[int], Sequence[int]], object]


def scrape(app: App, source_name: str, others: Sequence[App] = (), tag_elsewhere: TagElsewhere | None = None
           ) -> StepResult:
    """Scrape one source for the host, then tag what changed for the App's collaborative and each of `others`
    (the host's other collaboratives) that follows the source's jurisdiction: one scrape feeds every
    collaborative's queue. With `tag_elsewhere` (the task queue), every follower's tagging, the App's own
    included, is handed to it: the scrape's worker goes on to other work."""
    for jcfg, source in app.config.sources():
        if source.name == source_name:
            summary = run_source(app, jcfg, source)
            if tag_elsewhere is None:
                lines, followers = after_scrape(app, [summary]), [o for o in others if o.config.follows(jcfg.code)]
            else:
                lines, followers = store_votes(app, [summary]), [o for o in (app, *others)
                                                                 if o.config.follows(jcfg.code)]
            handed, failed = _tag_others(followers, *changes([summary]), tag_elsewhere)
            return StepResult(
                ok=summary.status != "failed" and not failed,
                counts={"fetched": summary.fetched, "not_modified": summary.not_modified,
                        "new_bills": summary.new_bills, "updated_bills": summary.updated_bills,
                        "events": summary.events, **({"tagging_handed_over": handed} if tag_elsewhere else {})},
                note="; ".join([*summary.errors[:3], *lines[:1],
                                *([f"tagging failed for {', '.join(failed)} (the tag job catches up)"]
                                  if failed else [])]),
            )
    raise KeyError(f"no source named {source_name!r} in the configuration")


def _tag_others(others: Sequence[App], changed: Sequence[int], event_ids: Sequence[int],
                tag_elsewhere: TagElsewhere | None) -> tuple[int, list[str]]:
    """Tag `changed` for each of `others` (or hand it to `tag_elsewhere`): how many were handed over, and the slugs
    of those that failed. One collaborative's failure leaves the others' tagging to run. Handing over when nothing
    changed: a catch-up for those with stale bills (e.g. a resumed run whose first attempt stored bills, then died
    before handing over)."""
    handed, failed = 0, []
    for other in others:
        try:
            if tag_elsewhere is None:
                if changed or event_ids:
                    tag_changed(other, changed, event_ids)
            elif changed or event_ids or _stale(other):
                tag_elsewhere(other, changed, event_ids)
                handed += 1
        except Exception:
            log.exception("tagging after a scrape failed for collaborative %s", other.config.collaborative.slug)
            failed.append(other.config.collaborative.slug)
    return handed, failed


def _stale(app: App) -> bool:
    with app.sessions() as session:
        return bool(stale_bill_ids(session, app.config.followed(), limit=1))


def tag_for(app: App, changed: Sequence[int], event_ids: Sequence[int]) -> StepResult:
    """One collaborative's tagging on the task queue (`advocacy.tag`): a scrape's changes (`tag_changed`, then the
    ranker retrained when due), or with none a catch-up of its stale bills (`tag`); then the alerts that made are
    sent (`alerts`). A change task leaves other stale bills alone: they are other scrapes' tasks, waiting."""
    if changed or event_ids:
        lines = tag_changed(app, changed, event_ids)
        tagged = retrain(app, {})
        note = "; ".join([*lines[:1], *([tagged.note] if tagged.note else [])])
    else:
        tagged = tag(app)
        note = tagged.note
    sent = alerts(app)
    return StepResult(ok=tagged.ok and sent.ok, counts={**tagged.counts, **sent.counts}, note=note)


TEXTS_PER_STEP = 300  # at the polite one request a second, five minutes of a scrape job at most


def billtext(app: App, others: Sequence[App] = ()) -> StepResult:
    """Fetch the text of versions that have none yet (for the host); each collaborative's saved searches (the
    App's and `others'`) then look at the new text.

    A version whose text cannot be extracted is recorded with its reason and skipped: not a failed step."""
    report = fetch_texts(app, limit=TEXTS_PER_STEP)
    matched = []
    for each in (app, *others) if report.bill_ids else ():  # no new text: nothing for a saved search to see
        with each.transaction() as session:
            matched += apply_saved_searches(session, report.bill_ids, each.now())
    return StepResult(counts={"fetched": report.fetched, "extracted": report.extracted, "reused": report.reused,
                              "not_extracted": len(report.problems), "saved_search_matches": len(matched)},
                      note="; ".join(report.problems[:3]))


def tag(app: App) -> StepResult:
    """Catch up on bills stored but not tagged since they last changed (e.g. after a crash between the two), and
    retrain the learned ranker when its model is older than `[tagging.ranker] retrain_days` (or missing)."""
    with app.transaction() as session:
        tagging_turn(session)  # then what is stale: not what another worker's scrape is tagging right now
        stale = stale_bill_ids(session, app.config.followed())
        report = tag_bills(session, make_tagger(app.config), stale, app.now()) if stale else None
    return retrain(app, {"tagged": report.tagged if report else 0})


def retrain(app: App, counts: dict[str, int]) -> StepResult:
    """`counts`, after retraining the learned ranker if its model is older than `[tagging.ranker] retrain_days`
    (or missing)."""
    path = ranker_path(app.config)
    if not retrain_due(path, app.now(), app.config.tagging.ranker.retrain_days):
        return StepResult(counts=counts)
    with app.transaction() as session:
        training = learn(session, Tagger.from_config(app.config.tagging), path, app.now())
    if training.ranker is not None:
        return StepResult(counts={**counts, "retrained": 1}, note=training.message)
    return StepResult(counts=counts)


def tagged_elsewhere(app: App) -> StepResult:
    """The `tag` step on the task queue: the scrape handed every collaborative's tagging to `advocacy.tag` tasks,
    catch-ups included."""
    return StepResult(note="tagging runs as advocacy.tag tasks")


def digest(app: App, call_for_help: Callable[[int], object] | None = None) -> StepResult:
    """Send the digest of the latest slot unless it went out already; resume an interrupted send.

    `call_for_help(mailing_id)`, on the task queue, asks other workers to join the send before this one starts it
    (each member still once: `advocacy.outbound.sending`)."""
    now = app.now()
    with app.sessions() as session:
        draft = latest_draft(session)
        last = last_sent_digest(session)
        draft_id = draft.id if draft else None
    slot = previous_digest(app.config, now)
    if draft_id is None:
        if slot is None or (last is not None and last.created_at >= slot):
            return StepResult(note="no digest due")
        try:
            with app.transaction() as session:
                draft_id = create_digest(session, app.config, now,
                                         allow_empty=not app.config.schedule.skip_empty_digest).id
        except NothingNew as exc:
            return StepResult(note=f"digest skipped: {exc}")
    if call_for_help is not None:
        call_for_help(draft_id)
    report = send_digest(app, draft_id, app.mail)
    return StepResult(ok=not report.permanent, counts={"sent": report.sent, "failed": report.failed},
                      note="; ".join(report.lines()[1:3]))


def alerts(app: App, wait: bool = True) -> StepResult:
    """Create the alerts that events and the advocate's flags call for, then send every alert not sent yet; an
    alert another worker is sending right now (its lease is taken) is left to it. With `wait=False` (the task
    queue), the creating is left to whoever is tagging for the collaborative (it makes and sends its alerts)."""

    with app.transaction() as session:
        # two workers' scrapes would otherwise create the same alert at once
        created = create_alerts(session, app.config, app.now()) if tagging_turn(session, wait) else []
    with app.sessions() as session:
        pending = pending_alerts(session)
    reports, elsewhere = [], 0
    renderer = EmailRenderer()
    for mailing_id in pending:
        try:
            reports.append(send_alert(app, mailing_id, app.mail, renderer))
        except SendInProgress:
            elsewhere += 1
    return StepResult(counts={"created": len(created), "sent": sum(r.sent for r in reports),
                              "failed": sum(r.failed for r in reports), "sent_elsewhere": elsewhere})


def agenda(app: App) -> StepResult:

    published = run_due(app)
    if published is None:
        return StepResult(note="no agenda due")
    return StepResult(counts={"sent": published.report.sent, "failed": published.report.failed})


def cutoff_reminder(app: App) -> StepResult:

    report = send_cutoff_reminder(app)
    if report is None:
        return StepResult(note="no reminder due")
    return StepResult(counts={"sent": report.sent, "skipped": report.skipped})


def inbound(app: App) -> StepResult:
    """Parse replies stored but not yet parsed, and poll the IMAP mailbox when one is configured."""

    counts = {"processed": len(process_pending(app))}
    errors: list[str] = []
    if app.config.inbound.imap.host:
        report = poll(app)
        counts["imap_stored"] = report.stored
        errors = report.errors
    return StepResult(ok=not errors, counts=counts, note="; ".join(errors[:3]))


def for_each(step: Callable[[App], StepResult], others: Sequence[App]) -> Callable[[App], StepResult]:
    """`step` done for the App it is given, then for each of `others` (the host's other collaboratives), its
    counts summed; the first failure is the result's note. One collaborative's step that raises is logged and
    counted failed; the others' still run."""
    if not others:
        return step

    def guarded(each: App) -> StepResult:
        try:
            return step(each)
        except Exception as exc:  # reported in the result; the other collaboratives go on
            log.exception("step failed for collaborative %s", each.config.collaborative.slug)
            return StepResult(ok=False, note=f"{each.config.collaborative.slug}: {exc}")

    def every(app: App) -> StepResult:
        results = [guarded(each) for each in (app, *others)]
        counts: dict[str, int] = {}
        for result in results:
            for key, value in result.counts.items():
                counts[key] = counts.get(key, 0) + value
        failed = [r.note for r in results if not r.ok]
        return StepResult(ok=not failed, counts=counts, note="; ".join(failed[:3]) or results[0].note)

    return every
