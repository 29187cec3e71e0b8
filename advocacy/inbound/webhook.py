"""SendGrid Inbound Parse webhook: `POST /inbound/sendgrid`, in the same ASGI app as the advocate's pages.

Both of SendGrid's forms are accepted: the raw form (the whole MIME message in the `email` field) and the parsed
form (`headers`, `text`, `html`, `attachment1..N` with `attachment-info`, `charsets`), which is put back together
into one MIME message so every channel stores the same thing. The caller must authenticate (HTTP basic, from
ADVOCACY_WEBHOOK_USER / ADVOCACY_WEBHOOK_PASSWORD) and the body is capped at `email.max_inbound_bytes`.

The answer is 2xx only once the message is committed: SendGrid retries on 5xx, and a retry is recognised by its
content hash or Message-ID and not stored twice. Parsing and attribution run after the answer has gone (a
parser thread woken at once), so a post costs little more than storing it; if parsing fails or the process dies
first, the message waits as "received" and `intake.process_pending` parses it (the web app does so on start).

A post over the limit is never refused (SendGrid does not retry a 4xx, so the member's question would be lost):
its first part is stored, up to the limit, and quarantined as "too large" so the advocate sees who wrote.

A host of many collaboratives needs one Inbound Parse URL for all of them: served by `host_app`, the endpoint gets
the host's collaboratives by reply domain and stores (and parses) a message for the collaborative whose
`[email] reply_local`@`reply_domain` its envelope recipient (else its To/Cc) is addressed to; collaboratives that
share a reply domain are told apart by whose key signed the token in the address. No match: the receiving
collaborative, whose intake quarantines what it cannot attribute.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import io
import json
import logging
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from typing import Any

import python_multipart
from python_multipart.exceptions import FormParserError
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from advocacy.app import App
from advocacy.inbound import intake
from advocacy.tokens import read_reply_address

log = logging.getLogger("advocacy.inbound")

Processor = Callable[[App, int], object]
ReplyDomains = Mapping[str, Sequence[App]]  # reply domain (lower case) -> the collaboratives replying at it
# Headers the rebuilt message gets from its own MIME structure, not from the original header block.
_BODY_HEADERS = {"content-type", "content-transfer-encoding", "mime-version", "content-disposition", "content-id",
                 "content-length"}
_META_FIELDS = ("SPF", "dkim", "spam_score", "spam_report", "sender_ip")


@dataclass
class Body:
    data: bytes  # everything posted, or its first `cap` bytes when it was larger
    size: int  # bytes posted (as declared, or as counted)
    too_large: bool


@dataclass
class Form:
    fields: dict[str, bytes] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # name -> (filename, content)

    def text(self, name: str, charset: str = "utf-8") -> str:
        return self.fields.get(name, b"").decode(charset, "replace")


def authorized(header: str, user: str, password: str) -> bool:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        given = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    given_user, sep, given_password = given.partition(b":")
    # both comparisons always run, so timing says nothing about which part was wrong
    user_ok = hmac.compare_digest(given_user, user.encode())
    password_ok = hmac.compare_digest(given_password, password.encode())
    return bool(sep) and user_ok and password_ok


async def read_capped(request: Request, cap: int) -> Body:
    """The posted body; past `cap` bytes the rest is not read (a declared length over the cap reads only the cap)."""
    declared = request.headers.get("content-length", "")
    chunks, size = [], 0
    async for chunk in request.stream():
        chunks.append(chunk[:max(0, cap - size)])
        size += len(chunk)
        if size > cap:
            break
    data = b"".join(chunks)
    total = int(declared) if declared.isdigit() else size
    return Body(data, max(total, size), max(total, size) > cap)


def parse_form(content_type: str, body: bytes, form: Form | None = None) -> Form:
    """multipart/form-data to raw bytes per field: the message's own charsets decide how to read them.

    Fields are added to `form` as they complete, so after an error it holds every field read before it."""
    form = form if form is not None else Form()

    def on_field(f: Any) -> None:
        form.fields[f.field_name.decode("utf-8", "replace")] = f.value or b""

    def on_file(f: Any) -> None:
        f.file_object.seek(0)
        name = (f.file_name or b"").decode("utf-8", "replace")
        form.files[f.field_name.decode("utf-8", "replace")] = (name, f.file_object.read())

    python_multipart.parse_form({"Content-Type": content_type.encode("latin-1"),
                                 "Content-Length": str(len(body)).encode()},
                                io.BytesIO(body), on_field, on_file)
    return form


def _json_field(form: Form, name: str, problems: list[str]) -> Any:
    raw = form.fields.get(name)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        problems.append(f"webhook field {name!r} is not valid JSON")
        return raw.decode("utf-8", "replace")


def _decode(form: Form, name: str, charsets: dict[str, str], problems: list[str]) -> str:
    raw = form.fields.get(name, b"")
    charset = charsets.get(name) or "utf-8"
    try:
        return raw.decode(charset)
    except LookupError:
        problems.append(f"{name}: unknown charset {charset!r}; read as UTF-8 with replacements")
    except UnicodeDecodeError:
        problems.append(f"{name}: not valid {charset}; undecodable bytes replaced")
    return raw.decode("utf-8" if charset.lower() in ("", "utf-8", "utf8") else "latin-1", "replace")


def _header_block(headers: str) -> bytes:
    """The original headers, unfolded groups kept whole, without the ones the new MIME structure supplies."""
    groups: list[list[str]] = []
    for line in headers.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            continue
        if line[:1] in (" ", "\t") and groups:
            groups[-1].append(line)
        else:
            groups.append([line])
    kept = [g for g in groups if g[0].partition(":")[0].strip().lower() not in _BODY_HEADERS]
    return "".join("\r\n".join(g) + "\r\n" for g in kept).encode("utf-8", "surrogateescape")


def message_from_parsed(form: Form, problems: list[str]) -> bytes:
    """Rebuild one MIME message from SendGrid's parsed form, byte for byte the same on every retry."""
    charsets = _json_field(form, "charsets", problems)
    charsets = charsets if isinstance(charsets, dict) else {}
    headers = _decode(form, "headers", charsets, problems) if "headers" in form.fields else ""
    if not headers.strip():
        headers = "".join(f"{name.title()}: {_decode(form, name, charsets, problems)}\n"
                          for name in ("from", "to", "cc", "subject") if name in form.fields)
    text = _decode(form, "text", charsets, problems) if "text" in form.fields else ""
    html = _decode(form, "html", charsets, problems) if "html" in form.fields else ""
    info = _json_field(form, "attachment-info", problems)
    info = info if isinstance(info, dict) else {}
    body = EmailMessage()
    if text:
        body.set_content(text)
    if html:
        if text:
            body.add_alternative(html, subtype="html")
        else:
            body.set_content(html, subtype="html")
    for name in sorted(form.files, key=lambda n: (len(n), n)):
        filename, content = form.files[name]
        details = info.get(name) if isinstance(info.get(name), dict) else {}
        maintype, _, subtype = str(details.get("type") or "application/octet-stream").partition("/")
        body.add_attachment(content, maintype=maintype or "application", subtype=subtype or "octet-stream",
                            filename=str(details.get("filename") or filename or name))
    if not text and not html and not form.files:
        body.set_content("")
    seed = hashlib.sha256(b"\0".join([form.fields.get(k, b"") for k in ("headers", "text", "html")]
                                     + [c for _, c in form.files.values()])).hexdigest()[:24]
    for number, part in enumerate(p for p in body.walk() if p.is_multipart()):
        part.set_boundary(f"=_advocacy_{seed}_{number}")  # random boundaries would defeat de-duplication
    return _header_block(headers) + body.as_bytes(policy=policy.SMTP)


def inbound_message(form: Form) -> tuple[bytes, dict[str, Any], list[str]]:
    """(raw MIME message, SendGrid's verdicts for the intake, problems) from either form."""
    problems: list[str] = []
    meta: dict[str, Any] = {name: form.text(name) for name in _META_FIELDS if name in form.fields}
    envelope = _json_field(form, "envelope", problems)
    if envelope is not None:
        meta["envelope"] = envelope
    if "email" in form.fields:
        meta["form"] = "raw"
        return form.fields["email"], meta, problems
    meta["form"] = "parsed"
    charsets = _json_field(form, "charsets", [])
    if isinstance(charsets, dict):
        meta["charsets"] = charsets
    return message_from_parsed(form, problems), meta, problems


def too_large_message(content_type: str, body: Body, cap: int) -> tuple[bytes, dict[str, Any], list[str]]:
    """What is kept of a post over the limit: the sender's headers and the start of the text, when the kept part
    holds them; otherwise the kept bytes as they came."""
    form = Form()
    with contextlib.suppress(Exception):  # the form is cut short by construction: keep the fields read before
        parse_form(content_type, body.data, form)
    meta: dict[str, Any] = {"form": "too_large", "size": body.size, "limit": cap,
                            **{name: form.text(name) for name in _META_FIELDS if name in form.fields}}
    problem = (f"too large: {body.size} bytes posted, over the webhook limit of {cap} bytes "
               f"(email.max_inbound_bytes); only the first part was kept")
    if "headers" in form.fields:
        text = form.fields.get("text") or _cut_field(body.data, "text") or b""
        head = _header_block(form.text("headers"))
        return head + b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + text, meta, [problem]
    return form.fields.get("email") or _cut_field(body.data, "email") or body.data, meta, [problem]


def _cut_field(data: bytes, name: str) -> bytes | None:
    """The start of a form field the cap cut short: what follows its part's headers, to the end of the data."""
    start = data.find(f'form-data; name="{name}"'.encode())
    if start < 0:
        return None
    begin = data.find(b"\r\n\r\n", start)
    return data[begin + 4:] if begin >= 0 else None


def _process_safely(app: App, process: Processor, message_id: int) -> None:
    try:
        process(app, message_id)
    except Exception:  # stored already: process_pending will try again
        log.exception("inbound message %s stored but not processed", message_id)


def _processor(app: App, message_id: int) -> object:
    return intake.process_stored(app, message_id)


def read_message(content_type: str, body: Body, cap: int) -> tuple[bytes, dict[str, Any], list[str], str | None]:
    """(raw message, meta, problems, why it goes to the quarantine at once or None) from a post."""
    if body.too_large:
        log.warning("inbound webhook body of %s bytes over the limit of %s: first part kept, quarantined",
                    body.size, cap)
        raw, meta, problems = too_large_message(content_type, body, cap)
        return raw, meta, problems, problems[0]
    try:
        if not content_type.lower().startswith("multipart/form-data"):
            raise FormParserError(f"content type {content_type or 'missing'!r}, not multipart/form-data")
        raw, meta, problems = inbound_message(parse_form(content_type, body.data))
        return raw, meta, problems, None
    except Exception as exc:  # keep what was posted: the advocate sees it in the quarantine
        return (body.data, {"form": "unreadable", "content_type": content_type}, [],
                f"webhook body is not a SendGrid form: {type(exc).__name__}: {exc}")


class Parser:
    """Parses stored messages one at a time on its own thread, woken as each is stored: no answer waits for a
    parse (nor does the next request on the same connection). Answers come first: a parse starts only when no
    post is being stored and none was for `settle` seconds, so a burst is answered as fast as posts can be
    stored, and parsed once it has passed (the messages wait in the database, their ids in memory). `close`
    parses what is queued and stops; what a dying process leaves queued is still "received" and
    `intake.process_pending` parses it on the next start."""

    settle = 0.01  # seconds: a parse holds the interpreter for several ms; posts 10 ms apart are a burst

    def __init__(self, app: App, process: Processor | None = None) -> None:
        self.app = app
        self.process = process or _processor
        self._queue: queue.Queue[tuple[App, int] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._answering = 0
        self._answered_at = 0.0  # time.monotonic() when the last answer was stored
        self._quiet = threading.Event()
        self._quiet.set()

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        """Held while a post is read and stored: parsing waits until none is."""
        with self._lock:
            self._answering += 1
            self._quiet.clear()
        try:
            yield
        finally:
            with self._lock:
                self._answering -= 1
                self._answered_at = time.monotonic()
                if not self._answering:
                    self._quiet.set()

    def _wait_for_quiet(self) -> None:
        while True:
            self._quiet.wait()
            wait = self._answered_at + self.settle - time.monotonic()
            if wait <= 0:
                return
            time.sleep(wait)

    def submit(self, message_id: int, app: App | None = None) -> None:
        """Parse `message_id` as `app`'s (default: this parser's), the collaborative it was stored for."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="inbound-parse", daemon=True)
                self._thread.start()
            self._queue.put((app or self.app, message_id))

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            self._wait_for_quiet()
            _process_safely(item[0], self.process, item[1])

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is not None:
                self._queue.put(None)
        if thread is not None:
            thread.join()


def sendgrid_endpoint(app: App, *, process: Processor | None = None, parser: Parser | None = None,
                      reply_domains: ReplyDomains | None = None) -> Callable[[Request], Awaitable[Response]]:
    """The webhook's endpoint; `advocacy.web.app.create_app` mounts it at `/inbound/sendgrid`.

    `process` runs after a new message is committed and answered (default: parse and attribute it), on `parser`'s
    thread (the web app closes it on shutdown). `reply_domains` (from `host_app`) routes each message to the
    collaborative it was sent to.
    """
    parser = parser or Parser(app, process)

    async def sendgrid(request: Request) -> Response:
        user, password = app.secrets.webhook_user, app.secrets.webhook_password
        if not user or not password:
            # 5xx: SendGrid keeps retrying for days, so no reply is lost while the environment is fixed
            log.error("inbound webhook called but ADVOCACY_WEBHOOK_USER/ADVOCACY_WEBHOOK_PASSWORD are not set")
            return JSONResponse({"error": "webhook credentials are not configured"}, status_code=503)
        if not authorized(request.headers.get("authorization", ""), user, password):
            return JSONResponse({"error": "authentication required"}, status_code=401,
                                headers={"WWW-Authenticate": 'Basic realm="inbound"'})
        cap = app.config.email.max_inbound_bytes
        body = await read_capped(request, cap)
        with parser.answering():
            raw, meta, problems, quarantine = read_message(request.headers.get("content-type", ""), body, cap)
            try:
                owner = owner_of(app, recipients(raw, meta), reply_domains) if reply_domains else app
                stored = await run_in_threadpool(store, owner, raw, meta, [p for p in problems if p != quarantine],
                                                 quarantine)
            except SQLAlchemyError:
                log.exception("inbound message could not be stored")
                return JSONResponse({"error": "could not store the message; retry later"}, status_code=503)
        message_id, is_new, status = stored
        if is_new and status == "received":
            # parsed right after, on the parser's thread: a crash in between leaves it "received" for process_pending
            parser.submit(message_id, owner)
        return JSONResponse({"id": message_id, "duplicate": not is_new})

    return sendgrid


def store(app: App, raw: bytes, meta: dict[str, Any], problems: list[str],
          unreadable: str | None) -> tuple[int, bool, str]:
    """(id, is_new, status) of the message, committed."""
    with app.transaction() as session:
        return intake.store_raw(session, raw, "webhook", meta, app.now(),
                                problems=[*problems, *([unreadable] if unreadable else [])],
                                status="quarantined" if unreadable else "received")


def recipients(raw: bytes, meta: dict[str, Any]) -> list[str]:
    """Whom the message was delivered to: SendGrid's envelope `to`, else the To and Cc headers."""
    envelope = meta.get("envelope")
    to = envelope.get("to") if isinstance(envelope, dict) else None
    if to:
        return [str(address) for address in (to if isinstance(to, list) else [to])]
    try:
        end = min((i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0), default=len(raw))
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw[:end + 1])  # the header block only
        values = [str(v) for name in ("to", "cc") for v in headers.get_all(name, [])]
        return [address for _, address in getaddresses(values) if address]
    except Exception:  # an unreadable post has no recipients we can trust: it stays with the receiving App
        return []


def owner_of(app: App, addresses: Sequence[str], reply_domains: ReplyDomains) -> App:
    """The collaborative a message sent to `addresses` belongs to: the first address at a collaborative's
    `reply_local`@`reply_domain` decides (several at one domain: the one whose key signed the address's token);
    none: `app`, the collaborative that received it."""
    for address in addresses:
        user, at, domain = address.strip().strip("<>").rpartition("@")
        local = user.partition("+")[0].lower()
        candidates = [a for a in reply_domains.get(domain.lower(), ()) if a.config.email.reply_local.lower() == local]
        if len(candidates) > 1:
            candidates = [a for a in candidates
                          if read_reply_address(a.signing_key, address, a.config.email.reply_local) is not None]
        if at and len(candidates) == 1:
            return candidates[0]
    return app
