"""One module per source. Each turns bytes into `advocacy.records` and never touches the database.

`SOURCES` maps a source kind (as written in config.toml) to its module, imported on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from types import ModuleType

KINDS = ("ohio", "legiscan", "openstates", "rss")


class _Registry(Mapping[str, ModuleType]):
    def __getitem__(self, kind: str) -> ModuleType:
        if kind not in KINDS:
            raise KeyError(kind)
        return importlib.import_module(f"scrapers.{kind}")

    def __contains__(self, kind: object) -> bool:
        return kind in KINDS

    def __iter__(self) -> Iterator[str]:
        return iter(KINDS)

    def __len__(self) -> int:
        return len(KINDS)


SOURCES: Mapping[str, ModuleType] = _Registry()
