"""MIME: raw email bytes to headers, a plain and an HTML body, attachments and problems, without ever raising.

The stdlib `email` package with `policy.default` does the parsing. What is ours: a size limit that still reads
the headers, charset recovery (mail clients often declare the wrong charset), and a list of problems in words
an advocate can act on.
"""

from __future__ import annotations

import codecs
import email
import email.utils
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage, Message

_LATIN = {"us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "iso_8859-1", "windows-1252", "cp1252"}
_BASE64_DEFECTS = ("InvalidBase64PaddingDefect", "InvalidBase64CharactersDefect", "InvalidBase64LengthDefect")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int  # decoded bytes
    inline: bool = False  # a picture in the message (a signature logo), not a file the member attached


@dataclass
class MailParts:
    message: Message
    plain: str | None = None
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    headers_only: bool = False


def megabytes(size: int) -> str:
    return f"{size / 2**20:.1f}".removesuffix(".0") + " MB"


def read_message(raw: bytes, max_bytes: int) -> MailParts:
    """Parse `raw`; over `max_bytes` only the header block is parsed, and the problem says so."""
    if len(raw) > max_bytes:
        head = _header_block(raw)
        parts = MailParts(email.message_from_bytes(head, policy=policy.default), headers_only=True)
        parts.problems.append(f"oversized: {megabytes(len(raw))} > {megabytes(max_bytes)} limit")
        return parts
    message = email.message_from_bytes(raw, policy=policy.default)
    parts = MailParts(message)
    try:
        _read_bodies(message, parts)
    except Exception as exc:  # the stdlib can still trip on pathological structures; keep the headers
        parts.problems.append(f"unreadable body: {type(exc).__name__}: {exc}")
    return parts


def _header_block(raw: bytes) -> bytes:
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    return raw[: min(ends)] + b"\n\n" if ends else raw[:65536]


def header(message: Message, name: str) -> str:
    """A header's decoded value ('' when missing); falls back to the raw value when it will not parse."""
    try:
        value = message.get(name)
        return "" if value is None else " ".join(str(value).split())
    except Exception:
        for key, raw in message.raw_items() if isinstance(message, EmailMessage) else message.items():
            if key.lower() == name.lower():
                return " ".join(str(raw).split())
        return ""


def addresses(message: Message, *names: str) -> list[tuple[str, str]]:
    """(display name, lowercased address) pairs from the named headers, in order, without repeats."""
    values = []
    for name in names:
        try:
            values.extend(str(v) for v in message.get_all(name, []))
        except Exception:
            values.append(header(message, name))
    seen: dict[str, str] = {}
    for display, address in email.utils.getaddresses(values):
        address = address.strip().lower()
        if "@" in address:
            seen.setdefault(address, display.strip())
    return [(display, address) for address, display in seen.items()]


def date(message: Message) -> datetime | None:
    value = header(message, "Date")
    try:
        return email.utils.parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError):
        return None


def message_ids(value: str) -> list[str]:
    tokens = value.replace(",", " ").split()
    return [token for token in tokens if token.startswith("<") and token.endswith(">")]


def _read_bodies(message: Message, parts: MailParts) -> None:
    assert isinstance(message, EmailMessage)
    chosen = set()
    for kind in ("plain", "html"):
        body = message.get_body(preferencelist=(kind,))
        if body is not None and body.get_content_type() == f"text/{kind}":
            chosen.add(id(body))
            text = decode_text(body, parts.problems)
            if kind == "plain":
                parts.plain = text
            else:
                parts.html = text
    for part in _leaves(message):
        if id(part) in chosen:
            continue
        ctype = part.get_content_type()
        filename = _filename(part)
        disposition = part.get_content_disposition()
        if ctype in ("text/plain", "text/html") and not filename and disposition != "attachment":
            continue  # the other alternative of a body we already read
        if ctype == "message/rfc822":
            size = len(part.as_bytes())
        else:
            payload = part.get_payload(decode=True)
            size = len(payload) if isinstance(payload, bytes) else 0
        inline = disposition == "inline" or (disposition is None and bool(part.get("Content-ID")))
        inline = inline and ctype.startswith("image/")
        parts.attachments.append(Attachment(filename or "", ctype, size, inline))


def _leaves(message: Message) -> list[Message]:
    """Every leaf part; attached messages (forwards, bounces) are kept whole, not searched for a body."""
    if message.get_content_maintype() == "multipart":
        payload = message.get_payload()
        leaves: list[Message] = []
        for sub in payload if isinstance(payload, list) else []:
            leaves.extend(_leaves(sub))
        return leaves
    return [message]


def _filename(part: Message) -> str:
    try:
        return part.get_filename() or ""
    except Exception:
        return ""


def decode_text(part: Message, problems: list[str]) -> str:
    """A text part as str: the declared charset when it fits, else the charset the bytes are really in."""
    ctype = part.get_content_type()
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        payload = str(part.get_payload()).encode("utf-8", "surrogateescape")
    if any(type(d).__name__ in _BASE64_DEFECTS for d in getattr(part, "defects", [])):
        problems.append(f"undecodable part: {ctype} has damaged base64")
    declared = (part.get_content_charset() or "us-ascii").lower()
    try:
        codec = codecs.lookup(declared).name
    except LookupError:
        codec = ""
    if declared in _LATIN or codec in {"ascii", "latin-1", "iso8859-1", "cp1252"}:
        # Clients label UTF-8 as Latin-1 more often than the reverse; valid multi-byte UTF-8 is very unlikely
        # to be real Latin-1 text. And Latin-1 labels usually mean windows-1252 (curly quotes at 0x91-0x94).
        for candidate in ("ascii", "utf-8", "cp1252", "latin-1"):
            text = _try(payload, candidate)
            if text is not None:
                if candidate == "utf-8" or (codec == "ascii" and candidate != "ascii"):
                    problems.append(f"wrong charset: {ctype} declared {declared}, read as {candidate}")
                return text
    if codec:
        text = _try(payload, codec)
        if text is not None:
            return text
    for candidate in ("utf-8", "cp1252"):
        text = _try(payload, candidate)
        if text is not None:
            if codec:
                problems.append(f"wrong charset: {ctype} declared {declared}, read as {candidate}")
            else:
                problems.append(f"unknown charset: {ctype} declared {declared}, read as {candidate}")
            return text
    problems.append(f"undecodable part: {ctype} is not valid {declared}; unreadable characters replaced")
    return payload.decode("utf-8", "replace")


def _try(payload: bytes, codec: str) -> str | None:
    try:
        return payload.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None
