"""One member's email, ready for any backend: the rendered parts plus envelope, headers and attachments.

`OutgoingMessage` is what the sending code hands to a `MailBackend`; `build_message` turns it into a stdlib
`EmailMessage` (multipart/alternative text + HTML, wrapped in multipart/mixed when there are attachments)
for the SMTP and outbox backends. The SendGrid backend maps the same fields onto its JSON instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from email import policy as email_policy
from email.headerregistry import Address as HeaderAddress
from email.headerregistry import HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from digests.model import RenderedEmail, require_absolute_url

# Headers the message builder owns; a custom header must not override them.
RESERVED_HEADERS = frozenset(
    h.lower()
    for h in (
        "From",
        "To",
        "Cc",
        "Bcc",
        "Subject",
        "Reply-To",
        "Date",
        "Message-ID",
        "MIME-Version",
        "Content-Type",
        "Content-Transfer-Encoding",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
    )
)
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # RFC 5322 field name: printable ASCII except colon


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                            rf"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+\Z")


class MessageError(ValueError):
    """An OutgoingMessage that cannot become a valid email (bad header, bad address)."""


@dataclass(frozen=True)
class Address:
    email: str
    name: str = ""

    def __post_init__(self) -> None:
        if "@" not in self.email:
            raise MessageError(f"not an email address: {self.email!r}")
        if _PLAIN_ADDRESS.match(self.email) and "\r" not in self.name and "\n" not in self.name:
            return  # the common form parses by construction: no need to run the full RFC 5322 parser per member
        try:
            self.header()
        except (ValueError, TypeError) as exc:  # email.errors header defects are ValueErrors
            raise MessageError(f"not an email address: {self.email!r} ({exc})") from exc

    def header(self) -> HeaderAddress:
        return HeaderAddress(display_name=self.name, addr_spec=self.email)

    def __str__(self) -> str:
        return str(self.header())

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str  # "text/calendar"
    params: tuple[tuple[str, str], ...] = ()  # Content-Type parameters, e.g. (("method", "REQUEST"),)

    @property
    def content_type(self) -> str:
        return "; ".join([self.mime_type, *(f"{k}={v}" for k, v in self.params)])


@dataclass(frozen=True, eq=False)
class OutgoingMessage:
    """One email to one member.

    `reply_to` carries the member's reply token (made by the caller); `unsubscribe_url` is the one-click
    endpoint (RFC 8058: it receives a POST with `List-Unsubscribe=One-Click`); `custom_args` are echoed back
    by the provider's event webhook (digest id, member id); `headers` are extra headers such as `X-Digest-Id`.
    """

    recipient: Address
    sender: Address
    email: RenderedEmail
    reply_to: Address | None = None
    unsubscribe_url: str = ""
    unsubscribe_mailto: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    custom_args: Mapping[str, str] = field(default_factory=dict)
    categories: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    message_id: str = ""  # "<...@domain>"; made from the sender's domain when empty
    # Per-recipient values (the member's signed link token) replaced in subject and bodies: SendGrid does it per
    # personalization, so members with the same email still share one request; other backends do it locally.
    substitutions: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("recipient", "sender", "reply_to"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Address):
                raise MessageError(f"OutgoingMessage.{name} must be an Address, got {value!r}")
        require_absolute_url(self.unsubscribe_url, "OutgoingMessage.unsubscribe_url", optional=True)
        if self.unsubscribe_url and not self.unsubscribe_url.startswith("https://"):
            # RFC 8058 one-click unsubscribe requires an https URI.
            raise MessageError(f"OutgoingMessage.unsubscribe_url must be https: {self.unsubscribe_url!r}")
        if self.unsubscribe_mailto and not self.unsubscribe_mailto.startswith("mailto:"):
            raise MessageError(
                f"OutgoingMessage.unsubscribe_mailto must start with mailto: {self.unsubscribe_mailto!r}"
            )
        for name, value in self.headers.items():
            if not _HEADER_NAME.match(name) or name.lower() in RESERVED_HEADERS:
                raise MessageError(f"OutgoingMessage.headers: {name!r} cannot be set as a custom header")
            if "\r" in value or "\n" in value:
                raise MessageError(f"OutgoingMessage.headers: {name!r} value contains a line break")
        for key, value in self.custom_args.items():
            if not isinstance(value, str):
                raise MessageError(
                    f"OutgoingMessage.custom_args: {key!r} must be a string, got {type(value).__name__}"
                )


def substituted(message: OutgoingMessage) -> OutgoingMessage:
    """The message with its substitutions applied to subject, text and HTML."""
    if not message.substitutions:
        return message
    email = message.email
    subject, text, html = email.subject, email.text, email.html
    for key, value in message.substitutions.items():
        subject, text, html = subject.replace(key, value), text.replace(key, value), html.replace(key, value)
    return replace(message, email=RenderedEmail(subject=subject, text=text, html=html), substitutions={})


def list_unsubscribe_headers(message: OutgoingMessage) -> dict[str, str]:
    """`List-Unsubscribe` (mailto and https) and, with an https URL, the RFC 8058 one-click marker."""
    targets = [t for t in (message.unsubscribe_mailto, message.unsubscribe_url) if t]
    if not targets:
        return {}
    headers = {"List-Unsubscribe": ", ".join(f"<{t}>" for t in targets)}
    if message.unsubscribe_url:
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


class _BracketListHeader(UnstructuredHeader):
    """A list of `<URL>`s (RFC 2369), folded between entries and never encoded: mail providers read
    `List-Unsubscribe` raw, and the default policy turns a long header without spaces into RFC 2047 words."""

    def fold(self, *, policy: email_policy.Policy) -> str:
        entries = re.split(r",\s*(?=<)", str(self))
        return f"{self.name}: " + ("," + policy.linesep + " ").join(entries) + policy.linesep


def _mail_policy() -> email_policy.EmailPolicy:
    registry = HeaderRegistry()
    registry.map_to_type("list-unsubscribe", _BracketListHeader)
    return email_policy.default.clone(header_factory=registry)


MAIL_POLICY = _mail_policy()


def build_message(message: OutgoingMessage, now: datetime) -> EmailMessage:
    """The stdlib email for `message`, dated `now` (aware), its substitutions applied."""
    message = substituted(message)
    mail = EmailMessage(policy=MAIL_POLICY)
    mail["Subject"] = message.email.subject
    mail["From"] = message.sender.header()
    mail["To"] = message.recipient.header()
    if message.reply_to:
        mail["Reply-To"] = message.reply_to.header()
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = message.message_id or make_msgid(domain=message.sender.domain)
    for name, value in list_unsubscribe_headers(message).items():
        mail[name] = value
    for name, value in message.headers.items():
        mail[name] = value
    mail.set_content(message.email.text)
    mail.add_alternative(message.email.html, subtype="html")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        mail.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
            params=dict(attachment.params),
        )
    return mail
