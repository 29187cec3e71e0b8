"""The normalized model every layer shares (SQLAlchemy 2, typed)."""

from advocacy.models.base import Base, UTCDateTime, utcnow
from advocacy.models.billtext import SavedSearch, SearchDocument, VersionText
from advocacy.models.curation import AuditEntry, BillRelevance, Curation, TagAssessment
from advocacy.models.engagement import CallAttendance, EngagementEvent, Suppression
from advocacy.models.legislation import (
    Action,
    Bill,
    BillVersion,
    ChangeEvent,
    Document,
    Hearing,
    HearingBill,
    Jurisdiction,
    LegislativeSession,
    NewsItem,
    Sponsor,
)
from advocacy.models.mail import Delivery, Mailing, MailingItem
from advocacy.models.members import District, Member, MemberAlias, StaffUser
from advocacy.models.ops import JobRun, Lock, SchedulerJob
from advocacy.models.people import ActionTaken, ActionTemplate, AlertReminder, CommitteeMembership, Legislator
from advocacy.models.questions import AgendaItem, Call, InboundMessage, Question, QuestionBill
from advocacy.models.sources import HttpValidator, PayloadBlob, RunPayload, SourceRun, SourceState
from advocacy.models.tenancy import (
    DEFAULT_SLUG,
    Collaborative,
    Owned,
    UnscopedWrite,
    collaborative_id,
    scoped_sessions,
)
from advocacy.models.votes import RollCall, VoteCast

__all__ = [
    "CallAttendance", "EngagementEvent", "Suppression",
    "ActionTaken", "ActionTemplate", "AlertReminder", "CommitteeMembership", "Legislator",
    "Action", "AgendaItem", "AuditEntry", "Base", "Bill", "BillVersion", "Call", "ChangeEvent", "Curation",
    "Delivery", "District", "Mailing", "MailingItem", "Document", "Hearing", "HearingBill", "HttpValidator",
    "InboundMessage", "JobRun", "Jurisdiction", "LegislativeSession", "Lock", "Member", "MemberAlias",
    "NewsItem", "PayloadBlob", "Question", "QuestionBill", "RunPayload", "SchedulerJob", "SourceRun", "SourceState",
    "Sponsor", "StaffUser", "TagAssessment", "UTCDateTime", "utcnow",
    "BillRelevance", "Collaborative", "DEFAULT_SLUG", "Owned", "UnscopedWrite", "collaborative_id", "scoped_sessions",
    "RollCall", "SavedSearch", "SearchDocument", "VersionText", "VoteCast",
]
