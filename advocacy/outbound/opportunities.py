"""Advocacy opportunities: each member's own legislators, the committee, testimony, and who acted.

`call_to_action` answers, for one member and one bill, the three questions a generic "contact your legislator"
leaves open: who (their own representatives and senators, each seat of a split district), whether they matter
(a sentence only when one of them sits on or chairs the committee hearing the bill) and what to say (the
advocate's message with the member's district and the bill's effect on it filled in). Missing data is said
aloud: a district with no legislative district gets a generic call to action and the advocate a warning.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from advocacy.config import Config
from advocacy.models import ActionTemplate, Bill, District, Hearing, Legislator, Member
from advocacy.outbound.acted import (
    acted_report,
    acted_url,
    handle_acted_link,
    is_done_reply,
    record_action,
    record_done_reply,
    remind_not_acted,
)
from advocacy.outbound.content import display_number
from advocacy.people.legislators import committee_seats, current_session, legislators_for
from digests import model as m
from digests.timefmt import format_day
from vocabulary.rosters import ROLE_LABELS, TITLES, chamber_name, committee_key, district_key

__all__ = [  # acted tracking lives in advocacy.outbound.acted; its entry points are offered here too
    "CallToAction", "acted_report", "acted_url", "call_to_action", "fill_message", "handle_acted_link",
    "is_done_reply", "record_action", "record_done_reply", "remind_not_acted", "set_template", "testimony_deadline",
    "testimony_info",
]

GENERIC = ("Contact your state representative and state senator about {bill}. If you are not sure who they are, "
           "reply to this email and we will tell you.")
PLACEHOLDERS = ("district", "effect", "bill", "member", "legislators", "committee", "hearing")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class CallToAction:
    """What `call_to_action` found: the email's part (`call`), the seats behind it, and what the advocate
    should fix (`warnings`, one line each, naming the district and the member)."""

    call: m.PersonalCall
    legislators: tuple[Legislator, ...] = ()
    warnings: tuple[str, ...] = ()


# --- the bill's committee -----------------------------------------------------------------------------------


def bill_committee(bill: Bill, hearing: Hearing | None = None) -> tuple[str, str]:
    """(committee, chamber) that holds the bill: the hearing's when given, else its latest referral."""
    if hearing is not None:
        return hearing.committee, chamber_name(hearing.chamber) or _chamber_of(hearing.committee)
    if not bill.committee:
        return "", ""
    for action in sorted(bill.actions, key=lambda a: (a.when, a.order), reverse=True):
        if action.committee and committee_key(action.committee, action.chamber) == committee_key(
                bill.committee, action.chamber):
            return bill.committee, chamber_name(action.chamber)
    return bill.committee, _chamber_of(bill.committee)


def _chamber_of(committee: str) -> str:
    first = committee.split(" ", 1)[0] if committee else ""
    return chamber_name(first)


def committee_title(committee: str, chamber: str) -> str:
    """ "House Primary and Secondary Education Committee" from ("Primary and Secondary Education", "House")."""
    name = " ".join(committee.split())
    if chamber and chamber != "Joint" and not name.lower().startswith(chamber.lower()):
        name = f"{chamber} {name}"
    return name if name.lower().endswith("committee") else f"{name} Committee"


# --- the call to action -------------------------------------------------------------------------------------


def contact(legislator: Legislator) -> m.LegislatorContact:
    chamber = legislator.chamber
    return m.LegislatorContact(
        name=legislator.name, title=TITLES.get(chamber, ""), party=legislator.party, chamber=chamber,
        district=f"{chamber} District {legislator.district}" if chamber else legislator.district,
        phone=legislator.phone, email=legislator.email, office_address=legislator.office_address,
        photo_url=legislator.photo_url if legislator.photo_url.startswith(("http://", "https://")) else "",
    )


def _committee_sentences(session: Session, config: Config, jurisdiction: str, legislators: list[Legislator],
                         bill: Bill, number: str, hearing: Hearing | None) -> tuple[list[str], list[str]]:
    committee, chamber = bill_committee(bill, hearing)
    if not committee or not legislators:
        return [], []
    term = legislators[0].session or current_session(session, jurisdiction) or ""
    seats = committee_seats(session, jurisdiction, term, committee, chamber)
    title = committee_title(committee, chamber)
    if not seats:
        return [], [f"no roster for the {title} in session {term}: the alert cannot say whether members' "
                    "legislators sit on it (run `advocacy people sync`)"]
    if hearing is not None and not hearing.cancelled:
        day = format_day(hearing.start.astimezone(config.collaborative.tz))
        verb = f"which hears {number} on {day}"
    else:
        verb = f"which is considering {number}"
    by_legislator = {seat.legislator_id: seat for seat in seats if seat.legislator_id}
    sentences = []
    for legislator in legislators:
        seat = by_legislator.get(legislator.id)
        if seat is None:
            continue
        role = ROLE_LABELS.get(seat.role, "a member")
        who = f"{TITLES.get(legislator.chamber, '')} {legislator.name}".strip()
        sentences.append(f"{who}, who represents your district, is {role} of the {title}, {verb}.")
    return sentences, []


def _effect(template: ActionTemplate | None, district: District | None) -> str:
    if template is None:
        return ""
    if district is not None:
        wanted = {district.name.strip().lower(), (district.code or "").strip().lower()} - {""}
        for key, value in (template.effects or {}).items():
            if key.strip().lower() in wanted and str(value).strip():
                return str(value).strip()
    return template.default_effect.strip()


def fill_message(text: str, values: dict[str, str]) -> tuple[str, list[str]]:
    """The advocate's message with {placeholders} filled. A sentence whose value is missing is left out (never
    a blank in the middle of a sentence); an unknown placeholder is kept as written. Both are reported."""
    problems = []
    kept = []
    for paragraph in text.split("\n\n"):
        sentences = []
        for sentence in _SENTENCE.split(paragraph.strip()):
            try:
                fields = {name for _, name, _, _ in string.Formatter().parse(sentence) if name is not None}
            except ValueError:
                problems.append(f"the suggested message has an unbalanced brace: {sentence!r}")
                sentences.append(sentence)
                continue
            unknown = fields - set(PLACEHOLDERS)
            if unknown:
                problems.append(f"unknown placeholder(s) {', '.join('{' + u + '}' for u in sorted(unknown))} in "
                                f"the suggested message (known: {', '.join('{' + p + '}' for p in PLACEHOLDERS)})")
                sentences.append(sentence)
                continue
            empty = sorted(f for f in fields if not values.get(f))
            if empty:
                problems.append(f"no value for {', '.join('{' + e + '}' for e in empty)}: left out {sentence!r}")
                continue
            sentences.append(sentence.format(**{f: values[f] for f in fields}))
        if sentences:
            kept.append(" ".join(sentences))
    return "\n\n".join(kept), problems


def call_to_action(session: Session, config: Config, member: Member, bill: Bill, hearing: Hearing | None = None,
                   *, acted_url: str = "") -> CallToAction:
    """This member's own legislators for `bill`, the committee sentence when true, and the filled message."""
    district = member.district
    jurisdiction = bill.session.jurisdiction.code
    number = display_number(config, bill)
    warnings: list[str] = []
    who = f"{district.name if district else 'no district'} ({member.email})"
    legislators: list[Legislator] = []
    if district is None:
        warnings.append(f"{member.email} belongs to no district: generic call to action sent")
    elif not (district.house_districts or district.senate_districts):
        warnings.append(f"{district.name} has no state House or Senate district on file: {member.email} gets a "
                        "generic call to action (set house_districts/senate_districts with `advocacy members "
                        "import`)")
    else:
        legislators = legislators_for(session, district, jurisdiction=jurisdiction)
        found = {(leg.chamber, leg.district) for leg in legislators}
        for chamber, numbers in (("House", district.house_districts), ("Senate", district.senate_districts)):
            for number_ in numbers or []:
                if (chamber, district_key(number_)) not in found:
                    warnings.append(f"{district.name}: no {jurisdiction} {chamber} member on file for district "
                                    f"{number_} (run `advocacy people sync`, or check the district number)")
    sentences, problems = _committee_sentences(session, config, jurisdiction, legislators, bill, number, hearing)
    warnings += problems
    template = session.scalar(select(ActionTemplate).where(ActionTemplate.bill_id == bill.id))
    message = ""
    if template is not None and template.message.strip():
        committee, chamber = bill_committee(bill, hearing)
        values = {
            "district": district.name if district else "",
            "effect": _effect(template, district),
            "bill": number,
            "member": member.name,
            "legislators": " and ".join(f"{TITLES.get(leg.chamber, '')} {leg.name}".strip() for leg in legislators),
            "committee": committee_title(committee, chamber) if committee else "",
            "hearing": format_day(hearing.start.astimezone(config.collaborative.tz)) if hearing else "",
        }
        message, problems = fill_message(template.message, values)
        warnings += [f"{who}: {p}" for p in problems]
    call = m.PersonalCall(
        legislators=tuple(contact(leg) for leg in legislators),
        sentences=tuple(sentences),
        message=message,
        generic="" if legislators else GENERIC.format(bill=number),
        acted_url=acted_url,
    )
    return CallToAction(call=call, legislators=tuple(legislators), warnings=tuple(dict.fromkeys(warnings)))


# --- testimony ----------------------------------------------------------------------------------------------


def _zone(config: Config, hearing: Hearing) -> ZoneInfo:
    code = hearing.jurisdiction.code
    try:
        return config.jurisdiction(code).tz
    except KeyError:
        return ZoneInfo(hearing.jurisdiction.timezone)


def testimony_deadline(config: Config, hearing: Hearing) -> datetime:
    """When written testimony is due: the source's own deadline when it gave one, else the chamber's lead time
    counted on the jurisdiction's wall clock (24 hours before a Monday 9:30 hearing is Sunday 9:30 local time,
    even across a daylight-saving change), optionally moved to the configured local time of that day."""
    if hearing.testimony_deadline is not None:
        return hearing.testimony_deadline
    zone = _zone(config, hearing)
    rule = config.testimony.for_chamber(chamber_name(hearing.chamber) or _chamber_of(hearing.committee))
    wall = hearing.start.astimezone(zone).replace(tzinfo=None) - timedelta(hours=rule.hours)
    if rule.at is not None:
        wall = datetime.combine(wall.date(), rule.at)
    return wall.replace(tzinfo=zone)


def testimony_info(session: Session, config: Config, hearing: Hearing, bill: Bill | None = None
                   ) -> m.TestimonyInfo:
    """Deadline, where to send it, and the template testimony of `bill` (or of the first bill on the hearing
    that has one)."""
    bills = [bill] if bill is not None else list(hearing.bills)
    template = None
    if bills:
        templates = {t.bill_id: t for t in session.scalars(
            select(ActionTemplate).where(ActionTemplate.bill_id.in_([b.id for b in bills])))}
        template = next((templates[b.id] for b in bills if b.id in templates and
                         (templates[b.id].testimony_template or templates[b.id].testimony_where)), None)
    chamber = chamber_name(hearing.chamber) or _chamber_of(hearing.committee)
    return m.TestimonyInfo(
        deadline=testimony_deadline(config, hearing).astimezone(config.collaborative.tz),
        where=(template.testimony_where if template and template.testimony_where
               else config.testimony.where_for(chamber)),
        template=template.testimony_template if template else "",
    )


def set_template(session: Session, bill: Bill, now: datetime, **values: object) -> ActionTemplate:
    """Create or update the advocate's words for a bill (message, effects, default_effect, testimony_template,
    testimony_where). Unknown placeholders are refused here, before any member sees them."""
    allowed = {"message", "effects", "default_effect", "testimony_template", "testimony_where"}
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(allowed))})")
    message = values.get("message")
    if isinstance(message, str):
        _, problems = fill_message(message, dict.fromkeys(PLACEHOLDERS, "x"))
        if problems:
            raise ValueError(f"{bill.identifier}: {problems[0]}")
    template = session.scalar(select(ActionTemplate).where(ActionTemplate.bill_id == bill.id))
    if template is None:
        template = ActionTemplate(bill_id=bill.id)
        session.add(template)
    for name, value in values.items():
        setattr(template, name, value)
    template.updated_at = now
    session.flush()
    return template
