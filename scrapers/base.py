"""What every source shares: the contract of a source module, the result it hands back, the bookkeeping of one run.

`Source` and `PeopleSource` state what a module registered in `scrapers.SOURCES` / `scrapers.PEOPLE_SOURCES`
provides; a source that needs an API key says so itself with `API_KEY` (the caller reads the key, never the source).

A run fetches *indexes* (a bill list, a calendar, a master list) and *units* (the pages that make one bill or one
meeting). A unit whose pages all answer 304 is skipped without parsing. A unit with one changed page is fetched
again in full, unconditionally, so that the record built from it is complete rather than a half-update.
A unit that fails to parse is kept out of the result and its payloads are not returned (so their validators are
not remembered and the next run tries again); its error is returned beside the records.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from scrapers.http import Fetcher, Payload
from vocabulary.records import PeopleResult, ScrapeError, ScrapeResult


@dataclass(frozen=True)
class ApiKey:
    """A source's need for an API key: the environment variable it is read from by default, and whose key it is.

    A keyed source's `Options` has `api_key_env` (defaulting to `env`), so one configured source can name another.
    """

    env: str
    label: str  # the provider, as a message names it: "LegiScan"


class SourceModule(Protocol):
    """A module in `scrapers.SOURCES`: its settings, its key need (None: open), and one run of it."""

    @property
    def Options(self) -> type[BaseModel]: ...  # noqa: N802 - the module's pydantic settings class

    @property
    def API_KEY(self) -> ApiKey | None: ...  # noqa: N802 - a module constant

    def collect(self, fetcher: Fetcher, options: Any, jurisdiction: str, tz: ZoneInfo, since: datetime | None, *,
                state: Mapping[str, str] | None = None, api_key: str | None = None) -> Collected: ...

    def check(self, fetcher: Fetcher, options: Any, jurisdiction: str, tz: ZoneInfo, *,
              api_key: str | None = None) -> list[str]: ...  # a small live sample: what the parser would miss


class PeopleSourceModule(Protocol):
    """A module in `scrapers.PEOPLE_SOURCES`: legislators and rosters, with the `Options` of its bill source."""

    def collect_people(self, fetcher: Fetcher, options: Any, jurisdiction: str, *,
                       api_key: str | None = None) -> PeopleCollected: ...


def key_env(source: SourceModule, options: object) -> str | None:
    """The environment variable holding this source's key (its `api_key_env` option, else its default); None if open."""
    if source.API_KEY is None:
        return None
    return getattr(options, "api_key_env", None) or source.API_KEY.env


class BudgetExhausted(Exception):
    """The run reached its configured number of requests; what was gathered so far is still returned."""


@dataclass(frozen=True)
class Request:
    url: str
    params: Mapping[str, Any] | None = None
    secret_params: Mapping[str, str] | None = None
    headers: Mapping[str, str] | None = None
    timeout: float | None = None  # seconds for this request; None: the fetcher's own


@dataclass
class Collected:
    """What one `collect` call gathered.

    `payloads`: the bodies parsed into `result`, whose validators to `scrapers.http.remember` once the records are
    stored; after a failed unit the indexes are left out, so that the next run lists (and retries) again.
    `state`: the source's own bookkeeping to keep until the next run and pass back as `state=` (LegiScan
    change hashes, Ohio bill-list fingerprints). `errors`: units that failed to parse, each naming its URL.
    `listed`: how many entries the source's indexes listed this run, changed or not (None when it cannot tell,
    e.g. an index answered 304 or the index is filtered to what changed): the caller compares it with earlier
    runs, because an empty listing where there were hundreds is a broken source, not a quiet day.
    """

    result: ScrapeResult
    payloads: list[Payload] = field(default_factory=list)
    fetched: int = 0
    not_modified: int = 0
    state: dict[str, str] = field(default_factory=dict)
    errors: list[ScrapeError] = field(default_factory=list)
    listed: int | None = None


@dataclass
class PeopleCollected:
    """What one `collect_people` call gathered: legislators and rosters, and the bodies they came from."""

    result: PeopleResult
    payloads: list[Payload] = field(default_factory=list)


class Run:
    def __init__(self, fetcher: Fetcher, max_requests: int | None = None) -> None:
        self.fetcher = fetcher
        self.max_requests = max_requests
        self.requests = 0
        self.fetched = 0
        self.not_modified = 0
        self.payloads: list[Payload] = []
        self.indexes: list[Payload] = []
        self.errors: list[ScrapeError] = []
        self.notes: list[str] = []
        self.units_ok = 0
        self.listed: int | None = None

    def listing(self, count: int) -> None:
        """An index listed `count` entries (added up over the indexes of one run)."""
        self.listed = (self.listed or 0) + count

    def get(self, request: Request | str, *, conditional: bool = True) -> Payload:
        if isinstance(request, str):
            request = Request(request)
        if self.max_requests is not None and self.requests >= self.max_requests:
            raise BudgetExhausted(f"stopped after {self.requests} requests (budget {self.max_requests})")
        self.requests += 1
        payload = self.fetcher.fetch(
            request.url,
            params=request.params,
            secret_params=request.secret_params,
            headers=request.headers,
            conditional=conditional,
            **({"timeout": request.timeout} if request.timeout is not None else {}),
        )
        if payload.not_modified:
            self.not_modified += 1
        else:
            self.fetched += 1
        return payload

    def unit(self, requests: Sequence[Request | str], *, changed: bool = False) -> list[Payload] | None:
        """The pages of one unit, or None when all are unchanged (and `changed` does not force them)."""
        pages = [self.get(r) for r in requests]
        if not changed and all(p.not_modified for p in pages):
            return None
        return [
            self.get(r, conditional=False) if p.not_modified else p for r, p in zip(requests, pages, strict=True)
        ]

    def keep(self, payload: Payload) -> None:
        """An index page that was parsed (kept for the archive; not a unit)."""
        self.indexes.append(payload)

    def accept(self, payloads: Sequence[Payload], *, index: bool = False) -> None:
        """The pages of one unit that parsed; `index` when the first of them also lists the other units."""
        if index:
            self.indexes.append(payloads[0])
            payloads = payloads[1:]
        self.payloads.extend(payloads)
        self.units_ok += 1

    def fail(self, error: ScrapeError) -> None:
        self.errors.append(error)

    def skipped(self, errors: Iterable[ScrapeError]) -> None:
        """Items skipped inside a unit that parsed: reported (the run is partial), the rest of the unit is kept."""
        self.errors.extend(errors)

    def collected(self, result: ScrapeResult, state: Mapping[str, str] | None = None) -> Collected:
        # Every unit failing is a broken source, not a quiet day: say so loudly.
        if self.errors and not self.units_ok:
            raise self.errors[0]
        return Collected(
            result=ScrapeResult(
                bills=result.bills,
                hearings=result.hearings,
                news=result.news,
                notes=(*result.notes, *self.notes),
            ),
            # After a failed unit, an index's validators must not be remembered: the next run would get a 304
            # on the index and never ask for the failed unit again.
            payloads=[*(self.indexes if not self.errors else ()), *self.payloads],
            fetched=self.fetched,
            not_modified=self.not_modified,
            state=dict(state or {}),
            errors=list(self.errors),
            listed=self.listed,
        )


def problems_of(check: Callable[[list[ScrapeError]], object]) -> list[str]:
    """What a parser found missing in a live sample: the error that stopped it, or each item it would skip."""
    skipped: list[ScrapeError] = []
    try:
        check(skipped)
    except ScrapeError as exc:
        return [str(exc)]
    return [str(e) for e in skipped]


def load_json(payload_or_bytes: Payload | bytes, where: str) -> Any:
    body = payload_or_bytes.body if isinstance(payload_or_bytes, Payload) else payload_or_bytes
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ScrapeError(where, f"not valid JSON ({exc})") from exc


def require(mapping: Any, key: str, where: str, kind: type | tuple[type, ...] | None = None) -> Any:
    """mapping[key], or a ScrapeError naming the field when it is absent or of the wrong type."""
    if not isinstance(mapping, dict):
        raise ScrapeError(where, f"expected an object holding {key!r}, got {type(mapping).__name__}")
    if key not in mapping:
        raise ScrapeError(where, f"missing field {key!r}")
    value = mapping[key]
    if kind is not None and not isinstance(value, kind):
        raise ScrapeError(where, f"field {key!r} has type {type(value).__name__}")
    return value


T = TypeVar("T")


def skip_or_raise(skipped: list[ScrapeError] | None, error: ScrapeError) -> None:
    """Per-item isolation. Given a list, a broken item (a calendar entry, a status row, a version...) is reported
    in it, naming the URL, the item and the field, and the caller goes on with the next item; without a list
    (a parser called on its own, strict) the error is raised."""
    if skipped is None:
        raise error
    skipped.append(ScrapeError(error.where, f"{error.detail}; this item was skipped, the rest kept"))


def each_item(items: Iterable[Any], where: str, label: str, build: Callable[[Any, str], T],
              skipped: list[ScrapeError] | None) -> list[T]:
    """`build(item, "<where> [<label> <index>]")` for every item; a broken one goes through `skip_or_raise`."""
    built = []
    for index, item in enumerate(items):
        try:
            built.append(build(item, f"{where} [{label} {index}]"))
        except ScrapeError as exc:
            skip_or_raise(skipped, exc)
    return built


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=tz)


def parse_day(text: str, fmt: str, where: str, tz: ZoneInfo) -> datetime:
    try:
        return local_midnight(datetime.strptime(text.strip(), fmt).date(), tz)
    except ValueError as exc:
        raise ScrapeError(where, f"unreadable date {text!r} (expected {fmt})") from exc


def fingerprint(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:20]
