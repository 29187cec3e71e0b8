"""SendGrid Inbound Parse webhook: `POST /inbound/sendgrid`, in the same ASGI app as the advocate's pages.

Both of SendGrid's forms are accepted: the raw form (the whole MIME message in the `email` field) and the parsed
form (`headers`, `text`, `html`, `attachment1..N` with `attachment-info`, `charsets`), which is put back together
into one MIME message so every channel stores the same thing. The caller must authenticate (HTTP basic, from
ADVOCACY_WEBHOOK_USER / ADVOCACY_WEBHOOK_PASSWORD) and the body is capped at `email.max_inbound_bytes`.

The answer is 2xx only once the message is committed: SendGrid retries on 5xx, and a retry is recognised by its
content hash or Message-ID and not stored twice. Parsing runs after the commit; if it fails (or the process
dies), the message waits as "received" for `intake.process_pending`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from typing import Any

import python_multipart
from python_multipart.exceptions import FormParserError
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from advocacy.app import App
from advocacy.inbound import intake

log = logging.getLogger("advocacy.inbound")

Processor = Callable[[App, int], object]
# Headers the rebuilt message gets from its own MIME structure, not from the original header block.
_BODY_HEADERS = {"content-type", "content-transfer-encoding", "mime-version", "content-disposition", "content-id",
                 "content-length"}
_META_FIELDS = ("SPF", "dkim", "spam_score", "spam_report", "sender_ip")


class TooLarge(Exception):
    pass


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


async def read_capped(request: Request, cap: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise TooLarge(f"{declared} bytes declared")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise TooLarge(f"more than {cap} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_form(content_type: str, body: bytes) -> Form:
    """multipart/form-data to raw bytes per field: the message's own charsets decide how to read them."""
    form = Form()

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


def _process_safely(app: App, process: Processor, message_id: int) -> None:
    try:
        process(app, message_id)
    except Exception:  # stored already: process_pending will try again
        log.exception("inbound message %s stored but not processed", message_id)


def _processor(app: App, message_id: int) -> object:
    return intake.process_stored(app, message_id)


def sendgrid_endpoint(app: App, *, process: Processor | None = None) -> Callable[[Request], Awaitable[Response]]:
    """The webhook's endpoint; `advocacy.web.app.create_app` mounts it at `/inbound/sendgrid`.

    `process` runs after a new message is committed (default: parse and attribute it now).
    """
    after_store = process or _processor

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
        try:
            body = await read_capped(request, cap)
        except TooLarge as exc:
            log.warning("inbound webhook body refused: %s (limit %s)", exc, cap)
            return JSONResponse({"error": f"body larger than {cap} bytes"}, status_code=413)
        content_type = request.headers.get("content-type", "")
        try:
            if not content_type.lower().startswith("multipart/form-data"):
                raise FormParserError(f"content type {content_type or 'missing'!r}, not multipart/form-data")
            raw, meta, problems = inbound_message(parse_form(content_type, body))
            unreadable = None
        except Exception as exc:  # keep what was posted: the advocate sees it in the quarantine
            raw, meta, problems = body, {"form": "unreadable", "content_type": content_type}, []
            unreadable = f"webhook body is not a SendGrid form: {type(exc).__name__}: {exc}"
        try:
            stored = await run_in_threadpool(_store, app, raw, meta, problems, unreadable)
        except SQLAlchemyError:
            log.exception("inbound message could not be stored")
            return JSONResponse({"error": "could not store the message; retry later"}, status_code=503)
        message_id, is_new, status = stored
        if is_new and status == "received":
            await run_in_threadpool(_process_safely, app, after_store, message_id)
        return JSONResponse({"id": message_id, "duplicate": not is_new})

    return sendgrid


def _store(app: App, raw: bytes, meta: dict[str, Any], problems: list[str],
           unreadable: str | None) -> tuple[int, bool, str]:
    with app.transaction() as session:
        message, is_new = intake.receive(session, raw, "webhook", meta, app.now(),
                                         problems=[*problems, *([unreadable] if unreadable else [])])
        if is_new and unreadable:
            message.status = "quarantined"
        return message.id, is_new, message.status
