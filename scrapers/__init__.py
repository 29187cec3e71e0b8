"""One module per source. Each turns bytes into `vocabulary.records` and never touches the database.

Every source module exposes `Options` (a pydantic model of its settings), pure `parse_*` functions, and
`collect(fetcher, options, jurisdiction, tz, since, *, state=None) -> scrapers.base.Collected`.
"""

from __future__ import annotations

from types import ModuleType

from scrapers import legiscan, ohio, openstates, rss

SOURCES: dict[str, ModuleType] = {
    "ohio": ohio,
    "legiscan": legiscan,
    "openstates": openstates,
    "rss": rss,
}
