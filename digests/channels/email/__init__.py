"""The email channel: every outgoing `Mailing` (digests, alerts, agendas, reminders) goes out this way.

`backends` holds the transports, one per `[email] backend` setting (`BACKENDS`): an outbox folder of .eml files,
SMTP, or SendGrid's API. Each answers a batch of `digests.message.OutgoingMessage` with one `SendResult` each.
"""

from __future__ import annotations

from collections.abc import Mapping

from digests.channels.email.backends import (
    CHANNEL,
    MailBackend,
    OutboxBackend,
    RetryPolicy,
    SendError,
    SendGridBackend,
    SendResult,
    SmtpBackend,
)

__all__ = ["BACKENDS", "NAME", "MailBackend", "OutboxBackend", "RetryPolicy", "SendError", "SendGridBackend",
           "SendResult", "SmtpBackend"]

NAME = CHANNEL
BACKENDS: Mapping[str, type[MailBackend]] = {
    "outbox": OutboxBackend,
    "smtp": SmtpBackend,
    "sendgrid": SendGridBackend,
}
