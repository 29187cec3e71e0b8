"""What an email shows, independent of the database.

`advocacy/` builds these from its rows; `digests.render` turns one of them into subject, text and HTML.
They are frozen dataclasses so a context can be cached, compared and rendered twice with the same result.
Every URL field must be absolute (http, https, mailto or tel): a relative link in an email goes nowhere, so
construction fails with the field's name instead.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from enum import StrEnum
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ContextError(ValueError):
    """A context holds a value an email cannot carry (relative URL, naive datetime, unknown zone...)."""


class Position(StrEnum):
    """The collaborative's stance on a bill: the fixed list district leaders already know."""

    SUPPORT = "support"
    OPPOSE = "oppose"
    AMEND = "amend"  # support if amended
    MONITOR = "monitor"
    NONE = "none"  # no position taken yet

    @property
    def label(self) -> str:
        return _POSITION_LABELS[self]


_POSITION_LABELS = {
    Position.SUPPORT: "Support",
    Position.OPPOSE: "Oppose",
    Position.AMEND: "Support if amended",
    Position.MONITOR: "Monitor",
    Position.NONE: "No position",
}


class Priority(StrEnum):
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


_URL_SCHEMES = ("http", "https", "mailto", "tel")  # tel: a tap-to-call phone number (RFC 3966)


def require_absolute_url(value: str, where: str, *, optional: bool = False) -> None:
    """Raise ContextError naming `where` unless `value` is an absolute http(s)/mailto URL."""
    if not value and optional:
        return
    scheme, sep, rest = value.partition("://")
    if sep and scheme in ("https", "http") and rest[:1] not in ("", "/", "?", "#", "\\", "["):
        return  # a host follows: what urlsplit would say, without it (this runs for every link of every member)
    parts = urlsplit(value)
    if parts.scheme not in _URL_SCHEMES or (parts.scheme in ("http", "https") and not parts.netloc):
        raise ContextError(f"{where}: links in email must be absolute http(s), mailto or tel URLs, got {value!r}")


def _require_aware(value: datetime | None, where: str) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ContextError(f"{where}: datetime must be timezone-aware, got {value.isoformat()}")


def _check(obj: object, urls: tuple[str, ...] = (), optional_urls: tuple[str, ...] = ()) -> None:
    """Validate URL and datetime fields of a context dataclass, naming the class and field on failure."""
    name = type(obj).__name__
    for field_name in urls:
        require_absolute_url(getattr(obj, field_name), f"{name}.{field_name}")
    for field_name in optional_urls:
        require_absolute_url(getattr(obj, field_name), f"{name}.{field_name}", optional=True)
    for f in fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        if isinstance(value, datetime):
            _require_aware(value, f"{name}.{f.name}")


@dataclass(frozen=True)
class Collaborative:
    """Who sends the email: shown in the header and footer (CAN-SPAM wants the postal address)."""

    name: str
    postal_address: str
    timezone: str  # IANA zone, e.g. "America/New_York"; every time in the email is shown in it
    advocate_name: str = ""
    advocate_title: str = ""  # "Legislative advocate"

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ContextError(f"Collaborative.timezone: unknown time zone {self.timezone!r}") from exc

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Sponsor:
    name: str
    title: str = ""  # "Rep.", "Sen."
    party: str = ""  # "R", "D"
    place: str = ""  # home city or district, as the state writes it

    @property
    def display(self) -> str:
        """The form Ohio readers expect: 'Rep. Dana Whitfield (R-Lima)'."""
        head = f"{self.title} {self.name}".strip()
        tail = "-".join(part for part in (self.party, self.place) if part)
        return f"{head} ({tail})" if tail else head


@dataclass(frozen=True)
class ActionLine:
    """One step a bill took: a floor vote, a hearing, a referral."""

    when: date | datetime
    description: str
    chamber: str = ""
    committee: str = ""

    def __post_init__(self) -> None:
        _check(self)


@dataclass(frozen=True)
class VersionLine:
    name: str  # "As Introduced", "Substitute", "As Passed by the House"
    url: str = ""
    when: date | None = None

    def __post_init__(self) -> None:
        _check(self, optional_urls=("url",))


@dataclass(frozen=True)
class BillItem:
    """A bill as any section shows it; sections use the fields they need.

    `number` is already in the state's own style ("HB 96", "H.4056", "HB23-1064"); `key` is the stable
    normalized id ("OH-136-HB 96") used for anchors and deduplication.
    """

    key: str
    number: str
    title: str
    url: str  # the official bill page
    short_title: str = ""
    status: str = ""
    status_date: date | None = None
    position: Position = Position.NONE
    priority: Priority = Priority.NORMAL
    commentary: str = ""  # the advocate's Markdown: what it does, why it matters to districts
    tag_reasons: tuple[str, ...] = ()  # "Topic: school funding", "Mentions: open enrollment"
    topic: str = ""  # the topic label the digest groups the bill under ("" : grouped under "Other bills")
    sponsors: tuple[Sponsor, ...] = ()
    committee: str = ""
    latest_actions: tuple[ActionLine, ...] = ()  # newest first
    new_versions: tuple[VersionLine, ...] = ()  # newest first
    tracker_url: str = ""  # our own page for the bill, when the web app has one

    def __post_init__(self) -> None:
        _check(self, urls=("url",), optional_urls=("tracker_url",))

    @property
    def label(self) -> str:
        """Number and short title, the way a bill is named in a sentence."""
        return f"{self.number}, {self.short_title}" if self.short_title else self.number

    @property
    def lead_sponsor(self) -> Sponsor | None:
        return self.sponsors[0] if self.sponsors else None

    @property
    def last_action_at(self) -> date | datetime | None:
        return self.latest_actions[0].when if self.latest_actions else self.status_date


@dataclass(frozen=True)
class ActionItem:
    """An ask with a deadline: testify, call a legislator, sign on to a letter, comment on a proposed rule."""

    title: str  # "Submit written testimony opposing HB 96"
    deadline: datetime
    what_to_do: str  # Markdown, the steps
    bill: BillItem | None = None
    link_url: str = ""  # where to act (testimony portal, letter)
    link_label: str = ""
    due_label: str = "Due"  # the words before the deadline: "Comment by" for a comment period

    def __post_init__(self) -> None:
        _check(self, optional_urls=("link_url",))


@dataclass(frozen=True)
class LegislatorContact:
    """One of the member's own legislators, with whatever contact details the sources gave."""

    name: str
    title: str = ""  # "Rep.", "Sen."
    party: str = ""  # "R", "D"
    chamber: str = ""
    district: str = ""  # "House District 61"
    phone: str = ""
    email: str = ""
    office_address: str = ""
    photo_url: str = ""

    def __post_init__(self) -> None:
        _check(self, optional_urls=("photo_url",))

    @property
    def display(self) -> str:
        """'Sen. Harriet Lindqvist (R, Senate District 13)'."""
        head = f"{self.title} {self.name}".strip()
        tail = ", ".join(part for part in (self.party, self.district) if part)
        return f"{head} ({tail})" if tail else head


@dataclass(frozen=True)
class PersonalCall:
    """Who this member should contact about the bill and what to say: their own legislators, not a generic ask.

    `sentences` say, only when true, that one of them sits on or chairs the committee that hears the bill.
    `generic` replaces the names when the member's district has no known legislators (never an empty name).
    """

    legislators: tuple[LegislatorContact, ...] = ()
    sentences: tuple[str, ...] = ()
    message: str = ""  # the advocate's suggested message, filled in for this member's district
    generic: str = ""
    acted_url: str = ""  # the signed "I contacted them" link
    done_reply: bool = True  # the email says a reply of "done" counts too

    def __post_init__(self) -> None:
        _check(self, optional_urls=("acted_url",))
        if not self.legislators and not self.generic:
            raise ContextError("PersonalCall: without legislators it needs the generic call to action")


@dataclass(frozen=True)
class TestimonyInfo:
    """Written testimony for a hearing: when it is due, where it goes, and the collaborative's template."""

    deadline: datetime | None = None
    where: str = ""  # "Email the committee chair's office at ..." or a portal URL, as the advocate wrote it
    template: str = ""  # Markdown: the collaborative's template testimony
    template_url: str = ""

    def __post_init__(self) -> None:
        _check(self, optional_urls=("template_url",))


@dataclass(frozen=True)
class HearingItem:
    committee: str
    start: datetime  # aware; shown in the collaborative's zone
    location: str = ""
    chamber: str = ""
    bills: tuple[BillItem, ...] = ()
    testimony_deadline: datetime | None = None
    url: str = ""  # the committee's notice
    note: str = ""  # "Agendas change; check the notice the morning of."
    testimony: TestimonyInfo | None = None  # where and how to testify (its deadline wins over testimony_deadline)

    def __post_init__(self) -> None:
        _check(self, optional_urls=("url",))


@dataclass(frozen=True)
class QuestionsCall:
    """The next member Q&A call, and until when questions sent by reply make its agenda."""

    start: datetime
    cutoff: datetime
    end: datetime | None = None
    title: str = "Member Q&A call"
    join_url: str = ""

    def __post_init__(self) -> None:
        _check(self, optional_urls=("join_url",))
        if self.cutoff > self.start:
            raise ContextError("QuestionsCall.cutoff: the question cutoff must not be after the call starts")


@dataclass(frozen=True)
class Footer:
    """Per member: why they get this, and the links to change it."""

    reason: str  # "You receive this because Maple Grove City Schools is a member of ..."
    preferences_url: str
    unsubscribe_url: str
    calendar_url: str = ""  # the member's hearing and call calendar (.ics) to subscribe to
    tracker_url: str = ""  # the member's page of every bill we track

    def __post_init__(self) -> None:
        _check(self, urls=("preferences_url", "unsubscribe_url"), optional_urls=("calendar_url", "tracker_url"))


@dataclass(frozen=True)
class AnsweredQuestion:
    """A member's question the advocate answered on a call, with the advocate's notes (Markdown)."""

    text: str
    answer: str
    districts: tuple[str, ...] = ()


@dataclass(frozen=True)
class DigestContext:
    """One member's bi-weekly legislative update.

    Sections render in this order and are left out when empty. `moved` is shown newest first by last action.
    """

    collaborative: Collaborative
    period_start: date
    period_end: date
    footer: Footer
    base_url: str  # the web app's root; relative links in Markdown resolve against it
    opening_note: str = ""  # Markdown, the advocate's top story
    action_needed: tuple[ActionItem, ...] = ()
    moved: tuple[BillItem, ...] = ()
    new_bills: tuple[BillItem, ...] = ()
    hearings: tuple[HearingItem, ...] = ()
    watch_list: tuple[BillItem, ...] = ()
    questions_call: QuestionsCall | None = None
    answers: tuple[AnsweredQuestion, ...] = ()  # answered on the last call, for everyone who could not join
    member_name: str = ""  # "Dr. Rivera", for the greeting; empty means no greeting
    tracker_url: str = ""  # the full tracker behind a link
    web_url: str = ""  # this digest on the web

    def __post_init__(self) -> None:
        _check(self, urls=("base_url",), optional_urls=("tracker_url", "web_url"))
        if self.period_end < self.period_start:
            raise ContextError("DigestContext.period_end: the period ends before it starts")

    @property
    def is_empty(self) -> bool:
        return not (
            self.opening_note
            or self.action_needed
            or self.moved
            or self.new_bills
            or self.hearings
            or self.watch_list
            or self.questions_call
        )


@dataclass(frozen=True)
class AlertContext:
    """An urgent alert between digests: a hearing just scheduled, a floor vote tomorrow."""

    collaborative: Collaborative
    headline: str  # "HB 96 gets a hearing Tuesday: testimony due Monday noon"
    footer: Footer
    base_url: str
    note: str = ""  # Markdown, why it matters
    actions: tuple[ActionItem, ...] = ()
    hearing: HearingItem | None = None
    bills: tuple[BillItem, ...] = ()
    member_name: str = ""
    call: PersonalCall | None = None  # this member's own legislators (advocacy.outbound.opportunities.call_to_action)

    def __post_init__(self) -> None:
        _check(self, urls=("base_url",))
        if not (self.actions or self.hearing or self.bills or self.note):
            raise ContextError("AlertContext: an alert needs at least a note, an action, a hearing or a bill")


@dataclass(frozen=True)
class AgendaQuestion:
    text: str
    districts: tuple[str, ...] = ()  # who asked; several districts often ask the same thing


@dataclass(frozen=True)
class AgendaBillGroup:
    bill: BillItem
    questions: tuple[AgendaQuestion, ...] = ()


@dataclass(frozen=True)
class AgendaTopicGroup:
    topic: str
    questions: tuple[AgendaQuestion, ...] = ()


@dataclass(frozen=True)
class AgendaItem:
    """A time-boxed block of the call: top story, budget, bills that moved, submitted questions, open Q&A."""

    title: str
    minutes: int
    notes: str = ""  # Markdown
    bill_groups: tuple[AgendaBillGroup, ...] = ()
    topic_groups: tuple[AgendaTopicGroup, ...] = ()

    def __post_init__(self) -> None:
        if self.minutes <= 0:
            raise ContextError(f"AgendaItem.minutes: {self.title!r} needs a positive time box")


@dataclass(frozen=True)
class AgendaContext:
    collaborative: Collaborative
    title: str
    start: datetime
    end: datetime
    footer: Footer
    base_url: str
    items: tuple[AgendaItem, ...] = ()
    join_url: str = ""  # Zoom or similar
    dial_in: str = ""
    next_call: datetime | None = None
    member_name: str = ""

    def __post_init__(self) -> None:
        _check(self, urls=("base_url",), optional_urls=("join_url",))
        if self.end <= self.start:
            raise ContextError("AgendaContext.end: the call ends before it starts")


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
