"""A board packet for one district's next board meeting, as Word: the bills that affect it with our position and
the advocate's words on what each does to this district, its own legislators (and how they voted, when votes are
stored), upcoming hearings and deadlines, and a resolution the board can adopt.

Votes: `VoteLookup` is how the packet asks for a legislator's vote on a bill; the default reads the roll calls
recorded (`advocacy.people.votes`), and `votes=no_votes` leaves them out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from advocacy.config import Config
from advocacy.exports.tables import TrackedBill, tracked_bills
from advocacy.models import ActionTemplate, Bill, District, Hearing, HearingBill, Legislator
from advocacy.people.legislators import legislators_for
from advocacy.people.votes import votes_of_legislators
from digests.documents import Block, Run, docx_bytes

HORIZON = timedelta(days=30)
POSITIONS = {"support": "Support", "oppose": "Oppose", "monitor": "Monitor", "seek_amendment": "Seek amendment"}
RESOLVE = {"support": "supports", "oppose": "opposes", "seek_amendment": "asks the General Assembly to amend"}
# (legislator, bill) -> "Yea", "Nay", ... or None when no vote is known
VoteLookup = Callable[[Session, Legislator, Bill], str | None]


def no_votes(session: Session, legislator: Legislator, bill: Bill) -> str | None:
    return None


def stored_votes(session: Session, legislator: Legislator, bill: Bill) -> str | None:
    """How the legislator voted on the bill's recorded roll calls ("Yes on Third reading; No on ..."), or None."""
    cast = votes_of_legislators(session, [legislator], [bill.id])
    return "; ".join(f"{v.said} on {v.motion}" if v.motion else v.said for v in cast) or None


@dataclass(frozen=True)
class PacketBill:
    tracked: TrackedBill
    effect: str  # what the advocate says it does to this district ("" when nothing is written)


def find_district(session: Session, code: str) -> District:
    """A district by its code (e.g. the Ohio IRN) or its name, any case."""
    wanted = code.strip().lower()
    district = session.scalar(select(District).where(or_(func.lower(District.code) == wanted,
                                                         func.lower(District.name) == wanted)))
    if district is None:
        raise LookupError(f"no district with code or name {code!r}")
    return district


def district_effect(template: ActionTemplate | None, district: District) -> str:
    if template is None:
        return ""
    wanted = {district.name.strip().lower(), (district.code or "").strip().lower()} - {""}
    for key, value in (template.effects or {}).items():
        if key.strip().lower() in wanted and str(value).strip():
            return str(value).strip()
    return template.default_effect.strip()


def _follows(district: District, tracked: TrackedBill, labels: dict[str, str]) -> bool:
    """A bill affects the district when one of its members follows one of the bill's topics (or every topic)."""
    chosen = [m.topics for m in district.members if m.unsubscribed_at is None]
    if not chosen or any(t is None for t in chosen):
        return True
    followed = {labels.get(topic, topic) for topics in chosen for topic in topics or []}
    return bool(followed & set(tracked.topics))


def packet_bills(session: Session, config: Config, district: District, now: datetime) -> list[PacketBill]:
    tracked = tracked_bills(session, config, now)
    templates = {t.bill_id: t for t in session.scalars(
        select(ActionTemplate).where(ActionTemplate.bill_id.in_([t.bill.id for t in tracked])))}
    labels = config.tagging.member_topics()
    out = []
    for item in tracked:
        effect = district_effect(templates.get(item.bill.id), district)
        if effect or _follows(district, item, labels):
            out.append(PacketBill(item, effect))
    return out


def _when(config: Config, moment: datetime) -> str:
    return f"{moment.astimezone(config.collaborative.tz):%A, %B %-d, %Y, %-I:%M %p}"


def _bill_blocks(config: Config, bills: list[PacketBill]) -> list[Block]:
    blocks = [Block("heading", [Run("Bills that affect the district")], level=1)]
    if not bills:
        blocks.append(Block("paragraph", [Run("No tracked bill concerns this district at the moment.")]))
    for item in bills:
        t = item.tracked
        blocks.append(Block("heading", [Run(t.label, t.bill.url), Run(f" {t.bill.title}")], level=2))
        facts = [f"Our position: {POSITIONS.get(t.curation.position or '', 'No position yet')}",
                 f"Priority: {t.curation.priority or '-'}", f"Status: {t.bill.status or '-'}"]
        if t.next_hearing:
            facts.append(f"Next hearing: {_when(config, t.next_hearing.start)}, {t.next_hearing.committee}")
        blocks += [Block("bullet", [Run(fact)]) for fact in facts]
        if item.effect:
            blocks.append(Block("paragraph", [Run("What it means for the district: ", bold=True), Run(item.effect)]))
        if t.curation.commentary:
            blocks.append(Block("paragraph", [Run("Our view: ", bold=True), Run(t.curation.commentary)]))
    return blocks


def _legislator_blocks(session: Session, district: District, bills: list[PacketBill],
                       votes: VoteLookup) -> list[Block]:
    blocks = [Block("heading", [Run("Your legislators")], level=1)]
    people = legislators_for(session, district)
    if not people:
        blocks.append(Block("paragraph", [Run("No legislators are on file for this district's House and Senate "
                                              "districts yet.")]))
    for person in people:
        contact = " · ".join(x for x in (person.phone, person.email) if x)
        line = [Run(f"{person.chamber} District {person.district}: ", bold=True),
                Run(f"{person.name}{f' ({person.party})' if person.party else ''}")]
        blocks.append(Block("paragraph", line + ([Run(f" · {contact}")] if contact else [])))
        for item in bills:
            vote = votes(session, person, item.tracked.bill)
            if vote:
                blocks.append(Block("bullet", [Run(f"{item.tracked.label}: voted {vote}")]))
    return blocks


def _calendar_blocks(session: Session, config: Config, bills: list[PacketBill], now: datetime) -> list[Block]:
    blocks = [Block("heading", [Run("Upcoming hearings and deadlines")], level=1)]
    labels = {b.tracked.bill.id: b.tracked.label for b in bills}
    ids = list(labels)
    lines: list[tuple[datetime, str]] = []
    for hearing in session.scalars(
        select(Hearing).where(Hearing.id.in_(select(HearingBill.hearing_id).where(HearingBill.bill_id.in_(ids))),
                              Hearing.start >= now, Hearing.start <= now + HORIZON, Hearing.cancelled.is_(False))
        .order_by(Hearing.start)
    ):
        numbers = ", ".join(labels[b.id] for b in hearing.bills if b.id in labels)
        lines.append((hearing.start, f"{_when(config, hearing.start)}: {hearing.committee} hears {numbers}"))
        if hearing.testimony_deadline and hearing.testimony_deadline >= now:
            lines.append((hearing.testimony_deadline,
                          f"{_when(config, hearing.testimony_deadline)}: testimony due for {hearing.committee}"))
    for item in bills:
        c = item.tracked.curation
        if c.alert and c.alert_deadline and c.alert_deadline >= now:
            lines.append((c.alert_deadline, f"{_when(config, c.alert_deadline)}: {item.tracked.label}: "
                                             f"{c.alert_action or 'action alert deadline'}"))
    if not lines:
        blocks.append(Block("paragraph", [Run("Nothing scheduled in the next 30 days.")]))
    return blocks + [Block("bullet", [Run(text)]) for _, text in sorted(lines)]


def _resolution_blocks(config: Config, district: District, bills: list[PacketBill]) -> list[Block]:
    board = f"the Board of Education of {district.name}"
    blocks = [Block("heading", [Run("Template resolution")], level=1),
              Block("paragraph", [Run(f"A resolution of {board} on pending state legislation", bold=True)]),
              Block("paragraph", [Run(f"WHEREAS {board} is responsible for the education of the students of the "
                                      "district and for the stewardship of its resources; and")])]
    stands = [b for b in bills if b.tracked.curation.position in RESOLVE]
    for item in stands:
        effect = item.effect or item.tracked.bill.title
        blocks.append(Block("paragraph", [Run(f"WHEREAS {item.tracked.label} ({item.tracked.bill.title}) "
                                              f"affects the district: {effect.rstrip('.')}; and")]))
    blocks.append(Block("paragraph", [Run(f"WHEREAS {board} is a member of {config.collaborative.name}, which "
                                          "follows these bills on its behalf;")]))
    blocks.append(Block("paragraph", [Run("NOW, THEREFORE, BE IT RESOLVED that ", bold=True),
                                      Run(f"{board}:")]))
    for item in stands:
        blocks.append(Block("bullet", [Run(f"{RESOLVE[item.tracked.curation.position or '']} "
                                           f"{item.tracked.label};")]))
    blocks.append(Block("paragraph", [Run("BE IT FURTHER RESOLVED that the Treasurer send a copy of this "
                                          "resolution to the district's state representatives and senators.")]))
    blocks += [Block("paragraph", [Run("Adopted on ____________________  Vote: ____ yes  ____ no")]),
               Block("paragraph", [Run("Board President ____________________   Treasurer ____________________")])]
    return blocks


def board_packet(session: Session, config: Config, district: District, now: datetime,
                 votes: VoteLookup = stored_votes) -> bytes:
    """The district's board packet as a Word document."""
    bills = packet_bills(session, config, district, now)
    blocks = [*_bill_blocks(config, bills), *_legislator_blocks(session, district, bills, votes),
              *_calendar_blocks(session, config, bills, now), *_resolution_blocks(config, district, bills)]
    title = f"{district.name}: legislative update for the board"
    subtitle = f"Prepared by {config.collaborative.name} on {now.astimezone(config.collaborative.tz):%B %-d, %Y}"
    return docx_bytes(title, config.collaborative.name, blocks, subtitle=subtitle)
