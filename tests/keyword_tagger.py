"""A small, real tagger for the storage and curation tests: keywords in a bill's text, one score per tag.

It reads the same attributes as `advocacy.tagging.tagger.BillInput`, so it proves the store hands the tagger what
the tagger expects, without depending on the real rules (which change as the advocate tunes them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TagResult:
    tag: str
    label: str
    score: float
    reasons: list[str]


@dataclass(frozen=True)
class Assessment:
    relevant: bool
    score: float
    tags: list[TagResult]


@dataclass
class KeywordTagger:
    # tag -> (label, keywords); each keyword found adds 0.4 to the tag's score, capped at 1.
    rules: Mapping[str, tuple[str, Sequence[str]]]
    threshold: float = 0.5
    seen: list[Any] = field(default_factory=list)

    def assess(self, bill: Any) -> Assessment:
        self.seen.append(bill)
        fields = {
            "title": bill.title, "synopsis": bill.synopsis, "subjects": " ".join(bill.subjects),
            "committee": bill.committee, "analysis": bill.analysis_text,
        }
        tags = []
        for tag, (label, keywords) in self.rules.items():
            reasons = [f'{name} mentions "{word}"' for word in keywords for name, text in fields.items()
                       if word.lower() in text.lower()]
            if reasons:
                tags.append(TagResult(tag, label, min(1.0, 0.4 * len(reasons)), reasons))
        score = max((t.score for t in tags), default=0.0)
        return Assessment(relevant=score >= self.threshold, score=score, tags=tags)


SCHOOL_RULES: dict[str, tuple[str, Sequence[str]]] = {
    "funding": ("School funding", ("foundation", "funding formula", "appropriations")),
    "vouchers": ("Vouchers", ("voucher", "scholarship")),
    "staff": ("Educator workforce", ("teacher", "licensure")),
}
