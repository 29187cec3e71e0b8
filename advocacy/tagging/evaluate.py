"""Measure the tagger against labelled bills: precision and recall of relevance and of each topic.

The labelled set is JSON lines, one bill a line, with the `BillInput` fields plus `relevant` (bool) and `topics`
(slugs). Topics count only for bills the tagger calls relevant, as a digest would show them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from advocacy.tagging.tagger import Assessment, BillInput, Tagger


@dataclass(frozen=True)
class Labelled:
    bill: BillInput
    relevant: bool
    topics: frozenset[str]
    note: str = ""


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Report:
    relevance: Counts = field(default_factory=Counts)
    topics: dict[str, Counts] = field(default_factory=dict)
    wrong: list[tuple[Labelled, Assessment]] = field(default_factory=list)  # relevance misclassified
    topic_misses: list[tuple[Labelled, Assessment]] = field(default_factory=list)
    total: int = 0


def load_labelled(path: Path) -> list[Labelled]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            bill = BillInput.from_mapping(data)
            if not isinstance(data.get("relevant"), bool):
                raise ValueError("field 'relevant' must be true or false")
            topics = data.get("topics", [])
            if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
                raise ValueError("field 'topics' must be a list of strings")
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            raise ValueError(f"{path}:{number}: {exc}") from exc
        rows.append(Labelled(bill, data["relevant"], frozenset(topics), data.get("note", "")))
    return rows


def evaluate(tagger: Tagger, rows: Iterable[Labelled], topics: Iterable[str] = ()) -> Report:
    report = Report()
    for slug in topics:
        report.topics.setdefault(slug, Counts())
    for row in rows:
        report.total += 1
        result = tagger.assess(row.bill)
        counts = report.relevance
        if result.relevant and row.relevant:
            counts.tp += 1
        elif result.relevant:
            counts.fp += 1
        elif row.relevant:
            counts.fn += 1
        if result.relevant != row.relevant:
            report.wrong.append((row, result))
        predicted = set(result.topics) if result.relevant else set()
        gold = set(row.topics) if row.relevant else set()
        for slug in predicted | gold:
            topic = report.topics.setdefault(slug, Counts())
            if slug in predicted and slug in gold:
                topic.tp += 1
            elif slug in predicted:
                topic.fp += 1
            else:
                topic.fn += 1
        if predicted != gold and result.relevant == row.relevant:
            report.topic_misses.append((row, result))
    return report
