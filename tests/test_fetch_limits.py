"""Bounded fetching against hostile servers: a body too large (declared or not), a slow drip, a redirect loop.
Each fails with the URL and the limit named, and only the source it belongs to fails."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from advocacy.app import App
from advocacy.collect.scrape import run_sources
from advocacy.config import JurisdictionConfig, Source
from advocacy.models import NewsItem
from scrapers.http import FetchError
from tests.factories import count
from tests.httpserver import FakeTime, FixtureServer, make_fetcher

MB = 1024 * 1024


class HostileServer:
    """Serves /declared-huge (claims 2 GB and streams), /endless (no length, streams), /drip (a byte every
    50 ms) and /loop (a redirect to itself, through a second hop)."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        hostile = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                if self.path.startswith("/loop"):
                    self.send_response(302)
                    self.send_header("Location", "/loop-b" if self.path == "/loop" else "/loop")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                if self.path == "/declared-huge":
                    self.send_header("Content-Length", str(2 * 1024 * MB))
                elif self.path == "/drip":
                    self.send_header("Content-Length", "1000")
                self.end_headers()
                chunk, pause = (b"x", 0.05) if self.path == "/drip" else (b"<" * 65536, 0.0)
                try:
                    while not hostile.stop.is_set():
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        if pause:
                            time.sleep(pause)
                except OSError:  # the client gave up, as it should
                    return

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


@pytest.mark.parametrize("path", ["/declared-huge", "/endless"])
def test_a_body_over_the_limit_is_given_up_naming_the_url_and_the_limit(hostile: HostileServer, path: str) -> None:
    fetcher = make_fetcher(max_bytes=1 * MB)
    with pytest.raises(FetchError) as failed:
        fetcher.fetch(hostile.url(path))
    message = str(failed.value)
    assert message.startswith(hostile.url(path)) and "1 MB limit" in message and "max_body_mb" in message
    assert fetcher.requests_made == 1  # never retried


class RealElapsed(FakeTime):
    """The deadline is about real time passing: the monotonic clock is the real one here."""

    def clock(self) -> float:
        return time.monotonic()


def test_a_slow_drip_is_given_up_at_the_deadline(hostile: HostileServer) -> None:
    fetcher = make_fetcher(deadline=0.4, time=RealElapsed())
    began = time.monotonic()
    with pytest.raises(FetchError, match=r"/drip: HTTP 200 .*0\.4s deadline \(\[http\] deadline\)"):
        fetcher.fetch(hostile.url("/drip"))
    assert time.monotonic() - began < 3  # though every single read arrived well within the read timeout


def test_a_redirect_loop_names_the_url(hostile: HostileServer) -> None:
    fetcher = make_fetcher()
    with pytest.raises(FetchError, match=r"/loop: no response .*redirects \(a redirect loop\?\)"):
        fetcher.fetch(hostile.url("/loop"))


def test_a_hostile_source_fails_alone_and_the_others_run(app: App, hostile: HostileServer) -> None:
    with FixtureServer() as good:
        good.serve("/news.xml", "rss/statehouse_news.xml")
        sources = [
            Source(name="huge-feed", kind="rss", max_body_mb=0.5, options={"feeds": [{"url": hostile.url("/endless")}]}),
            Source(name="looping-feed", kind="rss", options={"feeds": [{"url": hostile.url("/loop")}]}),
            Source(name="statehouse-news", kind="rss", options={"feeds": [{"url": good.url("/news.xml")}]}),
        ]
        ohio = JurisdictionConfig(code="OH", name="Ohio", timezone="America/New_York", sessions=["136"],
                                  sources=sources)
        app.config = app.config.model_copy(update={"jurisdictions": [ohio]})
        fake = FakeTime()
        huge, looping, fine = run_sources(app, sleep=fake.sleep, monotonic=fake.clock)
    assert huge.status == "failed" and "0.5 MB limit" in " ".join(huge.errors)
    assert hostile.url("/endless") in " ".join(huge.errors)
    assert looping.status == "failed" and "redirect loop" in " ".join(looping.errors)
    assert fine.status == "ok" and count(app, NewsItem) > 0
