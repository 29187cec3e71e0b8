"""Is a bill ours, and under which topics? A pure, explainable scorer over the `[tagging]` rules.

How a bill is scored (every step leaves a reason a person can read):

- Each topic phrase found in a field scores `phrase weight x topic weight x field weight`, counted once per phrase
  at its best field; a phrase inside a longer phrase of the same topic that matched there is not counted again.
- A topic's `exclude` phrase found in a field stops that topic's phrases from counting in that field.
- Referral to one of a topic's committees, and a sponsor on a topic's list, add to that topic.
- The bill's score is the sum of its topic scores plus the global committee bonus for its referral.
- An exclusion (higher education only, private trade schools) makes the bill not relevant when one of its phrases
  is found and the K-12 evidence (topic scores plus positive committee bonus) stays below its `unless_score`.
- A bill on the watch list is always relevant. Otherwise it is relevant when its score reaches `threshold`.
- Topics scoring at least `tag_threshold` are reported as tags, best first; context topics never are.

`Tagger.from_config(cfg)` compiles the rules once; `tagger.assess(bill)` is pure and thread-safe.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from advocacy.tagging.rules import (
    FIELDS,
    Phrase,
    PhraseEntry,
    TaggingConfig,
    committee_key,
    committee_matches,
    parse_watch,
)
from advocacy.tagging.states import StateRules, load_states
from advocacy.tagging.text import Words, phrase_words, plain_words, words
from vocabulary import billnum
from vocabulary.records import BillRecord

# The main clause is part of the synopsis: reasons name it so (its weight is in the score).
_FIELD_NAMES = {"analysis": "the analysis", "text": "the bill's text", "lead": "synopsis"}
_SENTENCE_END = re.compile(r"(?<=\.)\s+(?=[A-Z(])|(?<=;)\s+")
_EXISTING_LAW = re.compile(r"^(\(\d+\)\s*)?(under )?existing (law|provisions)", re.I)
_THIS_BILL = re.compile(r"^(\(\d+\)\s*)?this bill would\b", re.I)


def split_lead(synopsis: str) -> tuple[str, str]:
    """(main clause, rest): in a digest that states the existing law first (California's), the first "This bill
    would ..." sentence says what the bill does; elsewhere the first sentence or clause does."""
    sentences = _SENTENCE_END.split(synopsis.strip())
    if not sentences or not sentences[0]:
        return "", ""
    lead = next((i for i, s in enumerate(sentences) if _THIS_BILL.match(s)), -1)
    if lead < 0:
        if _EXISTING_LAW.match(sentences[0]):
            return "", synopsis
        lead = 0
    return sentences[lead], " ".join(sentences[:lead] + sentences[lead + 1:])


@dataclass(frozen=True)
class BillInput:
    state: str
    session: str
    bill: str
    title: str
    synopsis: str = ""
    subjects: Sequence[str] = ()
    committee: str = ""
    sponsors: Sequence[str] = ()
    analysis_text: str = ""
    # The bill's own text when one is stored (read through this field only, whoever stores it).
    text: str = ""

    @classmethod
    def from_record(cls, record: BillRecord) -> BillInput:
        return cls(
            state=record.jurisdiction,
            session=record.session,
            bill=record.identifier,
            title=record.title,
            synopsis=record.synopsis,
            subjects=record.subjects,
            committee=record.committee,
            sponsors=tuple(s.name for s in record.sponsors),
            analysis_text=record.analysis_text,
        )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> BillInput:
        """From a JSON object (`tag explain` input); a missing or mistyped field raises ValueError naming it."""
        if not isinstance(data, Mapping):
            raise ValueError("expected a JSON object")
        values: dict[str, Any] = {}
        for name in ("state", "session", "bill", "title"):
            values[name] = _text_field(data, name, required=True)
        for name in ("synopsis", "committee", "analysis_text", "text"):
            values[name] = _text_field(data, name, required=False)
        for name in ("subjects", "sponsors"):
            raw = data.get(name, [])
            if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
                raise ValueError(f"field {name!r} must be a list of strings")
            values[name] = tuple(raw)
        return cls(**values)


def _text_field(data: Mapping[str, Any], name: str, required: bool) -> str:
    if name not in data or data[name] is None:
        if required:
            raise ValueError(f"field {name!r} is missing")
        return ""
    value = data[name]
    if isinstance(value, int | float) and not isinstance(value, bool) and name == "session":
        return str(value)
    if not isinstance(value, str):
        raise ValueError(f"field {name!r} must be a string")
    return value


@dataclass(frozen=True)
class TagResult:
    tag: str
    label: str
    score: float
    reasons: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"tag": self.tag, "label": self.label, "score": self.score, "reasons": list(self.reasons)}


@dataclass(frozen=True)
class Assessment:
    relevant: bool
    score: float
    tags: list[TagResult]
    # Reasons about the whole bill: watch list, committee referral, exclusions, generic K-12 wording.
    reasons: list[str] = field(default_factory=list)

    @property
    def topics(self) -> list[str]:
        return [t.tag for t in self.tags]

    def to_json(self) -> dict[str, Any]:
        return {
            "relevant": self.relevant,
            "score": self.score,
            "reasons": list(self.reasons),
            "tags": [t.to_json() for t in self.tags],
        }


@dataclass(frozen=True)
class _Phrase:
    text: str
    words: tuple[str, ...]
    weight: float
    origin: str = ""  # "Rhode Island wording" for a phrase from a state's rule file


@dataclass(frozen=True)
class _Topic:
    slug: str
    label: str
    weight: float
    phrases: tuple[_Phrase, ...]  # longest first, so a longer phrase claims its words before a shorter one
    exclude: tuple[_Phrase, ...]
    committees: tuple[tuple[str, ...], ...]
    sponsors: tuple[tuple[str, ...], ...]
    context: bool


@dataclass(frozen=True)
class _Exclusion:
    slug: str
    label: str
    phrases: tuple[_Phrase, ...]
    unless_score: float
    ignore_topics: frozenset[str] = frozenset()
    title_names_subject: bool = False


@dataclass(frozen=True)
class _Hit:
    phrase: _Phrase
    field: str
    surface: str


def _compile_phrases(entries: Iterable[PhraseEntry], origin: str = "") -> tuple[_Phrase, ...]:
    compiled = []
    for entry in entries:
        text, weight = (entry, 1.0) if isinstance(entry, str) else (entry.text, entry.weight)
        compiled.append(_Phrase(text=text, words=phrase_words(text), weight=weight, origin=origin))
    return tuple(sorted(compiled, key=lambda p: -len(p.words)))


Committees = tuple[tuple[tuple[str, ...], str, float], ...]


@dataclass(frozen=True)
class _StateView:
    """The rules as they apply to one state's bills: topics with its phrases added, its committees, boilerplate."""

    topics: tuple[_Topic, ...]
    committees: Committees
    ignore: tuple[re.Pattern[str], ...] = ()


def _state_view(rules: StateRules, base: _StateView) -> _StateView:
    origin = f"{rules.name} wording"
    # A topic the advocate's config does not have is skipped here (tests check the shipped files against
    # config.toml), so removing a topic from config.toml never stops the tagger from loading.
    extra = dict(rules.topics)
    topics = []
    k12_home = next((t.slug for t in base.topics if t.context), None)  # the first context topic takes them
    for topic in base.topics:
        added = _compile_phrases(extra.get(topic.slug, []), origin)
        if topic.slug == k12_home:
            added += _compile_phrases(rules.k12, origin)
        phrases = tuple(sorted(topic.phrases + added, key=lambda p: -len(p.words)))
        topics.append(replace(topic, phrases=phrases))
    own = tuple((committee_key(name), name, weight) for name, weight in rules.committees.items())
    ignore = tuple(re.compile(re.escape(" ".join(line.split())).replace(r"\ ", r"\s+"), re.I) for line in rules.ignore)
    return _StateView(tuple(topics), own + base.committees, ignore)


def _strip(text: str, ignore: tuple[re.Pattern[str], ...]) -> str:
    for pattern in ignore:
        text = pattern.sub(" ", text)
    return text


def _where(fields: list[str]) -> str:
    names = list(dict.fromkeys(_FIELD_NAMES.get(f, f) for f in fields))
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _round(value: float) -> float:
    return round(value + 0.0, 3)


class Tagger:
    def __init__(
        self,
        config: TaggingConfig,
        topics: tuple[_Topic, ...],
        exclusions: tuple[_Exclusion, ...],
        committees: Committees,
        watch: frozenset[tuple[str, str, str]],
        states: Mapping[str, StateRules] | None = None,
    ) -> None:
        self.config = config
        self._exclusions = exclusions
        self._watch = watch
        self._base = _StateView(topics, committees)
        self._states = {code: _state_view(rules, self._base) for code, rules in (states or {}).items()}
        self._weights = {name: getattr(config.fields, name) for name in FIELDS}
        self._text_chars = config.fields.text_chars

    @classmethod
    def from_config(cls, config: TaggingConfig, states: Mapping[str, StateRules] | None = None) -> Tagger:
        """Compile the rules; `states` defaults to every registered state file (`advocacy.tagging.states`)."""
        topics = tuple(
            _Topic(
                slug=slug,
                label=rule.label,
                weight=rule.weight,
                phrases=_compile_phrases(rule.phrases),
                exclude=_compile_phrases(rule.exclude),
                committees=tuple(committee_key(c) for c in rule.committees),
                sponsors=tuple(plain_words(s) for s in rule.sponsors),
                context=rule.context,
            )
            for slug, rule in config.topics.items()
        )
        exclusions = tuple(
            _Exclusion(slug, rule.label, _compile_phrases(rule.phrases), rule.unless_score,
                       frozenset(rule.ignore_topics), rule.title_names_subject)
            for slug, rule in config.exclusions.items()
        )
        committees = tuple((committee_key(name), name, weight) for name, weight in config.committees.items())
        watch = frozenset(parse_watch(entry) for entry in config.watch)
        return cls(config, topics, exclusions, committees, watch, load_states() if states is None else states)

    # -- scoring -------------------------------------------------------------------------------------------

    def _texts(self, bill: BillInput, view: _StateView) -> dict[str, list[Words]]:
        lead, rest = split_lead(_strip(bill.synopsis, view.ignore))
        return {
            "title": [words(bill.title)],
            "lead": [words(lead)],
            "synopsis": [words(rest)],
            "subjects": [words(s) for s in bill.subjects],
            "committee": [words(bill.committee)],
            "analysis": [words(_strip(bill.analysis_text, view.ignore))],
            "text": [words(_strip(bill.text[: self._text_chars], view.ignore))] if bill.text else [],
        }

    def assess(self, bill: BillInput) -> Assessment:
        view = self._states.get(bill.state.strip().upper(), self._base)
        texts = self._texts(bill, view)
        referral = committee_key(bill.committee)
        reasons: list[str] = []
        notes: list[str] = []
        scores, tags = self._topics_for(bill, view, texts, referral, reasons, notes)
        bonus = 0.0
        for key, name, weight in view.committees:
            if committee_matches(key, referral):
                bonus += weight
                against = " (counts against)" if weight < 0 else ""
                reasons.insert(0, f"referred to {bill.committee or name}{against}")
                break
        score = sum(scores.values()) + bonus
        excluded = self._excluded(texts, scores, lambda: self._title_k12(bill, view, texts), bonus, reasons)
        watched = self._is_watched(bill)
        if watched:
            reasons.insert(0, "on the watch list")
        relevant = watched or (not excluded and score >= self.config.threshold)
        if not relevant and not excluded:
            reasons.append(f"score {score:.2f} is below the threshold {self.config.threshold:g}")
        return Assessment(relevant=relevant, score=_round(score), tags=tags, reasons=reasons + notes)

    def _topics_for(self, bill: BillInput, view: _StateView, texts: Mapping[str, list[Words]],
                    referral: tuple[str, ...], reasons: list[str],
                    notes: list[str]) -> tuple[dict[str, float], list[TagResult]]:
        sponsors = [plain_words(s) for s in bill.sponsors]
        scores: dict[str, float] = {}
        tags: list[TagResult] = []
        for topic in view.topics:
            score, topic_reasons = self._score_topic(topic, texts, referral, sponsors, bill, notes)
            scores[topic.slug] = score
            if topic.context:
                reasons.extend(f"{r} (K-12 wording)" for r in topic_reasons)
            elif score >= self.config.tag_threshold:
                tags.append(TagResult(topic.slug, topic.label, _round(score), topic_reasons))
        tags.sort(key=lambda t: (-t.score, t.tag))
        return scores, tags

    def _title_k12(self, bill: BillInput, view: _StateView, texts: Mapping[str, list[Words]]) -> dict[str, float]:
        """K-12 wording (context topics) in the title alone: the evidence against an exclusion naming the subject."""
        title_only = {name: (texts[name] if name == "title" else []) for name in texts}
        context = tuple(t for t in view.topics if t.context)
        return {t.slug: self._score_topic(t, title_only, (), [], bill, [])[0] for t in context}

    def _excluded(self, texts: Mapping[str, list[Words]], scores: Mapping[str, float],
                  title_k12: Callable[[], Mapping[str, float]], bonus: float, reasons: list[str]) -> bool:
        """Does an exclusion apply? Its phrase is found and the K-12 evidence it counts stays below its bar."""
        excluded = False
        for exclusion in self._exclusions:
            hit = self._first_hit(exclusion.phrases, texts)
            if hit is None:
                continue
            subject = exclusion.title_names_subject and hit[0] == "title"
            counted = title_k12() if subject else scores
            k12 = sum(v for k, v in counted.items() if k not in exclusion.ignore_topics) + max(bonus, 0.0)
            quoted = f"'{hit[1]}' in {_where([hit[0]])}"
            if subject:
                reasons.append(f"{quoted} names the bill's subject: only K-12 wording in the title counts against it")
            if k12 < exclusion.unless_score:
                excluded = True
                reasons.append(f"excluded: {quoted}, {exclusion.label}")
            else:
                reasons.append(
                    f"not excluded for {quoted} ({exclusion.label}): "
                    f"K-12 evidence {k12:.2f} reaches {exclusion.unless_score:g}"
                )
        return excluded

    def _score_topic(
        self,
        topic: _Topic,
        texts: Mapping[str, list[Words]],
        referral: tuple[str, ...],
        sponsors: list[tuple[str, ...]],
        bill: BillInput,
        notes: list[str],
    ) -> tuple[float, list[str]]:
        found: dict[str, list[_Hit]] = {}  # phrase text -> hits, in field order
        for field_name in FIELDS:
            weight = self._weights[field_name]
            if weight <= 0:
                continue
            for segment in texts[field_name]:
                hits = self._topic_hits(topic, segment, field_name)
                if not hits:
                    continue
                blocker = self._first_in(topic.exclude, segment)
                if blocker is not None:
                    shown = ", ".join(sorted({f"'{h.surface}'" for h in hits}))
                    notes.append(
                        f"{shown} in {_where([field_name])} not counted for {topic.label}: "
                        f"'{blocker}' in {_where([field_name])}"
                    )
                    continue
                for hit in hits:
                    found.setdefault(hit.phrase.text, []).append(hit)

        score = 0.0
        reasons: list[str] = []
        for hits in found.values():
            best = max(self._field_weight(topic, h.field) for h in hits)
            score += hits[0].phrase.weight * topic.weight * best
            fields = list(dict.fromkeys(h.field for h in hits))
            origin = f" ({hits[0].phrase.origin})" if hits[0].phrase.origin else ""
            reasons.append(f"'{hits[0].surface}' in {_where(fields)}{origin}")

        if any(committee_matches(c, referral) for c in topic.committees):
            score += topic.weight * self.config.fields.committee
            reasons.append(f"referred to {bill.committee}")
        for wanted in topic.sponsors:
            for name, raw in zip(sponsors, bill.sponsors, strict=True):
                if _contains(name, wanted):
                    score += topic.weight * self.config.fields.sponsors
                    reasons.append(f"sponsored by {raw}")
                    break
        return score, reasons

    def _field_weight(self, topic: _Topic, field_name: str) -> float:
        """The main clause makes K-12 wording the bill's subject; a topic's phrase there counts as synopsis."""
        if field_name == "lead" and not topic.context:
            return self._weights["synopsis"]
        return self._weights[field_name]

    @staticmethod
    def _topic_hits(topic: _Topic, segment: Words, field_name: str) -> list[_Hit]:
        taken: list[tuple[int, int]] = []
        hits = []
        for phrase in topic.phrases:
            size = len(phrase.words)
            first: tuple[int, int] | None = None
            for start in segment.find(phrase.words):
                end = start + size
                if any(a <= start and end <= b for a, b in taken):
                    continue
                taken.append((start, end))
                first = first or (start, end)
            if first is not None:
                hits.append(_Hit(phrase, field_name, segment.surface(*first)))
        return hits

    @staticmethod
    def _first_in(phrases: tuple[_Phrase, ...], segment: Words) -> str | None:
        for phrase in phrases:
            starts = segment.find(phrase.words)
            if starts:
                return segment.surface(starts[0], starts[0] + len(phrase.words))
        return None

    def _first_hit(self, phrases: tuple[_Phrase, ...], texts: Mapping[str, list[Words]]) -> tuple[str, str] | None:
        """(field, quoted text) of the first phrase found, fields in order of weight as listed in FIELDS."""
        for field_name in FIELDS:
            for segment in texts[field_name]:
                surface = self._first_in(phrases, segment)
                if surface is not None:
                    return field_name, surface
        return None

    def _is_watched(self, bill: BillInput) -> bool:
        if not self._watch:
            return False
        ident = billnum.try_normalize(bill.bill) or bill.bill.strip().upper()
        return (bill.state.strip().upper(), bill.session.strip(), ident) in self._watch


def _contains(name: tuple[str, ...], wanted: tuple[str, ...]) -> bool:
    size = len(wanted)
    return any(name[i : i + size] == wanted for i in range(len(name) - size + 1))


# -- explain (for `advocacy tag explain`) -------------------------------------------------------------------


class Assessor(Protocol):
    """Anything that judges a bill: the rules (`Tagger`), or the rules with the learned ranker beside them."""

    def assess(self, bill: BillInput) -> Assessment: ...


def explain_json(data: Mapping[str, Any], tagger: Assessor) -> dict[str, Any]:
    """One bill object in, its identity and assessment out; raises ValueError naming a bad field."""
    bill = BillInput.from_mapping(data)
    return {"state": bill.state, "session": bill.session, "bill": bill.bill, **tagger.assess(bill).to_json()}


def explain_jsonl(lines: Iterable[str], tagger: Assessor) -> Iterator[str]:
    """JSON lines in, JSON lines out, one per non-blank input line. A bad line gives an error object naming the
    line and the problem, and the lines after it are still assessed."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            result = explain_json(json.loads(line), tagger)
        except (json.JSONDecodeError, ValueError) as exc:
            result = {"line": number, "error": str(exc)}
        yield json.dumps(result, ensure_ascii=False)


def explain_text(bill: BillInput, assessment: Assessment, threshold: float) -> str:
    """The assessment as a person reads it in a terminal."""
    verdict = "relevant" if assessment.relevant else "not relevant"
    lines = [f"{bill.state} {bill.session} {bill.bill}: {verdict} (score {assessment.score:.2f}, threshold {threshold:g})"]
    lines.extend(f"  - {reason}" for reason in assessment.reasons)
    for tag in assessment.tags:
        lines.append(f"  {tag.label} [{tag.tag}] {tag.score:.2f}")
        lines.extend(f"    - {reason}" for reason in tag.reasons)
    return "\n".join(lines)


__all__ = [
    "Assessment",
    "BillInput",
    "Phrase",
    "TagResult",
    "Tagger",
    "explain_json",
    "explain_jsonl",
    "explain_text",
]
