"""Legislators and committee rosters: one module per source, each a pure parse plus a thin fetch.

Every module exposes `collect_people(fetcher, options, jurisdiction, *, api_key=None) -> PeopleCollected`, taking
the same `Options` as the bill source of the same kind (so one `[[jurisdictions.sources]]` entry configures both).
A roster that parses to nobody is an error: a legislature always has members.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType

from scrapers.http import Payload
from vocabulary.records import PeopleResult


@dataclass
class PeopleCollected:
    result: PeopleResult
    payloads: list[Payload] = field(default_factory=list)


def people_sources() -> dict[str, ModuleType]:
    """Source kind (as in `[[jurisdictions.sources]] kind`) -> its people module."""
    from scrapers import legiscan_people, ohio_people, openstates_people

    return {"ohio": ohio_people, "legiscan": legiscan_people, "openstates": openstates_people}
