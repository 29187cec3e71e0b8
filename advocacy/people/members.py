"""Members and their districts: import from CSV, preferences, who receives what."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from advocacy.models import District, Member, MemberAlias

ROLES = ("superintendent", "chief academic officer", "treasurer", "board member", "curriculum director",
         "principal", "communications", "staff", "other")
REQUIRED = ("email", "name", "district")
KNOWN = (*REQUIRED, "role", "district_code", "topics", "alerts", "house_districts", "senate_districts", "aliases",
         "state")  # state: the district's jurisdiction code
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_YES = {"yes", "y", "true", "1", ""}
_NO = {"no", "n", "false", "0"}


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, why)

    def lines(self) -> list[str]:
        out = [f"{self.created} member(s) added, {self.updated} updated, {len(self.rejected)} row(s) rejected"]
        out += [f"  line {line}: {why}" for line, why in self.rejected]
        return out


def _split(value: str | None) -> list[str]:
    return [p.strip() for p in re.split(r"[;|]", value or "") if p.strip()]


class PreferenceError(ValueError):
    """A preference that cannot be set (an unknown topic, an unsubscribe without its time); `set_preferences`
    names the field."""


def chosen_topics(topics: Iterable[str], known_topics: Collection[str] | None = None) -> list[str] | None:
    """The topics a member chose, in the order given; None for every topic (none chosen, or "all" among them).

    Raises `PreferenceError` naming each topic that is not in `known_topics` (when given).
    """
    chosen = [t.strip() for t in topics if t.strip()]
    if known_topics is not None:
        bad = [t for t in chosen if t not in known_topics and t != "all"]
        if bad:
            raise PreferenceError(f"unknown topic(s) {', '.join(bad)} (known: {', '.join(sorted(known_topics))})")
    return None if not chosen or "all" in chosen else chosen


def _columns(fieldnames: Sequence[str] | None) -> tuple[list[str], list[str]]:
    """(required columns the header lacks, columns it has that we do not know)."""
    header = [h.strip().lower() for h in (fieldnames or [])]
    return [c for c in REQUIRED if c not in header], [c for c in header if c not in KNOWN]


def _row_problems(row: dict[str, str], email: str, seen: set[str]) -> list[str]:
    """Everything wrong with a row's fields other than its topics, so one pass fixes the whole row."""
    problems = []
    if not _EMAIL.match(email):
        problems.append(f"email {row.get('email')!r} is not an address")
    elif email in seen:
        problems.append(f"{email} appears twice in this file")
    if not row.get("name"):
        problems.append("name is empty")
    if not row.get("district"):
        problems.append("district is empty")
    if row.get("role") and row["role"].lower() not in ROLES:
        problems.append(f"role {row['role']!r} is not one of: {', '.join(ROLES)}")
    if row.get("state") and not re.fullmatch(r"[A-Za-z]{2}", row["state"].strip()):
        problems.append(f"state {row['state']!r} should be a two-letter code (OH, MA, US for federal only)")
    if row.get("alerts", "").lower() not in _YES | _NO:
        problems.append(f"alerts {row['alerts']!r} should be yes or no")
    return problems


def _district(session: Session, row: dict[str, str]) -> District:
    """The row's district, found by name (any case) or added; the columns the row fills in update it."""
    district = session.scalar(select(District).where(func.lower(District.name) == row["district"].lower()))
    if district is None:
        district = District(name=row["district"])
        session.add(district)
    if row.get("district_code"):
        district.code = row["district_code"]
    if row.get("state"):  # the district's jurisdiction: its members get that state's bills (and federal ones)
        district.jurisdiction = row["state"].strip().upper()
    if row.get("house_districts"):
        district.house_districts = _split(row["house_districts"])
    if row.get("senate_districts"):
        district.senate_districts = _split(row["senate_districts"])
    return district


def _save_member(session: Session, row: dict[str, str], email: str, topics: list[str] | None) -> bool:
    """Add or update the row's member (and district); True when the member is new."""
    district = _district(session, row)
    member = session.scalar(select(Member).where(Member.email == email))
    created = member is None
    if member is None:
        member = Member(email=email, name=row["name"])
        session.add(member)
    member.name = row["name"]
    member.role = row.get("role", "").lower()
    member.district = district
    member.topics = topics
    member.alerts = row.get("alerts", "").lower() not in _NO
    for alias in _split(row.get("aliases")):
        alias = alias.lower()
        if not session.scalar(select(MemberAlias).where(MemberAlias.email == alias)):
            member.aliases.append(MemberAlias(email=alias))
    session.flush()
    return created


def import_csv(session: Session, data: str | bytes, *, known_topics: set[str] | None = None,
               origin: str = "CSV") -> ImportReport:
    """Add or update members from CSV. A bad row is reported with its line number and skipped; others go in."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    reader = csv.DictReader(io.StringIO(text))
    report = ImportReport()
    missing, unknown = _columns(reader.fieldnames)
    if missing:
        report.rejected.append((1, f"{origin}: missing column(s) {', '.join(missing)}; expected {', '.join(KNOWN)}"))
        return report
    if unknown:
        report.rejected.append((1, f"{origin}: unknown column(s) {', '.join(unknown)} (ignored)"))
    seen: set[str] = set()
    for row in reader:
        line = reader.line_num
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
        email = row.get("email", "").lower()
        problems = _row_problems(row, email, seen)
        topics: list[str] | None = None
        try:
            topics = chosen_topics(_split(row.get("topics")), known_topics)
        except PreferenceError as exc:
            problems.append(str(exc))
        if problems:
            report.rejected.append((line, "; ".join(problems)))
            continue
        seen.add(email)
        with session.begin_nested():
            if _save_member(session, row, email, topics):
                report.created += 1
            else:
                report.updated += 1
    return report


def find_member(session: Session, address: str) -> Member | None:
    """The member behind an address, case-insensitively, by primary address or alias."""
    address = address.strip().lower()
    return session.scalar(
        select(Member).outerjoin(MemberAlias).where(or_(Member.email == address, MemberAlias.email == address))
    )


def _active(alerts: bool, *columns: Any) -> Select[Any]:
    query = select(*(columns or (Member,))).where(Member.unsubscribed_at.is_(None), Member.paused.is_(False))
    if alerts:
        query = query.where(Member.alerts.is_(True))
    return query.order_by(Member.id)


def active_members(session: Session, *, alerts: bool = False) -> list[Member]:
    return list(session.scalars(_active(alerts)))


def each_active_member(session: Session, *columns: Any, alerts: bool = False, chunk: int = 2000) -> Iterator[Any]:
    """The active members in id order, read `chunk` at a time: those not kept elsewhere are let go as it goes.
    With `columns` (e.g. `Member.id, Member.topics`): plain rows of those, no ORM object per member."""
    query = _active(alerts, *columns).execution_options(yield_per=chunk)
    return iter(session.execute(query) if columns else session.scalars(query))


def unsubscribe(session: Session, member: Member, now: datetime) -> bool:
    """Stop every email to the member (RFC 8058 one-click lands here). True when it changed something."""
    if member.unsubscribed_at is None:
        member.unsubscribed_at = now
        session.flush()
        return True
    return False


_KEEP: object = object()


FREQUENCIES = {"every": "Every digest", "alerts": "Action alerts only, no digest",
               "monthly": "A monthly summary (the first digest of each month)"}


def set_preferences(session: Session, member: Member, *, topics: Sequence[str] | None | object = _KEEP,
                    alerts: bool | None = None, paused: bool | None = None, subscribed: bool | None = None,
                    known_topics: Collection[str] | None = None, now: datetime | None = None,
                    frequency: str | None = None) -> dict[str, object]:
    """Change what a member receives; returns the fields that changed (name -> new value).

    `topics`: the chosen topic codes, or None (or an empty list, or one that holds "all") for every topic.
    `subscribed=True` undoes an unsubscribe (the preferences page offers it); `False` needs `now`.
    """
    changed: dict[str, object] = {}
    if topics is not _KEEP:
        try:
            chosen = chosen_topics(topics or [], known_topics)  # type: ignore[arg-type]
        except PreferenceError as exc:
            raise PreferenceError(f"topics: {exc}") from None
        value = None if chosen is None else sorted(set(chosen))  # the same choice in another order is no change
        if value != member.topics:
            member.topics = value
            changed["topics"] = value
    if frequency is not None and frequency != member.digest_frequency:
        if frequency not in FREQUENCIES:
            raise PreferenceError(f"frequency: {frequency!r} is not one of {', '.join(FREQUENCIES)}")
        member.digest_frequency = changed["frequency"] = frequency
    if alerts is not None and alerts != member.alerts:
        member.alerts = changed["alerts"] = alerts
    if paused is not None and paused != member.paused:
        member.paused = changed["paused"] = paused
    if subscribed is True and member.unsubscribed_at is not None:
        member.unsubscribed_at = None
        changed["subscribed"] = True
    elif subscribed is False and member.unsubscribed_at is None:
        if now is None:
            raise PreferenceError("subscribed: unsubscribing needs the time it happens")
        unsubscribe(session, member, now)
        changed["subscribed"] = False
    session.flush()
    return changed
