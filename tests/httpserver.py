"""A real HTTP server on 127.0.0.1 for tests: fixture files by path, programmable answers, and a request log.

    with FixtureServer() as server:
        server.route("/bills", Answer(status=500), Answer(file="ohio/bills.json", etag='"v1"'))
        fetcher = make_fetcher()
        fetcher.fetch(server.url("/bills"))       # 500, retried, then 200
        server.requests_to("/bills")              # both requests, with their headers

A route answers its Answers in turn and keeps answering the last one. An Answer with an `etag` or
`last_modified` answers 304 to a request that presents the same validator.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from scrapers.http import Fetcher, ValidatorStore

FIXTURES = Path(__file__).parent / "fixtures"


def realdata(*parts: str) -> Path | None:
    """A folder of ../shared/realdata (beside the project root, found from any checkout), or None."""
    for parent in Path(__file__).resolve().parents:
        folder = parent / "shared" / "realdata"
        if folder.is_dir():
            return folder.joinpath(*parts)
    return None


def real_path(*parts: str) -> Path:
    """A file or folder of ../shared/realdata for a test that reads real recorded data, else the test stops.

    Without ../shared/realdata at all the test fails under CI (CI always has shared/ beside its clone) and skips
    elsewhere. With it, a file it does not hold skips the test: shared/ holds what its keepers put there, and the
    other real files (provenance in tests/fixtures/SOURCES.md) are read where a copy is kept, never committed here.
    """
    folder = realdata()
    where = "/".join(("../shared/realdata", *parts))
    if folder is None:
        if os.environ.get("CI"):
            pytest.fail(f"real data missing: ../shared/realdata is not beside this checkout (wanted {where})")
        pytest.skip("../shared/realdata is not beside this checkout")
    path = folder.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{where} is not kept in this shared/ folder (see tests/fixtures/SOURCES.md)")
    return path


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes | None = None
    file: str | None = None  # relative to tests/fixtures
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def content(self) -> bytes:
        if self.file is not None:
            path = Path(self.file)
            return (path if path.is_absolute() else FIXTURES / path).read_bytes()
        return self.body or b""

    def guessed_type(self) -> str:
        if self.content_type:
            return self.content_type
        name = self.file or ""
        for suffix, kind in ((".json", "application/json"), (".html", "text/html; charset=utf-8"), (".xml", "application/xml")):
            if name.endswith(suffix):
                return kind
        return "application/octet-stream"


@dataclass(frozen=True)
class Logged:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    status: int


@dataclass
class _Route:
    answers: list[Answer]
    query: dict[str, str] = field(default_factory=dict)
    served: int = 0

    def matches(self, query: dict[str, list[str]]) -> bool:
        return all(query.get(name) == [value] for name, value in self.query.items())

    def next(self) -> Answer:
        answer = self.answers[min(self.served, len(self.answers) - 1)]
        self.served += 1
        return answer


@dataclass
class FixtureServer:
    routes: dict[str, list[_Route]] = field(default_factory=dict)
    log: list[Logged] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with server._lock:
                    candidates = [r for r in server.routes.get(parts.path, []) if r.matches(query)]
                    route = max(candidates, key=lambda r: len(r.query), default=None)
                    answer = route.next() if route else Answer(status=404, body=b"no such fixture")
                status = answer.status
                if status == 200 and (
                    (answer.etag and headers.get("if-none-match") == answer.etag)
                    or (answer.last_modified and headers.get("if-modified-since") == answer.last_modified)
                ):
                    status = 304
                with server._lock:
                    server.log.append(Logged(parts.path, query, headers, status))
                body = b"" if status == 304 else answer.content()
                self.send_response(status)
                if status != 304:
                    self.send_header("Content-Type", answer.guessed_type())
                self.send_header("Content-Length", str(len(body)))
                if answer.etag:
                    self.send_header("ETag", answer.etag)
                if answer.last_modified:
                    self.send_header("Last-Modified", answer.last_modified)
                for name, value in answer.headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self) -> FixtureServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def route(self, path: str, *answers: Answer, query: dict[str, str] | None = None) -> None:
        """Answer requests to `path` (whose query holds all of `query`, when given); replaces an equal route."""
        route = _Route(list(answers) or [Answer(status=404)], dict(query or {}))
        with self._lock:
            others = [r for r in self.routes.get(path, []) if r.query != route.query]
            self.routes[path] = [*others, route]

    def serve(
        self,
        path: str,
        file: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        query: dict[str, str] | None = None,
    ) -> None:
        """The usual case: a fixture file with validators, answering 304 when they are presented back."""
        tag = etag if etag is not None else f'"{file}"'
        self.route(path, Answer(file=file, etag=tag, last_modified=last_modified), query=query)

    def requests_to(self, path: str) -> list[Logged]:
        with self._lock:
            return [entry for entry in self.log if entry.path == path]

    def statuses(self) -> list[int]:
        with self._lock:
            return [entry.status for entry in self.log]

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()


class FakeTime:
    """Monotonic clock, wall clock and sleep that only move when the code under test sleeps."""

    def __init__(self, start: datetime | None = None) -> None:
        self.start = start or datetime(2025, 3, 3, 14, 0, tzinfo=UTC)
        self.elapsed = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed += seconds

    def clock(self) -> float:
        return self.elapsed

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)


def make_fetcher(
    validators: ValidatorStore | None = None, time: FakeTime | None = None, **kwargs: object
) -> Fetcher:
    time = time or FakeTime()
    return Fetcher(
        service="advocacy-tests/0.1",
        contact="alerts@example.org",
        validators=validators,
        sleep=time.sleep,
        clock=time.clock,
        now=time.now,
        timeout=5.0,
        **kwargs,  # type: ignore[arg-type]
    )

