"""Who is listening: SendGrid's Event Webhook events, verified, stored once per event, and counted per delivery.

SendGrid signs each POST with ECDSA (P-256, SHA-256) over the timestamp header followed by the raw body; the
verification key (base64 DER, from the Mail Settings page) comes from the environment variable named by
`EVENT_KEY_ENV`. Unsigned, forged and stale POSTs are refused before anything is read. Each event is matched to
its delivery by the custom args every email carries (`mailing_id`, `member_id`), else by the X-Message-Id that
starts its sg_message_id; `sg_event_id` makes a retried POST a no-op. Bounces and spam reports suppress the
address for every later send; an unsubscribe event unsubscribes the member.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key
from sqlalchemy import select
from sqlalchemy.orm import Session

from advocacy.models import Delivery, District, EngagementEvent, Member, Suppression
from advocacy.people.members import find_member

log = logging.getLogger("advocacy.outbound.engagement")

EVENT_KEY_ENV = "SENDGRID_EVENT_WEBHOOK_PUBLIC_KEY"
SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
KEPT = frozenset({"delivered", "open", "click", "bounce", "dropped", "spamreport", "unsubscribe"})
SUPPRESSING = frozenset({"bounce", "spamreport"})
WHY_SUPPRESSED = {"bounce": "a bounce", "spamreport": "a spam report", "dropped": "SendGrid dropped it as a bad address"}
# A "dropped" event whose reason says SendGrid itself holds the address as dead or complaining.
DROPPED_SUPPRESSING = ("bounced address", "spam reporting address", "invalid")
# Only the SendGrid backend reports what happened after the hand-over; SMTP and the outbox cannot know.
TRACKED_BACKENDS = frozenset({"sendgrid"})


class SignatureError(Exception):
    """Why a POST to the event webhook was refused (the reason is logged, never shown to the caller)."""


def load_key(value: str, env_name: str = EVENT_KEY_ENV) -> ec.EllipticCurvePublicKey:
    """The verification key as SendGrid shows it (base64 of the DER public key, PEM armour tolerated)."""
    text = "".join(line for line in value.strip().splitlines() if not line.startswith("-----"))
    try:
        key = load_der_public_key(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"environment variable {env_name}: not a base64 DER public key ({exc})") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError(f"environment variable {env_name}: not an elliptic-curve (ECDSA) key")
    return key


def verify(key: ec.EllipticCurvePublicKey, signature: str, timestamp: str, body: bytes, *, now: datetime,
           max_age: timedelta) -> None:
    """Raise SignatureError unless `signature` signs `timestamp + body` and the timestamp is recent."""
    if not signature or not timestamp:
        raise SignatureError("unsigned: the signature or timestamp header is missing")
    if not timestamp.strip().isdigit():
        raise SignatureError(f"timestamp {timestamp[:40]!r} is not a Unix time")
    signed_at = datetime.fromtimestamp(int(timestamp), UTC)
    if abs(now - signed_at) > max_age:
        raise SignatureError(f"stale: signed at {signed_at:%Y-%m-%d %H:%M:%S} UTC, more than "
                             f"{int(max_age.total_seconds())} s from now (a replay?)")
    try:
        raw = base64.b64decode(signature.strip(), validate=True)
        key.verify(raw, timestamp.strip().encode() + body, ec.ECDSA(hashes.SHA256()))
    except (binascii.Error, ValueError, InvalidSignature) as exc:
        raise SignatureError("forged: the signature does not match the body") from exc


@dataclass
class StoreReport:
    stored: int = 0
    duplicates: int = 0
    ignored: int = 0  # kinds we do not keep (processed, deferred, group_resubscribe ...)
    suppressed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _delivery(session: Session, event: dict[str, Any]) -> Delivery | None:
    mailing_id, member_id = _int(event.get("mailing_id")), _int(event.get("member_id"))
    if mailing_id is not None and member_id is not None:
        found = session.scalar(select(Delivery).where(Delivery.mailing_id == mailing_id,
                                                      Delivery.member_id == member_id))
        if found is not None:
            return found
    message_id = str(event.get("sg_message_id") or "").split(".", 1)[0]
    if not message_id:
        return None
    return session.scalar(
        select(Delivery).join(Member, Member.id == Delivery.member_id)
        .where(Delivery.provider_id == message_id, Member.email == str(event.get("email", "")).strip().lower())
    )


def _when(event: dict[str, Any], now: datetime) -> datetime:
    stamp = _int(event.get("timestamp"))
    return datetime.fromtimestamp(stamp, UTC) if stamp is not None else now


def _suppress(session: Session, row: EngagementEvent, now: datetime) -> bool:
    if not row.email or session.scalar(select(Suppression.id).where(Suppression.email == row.email)):
        return False
    session.add(Suppression(email=row.email, member_id=row.member_id, reason=row.event, detail=row.reason,
                            event_id=row.event_id, at=row.occurred_at or now))
    return True


def _suppresses(kind: str, event: dict[str, Any]) -> bool:
    if kind == "dropped":
        reason = str(event.get("reason", "")).lower()
        return any(reason.startswith(r) for r in DROPPED_SUPPRESSING)
    # A "blocked" bounce is the receiving server refusing for now (reputation, content): not a dead address.
    return kind in SUPPRESSING and event.get("type") != "blocked"


def _store_one(session: Session, event: dict[str, Any], now: datetime, report: StoreReport) -> None:
    kind = str(event.get("event", ""))
    email = str(event.get("email", "")).strip().lower()
    delivery = _delivery(session, event)
    member = session.get(Member, delivery.member_id) if delivery else (find_member(session, email) if email else None)
    row = EngagementEvent(
        event_id=str(event["sg_event_id"])[:100], event=kind, delivery_id=delivery.id if delivery else None,
        mailing_id=delivery.mailing_id if delivery else None, member_id=member.id if member else None,
        email=email, url=str(event.get("url") or ""), occurred_at=_when(event, now), received_at=now,
        reason=str(event.get("reason") or event.get("response") or event.get("status") or ""),
    )
    session.add(row)
    report.stored += 1
    if _suppresses(kind, event) and _suppress(session, row, now):
        report.suppressed.append(email)
    if kind == "unsubscribe" and member is not None and member.unsubscribed_at is None:
        member.unsubscribed_at = row.occurred_at


def store_events(session: Session, events: Any, now: datetime) -> StoreReport:
    """Store the events of one verified POST; one malformed event is reported and the rest still stored."""
    report = StoreReport()
    if not isinstance(events, list):
        report.problems.append("event webhook body: expected a JSON array of events")
        return report
    ids = [str(e.get("sg_event_id"))[:100] for e in events if isinstance(e, dict) and e.get("sg_event_id")]
    seen = set(session.scalars(select(EngagementEvent.event_id).where(EngagementEvent.event_id.in_(ids))))
    for number, event in enumerate(events, 1):
        if not isinstance(event, dict) or not event.get("sg_event_id") or not event.get("event"):
            report.problems.append(f"event {number}: not an object with sg_event_id and event; skipped")
            continue
        if event.get("event") not in KEPT:
            report.ignored += 1
            continue
        event_id = str(event["sg_event_id"])[:100]
        if event_id in seen:
            report.duplicates += 1
            continue
        seen.add(event_id)
        _store_one(session, event, now, report)
        session.flush()
    return report


def suppressed(session: Session, emails: Iterable[str]) -> dict[str, Suppression]:
    """The suppression of each of `emails` that has one (keys lowercased)."""
    wanted = sorted({e.strip().lower() for e in emails})
    found: dict[str, Suppression] = {}
    for start in range(0, len(wanted), 500):
        for row in session.scalars(select(Suppression).where(Suppression.email.in_(wanted[start:start + 500]))):
            found[row.email] = row
    return found


def lift(session: Session, email: str) -> bool:
    """The advocate lifts a suppression (the address was fixed); True when there was one."""
    row = session.scalar(select(Suppression).where(Suppression.email == email.strip().lower()))
    if row is None:
        return False
    session.delete(row)
    return True


# ------------------------------------------------------------------------------------------------------------
# Numbers for the dashboard and each mailing's page.


@dataclass
class Tally:
    sent: int = 0
    delivered: int = 0
    opened: int = 0
    clicked: int = 0

    def add(self, flags: set[str]) -> None:
        self.sent += 1
        # Events arrive out of order and opens may go unseen (images off): a click proves the open and delivery.
        self.clicked += "click" in flags
        self.opened += bool(flags & {"open", "click"})
        self.delivered += bool(flags & {"delivered", "open", "click"})

    def rate(self, part: int) -> str:
        return f"{100 * part / self.delivered:.0f}%" if self.delivered else "–"

    @property
    def open_rate(self) -> str:
        return self.rate(self.opened)

    @property
    def click_rate(self) -> str:
        return self.rate(self.clicked)


@dataclass
class MailingEngagement:
    available: bool  # False on SMTP and the outbox: the numbers are unknown, not zero
    total: Tally = field(default_factory=Tally)
    by_district: dict[str, Tally] = field(default_factory=dict)
    by_topic: dict[str, Tally] = field(default_factory=dict)


def tracked(backend: str) -> bool:
    return backend in TRACKED_BACKENDS


def mailing_engagement(session: Session, mailing_id: int, backend: str,
                       topic_labels: dict[str, str]) -> MailingEngagement:
    """Delivered, opened and clicked for one mailing, in all and per district and per member topic."""
    if not tracked(backend):
        return MailingEngagement(available=False)
    flags: dict[int, set[str]] = {}
    for delivery_id, kind in session.execute(
        select(EngagementEvent.delivery_id, EngagementEvent.event)
        .where(EngagementEvent.mailing_id == mailing_id, EngagementEvent.delivery_id.is_not(None)).distinct()
    ):
        flags.setdefault(delivery_id, set()).add(kind)
    result = MailingEngagement(available=True)
    rows = session.execute(
        select(Delivery.id, Member.topics, District.name).join(Member, Member.id == Delivery.member_id)
        .outerjoin(District, District.id == Member.district_id)
        .where(Delivery.mailing_id == mailing_id, Delivery.status == "sent")
    )
    for delivery_id, topics, district in rows:
        got = flags.get(delivery_id, set())
        result.total.add(got)
        result.by_district.setdefault(district or "(no district)", Tally()).add(got)
        for topic in topics if topics is not None else ["*"]:
            label = "All topics" if topic == "*" else topic_labels.get(topic, topic)
            result.by_topic.setdefault(label, Tally()).add(got)
    result.by_district = dict(sorted(result.by_district.items()))
    result.by_topic = dict(sorted(result.by_topic.items()))
    return result


def member_events(session: Session, member_id: int, limit: int = 20) -> Sequence[EngagementEvent]:
    return list(session.scalars(
        select(EngagementEvent).where(EngagementEvent.member_id == member_id)
        .order_by(EngagementEvent.occurred_at.desc(), EngagementEvent.id.desc()).limit(limit)
    ))
