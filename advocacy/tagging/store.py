"""The tagger's judgements, kept: what a stored bill says to the tagger, and what the tagger said back.

The tagger itself is a pure function of a bill's text (`advocacy.tagging.tagger`); this module is the only place that
reads bills for it and writes its assessments, so a rule change can be replayed over every stored bill with
`retag_all` and reported as bills that moved in or out of scope, each with its reasons.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, selectinload

from advocacy.models import Bill, BillRelevance, Curation, Jurisdiction, LegislativeSession, TagAssessment
from advocacy.tagging.tagger import BillInput

Movement = Literal["in", "out"]

_BATCH = 500


class TagResultLike(Protocol):
    @property
    def tag(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def reasons(self) -> Sequence[str]: ...


class AssessmentLike(Protocol):
    @property
    def relevant(self) -> bool: ...
    @property
    def score(self) -> float: ...
    @property
    def tags(self) -> Sequence[TagResultLike]: ...


class Tagger(Protocol):
    """What `advocacy.tagging.tagger` provides: a judgement of one bill's text."""

    def assess(self, bill: Any) -> AssessmentLike: ...


MakeInput = Callable[..., Any]


@dataclass(frozen=True)
class Moved:
    """A bill whose relevance flipped, with the reasons of the side it is now on (or was on, for "out")."""

    bill_id: int
    jurisdiction: str
    session: str
    identifier: str
    title: str
    direction: Movement
    score: float
    previous_score: float
    tags: tuple[str, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class _Kept:
    """A stored tag as it was before re-tagging (the ORM rows are updated in place)."""

    tag: str
    label: str
    score: float
    reasons: tuple[str, ...]


@dataclass
class RetagReport:
    tagged: int = 0
    relevant: int = 0
    moved_in: list[Moved] = field(default_factory=list)
    moved_out: list[Moved] = field(default_factory=list)


def bill_input(bill: Bill) -> dict[str, Any]:
    """The tagger's view of a stored bill, as keyword arguments for `BillInput`."""
    committee = bill.committee
    if not committee:
        # No current referral recorded: the committee of the latest action that names one.
        for action in reversed(bill.actions):
            if action.committee:
                committee = action.committee
                break
    return {
        "state": bill.session.jurisdiction.code,
        "session": bill.session.identifier,
        "bill": bill.identifier,
        "title": bill.title,
        "synopsis": bill.synopsis or "",
        "subjects": tuple(bill.subjects or ()),
        "committee": committee or "",
        "sponsors": tuple(s.name for s in bill.sponsors),
        "analysis_text": bill.analysis_text or "",
        "text": stored_text(bill),
    }


def stored_text(bill: Bill) -> str:
    """The bill's own text when one is stored: a `text` on the bill, else on its latest version that has one.

    Read by attribute so that the tagger does not depend on how bill text is stored (issue 17 adds that storage);
    without any, the tagger reads the other fields only.
    """
    own = getattr(bill, "text", None)
    if isinstance(own, str) and own:
        return own
    for version in sorted(bill.versions, key=lambda v: (v.when is not None, v.when or 0, v.id or 0), reverse=True):
        text = getattr(version, "text", None)
        if isinstance(text, str) and text:
            return text
    return ""


def _reasons(tags: Iterable[TagResultLike | _Kept]) -> tuple[str, ...]:
    out: list[str] = []
    for tag in sorted(tags, key=lambda t: -t.score):
        name = tag.label or tag.tag
        out.extend(f"{name}: {reason}" for reason in tag.reasons)
    return tuple(out)


@dataclass(frozen=True)
class AtHand:
    """What a caller tagging many bills loaded for all of them at once: each bill's current tags, verdict and
    curation (a bill missing from `curations` has none)."""

    tags: dict[int, list[TagAssessment]]
    verdicts: dict[int, BillRelevance]
    curations: dict[int, Curation]


def store_assessment(session: Session, bill: Bill, assessment: AssessmentLike, now: datetime, *,
                     bill_changed: bool = True, at_hand: AtHand | None = None) -> Movement | None:
    """Replace the bill's tags with the assessment's and say whether the bill moved "in", "out" or neither.

    A relevant bill gets its Curation row (status "new") on first sight; one that already has it is marked
    changed, so the advocate sees it again. `bill_changed=False` (a re-tag after a rule change, not a new scrape)
    marks it changed only when it moved in or its tags changed. `at_hand` saves three queries a bill when the
    caller loaded them for a batch (`_at_hand`).
    """
    if at_hand is None:
        existing = list(session.scalars(select(TagAssessment).where(TagAssessment.bill_id == bill.id)))
        verdict = relevance(session, bill.id)
        curation = session.scalar(select(Curation).where(Curation.bill_id == bill.id))
    else:
        existing, verdict, curation = (at_hand.tags[bill.id], at_hand.verdicts[bill.id],
                                       at_hand.curations.get(bill.id))
    old = {t.tag: t for t in existing}
    was_relevant = verdict.relevant if verdict.tagged_at is not None else False
    old_tag_names = {t.tag for t in existing}

    new: dict[str, TagResultLike] = {}
    for result in assessment.tags:
        new[result.tag] = result  # a tagger repeating a tag keeps the last, as the unique key demands
    # Update in place rather than delete-and-insert: the unit of work inserts before it deletes, and
    # (bill_id, tag) is unique.
    for name, result in new.items():
        row = old.get(name)
        if row is None:
            row = TagAssessment(bill_id=bill.id, tag=name)
            session.add(row)
        row.label = result.label
        row.score = float(result.score)
        row.reasons = list(result.reasons)
        row.assessed_at = now
    for name, row in old.items():
        if name not in new:
            session.delete(row)

    relevant = bool(assessment.relevant)
    verdict.relevant, verdict.score, verdict.tagged_at = relevant, float(assessment.score), now

    movement: Movement | None = None
    if relevant and not was_relevant:
        movement = "in"
    elif was_relevant and not relevant:
        movement = "out"

    if relevant:
        if curation is None:
            session.add(Curation(bill_id=bill.id, status="new", changed_at=now, updated_at=now))
        elif bill_changed or movement == "in" or set(new) != old_tag_names:
            curation.changed_at = now
            curation.updated_at = now
    return movement


def relevance(session: Session, bill_id: int) -> BillRelevance:
    """The collaborative's verdict on the bill, added (not relevant, never tagged) when it has none yet."""
    verdict = session.scalar(select(BillRelevance).where(BillRelevance.bill_id == bill_id))
    if verdict is None:
        verdict = BillRelevance(bill_id=bill_id, relevant=False, score=0.0)
        session.add(verdict)
    return verdict


def _moved(bill: Bill, direction: Movement, score: float, previous: float,
           tags: Iterable[TagResultLike | _Kept], reasons: tuple[str, ...]) -> Moved:
    return Moved(
        bill_id=bill.id, jurisdiction=bill.session.jurisdiction.code, session=bill.session.identifier,
        identifier=bill.identifier, title=bill.title, direction=direction, score=score, previous_score=previous,
        tags=tuple(t.tag for t in sorted(tags, key=lambda t: -t.score)), reasons=reasons,
    )


def _bills(session: Session, ids: Sequence[int]) -> list[Bill]:
    return list(session.scalars(
        select(Bill)
        .where(Bill.id.in_(ids))
        .options(
            selectinload(Bill.sponsors),
            selectinload(Bill.actions),
            selectinload(Bill.versions),
            selectinload(Bill.session).selectinload(LegislativeSession.jurisdiction),
        )
        .order_by(Bill.id)
    ))


def _at_hand(session: Session, ids: Sequence[int]) -> AtHand:
    """The bills' tags, verdicts (added, not relevant and never tagged, where missing) and curations."""
    tags: dict[int, list[TagAssessment]] = {bill_id: [] for bill_id in ids}
    for row in session.scalars(select(TagAssessment).where(TagAssessment.bill_id.in_(ids))):
        tags[row.bill_id].append(row)
    verdicts = {v.bill_id: v for v in session.scalars(select(BillRelevance).where(BillRelevance.bill_id.in_(ids)))}
    for bill_id in ids:
        if bill_id not in verdicts:
            verdicts[bill_id] = BillRelevance(bill_id=bill_id, relevant=False, score=0.0)
            session.add(verdicts[bill_id])
    curations = {c.bill_id: c for c in session.scalars(select(Curation).where(Curation.bill_id.in_(ids)))}
    return AtHand(tags, verdicts, curations)


def _tag_batch(session: Session, tagger: Tagger, ids: Sequence[int], now: datetime, report: RetagReport, *,
               bill_changed: bool, make_input: MakeInput) -> None:
    bills = _bills(session, ids)
    at_hand = _at_hand(session, [b.id for b in bills])
    scores = {bill_id: verdict.score for bill_id, verdict in at_hand.verdicts.items()}
    for bill in bills:
        before = [_Kept(t.tag, t.label, t.score, tuple(t.reasons)) for t in at_hand.tags[bill.id]]
        previous_score = scores[bill.id]
        assessment = tagger.assess(make_input(**bill_input(bill)))
        movement = store_assessment(session, bill, assessment, now, bill_changed=bill_changed, at_hand=at_hand)
        report.tagged += 1
        report.relevant += int(bool(assessment.relevant))
        if movement == "in":
            report.moved_in.append(_moved(bill, "in", float(assessment.score), previous_score, assessment.tags,
                                          _reasons(assessment.tags)))
        elif movement == "out":
            # Why it had been in: the reasons that no longer hold.
            report.moved_out.append(_moved(bill, "out", float(assessment.score), previous_score, before,
                                           _reasons(before)))
    session.flush()


def tag_bills(session: Session, tagger: Tagger, bill_ids: Iterable[int], now: datetime, *,
              make_input: MakeInput = BillInput) -> RetagReport:
    """Tag the bills a scrape inserted or updated (`StoreReport.changed_bill_ids`)."""
    ids = list(dict.fromkeys(bill_ids))
    report = RetagReport()
    for start in range(0, len(ids), _BATCH):
        _tag_batch(session, tagger, ids[start:start + _BATCH], now, report, bill_changed=True,
                   make_input=make_input)
    return report


def _in(query: Select[Any], jurisdictions: Sequence[str] | None) -> Select[Any]:
    """`query` (of bills) kept to the bills of `jurisdictions` (codes); None: every jurisdiction."""
    if jurisdictions is None:
        return query
    return (query.join(LegislativeSession, LegislativeSession.id == Bill.session_id)
            .join(Jurisdiction, Jurisdiction.id == LegislativeSession.jurisdiction_id)
            .where(Jurisdiction.code.in_(jurisdictions)))


def followed_bill_ids(session: Session, bill_ids: Sequence[int], jurisdictions: Sequence[str] | None) -> list[int]:
    """Those of `bill_ids` in `jurisdictions` (the collaborative's followed ones; None: all), in order."""
    if jurisdictions is None:
        return sorted(set(bill_ids))
    found: set[int] = set()
    unique = sorted(set(bill_ids))
    for start in range(0, len(unique), _BATCH):
        found.update(session.scalars(_in(select(Bill.id).where(Bill.id.in_(unique[start:start + _BATCH])),
                                         jurisdictions)))
    return sorted(found)


def stale_bill_ids(session: Session, jurisdictions: Sequence[str] | None = None, limit: int | None = None
                   ) -> list[int]:
    """Bills (of `jurisdictions`, by default all; the first `limit`) the session's collaborative never tagged, or
    changed since it last tagged them."""
    return list(session.scalars(_in(
        select(Bill.id).outerjoin(BillRelevance, BillRelevance.bill_id == Bill.id)
        .where(or_(BillRelevance.tagged_at.is_(None), BillRelevance.tagged_at < Bill.updated_at)),
        jurisdictions).order_by(Bill.id).limit(limit)))


def retag_all(session: Session, tagger: Tagger, now: datetime, *, make_input: MakeInput = BillInput,
              jurisdictions: Sequence[str] | None = None) -> RetagReport:
    """Re-tag every stored bill (of `jurisdictions`, by default all) after a rule change and report which bills
    moved in or out, and why."""
    ids = list(session.scalars(_in(select(Bill.id), jurisdictions).order_by(Bill.id)))
    report = RetagReport()
    for start in range(0, len(ids), _BATCH):
        _tag_batch(session, tagger, ids[start:start + _BATCH], now, report, bill_changed=False,
                   make_input=make_input)
    return report
