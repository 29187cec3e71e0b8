"""A sent digest, alert and agenda in the outbox, and the links in them: what the member-portal tests open."""

from __future__ import annotations

import email
import re
from email import policy
from email.message import EmailMessage

from advocacy.app import App
from advocacy.models import Member
from advocacy.outbound import agenda
from advocacy.outbound.alerts import create_alerts, send_alerts
from advocacy.outbound.digest import create_digest, send_digest
from tests.factories import MEMBERS_CSV, build_world

HREF = re.compile(r"""\shref=["']([^"']+)["']""")
ANA = "ana.rivera@cedarfalls.example.org"


def send_all_kinds(app: App) -> dict[str, list[EmailMessage]]:
    """Build the factories' world, send a digest, the due alerts and the next call's agenda through the outbox;
    the .eml files written, by kind (X-Advocacy-Kind)."""
    build_world(app, app.now(), MEMBERS_CSV)
    with app.transaction() as session:
        digest_id = create_digest(session, app.config, app.now()).id
        create_alerts(session, app.config, app.now())
    send_digest(app, digest_id, app.mail)
    send_alerts(app, app.mail)
    call_id = agenda.build_for(app, classify=lambda text: None)
    agenda.send(app, call_id, app.mail)
    folder = app.config.path(app.config.email.outbox_dir)
    kinds: dict[str, list[EmailMessage]] = {}
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        kinds.setdefault(str(message["X-Advocacy-Kind"]), []).append(message)  # type: ignore[arg-type]
    return kinds


def recipient(message: EmailMessage) -> str:
    return str(message["To"].addresses[0].addr_spec)


def our_links(app: App, message: EmailMessage) -> list[str]:
    """Every link of the HTML part into our own site (the legislature's pages are not ours to open)."""
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    base = app.config.collaborative.base_url
    return list(dict.fromkeys(h.replace("&amp;", "&") for h in HREF.findall(html) if h.startswith(base)))


def member_id(app: App, address: str) -> int:
    with app.sessions() as session:
        found = session.query(Member).filter_by(email=address).one()
        return found.id
