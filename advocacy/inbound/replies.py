"""Members' email replies to the digest: raw bytes in, a `ParsedReply` out (who wrote, what they asked, which
bills).

`parse_reply` is a pure function and never raises on bad input: what it could not read is listed in `problems`
and the rest is still returned, so a reply is never lost because one part of it was odd. Storing it, matching
the sender to a member and the token to a digest is the caller's job (`reply_summary` takes that as a
callback).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from typing import Any

from advocacy.inbound.htmltext import html_to_text
from advocacy.inbound.mime import Attachment, addresses, date, header, message_ids, read_message
from advocacy.inbound.replytext import is_acknowledgement, member_text, split_questions
from advocacy.tokens import token_from_address
from vocabulary import billnum

DEFAULT_MAX_BYTES = 5 * 2**20

_AUTO_SUBJECT = re.compile(
    r"^\s*(?:(?:re|fw|fwd)\s*:\s*)?(?:out of (?:the )?office|automatic reply"
    r"|auto(?:matic)?[- ]?(?:reply|response)|autoreply|away from (?:my|the) office|ooo\b|on vacation"
    r"|undeliverable|undelivered mail|delivery status notification|delivery (?:has )?failed"
    r"|mail delivery (?:failed|failure|subsystem)|returned mail|failure notice"
    # Outlook's and Gmail's automatic-reply subjects in the languages members' mail programs speak
    r"|automatische antwort|abwesenheitsnotiz|réponse automatique|absence du bureau"
    r"|respuesta automática|fuera de la oficina|resposta automática|ausente do escritório|fora do escritório"
    r"|risposta automatica|fuori sede|fuori ufficio|automatisch antwoord|afwezigheidsbericht"
    r"|автоматический ответ|автоответ|自动回复|自動回覆|自動応答|自動返信)",
    re.IGNORECASE,
)
_DAEMONS = ("mailer-daemon", "postmaster", "mail-daemon", "noreply-dmarc-support")


@dataclass(frozen=True)
class ParsedReply:
    content_hash: str  # sha256 of the raw bytes: the same email delivered twice is one reply
    size: int
    message_id: str = ""
    sender: str = ""  # lowercased address
    sender_name: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    subject: str = ""
    date: datetime | None = None
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    text: str = ""  # only what the member wrote
    questions: list[str] = field(default_factory=list)
    bills: list[str] = field(default_factory=list)  # normalized, e.g. "HB 96"
    auto_reply: bool = False
    auto_reply_reason: str = ""
    auto_reply_text: str = ""  # what an auto-reply said, for the advocate's review: never the member's text
    is_question: bool = False
    reply_token: str | None = None  # TOKEN of a questions+TOKEN@... recipient, not yet verified (tokens.py)
    attachments: list[Attachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def parse_reply(
    raw: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, reply_local: str = "questions"
) -> ParsedReply:
    """Read one reply email. `reply_local` is the local part of our reply address (`questions+TOKEN@...`)."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    fields: dict[str, Any] = {"content_hash": hashlib.sha256(raw).hexdigest(), "size": len(raw)}
    try:
        fields.update(_parse(raw, max_bytes, reply_local))
    except Exception as exc:  # never lose a reply to a parser bug: the hash and size are still recorded
        fields["problems"] = [f"unparseable message: {type(exc).__name__}: {exc}"]
    return ParsedReply(**fields)


def _parse(raw: bytes, max_bytes: int, reply_local: str) -> dict[str, Any]:
    parts = read_message(raw, max_bytes)
    message = parts.message
    problems = parts.problems
    sender = addresses(message, "From")
    recipients = addresses(message, "To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
    token = next((t for _, a in recipients if (t := token_from_address(a, reply_local))), None)
    reason = auto_reply_reason(message, sender[0][1] if sender else "")
    if parts.plain and parts.plain.strip():
        text = member_text(parts.plain)
        if not text and parts.html:
            text = member_text(html_to_text(parts.html))
    elif parts.html:
        text = member_text(html_to_text(parts.html))
    else:
        text = ""
    # An out-of-office or bounce text is not the member's: it is kept aside, and the reason says what it was.
    text, auto_text = ("", text) if reason else (text, "")
    is_question = bool(text) and not reason and not is_acknowledgement(text)
    if not sender:
        problems.append("no sender address")
    if not text and not parts.headers_only and not reason:
        problems.append("attachment only" if any(not a.inline for a in parts.attachments) else "empty reply")
    return {
        "message_id": header(message, "Message-ID"),
        "sender": sender[0][1] if sender else "",
        "sender_name": sender[0][0] if sender else "",
        "to": [a for _, a in addresses(message, "To")],
        "cc": [a for _, a in addresses(message, "Cc")],
        "subject": header(message, "Subject"),
        "date": date(message),
        "in_reply_to": header(message, "In-Reply-To"),
        "references": message_ids(header(message, "References")),
        "text": text,
        "questions": split_questions(text) if is_question else [],
        "bills": billnum.find_refs(text),
        "auto_reply": bool(reason),
        "auto_reply_reason": reason,
        "auto_reply_text": auto_text,
        "is_question": is_question,
        "reply_token": token,
        "attachments": parts.attachments,
        "problems": problems,
    }


def auto_reply_reason(message: Message, sender: str = "") -> str:
    """Why this message was sent by a machine (out-of-office, bounce, bulk), or '' when a person wrote it."""
    auto_submitted = header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autogenerated", "X-Auto-Reply"):
        value = header(message, name)
        if value and value.lower() not in ("no", "false", "0"):
            return f"{name}: {value}"
    precedence = header(message, "Precedence").lower()
    if precedence in ("auto_reply", "bulk", "junk"):
        return f"Precedence: {precedence}"
    if message.get_content_type() == "multipart/report":
        return "delivery report"
    if sender.partition("@")[0] in _DAEMONS:
        return f"sent by {sender}"
    subject = header(message, "Subject")
    if _AUTO_SUBJECT.match(subject):
        return f"subject: {subject}"
    return ""


@dataclass(frozen=True)
class Attribution:
    """Who wrote a reply and which digest it answers, as the caller resolved them (JSON-ready, or None)."""

    member: Any = None
    digest: Any = None


def reply_summary(
    parsed: ParsedReply, resolve: Callable[[ParsedReply], Attribution] | None = None
) -> dict[str, Any]:
    """The JSON of `advocacy questions parse FILE --json`; `resolve` looks up member and digest (e.g. by
    sender address and reply token) and is left out where there is no database."""
    attribution = resolve(parsed) if resolve else Attribution()
    return {
        "text": parsed.text,
        "questions": list(parsed.questions),
        "bills": list(parsed.bills),
        "auto_reply": parsed.auto_reply,
        "member": attribution.member,
        "digest": attribution.digest,
        "problems": list(parsed.problems),
    }
