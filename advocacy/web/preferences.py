"""A member's preferences form, the same for the member's own page and the staff's: topics, alerts, pause."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from advocacy.config import Config
from advocacy.models import Member
from advocacy.people.members import PreferenceError, set_preferences


def topic_choices(config: Config) -> dict[str, str]:
    """Topics a member can choose (context-only topics such as generic K-12 wording are never listed)."""
    return config.tagging.member_topics()


@dataclass(frozen=True)
class PreferencesForm:
    every_topic: bool = True
    topics: tuple[str, ...] = ()
    alerts: bool = True
    paused: bool = False
    subscribed: bool = True
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, member: Member) -> PreferencesForm:
        return cls(every_topic=member.topics is None, topics=tuple(member.topics or ()), alerts=member.alerts,
                   paused=member.paused, subscribed=member.unsubscribed_at is None)

    @classmethod
    def from_post(cls, form: FormData, member: Member) -> PreferencesForm:
        every = form.get("topics_mode", "all") != "chosen"
        topics = tuple(str(t) for t in form.getlist("topic"))
        errors = {}
        if not every and not topics:
            errors["topics"] = "Choose at least one topic, or every topic."
        # the box to come back is shown only to someone unsubscribed; otherwise they stay subscribed
        subscribed = form.get("subscribed") == "1" if member.unsubscribed_at is not None else True
        return cls(every_topic=every, topics=topics, alerts=form.get("alerts") == "1",
                   paused=form.get("paused") == "1", subscribed=subscribed, errors=errors)

    def apply(self, session: Session, config: Config, member: Member, now: datetime) -> dict[str, object]:
        """Write the preferences through `members.set_preferences`; PreferenceError names a bad field."""
        if self.errors:
            raise PreferenceError("; ".join(f"{k}: {v}" for k, v in self.errors.items()))
        return set_preferences(session, member, topics=None if self.every_topic else list(self.topics),
                               alerts=self.alerts, paused=self.paused, subscribed=self.subscribed,
                               known_topics=set(topic_choices(config)), now=now)
