"""The advocate's side of tagging: the review queue, decisions on bills, and bills that come back on their own.

Every decision goes through `curate`, which checks the values, records who changed what (only the fields that
changed, before and after) and marks the bill reviewed. A dismissed bill stays out of the queue until something
material happens to it (a floor vote, a signature or veto, a hearing, a new version): `resurface` brings it back
with the event that did it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from advocacy.models import (
    Action,
    AuditEntry,
    Bill,
    BillRelevance,
    ChangeEvent,
    Curation,
    Hearing,
    Jurisdiction,
    LegislativeSession,
    TagAssessment,
)
from vocabulary.billnum import sort_key

STATUSES = ("new", "approved", "dismissed", "snoozed")
PRIORITIES = ("high", "medium", "watch")
POSITIONS = ("support", "oppose", "monitor", "seek_amendment")
FIELDS = ("status", "snoozed_until", "priority", "position", "commentary", "alert", "alert_deadline", "alert_action")

AUDIT_ENTITY = "bill"
SYSTEM_ACTOR = "system"

_STATUS_ACTIONS = {"approved": "approve", "dismissed": "dismiss", "snoozed": "snooze", "new": "reopen"}


class CurationError(ValueError):
    """One or more values a curation change cannot take; each problem names its field."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class Change:
    bill_id: int
    action: str
    before: dict[str, Any]
    after: dict[str, Any]

    @property
    def changed(self) -> bool:
        return bool(self.after)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _choice(field: str, value: Any, allowed: Sequence[str], *, optional: bool) -> tuple[Any, str | None]:
    if value is None and optional:
        return None, None
    if isinstance(value, str):
        cleaned = re.sub(r"[\s-]+", "_", value.strip().lower())
        if cleaned in allowed:
            return cleaned, None
    extra = " or none" if optional else ""
    return value, f"{field}: {value!r} is not one of {', '.join(allowed)}{extra}"


def _instant(field: str, value: Any, now: datetime, *, future: bool) -> str | None:
    if not isinstance(value, datetime):
        return f"{field}: expected a date and time, got {value!r}"
    if value.tzinfo is None:
        return f"{field}: {value.isoformat()} has no time zone"
    if future and value <= now:
        return f"{field}: {value.isoformat()} is not in the future"
    return None


def _validate(current: dict[str, Any], changes: dict[str, Any], now: datetime) -> tuple[dict[str, Any], list[str]]:
    """The curation's fields after the changes, and what is wrong with them."""
    problems: list[str] = []
    target = {**current, **changes}
    target["status"], problem = _choice("status", target["status"], STATUSES, optional=False)
    problems += [problem] if problem else []
    target["priority"], problem = _choice("priority", target["priority"], PRIORITIES, optional=True)
    problems += [problem] if problem else []
    target["position"], problem = _choice("position", target["position"], POSITIONS, optional=True)
    problems += [problem] if problem else []

    if target["status"] == "snoozed":
        if target["snoozed_until"] is None:
            problems.append("snoozed_until: a snooze needs the date it ends")
        elif problem := _instant("snoozed_until", target["snoozed_until"], now, future="snoozed_until" in changes):
            problems.append(problem)
    elif "snoozed_until" in changes and changes["snoozed_until"] is not None:
        problems.append(f"snoozed_until: only a snoozed bill has one (status is {target['status']!r})")
    else:
        target["snoozed_until"] = None

    if not isinstance(target["commentary"], str):
        problems.append(f"commentary: expected Markdown text, got {type(target['commentary']).__name__}")
    else:
        target["commentary"] = target["commentary"].strip()

    if not isinstance(target["alert"], bool):
        problems.append(f"alert: expected true or false, got {target['alert']!r}")
    elif target["alert"]:
        newly = "alert" in changes and not current["alert"]
        if target["alert_deadline"] is None:
            problems.append("alert_deadline: an alert needs a deadline")
        elif problem := _instant("alert_deadline", target["alert_deadline"], now,
                                 future=newly or "alert_deadline" in changes):
            problems.append(problem)
        if not isinstance(target["alert_action"], str) or not target["alert_action"].strip():
            problems.append("alert_action: an alert needs a call to action (what members should do)")
        else:
            target["alert_action"] = target["alert_action"].strip()
    else:
        for name in ("alert_deadline", "alert_action"):
            if changes.get(name):
                problems.append(f"{name}: set only with an alert (alert is off)")
        target["alert_deadline"], target["alert_action"] = None, ""
    return target, problems


def _curation_for(session: Session, bill: Bill, now: datetime) -> Curation:
    curation = session.scalar(select(Curation).where(Curation.bill_id == bill.id))
    if curation is None:
        # The advocate may curate a bill the tagger passed over.
        curation = Curation(bill_id=bill.id, status="new", commentary="", alert=False, alert_action="",
                            resurfaced="", changed_at=now, updated_at=now)
        session.add(curation)
    return curation


def curate(session: Session, bill: Bill, actor: str, now: datetime, **changes: Any) -> Change:
    """Apply the advocate's changes to a bill's curation, audit them and mark the bill reviewed.

    Fields: status (new, approved, dismissed, snoozed), snoozed_until, priority (high, medium, watch or None),
    position (support, oppose, monitor, seek_amendment or None), commentary (Markdown), alert, alert_deadline,
    alert_action. Raises `CurationError` naming every bad field; nothing is written then.
    """
    problems = []
    if not actor or not actor.strip():
        problems.append("actor: say who made the change")
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        problems.append(f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(FIELDS)}")
        raise CurationError(problems)
    curation = _curation_for(session, bill, now)
    current = {name: getattr(curation, name) for name in FIELDS}
    current["commentary"] = current["commentary"] or ""
    current["alert_action"] = current["alert_action"] or ""
    current["alert"] = bool(current["alert"])
    target, more = _validate(current, changes, now)
    problems += more
    if problems:
        if curation in session.new:
            session.expunge(curation)
        raise CurationError(problems)

    changed = [name for name in FIELDS if target[name] != current[name]]
    before = {name: _jsonable(current[name]) for name in changed}
    after = {name: _jsonable(target[name]) for name in changed}
    if "status" in changed:
        action = _STATUS_ACTIONS[target["status"]]
    elif "alert" in changed:
        action = "alert" if target["alert"] else "clear_alert"
    else:
        action = "update"

    for name in changed:
        setattr(curation, name, target[name])
    curation.reviewed_at = now
    curation.resurfaced = ""  # the advocate has seen what brought it back
    if changed:
        curation.updated_at = now
        session.add(AuditEntry(at=now, actor=actor.strip(), entity=AUDIT_ENTITY, entity_id=bill.id, action=action,
                               before=before, after=after))
    session.flush()
    return Change(bill_id=bill.id, action=action if changed else "review", before=before, after=after)


def approve(session: Session, bill: Bill, actor: str, now: datetime) -> Change:
    return curate(session, bill, actor, now, status="approved")


def dismiss(session: Session, bill: Bill, actor: str, now: datetime) -> Change:
    return curate(session, bill, actor, now, status="dismissed")


def snooze(session: Session, bill: Bill, actor: str, now: datetime, until: datetime) -> Change:
    return curate(session, bill, actor, now, status="snoozed", snoozed_until=until)


def set_priority(session: Session, bill: Bill, actor: str, now: datetime, priority: str | None) -> Change:
    return curate(session, bill, actor, now, priority=priority)


def set_position(session: Session, bill: Bill, actor: str, now: datetime, position: str | None) -> Change:
    return curate(session, bill, actor, now, position=position)


def set_commentary(session: Session, bill: Bill, actor: str, now: datetime, markdown: str) -> Change:
    return curate(session, bill, actor, now, commentary=markdown)


def flag_alert(session: Session, bill: Bill, actor: str, now: datetime, deadline: datetime,
               call_to_action: str) -> Change:
    return curate(session, bill, actor, now, alert=True, alert_deadline=deadline, alert_action=call_to_action)


def clear_alert(session: Session, bill: Bill, actor: str, now: datetime) -> Change:
    return curate(session, bill, actor, now, alert=False)


# -- the queue -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TagSummary:
    tag: str
    label: str
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class QueueEvent:
    kind: str
    summary: str
    at: datetime  # when it happened, or when we saw it


@dataclass(frozen=True)
class QueueItem:
    bill_id: int
    jurisdiction: str
    session: str
    identifier: str
    title: str
    score: float
    status: str
    priority: str | None
    position: str | None
    alert: bool
    alert_deadline: datetime | None
    needs_look: bool
    tags: tuple[TagSummary, ...]
    events: tuple[QueueEvent, ...]  # the latest since the advocate last looked
    resurfaced: str
    snooze_ended: datetime | None

    @property
    def why(self) -> list[str]:
        lines = []
        if self.resurfaced:
            lines.append(f"back: {self.resurfaced}")
        if self.snooze_ended is not None:
            lines.append(f"snooze ended {self.snooze_ended.date().isoformat()}")
        lines += ["new bill" if e.kind == "new_bill" else e.summary for e in self.events]
        lines += [f"{t.label or t.tag}: {'; '.join(t.reasons)}" for t in self.tags if t.reasons]
        return lines


def needs_look(curation: Curation, now: datetime) -> bool:
    """New, changed since the advocate last looked, or out of its snooze. Dismissed bills wait for `resurface`."""
    if curation.status == "new":
        return True
    if curation.status == "approved":
        return curation.reviewed_at is None or curation.changed_at > curation.reviewed_at
    if curation.status == "snoozed":
        return curation.snoozed_until is None or curation.snoozed_until <= now
    return False


def _needs_look_sql(now: datetime) -> Any:
    return or_(
        Curation.status == "new",
        and_(Curation.status == "approved",
             or_(Curation.reviewed_at.is_(None), Curation.changed_at > Curation.reviewed_at)),
        and_(Curation.status == "snoozed", or_(Curation.snoozed_until.is_(None), Curation.snoozed_until <= now)),
    )


def _strip_ident(summary: str, identifier: str) -> str:
    prefix = f"{identifier}: "
    return summary[len(prefix):] if summary.startswith(prefix) else summary


def _check_filters(priority: str | None, status: str | None) -> None:
    problems = []
    if priority is not None and priority not in PRIORITIES:
        problems.append(f"priority: {priority!r} is not one of {', '.join(PRIORITIES)}")
    if status is not None and status not in STATUSES:
        problems.append(f"status: {status!r} is not one of {', '.join(STATUSES)}")
    if problems:
        raise CurationError(problems)


def _queue_query(now: datetime, *, topic: str | None, priority: str | None, status: str | None,
                 jurisdiction: str | None, include_all: bool
                 ) -> Select[tuple[Curation, Bill, str, str, BillRelevance | None]]:
    """Each curated bill the filters let through, with its session's identifier and its state's code."""
    query = (
        select(Curation, Bill, LegislativeSession.identifier, Jurisdiction.code, BillRelevance)
        .join(Bill, Curation.bill_id == Bill.id)
        .outerjoin(BillRelevance, BillRelevance.bill_id == Bill.id)
        .join(LegislativeSession, Bill.session_id == LegislativeSession.id)
        .join(Jurisdiction, LegislativeSession.jurisdiction_id == Jurisdiction.id)
    )
    if not include_all:  # the tagger's "relevant", or a bill the advocate has decided on (tracked by hand)
        query = query.where(or_(BillRelevance.relevant.is_(True), Curation.reviewed_at.is_not(None)))
        if status is None:
            query = query.where(_needs_look_sql(now))
    if status is not None:
        query = query.where(Curation.status == status)
    if priority is not None:
        query = query.where(Curation.priority == priority)
    if jurisdiction:
        query = query.where(Jurisdiction.code == jurisdiction.upper())
    if topic:
        wanted = topic.strip().lower()
        query = query.where(exists().where(
            TagAssessment.bill_id == Bill.id,
            or_(func.lower(TagAssessment.tag) == wanted, func.lower(TagAssessment.label) == wanted),
        ))
    return query


def _tags(session: Session, ids: Sequence[int]) -> dict[int, list[TagSummary]]:
    """Each bill's tags, highest score first."""
    tags: dict[int, list[TagSummary]] = {i: [] for i in ids}
    for row in session.scalars(select(TagAssessment).where(TagAssessment.bill_id.in_(ids))
                               .order_by(TagAssessment.score.desc(), TagAssessment.tag)):
        tags[row.bill_id].append(TagSummary(row.tag, row.label, row.score, tuple(row.reasons)))
    return tags


def _unseen_events(session: Session, curated: Sequence[tuple[Curation, Bill]], limit: int
                   ) -> dict[int, list[QueueEvent]]:
    """Each bill's latest `limit` events detected since the advocate last reviewed it, newest first."""
    reviewed = {bill.id: curation.reviewed_at for curation, bill in curated}
    idents = {bill.id: bill.identifier for _, bill in curated}
    events: dict[int, list[QueueEvent]] = {i: [] for i in idents}
    for event in session.scalars(select(ChangeEvent).where(ChangeEvent.bill_id.in_(list(idents)))
                                 .order_by(ChangeEvent.detected_at.desc(), ChangeEvent.id.desc())):
        bill_id = event.bill_id
        assert bill_id is not None
        since = reviewed[bill_id]
        if since is not None and event.detected_at <= since:
            continue
        if len(events[bill_id]) < limit:
            events[bill_id].append(QueueEvent(event.kind, _strip_ident(event.summary, idents[bill_id]),
                                              event.occurred_at or event.detected_at))
    return events


def _snooze_ended(curation: Curation, now: datetime) -> datetime | None:
    if curation.status == "snoozed" and curation.snoozed_until is not None and curation.snoozed_until <= now:
        return curation.snoozed_until
    return None


def queue(session: Session, now: datetime, *, topic: str | None = None, priority: str | None = None,
          status: str | None = None, jurisdiction: str | None = None, include_all: bool = False,
          events_per_bill: int = 3) -> list[QueueItem]:
    """Tagged relevant bills that want the advocate's eye, highest score first, each with why it is there.

    `status` lists every bill with that status (e.g. all snoozed ones); `include_all` lists every curated
    bill, relevant or not, reviewed or not. `topic` matches a tag's code or label.
    """
    _check_filters(priority, status)
    rows = list(session.execute(_queue_query(now, topic=topic, priority=priority, status=status,
                                             jurisdiction=jurisdiction, include_all=include_all)))
    if not rows:
        return []
    tags = _tags(session, [bill.id for _, bill, _, _, _ in rows])
    events = _unseen_events(session, [(curation, bill) for curation, bill, _, _, _ in rows], events_per_bill)
    items = [
        QueueItem(
            bill_id=bill.id, jurisdiction=code, session=session_ident, identifier=bill.identifier,
            title=bill.title, score=verdict.score if verdict else 0.0, status=curation.status, priority=curation.priority,
            position=curation.position, alert=curation.alert, alert_deadline=curation.alert_deadline,
            needs_look=(bool(verdict and verdict.relevant) or curation.reviewed_at is not None) and needs_look(curation, now), tags=tuple(tags[bill.id]),
            events=tuple(events[bill.id]), resurfaced=curation.resurfaced or "",
            snooze_ended=_snooze_ended(curation, now),
        )
        for curation, bill, session_ident, code, verdict in rows
    ]
    items.sort(key=lambda i: (-i.score, i.jurisdiction, sort_key(i.identifier), i.session))
    return items


# -- resurfacing -----------------------------------------------------------------------------------------------
# Action classifications (ours from vocabulary.actions, and Open States' vocabulary) that make a bill worth
# another look, with the words the advocate sees; lower rank wins when one scrape brings several.
_MATERIAL = {
    "signed": (0, "signed"), "executive-signature": (0, "signed"),
    "effective": (1, "became law"), "became-law": (1, "became law"),
    "vetoed": (2, "veto"), "executive-veto": (2, "veto"), "veto-override-passage": (2, "veto override"),
    "concurred": (3, "concurrence"), "concurrence": (3, "concurrence"),
    "passed-chamber": (4, "floor vote"), "passage": (4, "floor vote"),
    "failed": (4, "floor vote"), "failure": (4, "floor vote"),
}
_HEARING_RANK = (5, "hearing")
_VERSION_RANK = (6, "new version")
# When an action carries no classification, its words: ordered, first match wins.
_WORDS: tuple[tuple[re.Pattern[str], tuple[int, str]], ...] = (
    (re.compile(r"informally passed|pass(ed)? over", re.I), (-1, "")),  # Ohio: postponed, not passed
    (re.compile(r"\bveto", re.I), (2, "veto")),
    (re.compile(r"\bsigned\b", re.I), (0, "signed")),
    (re.compile(r"\bconcur", re.I), (3, "concurrence")),
    (re.compile(r"\bpass(ed|es|age)?\b|\bvot(e|ed|es|ing)\b|\byeas?\b|\bfailed\b|\bdefeated\b", re.I),
     (4, "floor vote")),
)


@dataclass(frozen=True)
class Resurfaced:
    bill_id: int
    identifier: str
    reason: str
    status_before: str


@dataclass(frozen=True)
class Material:
    rank: int  # lower is weightier
    label: str  # "floor vote", "hearing", ...
    text: str  # what happened, without the bill's number

    @property
    def reason(self) -> str:
        return f"{self.label}: {self.text}"


def _action_material(session: Session, event: ChangeEvent, bill: Bill) -> Material | None:
    text = _strip_ident(event.summary, bill.identifier)
    classification: list[str] = []
    if event.occurred_at is not None:
        for action in session.scalars(select(Action).where(Action.bill_id == bill.id,
                                                           Action.when == event.occurred_at)):
            if action.description == text:
                classification = list(action.classification or ())
                if action.chamber and action.chamber.lower() not in text.lower():
                    text = f"{text} ({action.chamber})"
                break
    rank: tuple[int, str] | None = None
    if classification:
        ranks = [_MATERIAL[c] for c in classification if c in _MATERIAL]
        rank = min(ranks) if ranks else None
    else:
        for pattern, found in _WORDS:
            if pattern.search(text):
                rank = found if found[0] >= 0 else None
                break
    return Material(rank[0], rank[1], text) if rank else None


def material(session: Session, event: ChangeEvent, bill: Bill) -> Material | None:
    """Whether the event makes the bill worth another look; None for a referral, a document, a status line."""
    if event.kind == "new_action":
        return _action_material(session, event, bill)
    text = _strip_ident(event.summary, bill.identifier)
    if event.kind == "bill_hearing":
        hearing = session.get(Hearing, event.hearing_id) if event.hearing_id is not None else None
        if hearing is not None and hearing.cancelled:
            return None
        return Material(*_HEARING_RANK, text)
    if event.kind == "new_version":
        return Material(*_VERSION_RANK, text.removeprefix("new version ").strip())
    return None


def resurface(session: Session, events: Iterable[ChangeEvent], now: datetime) -> list[Resurfaced]:
    """Bring dismissed (and snoozed) bills back to the queue when something material happened to them.

    Approved bills are marked changed so the advocate sees the event; each status change is audited as the
    system's doing.
    """
    best: dict[int, Material] = {}
    for event in events:
        if event.bill_id is None:
            continue
        bill = session.get(Bill, event.bill_id)
        if bill is None:
            continue
        found = material(session, event, bill)
        if found is not None and (event.bill_id not in best or found.rank < best[event.bill_id].rank):
            best[event.bill_id] = found

    back = []
    for bill_id, found in best.items():
        curation = session.scalar(select(Curation).where(Curation.bill_id == bill_id))
        if curation is None:
            continue  # never tagged relevant nor curated: nothing to bring back
        bill = session.get(Bill, bill_id)
        assert bill is not None
        reason = found.reason
        if curation.status in ("dismissed", "snoozed"):
            before = {"status": curation.status, "resurfaced": curation.resurfaced or ""}
            if curation.snoozed_until is not None:
                before["snoozed_until"] = _jsonable(curation.snoozed_until)
            back.append(Resurfaced(bill_id, bill.identifier, reason, curation.status))
            curation.status, curation.snoozed_until, curation.resurfaced = "new", None, reason
            after = {"status": "new", "resurfaced": reason}
            if "snoozed_until" in before:
                after["snoozed_until"] = None
            session.add(AuditEntry(at=now, actor=SYSTEM_ACTOR, entity=AUDIT_ENTITY, entity_id=bill_id,
                                   action="resurface", before=before, after=after))
        curation.changed_at = now
        curation.updated_at = now
    session.flush()
    return back


def audit_log(session: Session, bill: Bill | None = None, limit: int | None = None) -> list[AuditEntry]:
    """Audit entries, newest first; only the bill's when one is given."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if bill is not None:
        query = query.where(AuditEntry.entity == AUDIT_ENTITY, AuditEntry.entity_id == bill.id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))
