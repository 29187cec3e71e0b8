"""Two collaboratives on one host, for the tenancy tests: the host's own ("default") and "north", each with rows of
every kind it owns, every text of them marked with its name so a page that shows another's rows is caught."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from advocacy import calls
from advocacy.app import App
from advocacy.config import Secrets, load_host
from advocacy.models import (
    AgendaItem,
    Base,
    Bill,
    Delivery,
    District,
    InboundMessage,
    Mailing,
    Member,
    Owned,
    Question,
    SavedSearch,
    Suppression,
)
from advocacy.outbound.outgoing import member_token
from advocacy.tagging.store import stale_bill_ids, tag_bills
from tests.factories import FakeClock, curate_bill, make_tagger

ROOT = Path(__file__).resolve().parent.parent

NORTH = """\
[collaborative]
slug = "north"
name = "Northern Lakes Rural Schools Network"
timezone = "America/New_York"
postal_address = "9 Harbor Street, Sandusky, OH 44870"
contact_email = "advocate@northern-lakes.example.org"
base_url = "https://north.example.org"

[email]
backend = "outbox"
from_address = "updates@northern-lakes.example.org"
from_name = "Northern Lakes Legislative Update"
reply_domain = "reply.northern-lakes.example.org"
outbox_dir = "var/outbox-north"
"""


def host_config(tmp_path: Path, north: str = NORTH) -> Path:
    """The project's config.toml as a host of two: itself ("default") and north.toml (`north`)."""
    path = tmp_path / "config.toml"
    shutil.copy(ROOT / "config.toml", path)
    with path.open("a", encoding="utf-8") as fh:
        fh.write('\n[host]\ncollaboratives = ["north.toml"]\n')
    (tmp_path / "north.toml").write_text(north, encoding="utf-8")
    return path


def host_apps(tmp_path: Path, db_url: str, clock: FakeClock, secrets: dict[str, str] | None = None,
              north: str = NORTH) -> tuple[App, App]:
    """The host's App and north's, on one database; `secrets` as the environment would give them (the host's)."""
    home, other = load_host(host_config(tmp_path, north), env={})
    return tuple(App(c, secrets=Secrets.from_env(secrets or {}), clock=clock,  # type: ignore[return-value]
                     database_url=db_url) for c in (home, other))


@dataclass
class OwnedIds:
    """The ids of one collaborative's rows, one of each kind a route or a command takes."""

    marker: str
    bill_id: int
    member_id: int
    mailing_id: int
    message_id: int
    question_id: int
    call_id: int
    day: str  # the call's local date, as the agenda pages name a call
    item_id: int
    search_id: int
    token: str


def tag_stale(app: App, now: datetime) -> int:
    """The tag step's work for one collaborative: every bill it has not tagged since the bill last changed."""
    with app.transaction() as session:
        return tag_bills(session, make_tagger(app.config), stale_bill_ids(session), now).tagged


def seed_owned(app: App, now: datetime, marker: str) -> OwnedIds:
    """Curation, a district and a member, a mailing with a delivery, a held reply and a question, a call with an
    agenda item, a saved search and a suppression, each naming `marker`. The bills must be stored already."""
    curate_bill(app, "HB 96", now, status="approved", priority="high", commentary=f"{marker} commentary")
    with app.transaction() as session:
        bill = session.scalars(select(Bill).where(Bill.identifier == "HB 96")).one()
        district = District(name=f"{marker} City Schools", jurisdiction="OH")
        session.add(district)
        session.flush()
        member = Member(district_id=district.id, email="lee@shared.example.org", name=f"{marker} Lee",
                        role="Superintendent", created_at=now)
        mailing = Mailing(kind="digest", period_end=now, subject=f"{marker} digest", status="draft")
        held = InboundMessage(channel="webhook", raw=marker.encode(), sha256="9" * 64, status="quarantined",
                              received_at=now, sender="stranger@example.net", subject=f"{marker} held reply",
                              problems=["sender is not a member"])
        saved = SavedSearch(name=f"{marker} search", query="funding")
        session.add_all([member, mailing, held, saved])
        session.flush()
        call = calls.upcoming(session, app.config, now)
        question = Question(member_id=member.id, call_id=call.id, text=f"{marker} question?", status="open",
                            created_at=now)
        item = AgendaItem(call_id=call.id, position=1, kind="other", title=f"{marker} agenda item")
        session.add_all([question, item, Delivery(mailing_id=mailing.id, member_id=member.id, status="pending"),
                         Suppression(email=f"bounced-{marker.lower()}@example.org", member_id=member.id,
                                     reason="bounce", at=now)])
        session.flush()
        return OwnedIds(marker=marker, bill_id=bill.id, member_id=member.id, mailing_id=mailing.id,
                      message_id=held.id, question_id=question.id, call_id=call.id, item_id=item.id,
                        day=call.starts_at.astimezone(app.config.collaborative.tz).date().isoformat(),
                      search_id=saved.id, token=member_token(app, member.id))


def snapshot(app: App) -> dict[str, list[dict[str, Any]]]:
    """Every owned row of the app's collaborative, column by column: to prove a walk changed none of them."""
    out: dict[str, list[dict[str, Any]]] = {}
    with app.sessions() as session:
        for mapper in (m for m in Base.registry.mappers if issubclass(m.class_, Owned)):
            rows = session.scalars(select(mapper.class_)).all()
            out[mapper.class_.__name__] = sorted(
                ({c.key: getattr(row, c.key) for c in mapper.column_attrs} for row in rows), key=repr)
    return out
