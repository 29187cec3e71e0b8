"""Sending digests, alerts and agendas exactly once.

Every member's delivery is a row before it is a request: pending -> sending -> sent | failed. A batch is claimed
with a conditional UPDATE (only rows still pending), so two processes never send the same row. A crash leaves the
claimed rows in "sending": on the next run they are marked "interrupted" and NOT sent again (we cannot know
whether the provider accepted them); the advocate sees them and can resend to named members explicitly.
Retryable failures (429, 5xx, network) go back to pending for the next run; permanent ones keep their reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from advocacy.app import App
from advocacy.config import ConfigError
from advocacy.models import Delivery, Digest, Member
from digests.backends import MailBackend, OutboxBackend, SendGridBackend, SendResult, SmtpBackend
from digests.message import OutgoingMessage

log = logging.getLogger("advocacy.sending")
CLAIM_BATCH = 500

# Builds the messages for a claimed batch; None for a member who, in the end, has nothing to receive.
Composer = Callable[[Session, Digest, Sequence[Member]], Sequence[OutgoingMessage | None]]


class AlreadySent(Exception):
    pass


@dataclass
class SendReport:
    digest_id: int
    sent: int = 0
    failed: int = 0
    permanent: list[tuple[str, str]] = field(default_factory=list)  # (email, reason)
    retry_later: int = 0
    interrupted: list[str] = field(default_factory=list)
    skipped: int = 0

    def lines(self) -> list[str]:
        out = [f"digest {self.digest_id}: sent {self.sent}, failed {self.failed}, skipped {self.skipped}"]
        out += [f"  permanent failure for {email}: {reason}" for email, reason in self.permanent]
        if self.retry_later:
            out.append(f"  {self.retry_later} will be retried on the next run (temporary failure)")
        if self.interrupted:
            out.append(f"  {len(self.interrupted)} interrupted by an earlier crash, not resent automatically: "
                       + ", ".join(self.interrupted[:10]) + (" ..." if len(self.interrupted) > 10 else ""))
        return out


def make_backend(app: App) -> MailBackend:
    email = app.config.email
    if email.backend == "outbox":
        return OutboxBackend(app.config.path(email.outbox_dir), clock=app.clock)
    if email.backend == "smtp":
        return SmtpBackend(host=email.smtp.host, port=email.smtp.port, username=email.smtp.username or None,
                           password=app.secrets.smtp_password, starttls=email.smtp.starttls,
                           timeout=email.smtp.timeout)
    if email.backend == "sendgrid":
        key = app.secrets.require("sendgrid_api_key", "SENDGRID_API_KEY")
        return SendGridBackend(api_key=key, host=email.sendgrid.host, sandbox=email.sendgrid.sandbox,
                               clock=app.clock)
    raise ConfigError(f"email.backend: unknown backend {email.backend!r}")


def outbox_dir(app: App) -> Path:
    return app.config.path(app.config.email.outbox_dir)


def prepare(session: Session, digest: Digest, members: Sequence[Member]) -> int:
    """Write a pending delivery for each member who has none yet. Returns how many were added."""
    have = set(session.scalars(select(Delivery.member_id).where(Delivery.digest_id == digest.id)))
    added = 0
    for member in members:
        if member.id not in have:
            session.add(Delivery(digest_id=digest.id, member_id=member.id, status="pending"))
            added += 1
    session.flush()
    return added


def resend_to(session: Session, digest: Digest, emails: Sequence[str]) -> list[str]:
    """Explicitly send again to named members (e.g. after an interrupted send). Unknown addresses are returned."""
    unknown = []
    for email in emails:
        member = session.scalar(select(Member).where(Member.email == email.strip().lower()))
        delivery = member and session.scalar(
            select(Delivery).where(Delivery.digest_id == digest.id, Delivery.member_id == member.id)
        )
        if member is None:
            unknown.append(email)
        elif delivery is None:
            session.add(Delivery(digest_id=digest.id, member_id=member.id, status="pending"))
        else:
            delivery.status, delivery.permanent, delivery.error = "pending", False, ""
    return unknown


def _recover(session: Session, digest_id: int) -> list[str]:
    """Rows a crashed run left in "sending": mark them interrupted, never resend them silently."""
    rows = list(session.scalars(select(Delivery).where(Delivery.digest_id == digest_id, Delivery.status == "sending")))
    emails = []
    for row in rows:
        row.status = "interrupted"
        row.error = "the sending process stopped during this request; not resent automatically"
        member = session.get(Member, row.member_id)
        emails.append(member.email if member else str(row.member_id))
    return emails


def _claim(session: Session, digest_id: int, limit: int) -> list[int]:
    ids = list(session.scalars(
        select(Delivery.id).where(Delivery.digest_id == digest_id, Delivery.status == "pending")
        .order_by(Delivery.id).limit(limit)
    ))
    if not ids:
        return []
    claimed = session.execute(
        update(Delivery).where(Delivery.id.in_(ids), Delivery.status == "pending")
        .values(status="sending", attempts=Delivery.attempts + 1).returning(Delivery.id)
    ).scalars().all()
    return sorted(claimed)


def send(app: App, digest_id: int, backend: MailBackend, compose: Composer, *,
         progress: Callable[[str], None] | None = None, batch: int = CLAIM_BATCH) -> SendReport:
    report = SendReport(digest_id)
    with app.transaction() as session:
        report.interrupted = _recover(session, digest_id)
        # temporary failures of an earlier run get another go
        session.execute(update(Delivery).where(Delivery.digest_id == digest_id, Delivery.status == "failed",
                                               Delivery.permanent.is_(False)).values(status="pending"))
        total = session.scalar(select(func.count(Delivery.id)).where(Delivery.digest_id == digest_id,
                                                                     Delivery.status == "pending")) or 0
    done = 0
    while True:
        with app.transaction() as session:
            ids = _claim(session, digest_id, batch)
        if not ids:
            break
        with app.sessions() as session:
            digest = session.get(Digest, digest_id)
            assert digest is not None
            rows = list(session.scalars(select(Delivery).where(Delivery.id.in_(ids)).order_by(Delivery.id)))
            members = [session.get(Member, r.member_id) for r in rows]
            messages = compose(session, digest, members)  # type: ignore[arg-type]
        outgoing = [(row.id, msg) for row, msg in zip(rows, messages, strict=True) if msg is not None]
        results: list[SendResult] = backend.send([msg for _, msg in outgoing]) if outgoing else []
        by_id = {delivery_id: result for (delivery_id, _), result in zip(outgoing, results, strict=True)}
        with app.transaction() as session:
            for row in session.scalars(select(Delivery).where(Delivery.id.in_(ids))):
                result = by_id.get(row.id)
                member = session.get(Member, row.member_id)
                if result is None:
                    row.status, row.error = "skipped", "nothing in this email concerns the member's topics"
                    report.skipped += 1
                elif result.ok:
                    row.status, row.sent_at, row.provider_id, row.error = "sent", app.now(), result.provider_id, ""
                    report.sent += 1
                else:
                    row.status, row.permanent, row.error = "failed", result.permanent, result.reason
                    report.failed += 1
                    if result.permanent:
                        report.permanent.append((member.email if member else "?", result.reason))
                    else:
                        report.retry_later += 1
        done += len(ids)
        if progress:
            progress(f"  {done}/{total} handed to the mail backend")
    with app.transaction() as session:
        digest = session.get(Digest, digest_id)
        assert digest is not None
        open_rows = session.scalar(select(func.count(Delivery.id)).where(
            Delivery.digest_id == digest_id, Delivery.status.in_(("pending", "sending"))
        ))
        failed_temp = session.scalar(select(func.count(Delivery.id)).where(
            Delivery.digest_id == digest_id, Delivery.status == "failed", Delivery.permanent.is_(False)
        ))
        if not open_rows and not failed_temp:
            digest.status = "sent"
            digest.sent_at = digest.sent_at or app.now()
        else:
            digest.status = "sending"
    log.info("digest=%s sent=%s failed=%s skipped=%s", digest_id, report.sent, report.failed, report.skipped)
    return report
