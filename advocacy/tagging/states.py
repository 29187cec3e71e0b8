"""Per-state vocabularies: the words each legislature uses for its schools, boards, programs and boilerplate.

One TOML file per state in `advocacy/tagging/state_rules/` (e.g. `ri.toml`: "school committee" is Rhode Island's
school board) plus one line in `STATE_FILES`. A state file may list:

- `k12`: local words that name K-12 schools, districts, boards, educators or their agencies (counted as K-12
  wording, quoted in reasons as that state's wording);
- `[topics]`: extra phrases for a topic of `[tagging.topics]`, by slug (local program names);
- `[committees]`: that legislature's committee names and the score a referral adds (negative counts against);
- `ignore`: boilerplate sentences removed from a bill's text before scoring (California's state-mandate clause
  names "school districts" in bills about anything).

The rules apply only to bills of that state; every phrase is validated like the `[tagging]` phrases.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator

from advocacy.tagging.rules import PhraseEntry, TaggingRuleError, _check_phrases, _Strict, describe_errors

FOLDER = Path(__file__).resolve().parent / "state_rules"

# The registry: one line per state file.
STATE_FILES = (
    "al",
    "ca",
    "co",
    "ct",
    "fl",
    "il",
    "ma",
    "mn",
    "ms",
    "nm",
    "ny",
    "oh",
    "ri",
    "tx",
    "us",
    "wv",
)


class StateRules(_Strict):
    name: Annotated[str, Field(min_length=1)]
    k12: list[PhraseEntry] = []
    topics: dict[str, list[PhraseEntry]] = {}
    committees: dict[str, float] = {}
    ignore: list[str] = []

    @field_validator("k12")
    @classmethod
    def _k12(cls, value: list[PhraseEntry]) -> list[PhraseEntry]:
        return _check_phrases(value)

    @field_validator("topics")
    @classmethod
    def _topics(cls, value: dict[str, list[PhraseEntry]]) -> dict[str, list[PhraseEntry]]:
        for phrases in value.values():
            _check_phrases(phrases)
        return value


def load_state(path: Path) -> StateRules:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TaggingRuleError(f"{path}: cannot read state rules: {exc}") from exc
    try:
        return StateRules.model_validate(data)
    except ValidationError as exc:
        raise TaggingRuleError(describe_errors(exc, str(path))) from exc


def load_states(folder: Path = FOLDER, codes: tuple[str, ...] = STATE_FILES) -> dict[str, StateRules]:
    """State code (upper case) -> its rules, for every registered file; a missing or bad file names itself."""
    return {code.upper(): load_state(folder / f"{code}.toml") for code in codes}
