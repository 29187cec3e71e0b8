"""The bill page's curation form: what it shows, and the changes it asks `curation.curate` to make.

The form sends every field; only those that differ from the stored curation become changes, so saving a bill
whose alert deadline has passed (or whose snooze date is today) does not fail on a field nobody touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData

from advocacy.curation import decisions as cur
from advocacy.models import Curation
from advocacy.web import forms

FIELDS = ("status", "snoozed_until", "priority", "position", "commentary", "alert", "alert_deadline",
          "alert_action")
STATUS_LABELS = {"new": "To review", "approved": "Approved (in the digest)", "dismissed": "Dismissed",
                 "snoozed": "Snoozed"}
PRIORITY_LABELS = {"high": "High", "medium": "Medium", "watch": "Watch list"}
POSITION_LABELS = {"support": "Support", "oppose": "Oppose", "monitor": "Monitor", "seek_amendment": "Seek amendment"}


@dataclass(frozen=True)
class CurationForm:
    status: str = "new"
    snoozed_until: str = ""  # YYYY-MM-DD
    priority: str = ""
    position: str = ""
    commentary: str = ""
    alert: bool = False
    alert_deadline: str = ""  # datetime-local
    alert_action: str = ""
    errors: dict[str, str] = field(default_factory=dict)  # field -> what is wrong, shown next to it
    problems: list[str] = field(default_factory=list)  # what is wrong and belongs to no one field
    preview: bool = False  # show the commentary as members will read it

    @classmethod
    def from_curation(cls, curation: Curation | None, zone: ZoneInfo) -> CurationForm:
        if curation is None:
            return cls()
        return cls(
            status=curation.status,
            snoozed_until=curation.snoozed_until.astimezone(zone).date().isoformat() if curation.snoozed_until else "",
            priority=curation.priority or "",
            position=curation.position or "",
            commentary=curation.commentary or "",
            alert=bool(curation.alert),
            alert_deadline=forms.local_input(curation.alert_deadline, zone),
            alert_action=curation.alert_action or "",
        )

    @classmethod
    def from_post(cls, form: FormData) -> CurationForm:
        errors: dict[str, str] = {}

        def read(name: str, limit: int = 200) -> str:
            try:
                return forms.text(form, name, limit)
            except forms.FieldError as exc:
                errors[name] = exc.message
                return ""

        return cls(status=read("status").strip() or "new", snoozed_until=read("snoozed_until").strip(),
                   priority=read("priority").strip(), position=read("position").strip(),
                   commentary=read("commentary", 20_000), alert=forms.checked(form, "alert"),
                   alert_deadline=read("alert_deadline").strip(), alert_action=read("alert_action", 2_000),
                   errors=errors)

    def with_problems(self, problems: list[str]) -> CurationForm:
        by_field, other = forms.problems_by_field(problems, FIELDS)
        return replace(self, errors={**self.errors, **by_field}, problems=[*self.problems, *other])

    def changes(self, curation: Curation | None, zone: ZoneInfo) -> dict[str, Any]:
        """What differs from the stored curation, as `curate` takes it; FieldError lists are in `errors`."""
        stored = CurationForm.from_curation(curation, zone)
        wanted: dict[str, Any] = {}
        errors: dict[str, str] = {}
        if self.status != stored.status:
            wanted["status"] = self.status
        if self.status == "snoozed" and (self.snoozed_until != stored.snoozed_until or "status" in wanted):
            wanted["snoozed_until"] = _moment(self.snoozed_until, zone, "snoozed_until", errors, day_ends=False)
        for name in ("priority", "position"):
            if getattr(self, name) != getattr(stored, name):
                wanted[name] = getattr(self, name) or None
        if self.commentary.strip() != stored.commentary.strip():
            wanted["commentary"] = self.commentary
        if self.alert != stored.alert:
            wanted["alert"] = self.alert
        if self.alert:
            if self.alert_deadline != stored.alert_deadline or not stored.alert:
                wanted["alert_deadline"] = _moment(self.alert_deadline, zone, "alert_deadline", errors)
            if self.alert_action.strip() != stored.alert_action.strip() or not stored.alert:
                wanted["alert_action"] = self.alert_action
        if errors:
            raise cur.CurationError([f"{name}: {message}" for name, message in errors.items()])
        return wanted


def _moment(value: str, zone: ZoneInfo, name: str, errors: dict[str, str], *, day_ends: bool = True
            ) -> datetime | None:
    try:
        return forms.local_moment(value, zone, day_ends=day_ends)
    except ValueError:
        errors[name] = f"{value!r} is not a date and time"
        return None
