"""The pieces every email shares: bills, hearings and action items as emails show them, the collaborative, the
footer, display numbers and the questions answered on calls.

Digest, alert, agenda and reminder composition all import this module; it imports none of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from advocacy.config import Config
from advocacy.models import Bill, ChangeEvent, Curation, Hearing, Member, Question, TagAssessment
from digests import model as m
from digests.timefmt import format_date
from vocabulary import billnum
from vocabulary.records import COMMENT_PERIOD
from vocabulary.rosters import chamber_name

# What moves a bill in the members' eyes; hearings have their own section, documents are not news by themselves.
MOVING_EVENTS = frozenset({"new_action", "status_change", "new_version"})


POSITIONS = {"support": m.Position.SUPPORT, "oppose": m.Position.OPPOSE, "monitor": m.Position.MONITOR,
             "seek_amendment": m.Position.AMEND}


PRIORITIES = {"high": m.Priority.HIGH, "medium": m.Priority.NORMAL, "watch": m.Priority.LOW}


PRIORITY_ORDER = {"high": 0, "medium": 1, None: 2, "watch": 3}


MEMBER_TOKEN = "-member-token-"  # replaced per recipient (SendGrid substitutions, or locally by the backend)


def shown(curation: Curation | None) -> bool:
    """Whether members hear about the bill: the advocate approved it, or flagged an action alert on it."""
    return curation is not None and (curation.status == "approved"
                                     or (curation.alert and curation.status != "dismissed"))


def answered(session: Session, since: datetime | None, until: datetime) -> list[m.AnsweredQuestion]:
    """Questions the advocate answered on calls in the period, with the notes written for the digest."""
    return [m.AnsweredQuestion(text=q.text, answer=q.answer_notes, districts=districts(session, q))
            for q in answered_since(session, since)
            if q.answer_notes.strip() and q.answered_at is not None and q.answered_at <= until]


def official_url(config: Config, bill: Bill) -> str:
    """The legislature's page: the jurisdiction's configured template first, else what the source gave."""
    code = bill.session.jurisdiction.code
    try:
        template = config.jurisdiction(code).bill_url
    except KeyError:
        template = ""
    prefix, _, number = bill.identifier.partition(" ")
    if template:
        return template.format(session=bill.session.identifier, prefix=prefix, number=number,
                               slug=f"{prefix.lower()}{number}")
    if bill.url.startswith(("http://", "https://")):
        return bill.url
    return f"{config.collaborative.base_url}/bills/{bill.id}"


def display_number(config: Config, bill: Bill) -> str:
    return billnum.display(bill.identifier, config.bill_style(bill.session.jurisdiction.code))


def action_status(bill: Bill) -> str:
    """The bill's status as members read it: its latest action with the chamber, "Passed (House)". A version
    name ("As Reported by House Committee") is no status; the source's status is kept only when there is no
    action at all."""
    if not bill.actions:
        return bill.status
    latest = max(bill.actions, key=lambda a: (a.when, a.order))
    chamber = chamber_name(latest.chamber) or latest.chamber.strip()
    said = chamber and chamber.lower() in latest.description.lower()
    return f"{latest.description} ({chamber})" if chamber and not said else latest.description


def plain_status(config: Config, bill: Bill) -> str:
    """ "Passed (House), Nov 19": the latest action, its chamber and its day in the collaborative's zone."""
    if not bill.actions:
        return bill.status
    latest = max(bill.actions, key=lambda a: (a.when, a.order))
    return f"{action_status(bill)}, {format_date(latest.when.astimezone(config.collaborative.tz).date())}"


def topic_line(tags: Sequence[TagAssessment]) -> tuple[str, ...]:
    """What members see of the tagging: topic labels, never the tagger's reasons (those stay on staff pages)."""
    labels = list(dict.fromkeys(t.label or t.tag.replace("_", " ").capitalize() for t in tags[:2]))
    return (f"{'Topic' if len(labels) == 1 else 'Topics'}: {', '.join(labels)}",) if labels else ()


def member_url(config: Config, path: str) -> str:
    """A link into the member portal; the member's own token replaces MEMBER_TOKEN when the email is sent."""
    return f"{config.collaborative.base_url}/m/{MEMBER_TOKEN}/{path.lstrip('/')}"


def _http(url: str) -> str:
    return url if url.startswith(("http://", "https://")) else ""


def bill_item(config: Config, bill: Bill, curation: Curation | None, tags: Sequence[TagAssessment],
              events: Sequence[ChangeEvent]) -> m.BillItem:
    """A bill as emails show it; `events` (the period's) pick which actions and versions are new."""
    zone = config.collaborative.tz
    actions = sorted(bill.actions, key=lambda a: (a.when, a.order), reverse=True)
    fresh_actions = {(e.occurred_at, e.summary) for e in events if e.kind == "new_action"}
    recent = [a for a in actions if (a.when, f"{bill.identifier}: {a.description}") in fresh_actions] or actions[:1]
    new_names = {e.summary.partition(": new version ")[2] for e in events if e.kind == "new_version"}
    new_versions = sorted((v for v in bill.versions if v.name in new_names),
                          key=lambda v: v.when or datetime.min.replace(tzinfo=UTC), reverse=True)
    return m.BillItem(
        key=f"{bill.session.jurisdiction.code}-{bill.session.identifier}-{bill.identifier}",
        number=display_number(config, bill),
        title=bill.title,
        url=official_url(config, bill),
        status=action_status(bill),
        status_date=actions[0].when.astimezone(zone).date() if actions else None,
        position=POSITIONS.get(curation.position or "", m.Position.NONE) if curation else m.Position.NONE,
        priority=PRIORITIES.get(curation.priority or "", m.Priority.NORMAL) if curation else m.Priority.NORMAL,
        commentary=curation.commentary if curation else "",
        tag_reasons=topic_line(tags),
        topic=(tags[0].label or tags[0].tag.replace("_", " ").capitalize()) if tags else "",
        sponsors=tuple(m.Sponsor(name=s.name, party=s.party, place=s.district) for s in bill.sponsors[:3]),
        committee=bill.committee,
        latest_actions=tuple(
            m.ActionLine(when=a.when.astimezone(zone), description=a.description, chamber=a.chamber,
                         committee=a.committee)
            for a in recent[:3]
        ),
        new_versions=tuple(m.VersionLine(name=v.name, url=_http(v.url) or _http(v.html_url),
                                         when=v.when.astimezone(zone).date() if v.when else None)
                           for v in new_versions),
        tracker_url=member_url(config, f"bills/{bill.id}"),
    )


def hearing_item(config: Config, hearing: Hearing, bills: Sequence[m.BillItem],
                 testimony: m.TestimonyInfo | None = None) -> m.HearingItem:
    return m.HearingItem(
        committee=hearing.committee, start=hearing.start.astimezone(config.collaborative.tz),
        location=hearing.location, chamber=hearing.chamber, bills=tuple(bills),
        testimony_deadline=hearing.testimony_deadline, url=_http(hearing.url),
        note="This hearing has been cancelled." if hearing.cancelled else "",
        testimony=testimony,
    )


def action_item(config: Config, curation: Curation, bill: m.BillItem) -> m.ActionItem:
    assert curation.alert_deadline is not None  # curation refuses an alert without one
    return m.ActionItem(
        title=f"{bill.number}, {bill.title}",
        deadline=curation.alert_deadline.astimezone(config.collaborative.tz),
        what_to_do=curation.alert_action or "Contact your legislators about this bill.",
        bill=bill,
    )


COMMENT_ASK = ("Read the proposal and send the agency a written comment on how it would affect your district. "
               "Reply to this email if you would like our help with it.")


def open_comment_periods(session: Session, now: datetime) -> list[Hearing]:
    """Comment periods (`vocabulary.records.COMMENT_PERIOD`) whose deadline is ahead of `now`, soonest first."""
    return list(session.scalars(
        select(Hearing).options(selectinload(Hearing.jurisdiction))
        .where(Hearing.key.startswith(COMMENT_PERIOD, autoescape=True), Hearing.start >= now,
               Hearing.cancelled.is_(False))
        .order_by(Hearing.start, Hearing.id)))


def comment_item(config: Config, period: Hearing) -> m.ActionItem:
    """A comment period (`vocabulary.records.COMMENT_PERIOD`) as emails show it: comment by its deadline, there."""
    return m.ActionItem(title=period.committee, deadline=period.start.astimezone(config.collaborative.tz),
                        what_to_do=COMMENT_ASK, link_url=_http(period.url),
                        link_label="How to comment" if _http(period.url) else "", due_label="Comment by")


def collaborative(config: Config) -> m.Collaborative:
    c = config.collaborative
    return m.Collaborative(name=c.name, postal_address=c.postal_address, timezone=c.timezone,
                           advocate_title="Legislative advocate")


def footer(config: Config) -> m.Footer:
    """The same footer for everyone; the member's own token is substituted at send time."""
    base = config.collaborative.base_url
    return m.Footer(
        reason=f"You receive this because your district is a member of {config.collaborative.name}.",
        preferences_url=f"{base}/m/{MEMBER_TOKEN}/preferences",
        unsubscribe_url=f"{base}/m/{MEMBER_TOKEN}/unsubscribe",
        calendar_url=member_url(config, "calendar.ics"),
        tracker_url=member_url(config, "bills"),
    )


def concerns(topics: Sequence[str] | None, bill_topics: Sequence[str]) -> bool:
    """Whether members who chose `topics` (None: all) see a bill. A bill without topics concerns everyone."""
    return topics is None or not bill_topics or bool(set(topics) & set(bill_topics))


def answered_since(session: Session, since: datetime | None) -> list[Question]:
    """Questions answered on calls since `since`, with their notes: for the next digest."""
    query = select(Question).where(Question.status == "answered")
    if since is not None:
        query = query.where(Question.answered_at > since)
    return list(session.scalars(query.order_by(Question.answered_at, Question.id)))


def districts(session: Session, question: Question) -> tuple[str, ...]:
    askers = [question, *session.scalars(select(Question).where(Question.merged_into_id == question.id)
                                         .order_by(Question.created_at, Question.id))]
    names: dict[str, None] = {}
    for asked in askers:
        member = session.get(Member, asked.member_id) if asked.member_id else None
        if member is not None:
            names.setdefault(member.district.name if member.district else member.name, None)
    return tuple(names)
