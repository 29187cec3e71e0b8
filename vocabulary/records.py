"""The normalized records every source produces and every layer shares.

Scrapers build these from raw bytes; `advocacy.collect.ingest` stores them. They are plain frozen dataclasses so
that a parser stays a pure function and two parses of the same bytes compare equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class ScrapeError(Exception):
    """A source answered, but not with what we expected (malformed payload, missing table...).

    `where` names the URL or file, `detail` says what was wrong; both reach the advocate unchanged.
    """

    def __init__(self, where: str, detail: str) -> None:
        super().__init__(f"{where}: {detail}")
        self.where = where
        self.detail = detail


@dataclass(frozen=True)
class SponsorRecord:
    name: str
    primary: bool = True
    party: str = ""
    district: str = ""
    chamber: str = ""


@dataclass(frozen=True)
class ActionRecord:
    when: datetime  # timezone-aware, in the jurisdiction's zone
    description: str
    chamber: str = ""  # "House", "Senate", "Governor", "" when unknown
    committee: str = ""
    classification: tuple[str, ...] = ()  # empty: classified by vocabulary.actions rules on store
    order: int = 0  # position within the same day, as the source listed it


@dataclass(frozen=True)
class VersionRecord:
    name: str  # e.g. "As Introduced", "Enrolled"
    code: str = ""  # the source's own code, e.g. Ohio's "00_IN"
    when: datetime | None = None
    url: str = ""
    html_url: str = ""


@dataclass(frozen=True)
class DocumentRecord:
    kind: str  # "analysis", "fiscal note", "testimony", ...
    title: str
    url: str
    when: datetime | None = None


@dataclass(frozen=True)
class BillRecord:
    jurisdiction: str  # "OH", "MA", "US"
    session: str  # "136", "135S1"
    identifier: str  # normalized, e.g. "HB 33" (vocabulary.billnum.normalize)
    title: str
    synopsis: str = ""
    status: str = ""
    url: str = ""  # the official page
    source_id: str = ""  # the source's own id (LegiScan bill_id, Open States ocd-bill id)
    committee: str = ""  # current committee referral, when known
    subjects: tuple[str, ...] = ()
    sponsors: tuple[SponsorRecord, ...] = ()
    actions: tuple[ActionRecord, ...] = ()
    versions: tuple[VersionRecord, ...] = ()
    documents: tuple[DocumentRecord, ...] = ()
    analysis_text: str = ""
    # True when the source knows only some facts (e.g. an RSS item gives one action on "HB 33"): the store should
    # add what is here to the bill it has, not replace the bill's title, sponsors or other actions with blanks.
    partial: bool = False


# A HearingRecord whose key starts with this is a comment period, not a meeting: a document open for written
# comment (a proposed rule), `start` its last moment, `committee` who takes the comments and on what, `url` where to
# comment. It is stored as a hearing (no table of its own) and reaches members as an opportunity with a deadline.
COMMENT_PERIOD = "comment:"


def is_comment_period(key: str) -> bool:
    return key.startswith(COMMENT_PERIOD)


@dataclass(frozen=True)
class HearingRecord:
    jurisdiction: str
    session: str
    committee: str
    start: datetime  # timezone-aware
    key: str  # the source's stable id for the meeting (URL or id), for reschedule detection
    location: str = ""
    bills: tuple[str, ...] = ()  # normalized identifiers
    cancelled: bool = False
    url: str = ""
    chamber: str = ""


@dataclass(frozen=True)
class NewsRecord:
    jurisdiction: str
    guid: str
    title: str
    url: str = ""
    published: datetime | None = None
    summary: str = ""
    source: str = ""


@dataclass(frozen=True)
class ScrapeResult:
    bills: tuple[BillRecord, ...] = ()
    hearings: tuple[HearingRecord, ...] = ()
    news: tuple[NewsRecord, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.bills) + len(self.hearings) + len(self.news)


@dataclass(frozen=True)
class LegislatorRecord:
    """One seat-holder as a source lists them. `district` is normalized (`advocacy.people.legislators.district_key`)."""

    jurisdiction: str
    session: str
    chamber: str  # "House" or "Senate"
    district: str
    name: str
    source_id: str  # the source's own id (Ohio member_lpid, LegiScan people_id, ocd-person id)
    party: str = ""  # "R", "D", "I" or the source's word when it is none of those
    phone: str = ""
    email: str = ""
    office_address: str = ""
    photo_url: str = ""


@dataclass(frozen=True)
class CommitteeMemberRecord:
    name: str
    role: str = "member"  # chair, vice_chair, ranking_member, member
    source_id: str = ""  # the legislator's source id, when the roster gives it


@dataclass(frozen=True)
class CommitteeRecord:
    jurisdiction: str
    session: str
    chamber: str  # "House", "Senate", "Joint"
    name: str  # as the source writes it, e.g. "Primary and Secondary Education"
    members: tuple[CommitteeMemberRecord, ...] = ()
    source_id: str = ""


@dataclass(frozen=True)
class PeopleResult:
    legislators: tuple[LegislatorRecord, ...] = ()
    committees: tuple[CommitteeRecord, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class VoteCastRecord:
    option: str  # "yes", "no" or "other" (absent, excused, not voting...)
    name: str = ""  # as the source gives it, when it does
    source_id: str = ""  # the legislator's id at the source (Ohio "h0912", LegiScan people_id, ocd-person id)


@dataclass(frozen=True)
class RollCallRecord:
    """One recorded vote on a bill. The bill is named by `bill` (normalized identifier, with `jurisdiction` and
    `session`) or, when the payload does not say, by the source's own bill id in `bill_source_id`."""

    key: str  # stable per source: the source's roll-call id, or its date, chamber and motion
    jurisdiction: str = ""
    session: str = ""
    bill: str = ""
    bill_source_id: str = ""
    when: datetime | None = None
    chamber: str = ""
    motion: str = ""
    passed: bool | None = None
    yeas: int = 0
    nays: int = 0
    other: int = 0
    votes: tuple[VoteCastRecord, ...] = ()
