"""The email channel's backends (outbox, SMTP, SendGrid): where a batch of `OutgoingMessage`s goes, and what happened to each recipient.

Every backend answers with one `SendResult` per message, in order. A failure says whether it is permanent
(a rejected address, a bad request: do not retry) or not (rate limit, server error, network: retry later), so
the caller can record it on the send-attempt row before deciding.
"""

from __future__ import annotations

import base64
import json
import os
import re
import smtplib
import ssl
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.client import HTTPException
from pathlib import Path
from typing import Protocol, TypeVar
from urllib.error import URLError

import sendgrid
from python_http_client import exceptions as http_errors

from digests.message import Address, OutgoingMessage, build_message, list_unsubscribe_headers
from vocabulary.retry_after import retry_after_seconds

T = TypeVar("T")
CHANNEL = "email"  # what a `Delivery` sent by any of these backends records as its channel
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SendResult:
    recipient: str
    ok: bool
    permanent: bool = False  # only meaningful when not ok
    status: int | None = None  # HTTP or SMTP code when there was one
    reason: str = ""
    provider_id: str = ""  # SendGrid X-Message-Id, SMTP Message-ID, outbox file name
    # The request went out but no answer came (a timeout): the provider may have accepted it, so it must not be
    # retried automatically, or the member could get it twice.
    unknown: bool = False


class SendError(Exception):
    def __init__(
        self, reason: str, *, permanent: bool, status: int | None = None, retry_after: float | None = None,
        unknown: bool = False,
    ):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.unknown = unknown
        self.status = status
        self.retry_after = retry_after

    def result(self, recipient: str) -> SendResult:
        return SendResult(
            recipient, ok=False, permanent=self.permanent, status=self.status, reason=self.reason,
            unknown=self.unknown,
        )


class MailBackend(Protocol):
    """A channel's transport. A backend may say `channel` (default "email") and `batch_size` (default 1)."""

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        """Send `messages`; one result per message, in the same order. Never raises for a delivery failure."""
        ...


@dataclass(frozen=True)
class RetryPolicy:
    """Retries a call that fails with a non-permanent SendError, honouring Retry-After.

    A Retry-After longer than `max_delay` is not waited out here: the batch fails as retryable and the
    scheduler picks it up later, rather than holding a worker for minutes.
    """

    attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 60.0
    sleep: Callable[[float], None] = time.sleep

    def run(self, call: Callable[[], T]) -> T:
        attempt = 1
        while True:
            try:
                return call()
            except SendError as error:
                if error.permanent or error.unknown or attempt >= self.attempts:
                    raise
                delay = (
                    error.retry_after
                    if error.retry_after is not None
                    else self.base_delay * 2 ** (attempt - 1)
                )
                if delay > self.max_delay:
                    raise SendError(
                        f"{error.reason} (asked to wait {delay:.0f}s, more than {self.max_delay:.0f}s)",
                        permanent=False,
                        status=error.status,
                        retry_after=delay,
                    ) from error
                self.sleep(delay)
                attempt += 1




# ------------------------------------------------------------------------------------------------------------
# Outbox: one .eml file per message, for development, demos and audits.

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class OutboxBackend:
    channel = CHANNEL

    def __init__(self, folder: Path | str, clock: Clock = utc_now) -> None:
        self.folder = Path(folder)
        self.clock = clock

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            error = SendError(f"{self.folder}: {exc}", permanent=False)
            return [error.result(m.recipient.email) for m in messages]
        return [self._write(message) for message in messages]

    def _write(self, message: OutgoingMessage) -> SendResult:
        now = self.clock()
        recipient = message.recipient.email
        name = f"{now:%Y%m%dT%H%M%S}-{_UNSAFE.sub('_', recipient)[:60]}-{uuid.uuid4().hex[:12]}.eml"
        data = build_message(message, now).as_bytes()
        try:
            # Write beside the target, then rename: a reader never sees half a message.
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".eml")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(tmp, self.folder / name)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            return SendResult(recipient, ok=False, permanent=False, reason=f"{self.folder}: {exc}")
        return SendResult(recipient, ok=True, provider_id=name)


# ------------------------------------------------------------------------------------------------------------
# SMTP, through the standard library.


class _DataPhase(smtplib.SMTP):
    """Knows whether the server said 354 to DATA: from then on it may have the message, and a dropped
    connection or a timeout means "maybe accepted", never "retry"."""

    body_sent = False
    _in_data = False

    def getreply(self) -> tuple[int, bytes]:
        code, reply = super().getreply()
        if self._in_data and code == 354:
            self.body_sent = True
        return code, reply

    def data(self, msg: bytes | str) -> tuple[int, bytes]:
        self._in_data, self.body_sent = True, False
        try:
            return super().data(msg)
        finally:
            self._in_data = False


class _Smtp(_DataPhase):
    pass


class _SmtpSsl(_DataPhase, smtplib.SMTP_SSL):
    pass


class SmtpBackend:
    channel = CHANNEL

    def __init__(
        self,
        host: str,
        port: int = 587,
        username: str = "",
        password: str = "",
        starttls: bool = True,
        timeout: float = 30.0,
        use_ssl: bool = False,
        ssl_context: ssl.SSLContext | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout
        self.use_ssl = use_ssl
        self.ssl_context = ssl_context
        self.clock = clock

    def _connect(self) -> _DataPhase:
        context = self.ssl_context or ssl.create_default_context()
        if self.use_ssl:
            connection: _DataPhase = _SmtpSsl(self.host, self.port, timeout=self.timeout, context=context)
        else:
            connection = _Smtp(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls and not self.use_ssl:
                connection.starttls(context=context)
            if self.username:
                connection.login(self.username, self.password)
        except BaseException:
            connection.close()
            raise
        return connection

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        results: list[SendResult] = []
        connection: _DataPhase | None = None
        try:
            for message in messages:
                if connection is None:
                    try:
                        connection = self._connect()
                    except (smtplib.SMTPException, OSError) as exc:
                        error = _smtp_error(exc, f"{self.host}:{self.port}")
                        # Nothing else will get through this connection attempt either.
                        results.extend(error.result(m.recipient.email) for m in messages[len(results) :])
                        return results
                result, connection = self._send_one(connection, message)
                results.append(result)
        finally:
            if connection is not None:
                try:
                    connection.quit()
                except (smtplib.SMTPException, OSError):
                    connection.close()
        return results

    def _send_one(
        self, connection: _DataPhase, message: OutgoingMessage
    ) -> tuple[SendResult, _DataPhase | None]:
        recipient = message.recipient.email
        mail = build_message(message, self.clock())
        try:
            refused = connection.send_message(mail, from_addr=message.sender.email, to_addrs=[recipient])
        except smtplib.SMTPResponseException as exc:  # a definite answer: refused, whatever the phase
            return _smtp_error(exc, recipient).result(recipient), connection
        except smtplib.SMTPRecipientsRefused as exc:
            return _smtp_error(exc, recipient).result(recipient), connection
        except (smtplib.SMTPException, OSError) as exc:  # the connection is gone or unusable: a new one next
            connection.close()
            if connection.body_sent:  # dropped or timed out after the message went: it may have been accepted
                return SendResult(recipient, ok=False, reason=f"{self.host}:{self.port}: {type(exc).__name__} "
                                  "after DATA; it may have been accepted", unknown=True), None
            return _smtp_error(exc, recipient).result(recipient), None
        if recipient in refused:
            code, reply = refused[recipient]
            return SendResult(
                recipient, ok=False, permanent=code >= 500, status=code, reason=_text(reply)
            ), connection
        return SendResult(recipient, ok=True, status=250, provider_id=str(mail["Message-ID"])), connection


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _smtp_error(exc: BaseException, where: str) -> SendError:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(exc.recipients.values()))
        return SendError(f"{where}: {_text(reply)}", permanent=code >= 500, status=code)
    if isinstance(exc, smtplib.SMTPResponseException):
        return SendError(
            f"{where}: {_text(exc.smtp_error)}", permanent=exc.smtp_code >= 500, status=exc.smtp_code
        )
    return SendError(f"{where}: {type(exc).__name__}: {exc}", permanent=False)


# ------------------------------------------------------------------------------------------------------------
# SendGrid v3 Mail Send.

MAX_PERSONALIZATIONS = 1000  # the v3 limit per request


def is_permanent_http(status: int) -> bool:
    """400 bad payload, 401/403 bad key, 413 too large: resending the same request cannot help.

    429 (rate limit) and 408 (timeout) are the client errors that a later retry can fix; 5xx are retryable.
    """
    return 400 <= status < 500 and status not in (408, 429)


@dataclass
class _Group:
    """Messages that can share one request: same content, sender, Reply-To, categories and attachments."""

    first: OutgoingMessage
    indexes: list[int] = field(default_factory=list)


class SendGridBackend:
    """Sends through the official `sendgrid` library.

    Members whose email is identical share a request, one personalization each (to, List-Unsubscribe headers,
    custom headers, custom_args), at most 1,000 per request. Reply-To is a message-level field in v3 and a
    reserved header, so it cannot vary by personalization: messages with different Reply-To addresses
    (per-member reply tokens) go in different requests. `max_workers` sends that many requests at once.
    """

    channel = CHANNEL

    def __init__(
        self,
        api_key: str,
        host: str = "https://api.sendgrid.com",
        sandbox: bool = False,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        batch_size: int = MAX_PERSONALIZATIONS,
        max_workers: int = 1,
        clock: Clock = utc_now,
    ) -> None:
        if not 1 <= batch_size <= MAX_PERSONALIZATIONS:
            raise ValueError(f"batch_size must be between 1 and {MAX_PERSONALIZATIONS}, got {batch_size}")
        self.api_key = api_key
        self.host = host
        self.sandbox = sandbox
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.batch_size = batch_size
        self.max_workers = max_workers
        self.clock = clock

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        batches = [
            (group.first, chunk)
            for group in _group(messages)
            for chunk in _chunks(group.indexes, self.batch_size)
        ]
        results: list[SendResult | None] = [None] * len(messages)

        def run(batch: tuple[OutgoingMessage, list[int]]) -> None:
            first, indexes = batch
            members = [messages[i] for i in indexes]
            for index, result in zip(indexes, self._send_batch(first, members), strict=True):
                results[index] = result

        if self.max_workers > 1 and len(batches) > 1:
            with ThreadPoolExecutor(self.max_workers) as pool:
                list(pool.map(run, batches))
        else:
            for batch in batches:
                run(batch)
        return [r for r in results if r is not None]

    def payload(self, first: OutgoingMessage, members: Sequence[OutgoingMessage]) -> dict:
        """The v3 JSON for one request: `first` gives the shared parts, each member a personalization.

        Plain data, the same JSON the official helper classes (`sendgrid.helpers.mail`) make, without building
        several helper objects per member: at 1,000 personalizations a request that was most of its cost."""
        body: dict = {
            "from": _sg_address(first.sender),
            "subject": first.email.subject,
            "personalizations": [_personalization(member) for member in members],
            "content": [{"type": "text/plain", "value": first.email.text},
                        {"type": "text/html", "value": first.email.html}],
        }
        if first.attachments:
            body["attachments"] = [
                {"content": base64.b64encode(a.content).decode("ascii"), "type": a.content_type,
                 "filename": a.filename, "disposition": "attachment"} for a in first.attachments]
        if first.categories:
            body["categories"] = list(first.categories)
        if self.sandbox:
            body["mail_settings"] = {"sandbox_mode": {"enable": True}}
        if first.reply_to:
            body["reply_to"] = _sg_address(first.reply_to)
        return body

    def _send_batch(self, first: OutgoingMessage, members: list[OutgoingMessage]) -> list[SendResult]:
        body = self.payload(first, members)
        client = sendgrid.SendGridAPIClient(api_key=self.api_key, host=self.host)
        try:
            response = self.retry.run(lambda: self._post(client, body))
        except SendError as error:
            return [error.result(m.recipient.email) for m in members]
        provider_id = response.headers.get("X-Message-Id", "") if response.headers else ""
        return [
            SendResult(m.recipient.email, ok=True, status=response.status_code, provider_id=provider_id)
            for m in members
        ]

    def _post(self, client: sendgrid.SendGridAPIClient, body: dict):  # -> python_http_client Response
        try:
            return client.client.mail.send.post(request_body=body, timeout=self.timeout)
        except http_errors.HTTPError as exc:
            status = int(exc.status_code)
            headers = exc.headers or {}
            raise SendError(
                f"SendGrid {status} {exc.reason}: {_error_messages(exc.body)}",
                permanent=is_permanent_http(status),
                status=status,
                retry_after=retry_after_seconds(headers.get("Retry-After"), self.clock()),
            ) from exc
        except URLError as exc:
            # urllib raises URLError only while connecting or writing the request (refused, DNS, TLS handshake,
            # a reset mid-write): SendGrid never had the whole request, so sending it again is safe.
            raise SendError(f"SendGrid {self.host}: not sent: {type(exc.reason).__name__}: {exc.reason}",
                            permanent=False) from exc
        except (HTTPException, OSError) as exc:
            # The request was written; the answer never came whole (timeout, reset, closed connection, truncated
            # answer). SendGrid may have accepted it: retrying could deliver it twice.
            what = (f"no answer within {self.timeout:g}s" if isinstance(exc, TimeoutError)
                    else f"{type(exc).__name__} after the request was sent")
            raise SendError(f"SendGrid {self.host}: {what}; it may have been accepted", permanent=False,
                            unknown=True) from exc


def _error_messages(body: bytes | str | None) -> str:
    if not body:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        errors = json.loads(text).get("errors", [])
        return (
            "; ".join(
                f"{e.get('field')}: {e.get('message')}" if e.get("field") else str(e.get("message"))
                for e in errors
            )
            or text[:500]
        )
    except (ValueError, AttributeError):
        return text[:500]


def _group(messages: Sequence[OutgoingMessage]) -> list[_Group]:
    groups: dict[tuple, _Group] = {}
    for index, message in enumerate(messages):
        key = (
            message.sender,
            message.email,
            message.reply_to,
            message.categories,
            tuple((a.filename, a.content_type, a.content) for a in message.attachments),
        )
        groups.setdefault(key, _Group(message)).indexes.append(index)
    return list(groups.values())


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _sg_address(address: Address) -> dict[str, str]:
    return {"email": address.email, "name": address.name} if address.name else {"email": address.email}


def _personalization(member: OutgoingMessage) -> dict:
    found: dict = {"to": [_sg_address(member.recipient)]}
    headers = {**list_unsubscribe_headers(member), **member.headers}
    for key, values in (("headers", headers), ("substitutions", member.substitutions),
                        ("custom_args", member.custom_args)):
        if values:
            found[key] = dict(values)
    return found
