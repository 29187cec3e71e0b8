"""The learned ranker: a small model of what this collaborative's advocate approves, beside the rules.

Trained here (scikit-learn logistic regression) on the advocate's own approve/dismiss decisions plus the labelled
corpus, on the words of a bill (title, synopsis, subjects, committee; stems and word pairs, tf-idf) and the rules'
own judgement (score, verdict, K-12 wording). Nothing is downloaded: the model is the fitted numbers, kept as JSON
(`Ranker.to_json`), and scoring needs only them.

What it may do, and how it says so:
- rank the queue by its probability that the advocate will approve a bill;
- raise a bill the rules missed when that probability reaches `raise_at`, always with a reason the advocate can
  judge: "like RI H7047 and RI S2039 you approved: words 'school committee', 'transport'" (never silently);
- it never removes a bill the rules found (a missed bill is the costly error).

With fewer than `min_decisions` decisions (or too few of either kind) there is no model: the queue is ranked by the
rules' score, and `train` says why. Its held-out precision and recall are measured on a quarter of the
collaborative's own decisions, chosen by a hash of each bill's identity, before the final fit on all of them.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from advocacy.tagging.tagger import Assessment, BillInput, Tagger
from advocacy.tagging.text import words

_RULE_FEATURES = ("rule score", "rules say relevant", "K-12 wording")
_DECISION_WEIGHT = 3.0  # the collaborative's own decisions count more than the shared corpus


@dataclass(frozen=True)
class Example:
    ident: str  # "RI 2020 H7047": shown in reasons
    bill: BillInput
    relevant: bool
    source: str = "decision"  # or "corpus"


@dataclass(frozen=True)
class Suggestion:
    probability: float
    raised: bool  # the rules missed it and the model raises it
    reason: str


# Words every bill title uses; they tell the advocate nothing as a reason.
_STOP = frozenset(words(
    "the and for with from that this these those such any each other certain act acts bill bills regard regards "
    "relat relating provid providing concerning amend amending section sections code law laws state purpose "
    "purposes make makes shall may under into within their which"
).stems)


def tokens(bill: BillInput) -> list[str]:
    """Stems and adjacent stem pairs of the fields a person reads first."""
    text = " . ".join([bill.title, bill.synopsis, *bill.subjects, bill.committee])
    stems = [s for s in words(text).stems if len(s) > 2 and not s.isdigit() and s not in _STOP]
    return stems + [f"{a} {b}" for a, b in zip(stems, stems[1:], strict=False)]


def rule_features(assessment: Assessment) -> list[float]:
    k12 = any(r.endswith("(K-12 wording)") for r in assessment.reasons)
    return [assessment.score / (1.0 + abs(assessment.score)), float(assessment.relevant), float(k12)]


@dataclass
class Ranker:
    vocabulary: dict[str, int]
    idf: list[float]
    coef: list[float]  # one per vocabulary term, then one per rule feature
    intercept: float
    raise_at: float
    approved: list[tuple[str, dict[str, float]]] = field(default_factory=list)  # ident, its strongest terms
    metrics: dict[str, Any] = field(default_factory=dict)

    def _vector(self, bill: BillInput) -> dict[int, float]:
        counts: dict[int, float] = {}
        for token in tokens(bill):
            index = self.vocabulary.get(token)
            if index is not None:
                counts[index] = counts.get(index, 0.0) + 1.0
        weighted = {i: c * self.idf[i] for i, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in weighted.values())) or 1.0
        return {i: v / norm for i, v in weighted.items()}

    def probability(self, bill: BillInput, assessment: Assessment) -> float:
        vector = self._vector(bill)
        z = self.intercept + sum(self.coef[i] * v for i, v in vector.items())
        offset = len(self.vocabulary)
        z += sum(self.coef[offset + k] * v for k, v in enumerate(rule_features(assessment)))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def suggest(self, bill: BillInput, assessment: Assessment) -> Suggestion:
        p = self.probability(bill, assessment)
        raised = not assessment.relevant and p >= self.raise_at
        return Suggestion(round(p, 3), raised, self._reason(bill, p, raised))

    def _reason(self, bill: BillInput, p: float, raised: bool) -> str:
        vector = self._vector(bill)
        names = {i: t for t, i in self.vocabulary.items()}
        helping = sorted(((self.coef[i] * v, names[i]) for i, v in vector.items() if self.coef[i] > 0), reverse=True)
        terms = [t for _, t in helping[:4]]
        alike = self._most_alike(vector, names)
        head = f"learned ranker {p:.0%}"
        if raised:
            head += " (raised: the rules missed it)"
        like = f"like {' and '.join(alike)} you approved" if alike else "from your decisions"
        quoted = ", ".join(f"'{t}'" for t in terms) if terms else "no telling words"
        return f"{head}: {like}: words {quoted}"

    def _most_alike(self, vector: dict[int, float], names: dict[int, str]) -> list[str]:
        mine = {names[i]: v for i, v in vector.items()}
        scored = []
        for ident, terms in self.approved:
            overlap = sum(mine.get(t, 0.0) * w for t, w in terms.items())
            if overlap > 0.05:
                scored.append((overlap, ident))
        return [ident for _, ident in sorted(scored, reverse=True)[:2]]

    def to_json(self) -> dict[str, Any]:
        return {"vocabulary": self.vocabulary, "idf": self.idf, "coef": self.coef, "intercept": self.intercept,
                "raise_at": self.raise_at, "approved": [[i, t] for i, t in self.approved], "metrics": self.metrics}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Ranker:
        try:
            return cls(vocabulary=dict(data["vocabulary"]), idf=list(data["idf"]), coef=list(data["coef"]),
                       intercept=float(data["intercept"]), raise_at=float(data["raise_at"]),
                       approved=[(str(i), dict(t)) for i, t in data.get("approved", [])],
                       metrics=dict(data.get("metrics", {})))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"stored ranker model is not readable: {exc}") from exc


@dataclass(frozen=True)
class Training:
    ranker: Ranker | None
    message: str
    metrics: dict[str, Any]


_FOLDS = 4
_CANDIDATES = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def fold(ident: str) -> int:
    """A bill's fold for cross-validation, by a hash of its identity (not by order or date)."""
    return hashlib.sha256(ident.encode()).digest()[0] % _FOLDS


def train(examples: Sequence[Example], tagger: Tagger, *, raise_at: float | None = None, min_decisions: int = 20,
          min_each: int = 5) -> Training:
    """Fit the ranker, or say why the rules alone must do (too few decisions).

    Its held-out numbers come from 4-fold cross-validation over the decisions (each fold predicted by a model
    fitted without it). `raise_at` None chooses, on those predictions, the lowest probability at which raising
    bills keeps the precision the rules alone have on the same decisions while finding more; none does: 1.0.
    """
    decisions = [e for e in examples if e.source == "decision"]
    approved = sum(1 for e in decisions if e.relevant)
    dismissed = len(decisions) - approved
    if len(decisions) < min_decisions or approved < min_each or dismissed < min_each:
        message = (f"{len(decisions)} decision(s) ({approved} approved, {dismissed} dismissed); the ranker needs "
                   f"{min_decisions} with at least {min_each} of each: ranking by the rules' score")
        return Training(None, message, {"decisions": len(decisions)})
    assessments = {e.ident: tagger.assess(e.bill) for e in examples}
    predicted = _out_of_fold(examples, decisions, assessments)
    chosen = raise_at if raise_at is not None else _choose(decisions, assessments, predicted)
    metrics: dict[str, Any] = {"decisions": len(decisions), "approved": approved, "dismissed": dismissed,
                               "corpus": len(examples) - len(decisions), "raise_at": chosen,
                               "held_out": _measure(decisions, assessments, predicted, chosen),
                               "held_out_rules": _measure(decisions, assessments, predicted, 2.0)}
    ranker = _fit(list(examples), assessments, chosen)
    ranker.metrics = metrics
    return Training(ranker, f"trained on {len(decisions)} decision(s) and {metrics['corpus']} corpus bill(s)",
                    metrics)


def _out_of_fold(examples: Sequence[Example], decisions: list[Example],
                 assessments: dict[str, Assessment]) -> dict[str, float]:
    predicted: dict[str, float] = {}
    for k in range(_FOLDS):
        fit_on = [e for e in examples if not (e.source == "decision" and fold(e.ident) == k)]
        if len({e.relevant for e in fit_on}) < 2:
            continue
        model = _fit(fit_on, assessments, 1.0)
        for e in decisions:
            if fold(e.ident) == k:
                predicted[e.ident] = model.probability(e.bill, assessments[e.ident])
    return predicted


def _choose(decisions: list[Example], assessments: dict[str, Assessment], predicted: dict[str, float]) -> float:
    rules = _measure(decisions, assessments, predicted, 2.0)
    for threshold in _CANDIDATES:
        found = _measure(decisions, assessments, predicted, threshold)
        if found["precision"] >= rules["precision"] and found["recall"] > rules["recall"]:
            return threshold
    return 1.0


def _measure(decisions: Iterable[Example], assessments: dict[str, Assessment], predicted: dict[str, float],
             threshold: float) -> dict[str, Any]:
    """Precision and recall of "the rules, or the ranker at `threshold`" on decisions it did not see."""
    tp = fp = fn = 0
    for e in decisions:
        if e.ident not in predicted:
            continue
        said = assessments[e.ident].relevant or predicted[e.ident] >= threshold
        tp += said and e.relevant
        fp += said and not e.relevant
        fn += (not said) and e.relevant
    return {"bills": tp + fp + fn, "precision": round(tp / (tp + fp), 3) if tp + fp else 1.0,
            "recall": round(tp / (tp + fn), 3) if tp + fn else 1.0, "tp": tp, "fp": fp, "fn": fn}


def _fit(examples: list[Example], assessments: dict[str, Assessment], raise_at: float) -> Ranker:
    # scikit-learn and scipy load in ~1 s: only training needs them, never the tagger or the queue.
    from scipy.sparse import csr_matrix, hstack  # noqa: PLC0415  (imported here: see comment above)
    from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: PLC0415
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415

    vectorizer = TfidfVectorizer(analyzer=tokens, min_df=2, sublinear_tf=True)
    texts = vectorizer.fit_transform([e.bill for e in examples])
    rules = csr_matrix([rule_features(assessments[e.ident]) for e in examples])
    labels = [int(e.relevant) for e in examples]
    weights = [_DECISION_WEIGHT if e.source == "decision" else 1.0 for e in examples]
    model = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000)
    model.fit(hstack([texts, rules]).tocsr(), labels, sample_weight=weights)
    vocabulary = {str(t): int(i) for t, i in vectorizer.vocabulary_.items()}
    ranker = Ranker(vocabulary, [float(x) for x in vectorizer.idf_], [float(x) for x in model.coef_[0]],
                    float(model.intercept_[0]), raise_at)
    names = {i: t for t, i in vocabulary.items()}
    for e in examples:
        if e.relevant and e.source == "decision":
            vector = ranker._vector(e.bill)
            top = sorted(vector.items(), key=lambda kv: -kv[1])[:25]
            ranker.approved.append((e.ident, {names[i]: round(v, 4) for i, v in top}))
    return ranker
