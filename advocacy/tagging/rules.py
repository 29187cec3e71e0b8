"""The tagger's rules as an advocate writes them in the `[tagging]` section of config.toml.

Every model forbids unknown keys, so a typo ("phrase" for "phrases") fails with the key named instead of being
ignored. Phrases are checked here, once: an empty phrase, one with no words after normalization, or two phrases of
a topic that stem to the same words fail validation, and pydantic's error location names the topic
("topics.funding.phrases.3") while the message quotes the phrase.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from advocacy.tagging.text import phrase_words, plain_words
from vocabulary import billnum

SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
FIELDS = ("title", "lead", "synopsis", "subjects", "committee", "analysis", "text")
CHAMBERS = {"house", "senate", "joint", "assembly"}
# Words that vary between sources naming the same committee ("Joint Committee on Education").
_COMMITTEE_FILLER = {"committee", "standing", "on", "the", "of"}


class TaggingRuleError(ValueError):
    """The rules could not be loaded; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_phrase(text: str) -> str:
    if not text.strip():
        raise ValueError("phrase is empty")
    if not phrase_words(text):
        raise ValueError(f"phrase {text!r} has no letters or digits to match")
    return text


class Phrase(_Strict):
    """A phrase with its own weight, written `{text = "levy", weight = 0.5}`; a bare string weighs 1."""

    text: str
    weight: Annotated[float, Field(gt=0)] = 1.0

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        return _check_phrase(value)


PhraseEntry = str | Phrase


def _phrase_text(entry: PhraseEntry) -> str:
    return entry if isinstance(entry, str) else entry.text


def _check_phrases(entries: list[PhraseEntry]) -> list[PhraseEntry]:
    seen: dict[tuple[str, ...], str] = {}
    for index, entry in enumerate(entries):
        try:
            text = _check_phrase(_phrase_text(entry))
        except ValueError as exc:
            raise ValueError(f"item {index}: {exc}") from None
        key = phrase_words(text)
        if key in seen:
            raise ValueError(
                f"phrases {seen[key]!r} and {text!r} are the same after stemming ({' '.join(key)!r}); keep one"
            )
        seen[key] = text
    return entries


class FieldWeights(_Strict):
    """How much a phrase counts by where it is found. `committee` also scales a topic's committee referrals."""

    title: Annotated[float, Field(ge=0)] = 1.0
    # The synopsis's main clause (its first sentence, or California's "This bill would ..." after the existing
    # law): what the bill does, as against what it mentions. The rest of the synopsis counts as `synopsis`.
    lead: Annotated[float, Field(ge=0)] = 0.6
    synopsis: Annotated[float, Field(ge=0)] = 0.6
    subjects: Annotated[float, Field(ge=0)] = 0.5
    committee: Annotated[float, Field(ge=0)] = 0.5
    analysis: Annotated[float, Field(ge=0)] = 0.3
    # The bill's own text, when stored: only its opening `text_chars` characters are read (they say what it does).
    text: Annotated[float, Field(ge=0)] = 0.2
    text_chars: Annotated[int, Field(ge=0)] = 4000
    sponsors: Annotated[float, Field(ge=0)] = 0.5


class TopicRule(_Strict):
    label: Annotated[str, Field(min_length=1)]
    phrases: Annotated[list[PhraseEntry], Field(min_length=1)]
    weight: Annotated[float, Field(gt=0)] = 1.0
    committees: list[str] = []
    sponsors: list[str] = []
    # A phrase here found in a field stops this topic's phrases from counting in that same field
    # ("township" keeps "levy" in "township fire levies" from counting as a school levy).
    exclude: list[PhraseEntry] = []
    # A context topic adds to the bill's score but is not reported as a tag (generic K-12 wording).
    context: bool = False

    @field_validator("phrases", "exclude")
    @classmethod
    def _phrases(cls, value: list[PhraseEntry]) -> list[PhraseEntry]:
        return _check_phrases(value)

    @field_validator("committees", "sponsors")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not plain_words(name):
                raise ValueError(f"name {name!r} has no letters or digits")
        return value


class ExclusionRule(_Strict):
    """Bills matching one of `phrases` are not ours, unless their K-12 evidence reaches `unless_score`."""

    label: Annotated[str, Field(min_length=1)]
    phrases: Annotated[list[PhraseEntry], Field(min_length=1)]
    unless_score: Annotated[float, Field(ge=0)]
    # Topics whose score is not K-12 evidence against this exclusion (a local bill's levy wording).
    ignore_topics: list[str] = []
    # When one of `phrases` is in the title, it names the bill's subject: only K-12 wording (context topics) in the
    # title and a positive referral then count against the exclusion, not words the synopsis mentions in passing.
    title_names_subject: bool = False

    @field_validator("phrases")
    @classmethod
    def _phrases(cls, value: list[PhraseEntry]) -> list[PhraseEntry]:
        return _check_phrases(value)


class RankerSettings(_Strict):
    """The learned ranker (`advocacy tag learn`): when it may raise a bill the rules missed, when it has enough."""

    # Probability at which it raises a bill the rules missed; unset: chosen at each training on the decisions
    # themselves (the lowest that keeps the rules' precision while finding more; never raising if none does).
    raise_at: Annotated[float | None, Field(gt=0, le=1)] = None
    min_decisions: Annotated[int, Field(ge=2)] = 20
    min_each: Annotated[int, Field(ge=1)] = 5
    # The scheduled `tag` step retrains when the stored model is this many days old (or missing).
    retrain_days: Annotated[int, Field(ge=1)] = 7


class TaggingConfig(_Strict):
    threshold: Annotated[float, Field(gt=0)] = 1.0
    tag_threshold: Annotated[float, Field(gt=0)] = 0.5
    fields: FieldWeights = FieldWeights()
    ranker: RankerSettings = RankerSettings()
    topics: dict[str, TopicRule]
    exclusions: dict[str, ExclusionRule] = {}
    # Committee name -> score added when a bill is referred there (negative counts against).
    committees: dict[str, float] = {}
    # "OH 136 HB 96": always relevant.
    watch: list[str] = []

    @model_validator(mode="after")
    def _check(self) -> TaggingConfig:
        for kind, table in (("topics", self.topics), ("exclusions", self.exclusions)):
            for slug in table:
                if not SLUG.match(slug):
                    raise ValueError(f"{kind}: {slug!r} is not a slug (lower-case letters, digits, underscores)")
        for name in self.committees:
            if not committee_key(name):
                raise ValueError(f"committees: {name!r} has no letters or digits")
        # A topic's committee must be one the rules know: a misspelt name would otherwise never match anything.
        known = [committee_key(name) for name in self.committees]
        for slug, topic in self.topics.items():
            for name in topic.committees:
                if not any(committee_matches(key, committee_key(name)) for key in known):
                    raise ValueError(f"topics.{slug}.committees: unknown committee {name!r}; list it under "
                                     "[tagging.committees] (a weight of 0 adds nothing by itself)")
        return self

    def member_topics(self) -> dict[str, str]:
        """Slug -> label of the topics members can choose: those the tagger reports (not context-only ones)."""
        return {slug: topic.label for slug, topic in self.topics.items() if not topic.context}

    @field_validator("watch")
    @classmethod
    def _watch(cls, value: list[str]) -> list[str]:
        for entry in value:
            parse_watch(entry)
        return value


def parse_watch(entry: str) -> tuple[str, str, str]:
    """"OH 136 HB 96" -> ("OH", "136", "HB 96"); raises ValueError naming the entry."""
    parts = entry.split(None, 2)
    if len(parts) != 3 or not parts[0].isalpha() or not any(c.isdigit() for c in parts[1]):
        raise ValueError(f"{entry!r} is not 'STATE SESSION BILL', e.g. 'OH 136 HB 96'")
    state, session, bill = parts
    try:
        return state.upper(), session, billnum.normalize(bill)
    except billnum.BillNumberError as exc:
        raise ValueError(f"{entry!r}: {exc}") from exc


def committee_key(name: str) -> tuple[str, ...]:
    """"House Primary & Secondary Education Committee" -> ("house", "primary", "and", "secondary", "education")."""
    return tuple(w for w in plain_words(name) if w not in _COMMITTEE_FILLER)


def committee_matches(rule: tuple[str, ...], referral: tuple[str, ...]) -> bool:
    """Same committee, allowing one side to omit the chamber ("Education" matches "Senate Education")."""
    if not rule or not referral:
        return False
    if rule == referral:
        return True
    if rule[0] not in CHAMBERS and referral[0] in CHAMBERS:
        return referral[1:] == rule
    if referral[0] not in CHAMBERS and rule[0] in CHAMBERS:
        return rule[1:] == referral
    return False


def describe_errors(error: ValidationError, source: str) -> str:
    lines = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"] if not _is_union_tag(part))
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{source}: [tagging] {where or '(top level)'}: {message}")
    return "\n".join(lines)


def _is_union_tag(part: object) -> bool:
    # pydantic names the union member it tried ("str", "Phrase") in the location; the advocate needs only the key.
    return part in ("str", "Phrase")


def parse_tagging(data: object, source: str) -> TaggingConfig:
    """Validate the `[tagging]` table (already parsed); errors name `source` and the key."""
    try:
        return TaggingConfig.model_validate(data)
    except ValidationError as exc:
        raise TaggingRuleError(describe_errors(exc, source)) from exc


def load_tagging(path: Path) -> TaggingConfig:
    """Read the `[tagging]` section of a TOML file (config.toml or config.toml)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise TaggingRuleError(f"{path}: not valid TOML: {exc}") from exc
    if "tagging" not in data:
        raise TaggingRuleError(f"{path}: no [tagging] section")
    return parse_tagging(data["tagging"], str(path))
