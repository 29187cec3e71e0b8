"""Local mail servers for tests and the send benchmark: a SendGrid v3 stand-in and a real SMTP server.

Both listen on 127.0.0.1 on a free port, run in a background thread, and record what arrived.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

# Headers SendGrid refuses in `headers` (its reserved list).
SENDGRID_RESERVED = {
    "x-sg-id",
    "x-sg-eid",
    "received",
    "dkim-signature",
    "content-type",
    "content-transfer-encoding",
    "to",
    "from",
    "subject",
    "reply-to",
    "cc",
    "bcc",
}


@dataclass(frozen=True)
class ScriptedReply:
    status: int
    retry_after: str | None = None
    body: dict[str, Any] | None = None


@dataclass
class SendGridRequest:
    """What one request carried: the payload (when kept) and the recipients, in personalization order."""

    recipients: list[str]
    personalizations: int
    payload: dict[str, Any] | None


def validate_payload(payload: Any) -> list[dict[str, str]]:
    """The v3 Mail Send shape rules we rely on; returns SendGrid-style error objects (empty when valid)."""
    errors: list[dict[str, str]] = []

    def error(field_name: str, message: str) -> None:
        errors.append({"field": field_name, "message": message})

    if not isinstance(payload, dict):
        return [{"field": "", "message": "body must be a JSON object"}]
    if not isinstance(payload.get("from"), dict) or "@" not in str(payload["from"].get("email", "")):
        error("from.email", "The from email is required and must be an email address.")
    personalizations = payload.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        error("personalizations", "You must have at least one personalization.")
        personalizations = []
    if len(personalizations) > 1000:
        error(
            "personalizations",
            f"The personalization block is limited to 1000; you provided {len(personalizations)}.",
        )
    for i, p in enumerate(personalizations):
        to = p.get("to") if isinstance(p, dict) else None
        if not isinstance(to, list) or not to or not all("@" in str(t.get("email", "")) for t in to):
            error(f"personalizations.{i}.to", "Each personalization needs at least one valid to address.")
        for key in ("headers", "custom_args", "substitutions"):
            value = p.get(key, {}) if isinstance(p, dict) else {}
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                error(f"personalizations.{i}.{key}", f"{key} must be an object of strings.")
        for name in (p.get("headers") or {}) if isinstance(p, dict) else {}:
            if name.lower() in SENDGRID_RESERVED:
                error(f"personalizations.{i}.headers", f"{name} is a reserved header.")
        if not payload.get("subject") and not (isinstance(p, dict) and p.get("subject")):
            error(f"personalizations.{i}.subject", "A subject is required.")
    content = payload.get("content")
    if not isinstance(content, list) or not content:
        error("content", "Content is required.")
    else:
        types = [c.get("type") for c in content]
        if "text/plain" in types and types[0] != "text/plain":
            error("content", "text/plain must come first.")
        if not all(isinstance(c.get("value"), str) and c["value"] for c in content):
            error("content.value", "Content values must be non-empty strings.")
    if "reply_to" in payload and "@" not in str(payload["reply_to"].get("email", "")):
        error("reply_to.email", "The reply_to email must be an email address.")
    categories = payload.get("categories", [])
    if len(categories) > 10 or not all(isinstance(c, str) and 0 < len(c) <= 255 for c in categories):
        error("categories", "At most 10 categories of 1 to 255 characters.")
    for i, attachment in enumerate(payload.get("attachments", [])):
        if not attachment.get("content") or not attachment.get("filename"):
            error(f"attachments.{i}", "Attachments need content and filename.")
    return errors


class SendGridStandIn:
    """A threaded HTTP server answering POST /v3/mail/send like SendGrid does.

    It checks the bearer key and the payload shape, records each request, and can be told to answer with a
    given status for the next N requests (`fail_next`, e.g. 500 or 429 with Retry-After), to accept and answer too
    late (`stall_next`), or to close the connection unanswered after or before accepting (`drop_next`).
    """

    def __init__(self, api_key: str = "SG.test-key", keep_payloads: bool = True) -> None:
        self.api_key = api_key
        self.keep_payloads = keep_payloads
        self.latency = 0.0  # seconds each request takes to answer, as a real provider's round trip does
        self.requests: list[SendGridRequest] = []
        self.attempts = 0  # every POST, including scripted failures
        self._script: deque[ScriptedReply] = deque()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._stalls = 0
        self._faults: deque[str] = deque()  # "close-after-accept" / "close-before-accept", one per request
        self._posts = 0
        self._hold: tuple[int, str] | None = None  # (the nth POST, "before" / "after" accepting / "answered")
        self.held = threading.Event()
        self._released = threading.Event()  # set on exit: a stalled answer never outlives the server
        self._gate_size = 0  # `gate`: requests wait unanswered until this many wait at once
        self._gate_waiting = 0
        self._gate_open = threading.Event()
        self.gate_reached = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        # A short poll interval keeps shutdown (and so each test's teardown) quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> SendGridStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def stall_next(self, count: int) -> None:
        """Accept the next `count` requests (they count as delivered) but answer only after the client gave up."""
        with self._lock:
            self._stalls += count

    def hold(self, nth: int, when: str) -> threading.Event:
        """At the `nth` POST (counting from 1): keep it unanswered until the server closes, "before" or "after"
        recording it as delivered, or ("answered") answer it normally; the event returned is set at that moment."""
        assert when in ("before", "after", "answered")
        with self._lock:
            self._hold = (nth, when)
            self.held = threading.Event()
        return self.held

    def gate(self, size: int) -> threading.Event:
        """Keep requests unanswered until `size` of them wait at once, then answer them and every later one: proof
        that `size` clients were sending side by side, with no timing to race. The event returned is set when the
        first request waits at the gate."""
        with self._lock:
            self._gate_size, self._gate_waiting = size, 0
            self._gate_open.clear()
            self.gate_reached = threading.Event()
        return self.gate_reached

    def _wait_at_gate(self) -> None:
        with self._lock:
            if not self._gate_size or self._gate_open.is_set():
                return
            self._gate_waiting += 1
            if self._gate_waiting >= self._gate_size:
                self._gate_open.set()
        self.gate_reached.set()
        while not self._gate_open.wait(0.05) and not self._released.is_set():
            pass

    def drop_next(self, count: int, *, accepted: bool) -> None:
        """Close the connection of the next `count` requests without an answer, after recording them as
        delivered (`accepted`) or before (nothing delivered)."""
        with self._lock:
            self._faults.extend(["close-after-accept" if accepted else "close-before-accept"] * count)

    def fail_next(self, count: int, status: int, retry_after: str | None = None) -> None:
        with self._lock:
            for _ in range(count):
                self._script.append(ScriptedReply(status, retry_after))

    @property
    def payloads(self) -> list[dict[str, Any]]:
        return [r.payload for r in self.requests if r.payload is not None]

    @property
    def recipients(self) -> list[str]:
        return [email for r in self.requests for email in r.recipients]

    def _reply(self, body: dict[str, Any] | None) -> tuple[int, dict[str, str], dict[str, Any] | None]:
        """Decide the answer for one request (called under no lock; takes it itself)."""
        if self.latency:
            time.sleep(self.latency)
        with self._lock:
            self.attempts += 1
            scripted = self._script.popleft() if self._script else None
        if scripted:
            headers = {"Retry-After": scripted.retry_after} if scripted.retry_after else {}
            return scripted.status, headers, {"errors": [{"message": f"scripted {scripted.status}"}]}
        if body is None:
            return 400, {}, {"errors": [{"field": "", "message": "Bad Request: body is not JSON"}]}
        errors = validate_payload(body)
        if errors:
            return 400, {}, {"errors": errors}
        recipients = [t["email"] for p in body["personalizations"] for t in p["to"]]
        with self._lock:
            self.requests.append(
                SendGridRequest(
                    recipients, len(body["personalizations"]), body if self.keep_payloads else None
                )
            )
            message_id = f"standin-{next(self._ids)}"
        sandbox = body.get("mail_settings", {}).get("sandbox_mode", {}).get("enable") is True
        # SendGrid answers 200 in sandbox mode (validated, not sent) and 202 when it accepted the mail.
        return (200 if sandbox else 202), {"X-Message-Id": message_id}, None

    def _next_fault(self) -> str:
        """How to misbehave on this POST: "" (not at all), "hold-<when>", "close-before/after-accept"; first, wait
        at the `gate` if there is one."""
        self._wait_at_gate()
        with self._lock:
            self._posts += 1
            if self._hold and self._hold[0] == self._posts:
                return f"hold-{self._hold[1]}"
            return self._faults.popleft() if self._faults else ""

    def _count_unrecorded(self) -> None:
        with self._lock:
            self.attempts += 1

    def _hold_here(self, hold: bool) -> None:
        if hold:
            self.held.set()
            self._released.wait()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                if self.path != "/v3/mail/send":
                    return self._send(404, {}, {"errors": [{"message": f"no route {self.path}"}]})
                if self.headers.get("Authorization") != f"Bearer {stand_in.api_key}":
                    return self._send(
                        401, {}, {"errors": [{"message": "The provided authorization grant is invalid"}]}
                    )
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                fault = stand_in._next_fault()
                if fault in ("hold-before", "close-before-accept"):
                    stand_in._count_unrecorded()
                    stand_in._hold_here(fault == "hold-before")
                    return self._drop()
                status, headers, reply = stand_in._reply(body)
                if fault in ("hold-after", "close-after-accept"):
                    stand_in._hold_here(fault == "hold-after")
                    return self._drop()
                with stand_in._lock:
                    stall = status in (200, 202) and stand_in._stalls > 0
                    stand_in._stalls -= stall
                if stall:
                    stand_in._released.wait(timeout=5)  # accepted; the answer comes too late for the client
                    with contextlib.suppress(OSError):  # the client has gone, as intended
                        self._send(status, headers, reply)
                    return
                self._send(status, headers, reply)
                if fault == "hold-answered":
                    self.wfile.flush()
                    stand_in.held.set()

            def _drop(self) -> None:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)

            def _send(self, status: int, headers: dict[str, str], body: dict[str, Any] | None) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class _Collector:
    messages: list[ReceivedMail] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # recipients answered with 550
    drop_after_data: set[str] = field(default_factory=set)  # kept, then the connection is cut before the answer

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        message = message_from_bytes(raw, policy=policy.default)
        received = ReceivedMail(str(envelope.mail_from), list(envelope.rcpt_tos), message)
        self.messages.append(received)
        if self.drop_after_data & set(envelope.rcpt_tos):
            server.transport.abort()  # type: ignore[union-attr]  # accepted, but the answer never leaves
        return "250 Message accepted"


class _FreePortController(Controller):
    """aiosmtpd's Controller with port 0: learn the bound port before the readiness probe connects to it."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class LocalSmtpServer:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it accepts."""

    def __init__(self) -> None:
        self._collector = _Collector()
        self._controller = _FreePortController(self._collector, hostname="127.0.0.1", port=0)

    @property
    def messages(self) -> list[ReceivedMail]:
        return self._collector.messages

    def refuse(self, address: str) -> None:
        self._collector.refuse.add(address)

    def drop_after_data(self, address: str) -> None:
        """Keep the message to `address`, then cut the connection before answering its DATA."""
        self._collector.drop_after_data.add(address)

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return self._controller.port

    def __enter__(self) -> LocalSmtpServer:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()
