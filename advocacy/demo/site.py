"""A local web server that serves the bundled sample source files the way the real sites do (with ETags)."""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

SITE = Path(__file__).resolve().parent / "site"
TYPES = {".json": "application/json", ".xml": "application/rss+xml"}


def _content_type(path: Path) -> str:
    if path.suffix in TYPES:
        return TYPES[path.suffix]
    head = path.read_bytes()[:20].lstrip()
    if head.startswith((b"[", b"{")):
        return "application/json"
    return "text/html; charset=utf-8"


class DemoSite:
    """Serves `root` on 127.0.0.1 (on a fixed port, so that URLs and ETags stay the same from run to run): a URL path names a file; a path ending in "/" serves its `index.json`."""

    def __init__(self, root: Path = SITE, port: int = 0) -> None:
        self.root = root.resolve()
        self.requests: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                path = urlsplit(self.path).path
                site.requests.append(path)
                target = (site.root / path.lstrip("/")).resolve()
                if path.endswith("/"):
                    target = target / "index.json"
                if not target.is_file() or site.root not in target.parents:
                    self.send_error(404)
                    return
                body = target.read_bytes()
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", _content_type(target))
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        try:
            self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        except OSError as exc:
            raise OSError(f"cannot serve the sample site on 127.0.0.1:{port}: {exc.strerror}; "
                          "pass another port with --site-port") from exc
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> DemoSite:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
