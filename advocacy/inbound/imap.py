"""Poll an IMAP mailbox for replies (for collaboratives without SendGrid inbound): stdlib `imaplib` over TLS.

Each message is fetched without touching its \\Seen flag, committed through `intake.receive`, and only then
flagged as processed on the server. A crash between the two leaves it unflagged; the next poll fetches it again
and the intake recognises it (content hash, Message-ID), so nothing is lost and nothing is stored twice.
Servers that do not allow our own keyword get \\Seen instead (and the poll looks for unseen messages).
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field

from advocacy.app import App
from advocacy.config import ConfigError, Imap
from advocacy.inbound import intake
from digests.channels.email import MailBackend

log = logging.getLogger("advocacy.inbound.imap")

Connect = Callable[[], imaplib.IMAP4]
_UIDS = re.compile(rb"\d+")


class ImapError(Exception):
    pass


@dataclass
class PollReport:
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    outcomes: list[intake.Outcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"IMAP: {self.fetched} fetched, {self.stored} new, {self.duplicates} already stored"]
        statuses: dict[str, int] = {}
        for outcome in self.outcomes:
            statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
        if statuses:
            out.append("  " + ", ".join(f"{n} {status}" for status, n in sorted(statuses.items())))
        out += [f"  error: {e}" for e in self.errors]
        return out


def connect_tls(settings: Imap, password: str, *, context: ssl.SSLContext | None = None) -> imaplib.IMAP4:
    """Log in over implicit TLS (port 993), verifying the server's certificate."""
    conn = imaplib.IMAP4_SSL(settings.host, settings.port, ssl_context=context or ssl.create_default_context(),
                             timeout=settings.timeout)
    try:
        conn.login(settings.username, password)
    except imaplib.IMAP4.error:
        conn.shutdown()
        raise
    return conn


def _check(response: tuple[str, list], what: str) -> list:
    typ, data = response
    if typ != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
        raise ImapError(f"{what}: {typ} {detail}".strip())
    return data


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _marker(conn: imaplib.IMAP4, flag: str) -> tuple[str, str]:
    """(search criterion, flags to set): our keyword when the mailbox accepts new keywords, else \\Seen."""
    _, permanent = conn.response("PERMANENTFLAGS")
    allowed = b" ".join(p for p in permanent if isinstance(p, bytes))
    if flag and (b"\\*" in allowed or flag.encode() in allowed):
        return f"UNKEYWORD {flag}", f"({flag} \\Seen)"
    return "UNSEEN", "(\\Seen)"


def _body(data: list) -> bytes | None:
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def poll(app: App, *, connect: Connect | None = None, context: ssl.SSLContext | None = None,
         backend: MailBackend | None = None) -> PollReport:
    """Fetch new messages from the configured mailbox, store each, mark it, then process what was stored."""
    settings = app.config.inbound.imap
    if connect is None:
        if not settings.host:
            raise ConfigError("inbound.imap.host is not set: there is no mailbox to poll")
        password = app.secrets.require("imap_password", "ADVOCACY_IMAP_PASSWORD")

        def connect() -> imaplib.IMAP4:
            return connect_tls(settings, password, context=context)

    report = PollReport()
    new_ids: list[int] = []
    conn = connect()
    try:
        _check(conn.select(_quote(settings.mailbox)), f"SELECT {settings.mailbox}")
        criterion, flags = _marker(conn, settings.processed_flag)
        data = _check(conn.uid("SEARCH", criterion), f"SEARCH {criterion}")
        uids = [u.decode() for u in _UIDS.findall(b" ".join(d for d in data if isinstance(d, bytes)))]
        for uid in uids[: settings.batch]:
            raw = _body(_check(conn.uid("FETCH", uid, "(BODY.PEEK[])"), f"FETCH {uid}"))
            if raw is None:
                report.errors.append(f"message UID {uid}: the server sent no body")
                continue
            report.fetched += 1
            with app.transaction() as session:
                message, is_new = intake.receive(session, raw, "imap",
                                                 {"mailbox": settings.mailbox, "uid": uid}, app.now())
                message_id = message.id
            if is_new:
                report.stored += 1
                new_ids.append(message_id)
            else:
                report.duplicates += 1
            try:  # stored and committed: only now may the server forget about it
                _check(conn.uid("STORE", uid, "+FLAGS", flags), f"STORE {uid}")
            except (ImapError, imaplib.IMAP4.error) as exc:
                report.errors.append(f"message UID {uid} stored but not marked: {exc}")
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            conn.logout()
    for message_id in new_ids:
        try:
            outcome = intake.process_stored(app, message_id, backend=backend)
        except Exception as exc:  # stored: process_pending takes it up again
            log.exception("inbound message %s stored but not processed", message_id)
            report.errors.append(f"message {message_id} stored but not processed: {exc}")
            continue
        if outcome is not None:
            report.outcomes.append(outcome)
    return report
