"""One module per source. Each turns bytes into `vocabulary.records` and never touches the database.

The registries: `SOURCES` (bills, hearings, news; each module a `scrapers.base.SourceModule`: `Options`, `API_KEY`,
`collect`, `check`) and `PEOPLE_SOURCES` (legislators and rosters; each a `scrapers.base.PeopleSourceModule`, keyed by the
same kind, taking the same `Options`, so one `[[jurisdictions.sources]]` entry configures both). Adding a source is
one module plus one line here. A roster that parses to nobody is an error: a legislature always has members.
May import: `vocabulary` only.
"""

from __future__ import annotations

from scrapers import (
    federal_register,
    legiscan,
    legiscan_people,
    ohio,
    ohio_people,
    openstates,
    openstates_people,
    rss,
)
from scrapers.base import PeopleSourceModule, SourceModule

SOURCES: dict[str, SourceModule] = {
    "ohio": ohio,
    "legiscan": legiscan,
    "openstates": openstates,
    "rss": rss,
    "federal_register": federal_register,
}

PEOPLE_SOURCES: dict[str, PeopleSourceModule] = {
    "ohio": ohio_people,
    "legiscan": legiscan_people,
    "openstates": openstates_people,
}
