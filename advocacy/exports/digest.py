"""A digest as Word and PDF: read from the digest's own HTML (every section), under the collaborative's name."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from advocacy.config import Config
from advocacy.models import Mailing
from advocacy.outbound.content import MEMBER_TOKEN
from advocacy.outbound.digest import NothingNew, context_for, last_sent_digest, latest_draft, load_view
from digests.documents import Block, docx_bytes, html_title, outline, pdf_bytes
from digests.render import EmailRenderer

FORMATS = ("docx", "pdf")
MEDIA_TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}


def pick_digest(session: Session, mailing_id: int | None) -> Mailing:
    """The digest asked for, else the draft being prepared, else the last one sent."""
    digest = session.get(Mailing, mailing_id) if mailing_id else latest_draft(session) or last_sent_digest(session)
    if digest is None or digest.kind != "digest":
        raise LookupError(f"no digest {mailing_id}" if mailing_id else "there is no digest yet")
    return digest


def digest_outline(session: Session, config: Config, digest: Mailing, now: datetime) -> tuple[str, list[Block]]:
    """(title, blocks) of the digest as a member following every topic sees it."""
    ctx = context_for(config, load_view(session, digest, config), None, now)
    if ctx is None:
        raise NothingNew(f"digest {digest.id} has nothing in it to export")
    rendered = EmailRenderer().digest(ctx)
    html = rendered.html.replace(MEMBER_TOKEN, "preview")
    return html_title(html) or rendered.subject, outline(html)


def digest_document(session: Session, config: Config, digest: Mailing, now: datetime, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: use one of {', '.join(FORMATS)}")
    title, blocks = digest_outline(session, config, digest, now)
    name = config.collaborative.name
    subtitle = f"{name} · {config.collaborative.postal_address}"
    write = docx_bytes if fmt == "docx" else pdf_bytes
    return write(title, name, blocks, subtitle=subtitle)


def file_name(stem: str, fmt: str) -> str:
    return f"{stem}.{fmt}"
