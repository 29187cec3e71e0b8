"""What the bill page shows of a bill's text: each version's extraction, and two versions compared."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from advocacy.collect.billtext import NoText, compare_versions, version_texts
from advocacy.collect.compare import Comparison, summary
from advocacy.curation.search import MARK_END, MARK_START
from advocacy.models import BillVersion, VersionText

MAX_HUNKS = 200  # a comparison longer than this is cut on the page (the summary still counts everything)


@dataclass(frozen=True)
class TextPanel:
    versions: list[tuple[BillVersion, VersionText | None]]
    comparison: Comparison | None
    summary: str
    old_id: int | None
    new_id: int | None
    problem: str  # why there is no comparison


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def text_panel(session: Session, bill_id: int, params: Any) -> TextPanel:
    """The versions with their texts, and the comparison of `?from=&to=` (default: the last two with text)."""
    versions = version_texts(session, bill_id)
    old_id, new_id = _int(params.get("from")), _int(params.get("to"))
    try:
        result = compare_versions(session, bill_id, old_id, new_id)
    except NoText as exc:
        return TextPanel(versions, None, "", old_id, new_id, str(exc))
    names = {v.name: v.id for v, _ in versions}
    return TextPanel(versions, result, summary(result), old_id or names.get(result.old_name),
                     new_id or names.get(result.new_name), "")


def snippet_html(snippet: str) -> Markup:
    """A search snippet, escaped, with the matched words in <mark>."""
    return Markup(str(escape(snippet)).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))
