"""The one HTTP layer every source uses: polite, retrying, conditional, and keeping every body it returns.

A `Fetcher` never writes validators on its own. A parse can still fail after a 200, and a store step can still
fail after a parse; if the ETag were remembered at fetch time, the next run would get a 304 and the change would
be lost for good. So the caller calls `remember(store, payloads)` once the records are safely stored.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import httpx

from vocabulary.retry_after import retry_after_seconds

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BODY_BYTES = 50 * 1024 * 1024  # a source's `max_body_mb` overrides it
DEADLINE_SECONDS = 300.0  # for one request, start to last byte; `timeout` is per read


class FetchError(Exception):
    """A request that did not succeed even after retries (or could not be retried)."""

    def __init__(self, url: str, status: int | None, attempts: int, detail: str = "") -> None:
        shown = f"HTTP {status}" if status is not None else "no response"
        super().__init__(f"{url}: {shown} after {attempts} attempt(s){': ' + detail if detail else ''}")
        self.url = url
        self.status = status
        self.attempts = attempts
        self.detail = detail


class ValidatorStore(Protocol):
    """Where the ETag / Last-Modified of each URL is kept between runs."""

    def get(self, url: str) -> tuple[str | None, str | None] | None: ...

    def put(self, url: str, etag: str | None, last_modified: str | None) -> None: ...


class MemoryValidatorStore:
    def __init__(self) -> None:
        self._items: dict[str, tuple[str | None, str | None]] = {}

    def get(self, url: str) -> tuple[str | None, str | None] | None:
        return self._items.get(url)

    def put(self, url: str, etag: str | None, last_modified: str | None) -> None:
        self._items[url] = (etag, last_modified)


@dataclass(frozen=True)
class Payload:
    """One response as received. `url` never carries secrets (API keys travel in `secret_params`/headers)."""

    url: str
    status: int
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None
    fetched_at: datetime
    sha256: str
    not_modified: bool = False


def remember(store: ValidatorStore, payloads: Iterable[Payload]) -> int:
    """Record the validators of payloads whose records are now stored. Returns how many were recorded."""
    count = 0
    for payload in payloads:
        if not payload.not_modified and (payload.etag or payload.last_modified):
            store.put(payload.url, payload.etag, payload.last_modified)
            count += 1
    return count


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Fetcher:
    """GET with timeouts, retries (exponential backoff, Retry-After), a per-host minimum interval and
    conditional requests. `sleep`, `clock` (monotonic seconds) and `now` (aware datetime) are injected so that
    tests never wait.

    Bounded: a body is read as it streams and given up past `max_bytes` (whatever Content-Length claims), a
    request past `deadline` seconds is given up however steadily its bytes drip, and a redirect loop is named;
    each is a `FetchError` naming the URL and the limit, never retried.
    """

    def __init__(
        self,
        *,
        service: str,
        contact: str,
        validators: ValidatorStore | None = None,
        client: httpx.Client | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 2.0,
        max_wait: float = 120.0,
        min_interval: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = _utcnow,
        max_bytes: int = MAX_BODY_BYTES,
        deadline: float = DEADLINE_SECONDS,
    ) -> None:
        if not service.strip() or "@" not in contact and "://" not in contact:
            raise ValueError("a Fetcher needs a service name and a contact address (email or URL)")
        self.user_agent = f"{service} (+{contact})"
        self.validators = validators
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=True)
        self._timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.min_interval = min_interval
        self._sleep = sleep
        self._clock = clock
        self._now = now
        self._last_request: dict[str, float] = {}
        self.requests_made = 0
        self.max_bytes = max_bytes
        self.deadline = deadline

    def now(self) -> datetime:
        return self._now()

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fetch(
        self,
        url: str,
        *,
        params: Mapping[str, str | int | list[str]] | None = None,
        secret_params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        conditional: bool = True,
        timeout: float | None = None,
    ) -> Payload:
        """GET `url`. With `conditional` and known validators, a 304 returns a Payload with `not_modified`.
        `timeout` (seconds) overrides the fetcher's own for this request (an endpoint known to be slow)."""
        public_url = str(httpx.URL(url, params=params)) if params else url
        request_url = httpx.URL(public_url)
        if secret_params:
            request_url = request_url.copy_merge_params(secret_params)
        sent = {"User-Agent": self.user_agent, **(headers or {})}
        known = self.validators.get(public_url) if (conditional and self.validators) else None
        if known:
            etag, last_modified = known
            if etag:
                sent["If-None-Match"] = etag
            if last_modified:
                sent["If-Modified-Since"] = last_modified

        attempts = 0
        while True:
            attempts += 1
            self._wait_for_host(request_url.host)
            try:
                response, body = self._get(request_url, sent, public_url, attempts, timeout or self._timeout)
            except httpx.TransportError as exc:
                if attempts > self.retries:
                    raise FetchError(public_url, None, attempts, f"{type(exc).__name__}: {exc}") from exc
                self._sleep(self._backoff_delay(attempts))
                continue
            finally:
                self._last_request[request_url.host] = self._clock()
                self.requests_made += 1

            if response.status_code == 304 and known:
                return self._payload(public_url, response, b"", not_modified=True)
            if 200 <= response.status_code < 300:
                return self._payload(public_url, response, body)
            if response.status_code not in RETRY_STATUSES or attempts > self.retries:
                raise FetchError(public_url, response.status_code, attempts, response.reason_phrase)
            delay = self._retry_after(response) or self._backoff_delay(attempts)
            if delay > self.max_wait:
                raise FetchError(
                    public_url,
                    response.status_code,
                    attempts,
                    f"server asks to wait {delay:.0f}s, more than the {self.max_wait:.0f}s allowed",
                )
            self._sleep(delay)

    def _get(self, url: httpx.URL, headers: Mapping[str, str], public_url: str,
             attempts: int, timeout: float) -> tuple[httpx.Response, bytes]:
        """One GET, its body (of a 2xx) read as it streams, within `max_bytes` and `deadline`."""
        started = self._clock()

        def give_up(detail: str, status: int | None) -> FetchError:
            return FetchError(public_url, status, attempts, detail)

        try:
            with self._client.stream("GET", url, headers=headers, timeout=timeout) as response:
                if not 200 <= response.status_code < 300:
                    return response, b""
                limit = f"the {self.max_bytes / 1048576:g} MB limit (the source's max_body_mb)"
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > self.max_bytes:
                    raise give_up(f"declares {int(declared):,} bytes, over {limit}; not read", response.status_code)
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise give_up(f"body over {limit}; stopped reading", response.status_code)
                    if self._clock() - started > self.deadline:
                        raise give_up(f"still sending after the {self.deadline:g}s deadline ([http] deadline) "
                                      f"with {size:,} bytes read; given up", response.status_code)
                    chunks.append(chunk)
                return response, b"".join(chunks)
        except httpx.TooManyRedirects as exc:
            raise give_up(f"more than {self._client.max_redirects} redirects (a redirect loop?), "
                          f"last to {exc.request.url.copy_with(query=None)}", None) from exc

    def _payload(self, url: str, response: httpx.Response, body: bytes, *, not_modified: bool = False) -> Payload:
        return Payload(
            url=url,
            status=response.status_code,
            body=body,
            content_type=response.headers.get("Content-Type", ""),
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            fetched_at=self._now(),
            sha256=hashlib.sha256(body).hexdigest(),
            not_modified=not_modified,
        )

    def _wait_for_host(self, host: str) -> None:
        last = self._last_request.get(host)
        if last is None:
            return
        wait = self.min_interval - (self._clock() - last)
        if wait > 0:
            self._sleep(wait)

    def _backoff_delay(self, attempt: int) -> float:
        return min(self.backoff * 2 ** (attempt - 1), self.max_wait)

    def _retry_after(self, response: httpx.Response) -> float | None:
        return retry_after_seconds(response.headers.get("Retry-After"), self._now())
