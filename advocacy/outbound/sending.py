"""Sending digests, alerts and agendas exactly once.

Every member's delivery is a row before it is a request: pending -> sending -> sent | failed (or skipped,
deferred). Rows are claimed one provider request at a time with a conditional UPDATE (only rows still pending),
so two processes never send the same row, and a crash can leave at most the rows of the one request that was in
flight in "sending". The next run marks those "interrupted" and does NOT send them again (we cannot know whether
the provider accepted them); the advocate sees them and can resend to named members explicitly.
Retryable failures (429, 5xx, network) go back to pending for the next run; permanent ones keep their reason.

A lease (`advocacy.locks.db_lock` with a heartbeat) keeps a second process from preparing or sending the same email
at the same time (it would otherwise take the first one's in-flight rows for a crash's leftovers). It knows whether
its owner lives: on PostgreSQL it is a session advisory lock the server drops with the connection; on SQLite a row
naming host and pid, renewed by a heartbeat, taken over at once when that pid is gone or the heartbeat is stale.
So a re-run right after a crash proceeds; a live owner is named in one line ("another process is sending").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from advocacy.app import App
from advocacy.locks import HEARTBEAT_TTL, advisory_key, db_lock, holder
from advocacy.models import Delivery, Mailing, Member
from advocacy.outbound.engagement import WHY_SUPPRESSED, suppressed
from advocacy.people.members import find_member
from digests.channels.email import NAME as EMAIL
from digests.channels.email import MailBackend, SendResult
from digests.message import MessageError, OutgoingMessage
from digests.model import ContextError

log = logging.getLogger("advocacy.outbound.sending")
CHUNK = 2000  # rows per bulk INSERT, and members read at a time


class AlreadySent(Exception):
    pass


class SendInProgress(Exception):
    """Another process holds the lease on this email."""


class Skip(Exception):
    """A member who, in the end, receives nothing (nothing matches their topics, they paused); kept as the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# The email for one member (raise Skip for none). Members with equal keys get the same email, which lets a
# backend that shares one request among many recipients (SendGrid) put them together.
Compose = Callable[[Mailing, Member], OutgoingMessage]
GroupKey = Callable[[Member], Hashable]


@dataclass
class SendReport:
    mailing_id: int
    kind: str = "digest"
    sent: int = 0
    failed: int = 0
    permanent: list[tuple[str, str]] = field(default_factory=list)  # (email, reason)
    retry_later: int = 0
    interrupted: list[str] = field(default_factory=list)  # not resent: a crash's leftovers, and `unanswered`
    unanswered: list[str] = field(default_factory=list)  # this run's requests whose answer was lost (maybe accepted)
    skipped: int = 0
    deferred: int = 0
    requests: int = 0

    def lines(self) -> list[str]:
        counts = f"sent {self.sent}, failed {self.failed}, skipped {self.skipped}"
        if self.deferred:
            counts += f", deferred {self.deferred}"
        out = [f"{self.kind} {self.mailing_id}: {counts}"]
        out += [f"  permanent failure for {email}: {reason}" for email, reason in self.permanent]
        if self.retry_later:
            out.append(f"  {self.retry_later} will be retried on the next run (temporary failure)")
        crashed = [email for email in self.interrupted if email not in set(self.unanswered)]
        if crashed:
            out.append(f"  {len(crashed)} interrupted by an earlier crash, not resent automatically "
                       "(check, then use --resend-to): " + _some(crashed))
        if self.unanswered:
            out.append(f"  {len(self.unanswered)} interrupted: the provider's answer was lost (timeout or dropped "
                       "connection), so it may have accepted them; not resent automatically (check, then use "
                       "--resend-to): " + _some(self.unanswered))
        return out


def _some(emails: list[str]) -> str:
    return ", ".join(emails[:10]) + (" ..." if len(emails) > 10 else "")


def prepare(session: Session, digest: Mailing, members: Iterable[Member], now: datetime,
            decide: Callable[[Member], tuple[str, str]] | None = None, key: GroupKey | None = None) -> int:
    """Write a delivery for each member who has none yet (pending, or what `decide` says), in bulk INSERTs of
    `CHUNK` rows as `members` is read (it may be a stream). With the send's `key`, each row gets the number of
    its email's group, so a send claims the members of one email together (it only orders: who shares an email is
    decided by `key` itself at each claim). Returns how many."""
    session.flush()
    have = set(session.scalars(select(Delivery.member_id).where(Delivery.mailing_id == digest.id)))
    rows: list[dict[str, object]] = []
    groups: dict[Hashable, int] = {}  # group key -> its number, in order of first appearance
    written = 0
    for member in members:
        if member.id in have:
            continue
        have.add(member.id)
        status, reason = decide(member) if decide else ("pending", "")
        group = None if key is None else f"{groups.setdefault(key(member), len(groups)):08d}"
        rows.append({"mailing_id": digest.id, "member_id": member.id, "status": status, "error": reason,
                     "created_at": now, "group_key": group})
        if len(rows) == CHUNK:
            written += _insert(session, rows)
    return written + _insert(session, rows)


def _insert(session: Session, rows: list[dict[str, object]]) -> int:
    """Insert the rows (Core executemany) and empty the list; how many."""
    count = len(rows)
    if rows:
        session.execute(insert(Delivery.__table__), rows)  # Core executemany: no ORM bookkeeping per row
        rows.clear()
    return count


def resend_to(session: Session, digest: Mailing, emails: Sequence[str], now: datetime) -> list[str]:
    """Explicitly send again to named members (e.g. after an interrupted send). Unknown addresses are returned."""
    unknown = []
    for email in emails:
        member = find_member(session, email)
        if member is None:
            unknown.append(email)
            continue
        delivery = session.scalar(
            select(Delivery).where(Delivery.mailing_id == digest.id, Delivery.member_id == member.id)
        )
        if delivery is None:
            session.add(Delivery(mailing_id=digest.id, member_id=member.id, status="pending", created_at=now))
        else:
            delivery.status, delivery.permanent, delivery.error = "pending", False, ""
    session.flush()
    return unknown


def _recover(session: Session, mailing_id: int) -> list[str]:
    """Rows a crashed run left in "sending": mark them interrupted, never resend them silently."""
    rows = list(session.scalars(select(Delivery).where(Delivery.mailing_id == mailing_id, Delivery.status == "sending")))
    emails = []
    for row in rows:
        row.status = "interrupted"
        row.error = "the sending process stopped during this request; not resent automatically"
        member = session.get(Member, row.member_id)
        emails.append(member.email if member else str(row.member_id))
    return emails


@contextmanager
def lease(app: App, what: int | str, label: str = "") -> Iterator[None]:
    """Hold the send lease of one mailing (its id, or a key such as "agenda-of-call:3" for one not yet created),
    or raise SendInProgress naming the live owner in one line. Take it before `prepare`."""
    name = f"send:{what}"
    with db_lock(app, name, HEARTBEAT_TTL, heartbeat=True) as acquired:
        if not acquired:
            owner = holder(app, name) or "it has just finished or is starting"
            raise SendInProgress(f"{label or f'email {what}'}: another process is sending it ({owner}); "
                                 "try again when it has finished")
        yield


def _claim(session: Session, ids: Sequence[int]) -> set[int]:
    claimed = session.execute(
        update(Delivery).where(Delivery.id.in_(ids), Delivery.status == "pending")
        .values(status="sending", attempts=Delivery.attempts + 1).returning(Delivery.id),
        execution_options={"synchronize_session": False},
    ).scalars().all()
    return set(claimed)


def _message(compose: Compose, digest: Mailing, member: Member) -> OutgoingMessage | Skip | str:
    """The message, a Skip, or (str) why this member's message cannot be built: a permanent failure."""
    if member.unsubscribed_at is not None:
        return Skip("unsubscribed")
    if member.paused:
        return Skip("paused")
    try:
        return compose(digest, member)
    except Skip as skip:
        return skip
    except (MessageError, ContextError) as exc:
        return f"cannot build the email: {exc}"


def send(app: App, mailing_id: int, backend: MailBackend, compose: Compose, *, key: GroupKey | None = None,
         progress: Callable[[str], None] | None = None, leased: bool = False, join: bool = False) -> SendReport:
    """Send every pending delivery of `mailing_id` once, one provider request at a time.

    `leased`: the caller already holds `lease(app, mailing_id)` (taken before `prepare`); otherwise it is taken here.
    `join` (PostgreSQL only): help a send that a process holding the lease has prepared, claiming pending rows
    beside it without the lease; a joiner never treats rows in flight as a crash's (only a sender alone does).
    """
    with app.sessions() as session:
        if session.get(Mailing, mailing_id) is None:
            raise ValueError(f"no digest {mailing_id}")
    if join and app.engine.dialect.name != "postgresql":
        raise ValueError("several processes can share one send on PostgreSQL only; SQLite keeps one sender")
    if leased or join:
        report = _send_locked(app, mailing_id, backend, compose, key, progress, join)
    else:
        with lease(app, mailing_id):
            report = _send_locked(app, mailing_id, backend, compose, key, progress, join)
    log.info("%s=%s sent=%s failed=%s skipped=%s requests=%s", report.kind, mailing_id, report.sent, report.failed,
             report.skipped, report.requests)
    return report


@contextmanager
def _workers(app: App, mailing_id: int, begin: Callable[[], None] | None) -> Iterator[None]:
    """Every process sending one mailing on PostgreSQL holds a shared advisory lock on it, on a connection of its
    own (the server drops it with the process). `begin` (recovering a crash's leftovers) runs only under the
    exclusive lock, i.e. when no other process sends this mailing: a live one's rows in flight are not leftovers.
    SQLite has one sender (the lease): `begin` just runs."""
    if app.engine.dialect.name != "postgresql":
        if begin:
            begin()
        yield
        return
    conn = app.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        schema = str(conn.execute(text("SELECT current_schema()")).scalar() or "public")  # as `locks` scopes them
        lock = {"k": advisory_key(f"send-workers:{mailing_id}", schema)}
        alone = begin is not None and bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), lock).scalar())
        try:
            if alone and begin:
                begin()
            conn.execute(text("SELECT pg_advisory_lock_shared(:k)"), lock)
        finally:
            if alone:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), lock)
        yield
        conn.execute(text("SELECT pg_advisory_unlock_shared(:k)"), lock)
    except BaseException:
        conn.invalidate()  # never back to the pool still holding a lock
        raise
    finally:
        conn.close()


def _send_locked(app: App, mailing_id: int, backend: MailBackend, compose: Compose, key: GroupKey | None,
                 progress: Callable[[str], None] | None, join: bool) -> SendReport:
    with app.sessions() as session:
        digest = session.get(Mailing, mailing_id)
    assert digest is not None
    report = SendReport(mailing_id, kind=digest.kind)

    def begin() -> None:
        with app.transaction() as session:
            report.interrupted = _recover(session, mailing_id)
            # temporary failures of an earlier run get another go
            session.execute(update(Delivery).where(Delivery.mailing_id == mailing_id, Delivery.status == "failed",
                                                   Delivery.permanent.is_(False)).values(status="pending"),
                            execution_options={"synchronize_session": False})

    # A backend that shares one request among many recipients says how many; otherwise a message is a request.
    size = max(1, int(getattr(backend, "batch_size", 1)))
    shared = app.engine.dialect.name == "postgresql"
    with _workers(app, mailing_id, None if join else begin):
        with app.sessions() as session:
            total = session.scalar(select(func.count(Delivery.id)).where(
                Delivery.mailing_id == mailing_id, Delivery.status == "pending")) or 0
        done = 0
        while (claimed := _claim_next(app, digest, compose, key, size, shared)) is not None:
            built, emails = claimed
            if not built:
                if not shared:
                    break
                time.sleep(0.01)  # that email's rows are being claimed by another process right now
                continue
            _deliver(app, backend, built, emails, report)
            done += len(built)
            if progress:
                progress(f"  {done}/{total} handed to the mail backend")
    _finish(app, mailing_id, report)
    return report


Built = OutgoingMessage | Skip | str


def _claim_next(app: App, digest: Mailing, compose: Compose, key: GroupKey | None, size: int, shared: bool
                ) -> tuple[dict[int, Built], dict[int, str]] | None:
    """Claim the next provider request's rows: up to `size` pending rows of one email (the first group key), built
    before they are claimed in the same transaction, so an error while composing leaves them pending and only a
    request actually in flight can be left "sending". On PostgreSQL the rows are read FOR UPDATE SKIP LOCKED, so
    processes sharing the send take disjoint rows. None when nothing is pending."""
    pending = (Delivery.mailing_id == digest.id, Delivery.status == "pending")
    with app.transaction() as session:
        head = select(Delivery.group_key).where(*pending).order_by(Delivery.group_key, Delivery.id).limit(1)
        # sharing: the first email no other process is claiming right now
        first = session.execute(head.with_for_update(skip_locked=True) if shared else head).first()
        if first is None:  # nothing pending, or (sharing) every pending row is being claimed by another process
            return None if not shared or session.scalar(select(Delivery.id).where(*pending).limit(1)) is None \
                else ({}, {})
        same = Delivery.group_key.is_(None) if first[0] is None else Delivery.group_key == first[0]
        query = (select(Delivery.id, Member).join(Member, Member.id == Delivery.member_id).where(*pending, same)
                 .order_by(Delivery.id).limit(size))
        if shared:
            query = query.with_for_update(skip_locked=True, of=Delivery)
        rows = session.execute(query).all()
        if key is not None and rows:  # the stored key orders; the key itself decides who shares the email
            first_key = key(rows[0][1])
            rows = [row for row in rows if key(row[1]) == first_key]
        blocked = {email: Skip(f"address suppressed after {WHY_SUPPRESSED.get(row.reason, row.reason)}")
                   for email, row in suppressed(session, [member.email for _, member in rows]).items()}
        prepared = {delivery_id: blocked.get(member.email) or _message(compose, digest, member)
                    for delivery_id, member in rows}
        emails = {delivery_id: member.email for delivery_id, member in rows}
        claimed = _claim(session, list(prepared)) if prepared else set()
    return {i: message for i, message in prepared.items() if i in claimed}, emails


def _deliver(app: App, backend: MailBackend, built: dict[int, Built], emails: dict[int, str],
             report: SendReport) -> None:
    """One request for the claimed rows' messages, then every row's outcome in a few bulk UPDATEs."""
    outgoing = [(delivery_id, m) for delivery_id, m in built.items() if isinstance(m, OutgoingMessage)]
    results: list[SendResult] = backend.send([m for _, m in outgoing]) if outgoing else []
    if outgoing:
        report.requests += 1
    by_id = {delivery_id: result for (delivery_id, _), result in zip(outgoing, results, strict=True)}
    now, channel = app.now(), _channel(backend)
    changes: dict[tuple[tuple[str, object], ...], list[int]] = {}
    for delivery_id, message in built.items():
        values = _outcome(message, by_id.get(delivery_id), now, report, emails[delivery_id])
        changes.setdefault(tuple(values.items()), []).append(delivery_id)
    with app.transaction() as session:
        for values, ids in changes.items():
            session.execute(update(Delivery.__table__).where(Delivery.__table__.c.id.in_(ids))
                            .values(channel=channel, **dict(values)))


def _finish(app: App, mailing_id: int, report: SendReport) -> None:
    """The mailing is sent once nothing is left to do. The mailing row is locked first, so of several processes
    finishing together the last one counts everyone's rows (none leaves it "sending" by a stale count)."""
    with app.transaction() as session:
        digest = session.get(Mailing, mailing_id, with_for_update=True)
        assert digest is not None
        unfinished = session.scalar(select(func.count(Delivery.id)).where(
            Delivery.mailing_id == mailing_id,
            (Delivery.status.in_(("pending", "sending"))) | ((Delivery.status == "failed")
                                                             & Delivery.permanent.is_(False)),
        )) or 0
        if not unfinished:
            digest.status = "sent"
            digest.sent_at = digest.sent_at or app.now()
        else:
            digest.status = "sending"
        report.deferred = session.scalar(select(func.count(Delivery.id)).where(
            Delivery.mailing_id == mailing_id, Delivery.status == "deferred")) or 0


def _channel(backend: MailBackend) -> str:
    """The channel (`digests.channels.CHANNELS`) of the backend, recorded on every delivery it carries."""
    return str(getattr(backend, "channel", EMAIL))


def _outcome(built: Built, result: SendResult | None, now: datetime, report: SendReport,
             email: str) -> dict[str, object]:
    """The row's new values for what became of its message, counted in `report`."""
    if isinstance(built, Skip):
        report.skipped += 1
        return {"status": "skipped", "error": built.reason}
    if isinstance(built, str):
        report.failed += 1
        report.permanent.append((email, built))
        return {"status": "failed", "permanent": True, "error": built}
    if result is None:  # a backend that broke its promise of one result per message
        report.failed += 1
        report.retry_later += 1
        return {"status": "failed", "permanent": False, "error": "the mail backend gave no result"}
    if result.ok:
        report.sent += 1
        return {"status": "sent", "sent_at": now, "provider_id": result.provider_id, "error": ""}
    if result.unknown:  # like a crash during the request: never resent automatically
        report.interrupted.append(email)
        report.unanswered.append(email)
        return {"status": "interrupted", "error": f"{result.reason}; not resent automatically"}
    report.failed += 1
    if result.permanent:
        report.permanent.append((email, result.reason))
    else:
        report.retry_later += 1
    return {"status": "failed", "permanent": result.permanent, "error": result.reason}


def failures(session: Session, mailing_id: int) -> list[tuple[str, str, str]]:
    """(email, status, reason) of every delivery that did not go out, for the advocate."""
    rows = session.execute(
        select(Member.email, Delivery.status, Delivery.error).join(Member, Member.id == Delivery.member_id)
        .where(Delivery.mailing_id == mailing_id, Delivery.status.in_(("failed", "interrupted", "pending", "sending")))
        .order_by(Member.email)
    )
    return [(email, status, error) for email, status, error in rows]


def counts(session: Session, mailing_id: int) -> dict[str, int]:
    return dict(session.execute(select(Delivery.status, func.count(Delivery.id))
                                .where(Delivery.mailing_id == mailing_id).group_by(Delivery.status)).all())
