"""A member's preferences form, the same for the member's own page and the staff's: topics, alerts, pause.

Both pages go through `save_preferences` (posted form -> preferences, or the form back with its errors) and
`render_preferences` (the page around the form); only the words after a save and the redirect differ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from advocacy.app import App
from advocacy.config import Config
from advocacy.models import Member
from advocacy.people.members import FREQUENCIES, PreferenceError, set_preferences
from advocacy.web.render import render

FindMember = Callable[[Session], Member]


def topic_choices(config: Config) -> dict[str, str]:
    """Topics a member can choose (context-only topics such as generic K-12 wording are never listed)."""
    return config.tagging.member_topics()


@dataclass(frozen=True)
class PreferencesForm:
    every_topic: bool = True
    topics: tuple[str, ...] = ()
    alerts: bool = True
    frequency: str = "every"
    paused: bool = False
    subscribed: bool = True
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, member: Member) -> PreferencesForm:
        return cls(every_topic=member.topics is None, topics=tuple(member.topics or ()), alerts=member.alerts,
                   frequency=member.digest_frequency, paused=member.paused,
                   subscribed=member.unsubscribed_at is None)

    @classmethod
    def from_post(cls, form: FormData, member: Member) -> PreferencesForm:
        every = form.get("topics_mode", "all") != "chosen"
        topics = tuple(str(t) for t in form.getlist("topic"))
        errors = {}
        if not every and not topics:
            errors["topics"] = "Choose at least one topic, or every topic."
        # the box to come back is shown only to someone unsubscribed; otherwise they stay subscribed
        subscribed = form.get("subscribed") == "1" if member.unsubscribed_at is not None else True
        frequency = str(form.get("frequency", member.digest_frequency))
        if frequency not in FREQUENCIES:
            errors["frequency"] = f"Choose one of: {', '.join(FREQUENCIES.values())}."
        return cls(every_topic=every, topics=topics, alerts=form.get("alerts") == "1", frequency=frequency,
                   paused=form.get("paused") == "1", subscribed=subscribed, errors=errors)

    def apply(self, session: Session, config: Config, member: Member, now: datetime) -> dict[str, object]:
        """Write the preferences through `members.set_preferences`; PreferenceError names a bad field."""
        if self.errors:
            raise PreferenceError("; ".join(f"{k}: {v}" for k, v in self.errors.items()))
        return set_preferences(session, member, topics=None if self.every_topic else list(self.topics),
                               alerts=self.alerts, paused=self.paused, subscribed=self.subscribed,
                               frequency=self.frequency,
                               known_topics=set(topic_choices(config)), now=now)


@dataclass(frozen=True)
class Saved:
    form: PreferencesForm  # as posted, with what is wrong with it when it was refused
    member_name: str = ""  # the saved member's (a refused form has none: its transaction was rolled back)
    changed: dict[str, object] = field(default_factory=dict)  # field -> new value; empty when nothing changed

    @property
    def refused(self) -> bool:
        return bool(self.form.errors)


def save_preferences(app: App, posted: FormData, find_member: FindMember) -> Saved:
    """Read a posted preferences form and write it in one transaction; a refused form writes nothing."""
    form: PreferencesForm | None = None
    try:
        with app.transaction() as session:
            member = find_member(session)
            form = PreferencesForm.from_post(posted, member)
            changed = form.apply(session, app.config, member, app.now())
            name = member.name
    except PreferenceError as exc:
        assert form is not None
        # the form's own message (e.g. no topic chosen) reads better than the one it raised
        return Saved(replace(form, errors={"topics": str(exc), **form.errors}))
    return Saved(form, name, changed)


def render_preferences(request: Request, app: App, find_member: FindMember, form: PreferencesForm | None,
                       context: Callable[[Member], dict[str, Any]], *, status_code: int = 200) -> Response:
    """The preferences page: the member's current settings, or the form as posted when it was refused.

    `context` adds what differs between the member's page and the staff's (it may read the member).
    """
    with app.sessions() as session:
        member = find_member(session)
        return render(request, "member.html", {
            "member": member, "form": form or PreferencesForm.of(member), "choices": topic_choices(app.config),
            "frequencies": FREQUENCIES,
            **context(member),
        }, status_code=status_code)
