"""The ranker in the running service: trained from this collaborative's decisions, kept as JSON under var/, and
applied beside the rules (`RankedTagger`), its judgement always shown as a reason.

- `learn` trains on every approved/dismissed curation (plus optional corpus examples) and writes the model; with
  too few decisions it removes any stale model and the rules work alone.
- `retrain_due` says when the stored model is older than the configured number of days (the scheduled `tag` step
  retrains then), or when there is none.
- `RankedTagger.assess` adds a "ranker" tag with the model's probability and reason to every bill, and raises a
  bill the rules missed only when the probability reaches `raise_at`, saying so in the bill's reasons.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from advocacy.models import Bill, Curation, LegislativeSession
from advocacy.tagging.ranker import Example, Ranker, Suggestion, Training, train
from advocacy.tagging.store import bill_input
from advocacy.tagging.tagger import Assessment, BillInput, Tagger, TagResult

RANKER_TAG = "ranker"
RANKER_LABEL = "Raised by the learned ranker"


@dataclass(frozen=True)
class StoredModel:
    ranker: Ranker
    trained_at: datetime


def save_model(path: Path, ranker: Ranker, trained_at: datetime) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"trained_at": trained_at.isoformat(), "model": ranker.to_json()}), encoding="utf-8")
    tmp.replace(path)


def load_model(path: Path) -> StoredModel | None:
    """The stored model, or None when there is none; an unreadable file raises ValueError naming it."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return StoredModel(Ranker.from_json(data["model"]), datetime.fromisoformat(data["trained_at"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a ranker model ({exc}); run `advocacy tag learn` to rebuild it") from exc


def decision_examples(session: Session) -> list[Example]:
    """Every approve (relevant) and dismiss (not relevant) the advocate made, as training examples."""
    rows = session.scalars(
        select(Bill).join(Curation, Curation.bill_id == Bill.id)
        .where(Curation.status.in_(("approved", "dismissed")))
        .options(selectinload(Bill.sponsors), selectinload(Bill.actions),
                 selectinload(Bill.session).selectinload(LegislativeSession.jurisdiction))
        .order_by(Bill.id)
    )
    status = {bill_id: state for bill_id, state in session.execute(select(Curation.bill_id, Curation.status))}
    examples = []
    for bill in rows:
        data = bill_input(bill)
        ident = f"{data['state']} {data['bill']}"
        examples.append(Example(ident, BillInput(**data), status[bill.id] == "approved", "decision"))
    return examples


def retrain_due(path: Path, now: datetime, every_days: int) -> bool:
    stored = load_model(path)
    return stored is None or now - stored.trained_at >= timedelta(days=every_days)


def learn(session: Session, rules: Tagger, path: Path, now: datetime,
          corpus: Sequence[Example] = ()) -> Training:
    """Train on the decisions (and corpus) and store the model; too few decisions removes a stale model."""
    settings = rules.config.ranker
    training = train([*decision_examples(session), *corpus], rules, raise_at=settings.raise_at,
                     min_decisions=settings.min_decisions, min_each=settings.min_each)
    if training.ranker is None:
        path.unlink(missing_ok=True)
    else:
        save_model(path, training.ranker, now)
    return training


class RankedTagger:
    """The rules, with the learned ranker's judgement beside them (never instead of them).

    Its reason is always among the bill's reasons (what `tag explain` prints); only a bill it raises, which the
    rules missed, also gets a "ranker" tag, so the queue shows why that bill is there at all.
    """

    def __init__(self, rules: Tagger, ranker: Ranker) -> None:
        self.rules = rules
        self.ranker = ranker
        self.config = rules.config

    def suggest(self, bill: BillInput, found: Assessment | None = None) -> Suggestion:
        return self.ranker.suggest(bill, found or self.rules.assess(bill))

    def assess(self, bill: BillInput) -> Assessment:
        found = self.rules.assess(bill)
        suggestion = self.ranker.suggest(bill, found)
        tags = list(found.tags)
        if suggestion.raised:
            tags.append(TagResult(RANKER_TAG, RANKER_LABEL, suggestion.probability, [suggestion.reason]))
        return Assessment(relevant=found.relevant or suggestion.raised, score=found.score, tags=tags,
                          reasons=[*found.reasons, suggestion.reason])


def suggestions(session: Session, ranked: RankedTagger, bill_ids: Sequence[int]) -> dict[int, Suggestion]:
    """The ranker's probability and reason for each stored bill (for the queue's order and its "why")."""
    bills = session.scalars(
        select(Bill).where(Bill.id.in_(list(bill_ids)))
        .options(selectinload(Bill.sponsors), selectinload(Bill.actions),
                 selectinload(Bill.session).selectinload(LegislativeSession.jurisdiction))
    )
    return {bill.id: ranked.suggest(BillInput(**bill_input(bill))) for bill in bills}
