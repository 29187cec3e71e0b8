"""What a member reads behind a signed link: the bills the collaborative shows members, one bill in full, the
member's own questions and the archive of answered ones.

Only what members already receive by email is here: bills the advocate approved or flagged (never a dismissed
or un-reviewed one), the position and commentary written for members, topic labels (never the tagger's
reasons). The web pages in `advocacy/web/pages/portal.py` render it; nothing here knows about HTTP.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from advocacy.app import App
from advocacy.config import Config
from advocacy.logs import log_event
from advocacy.models import (
    Bill,
    Curation,
    Hearing,
    HearingBill,
    LegislativeSession,
    Member,
    Question,
    TagAssessment,
)
from advocacy.outbound import personal
from advocacy.outbound.agenda import similarity
from advocacy.outbound.content import display_number, plain_status, shown
from advocacy.outbound.opportunities import call_to_action, testimony_info
from advocacy.outbound.outgoing import member_token
from advocacy.people.members import find_member
from digests import model as m
from digests.channels.email import MailBackend
from digests.message import Address, OutgoingMessage

log = logging.getLogger("advocacy.outbound.portal")

LINKS_PER_HOUR = 3  # fresh links one member can ask for in an hour: enough for a typo, not a mail bomb
PORTAL_MAX_AGE = 120 * 24 * 3600  # a digest read a season later still opens; older links are re-requested
FEED_MAX_AGE = 400 * 24 * 3600  # calendar apps poll a subscribed feed for a long time; a year and a bit
POSITION_WORDS = {"support": "Support", "oppose": "Oppose", "monitor": "Monitor", "seek_amendment": "Seek amendment"}


@dataclass(frozen=True)
class TrackedBill:
    bill: Bill
    number: str
    state: str
    status: str
    position: str  # a key of POSITION_WORDS, or ""
    topics: dict[str, str]  # tag -> label


@dataclass(frozen=True)
class Filters:
    topic: str = ""
    position: str = ""
    state: str = ""


@dataclass(frozen=True)
class HearingView:
    hearing: Hearing
    testimony: m.TestimonyInfo | None  # None for a hearing already held or cancelled


@dataclass(frozen=True)
class BillView:
    row: TrackedBill
    curation: Curation
    hearings: list[HearingView]
    call: m.PersonalCall  # the member's own legislators and whether they sit on the committee


def _rows(session: Session, config: Config, bills: list[Bill]) -> list[TrackedBill]:
    ids = [b.id for b in bills]
    curations = {c.bill_id: c for c in session.scalars(select(Curation).where(Curation.bill_id.in_(ids)))}
    topics: dict[int, dict[str, str]] = {}
    for tag in session.scalars(select(TagAssessment).where(TagAssessment.bill_id.in_(ids))
                               .order_by(TagAssessment.score.desc())):
        topics.setdefault(tag.bill_id, {})[tag.tag] = tag.label or tag.tag.replace("_", " ").capitalize()
    return [TrackedBill(bill, display_number(config, bill), bill.session.jurisdiction.code, plain_status(config, bill),
                        curations[bill.id].position or "", topics.get(bill.id, {}))
            for bill in bills if shown(curations.get(bill.id))]


def _shown_bills(session: Session) -> list[Bill]:
    return list(session.scalars(
        select(Bill).join(Curation, Curation.bill_id == Bill.id)
        .where(or_(Curation.status == "approved", (Curation.alert.is_(True)) & (Curation.status != "dismissed")))
        .options(selectinload(Bill.session).selectinload(LegislativeSession.jurisdiction), selectinload(Bill.actions))
        .order_by(Bill.updated_at.desc(), Bill.id.desc())
    ))


def tracked_bills(session: Session, config: Config, filters: Filters = Filters()) -> list[TrackedBill]:
    """Every bill members hear about, newest movement first, narrowed by topic, position and state."""
    rows = _rows(session, config, _shown_bills(session))
    return [r for r in rows
            if (not filters.topic or filters.topic in r.topics)
            and (not filters.position or r.position == filters.position)
            and (not filters.state or r.state == filters.state)]


def filter_choices(rows: list[TrackedBill]) -> dict[str, dict[str, str]]:
    """The values the list can be narrowed by, from the bills themselves."""
    topics = {code: label for r in rows for code, label in r.topics.items()}
    return {"topic": dict(sorted(topics.items(), key=lambda kv: kv[1])),
            "position": {p: w for p, w in POSITION_WORDS.items() if any(r.position == p for r in rows)},
            "state": {s: s for s in sorted({r.state for r in rows})}}


def bill_view(session: Session, config: Config, member: Member, bill_id: int, now: datetime) -> BillView | None:
    """One bill as the member reads it, or None when members are not shown this bill."""
    bill = session.scalar(select(Bill).where(Bill.id == bill_id).options(
        selectinload(Bill.session).selectinload(LegislativeSession.jurisdiction), selectinload(Bill.sponsors),
        selectinload(Bill.actions), selectinload(Bill.versions), selectinload(Bill.documents)))
    rows = _rows(session, config, [bill]) if bill is not None else []
    if not rows:
        return None
    hearings = list(session.scalars(select(Hearing).join(HearingBill, HearingBill.hearing_id == Hearing.id)
                                    .where(HearingBill.bill_id == bill_id).order_by(Hearing.start)))
    views = [HearingView(h, testimony_info(session, config, h, bill) if h.start >= now and not h.cancelled else None)
             for h in hearings]
    upcoming = next((h for h in hearings if h.start >= now and not h.cancelled), None)
    call = call_to_action(session, config, member, rows[0].bill, upcoming).call
    curation = session.scalar(select(Curation).where(Curation.bill_id == bill_id))
    assert curation is not None  # _rows keeps only curated bills
    return BillView(rows[0], curation, views, call)


def own_questions(session: Session, member: Member) -> list[Question]:
    """The member's questions, newest first; a merged one shows the answer of the question it joined."""
    return list(session.scalars(select(Question).where(Question.member_id == member.id)
                                .order_by(Question.created_at.desc(), Question.id.desc())))


def answer_of(session: Session, question: Question) -> Question:
    """The question whose answer covers this one (itself, or the one it was merged into)."""
    seen = {question.id}
    while question.merged_into_id is not None and question.merged_into_id not in seen:
        found = session.get(Question, question.merged_into_id)
        if found is None:
            break
        seen.add(found.id)
        question = found
    return question


_WORD = re.compile(r"[a-z0-9]+")


def search_answered(session: Session, query: str, *, limit: int = 50) -> list[Question]:
    """Answered questions whose question or answer holds every word of `query` (all of them for an empty one)."""
    words = _WORD.findall(query.lower())[:10]
    found = select(Question).where(Question.status == "answered", Question.answer_notes != "")
    for word in words:
        like = f"%{word}%"
        found = found.where(or_(Question.text.ilike(like), Question.answer_notes.ilike(like)))
    return list(session.scalars(found.order_by(Question.answered_at.desc(), Question.id.desc()).limit(limit)))


def fresh_link_message(app: App, member: Member) -> OutgoingMessage:
    """The email that answers "send me a new link": the member's list and preferences, freshly signed."""
    config = app.config
    token = member_token(app, member.id)
    base = config.collaborative.base_url
    bills, prefs = f"{base}/m/{token}/bills", f"{base}/m/{token}/preferences"
    days = PORTAL_MAX_AGE // 86400
    text = (f"Hello {member.name},\n\nHere is your new link to the bills {config.collaborative.name} tracks:\n"
            f"{bills}\n\nYour email preferences: {prefs}\n\nThe link works for {days} days; every email we send "
            "carries a fresh one.\n")
    html = (f"<p>Hello {escape(member.name)},</p><p><a href=\"{escape(bills)}\" style=\"text-decoration:underline\">"
            f"The bills {escape(config.collaborative.name)} tracks</a></p><p><a href=\"{escape(prefs)}\" "
            f"style=\"text-decoration:underline\">Your email preferences</a></p><p>The link works for {days} days; "
            "every email we send carries a fresh one.</p>")
    return OutgoingMessage(
        recipient=Address(member.email, member.name),
        sender=Address(config.email.from_address, config.email.from_name),
        email=m.RenderedEmail(subject=f"Your link to {config.collaborative.name}", text=text, html=html),
        headers={"X-Advocacy-Kind": "link"},
        custom_args={"member_id": str(member.id), "kind": "link", "collaborative": config.collaborative.slug},
    )


def send_fresh_link(app: App, address: str, backend: MailBackend | None = None) -> bool:
    """Mail a fresh portal link to the member behind `address` (not to an unsubscribed one), at most
    `LINKS_PER_HOUR` in an hour (counted from the link mailings' delivery rows, by the app's clock). Whether one
    went out is for the log, never for the page: the page must not tell strangers who is a member."""
    now = app.now()
    with app.transaction() as session:
        member = find_member(session, address)
        if member is None or member.unsubscribed_at is not None:
            return False
        if personal.sent_since(session, personal.LINK, member.id, now - timedelta(hours=1)) >= LINKS_PER_HOUR:
            log_event(log, "portal_link_rate_limited", member_id=member.id)
            return False
        message = fresh_link_message(app, member)
        mailing_id = personal.personal_mailing(session, personal.LINK, member, message.email.subject, now)
    return personal.send_link(app, backend or app.mail, mailing_id, message)


SIMILAR_AT = 0.25  # Dice overlap of content words below which a past answer is not offered


def similar_answers(session: Session, question: Question, limit: int = 3) -> list[Question]:
    """Past answers worth offering for `question`: those naming the same bill first, then by shared words."""
    bills = {b.upper() for b in question.bill_identifiers}
    scored = []
    for past in search_answered(session, "", limit=500):
        if past.id == question.id:
            continue
        same_bill = bool(bills & {b.upper() for b in past.bill_identifiers})
        score = similarity(question.text, past.text) + (1.0 if same_bill else 0.0)
        if score >= SIMILAR_AT:
            scored.append((score, past.id, past))
    return [past for _, _, past in sorted(scored, key=lambda s: (-s[0], -s[1]))[:limit]]
