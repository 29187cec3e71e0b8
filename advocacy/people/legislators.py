"""Legislators and committee rosters: stored from the people sources, looked up by district and committee.

A roster is complete: a sync replaces the jurisdiction's legislators of that session (a member who left is
removed, their successor added), and replaces its committee memberships when the source has rosters (LegiScan
has none, so a LegiScan sync keeps rosters another source gave).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from advocacy.app import App
from advocacy.config import JurisdictionConfig, Source
from advocacy.models import CommitteeMembership, District, Legislator
from scrapers import PEOPLE_SOURCES
from scrapers.http import Fetcher, FetchError
from vocabulary.records import LegislatorRecord, PeopleResult, ScrapeError
from vocabulary.rosters import committee_display, committee_key, district_key

log = logging.getLogger(__name__)
SERVICE = "advocacy-people/0.1"
_FIELDS = ("district", "name", "party", "phone", "email", "office_address", "photo_url")


@dataclass
class PeopleReport:
    source: str = ""
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    memberships: int = 0
    unmatched: list[str] = field(default_factory=list)  # roster names with no legislator of that name
    notes: list[str] = field(default_factory=list)
    error: str = ""

    def line(self) -> str:
        if self.error:
            return f"{self.source}: FAILED: {self.error}"
        text = (f"{self.source}: {self.added} legislator(s) added, {self.updated} updated, {self.removed} removed, "
                f"{self.unchanged} unchanged; {self.memberships} committee seat(s)")
        if self.unmatched:
            text += f"; not matched to a legislator: {', '.join(self.unmatched)}"
        return text + "".join(f"\n  note: {n}" for n in self.notes)


def _name_key(name: str) -> str:
    return " ".join(name.lower().replace(".", " ").split())


def store_people(session: Session, jurisdiction: str, records: PeopleResult, now: datetime, *,
                 source: str = "") -> PeopleReport:
    """Replace the stored roster of every (session, chamber) in `records`; a second store of the same is a no-op."""
    report = PeopleReport(source=source, notes=list(records.notes))
    if not records.legislators:
        raise ScrapeError(source or jurisdiction, "a roster with no legislators: nothing stored")
    wrong = {r.jurisdiction for r in records.legislators} - {jurisdiction}
    if wrong:
        raise ValueError(f"records for {', '.join(sorted(wrong))} given to store for {jurisdiction}")
    sessions = {r.session for r in records.legislators}
    existing = {
        (row.session, row.chamber, row.source_id): row
        for row in session.scalars(select(Legislator).where(Legislator.jurisdiction == jurisdiction,
                                                            Legislator.session.in_(sessions)))
    }
    seen: set[tuple[str, str, str]] = set()
    for record in records.legislators:
        key = (record.session, record.chamber, record.source_id)
        if key in seen:
            continue
        seen.add(key)
        row = existing.get(key)
        if row is None:
            session.add(_new(record, source, now))
            report.added += 1
        elif any(getattr(row, f) != getattr(record, f) for f in _FIELDS):
            for f in _FIELDS:
                setattr(row, f, getattr(record, f))
            row.updated_at = now
            report.updated += 1
        else:
            report.unchanged += 1
    chambers = {(r.session, r.chamber) for r in records.legislators}
    for key, row in existing.items():
        if key not in seen and (row.session, row.chamber) in chambers:
            session.delete(row)
            report.removed += 1
    session.flush()
    if records.committees:
        _store_committees(session, jurisdiction, records, report)
    return report


def _new(record: LegislatorRecord, source: str, now: datetime) -> Legislator:
    return Legislator(jurisdiction=record.jurisdiction, session=record.session, chamber=record.chamber,
                      source=source, source_id=record.source_id, updated_at=now,
                      **{f: getattr(record, f) for f in _FIELDS})


def _store_committees(session: Session, jurisdiction: str, records: PeopleResult, report: PeopleReport) -> None:
    sessions = {c.session for c in records.committees}
    session.execute(delete(CommitteeMembership).where(CommitteeMembership.jurisdiction == jurisdiction,
                                                      CommitteeMembership.session.in_(sessions)))
    legislators = list(session.scalars(select(Legislator).where(Legislator.jurisdiction == jurisdiction,
                                                                Legislator.session.in_(sessions))))
    by_id = {(row.session, row.source_id): row for row in legislators}
    by_name: dict[tuple[str, str], list[Legislator]] = {}
    for row in legislators:
        by_name.setdefault((row.session, _name_key(row.name)), []).append(row)
    taken: set[tuple[str, str, str]] = set()
    for committee in records.committees:
        ckey = committee_key(committee.name, committee.chamber)
        for member in committee.members:
            if (committee.session, ckey, member.name) in taken:
                continue
            taken.add((committee.session, ckey, member.name))
            match = by_id.get((committee.session, member.source_id)) if member.source_id else None
            if match is None:
                named = by_name.get((committee.session, _name_key(member.name)), [])
                same_chamber = [r for r in named if r.chamber == committee.chamber]
                candidates = same_chamber or named
                match = candidates[0] if len(candidates) == 1 else None
            if match is None:
                report.unmatched.append(f"{member.name} ({committee_display(committee.name, committee.chamber)})")
            session.add(CommitteeMembership(
                jurisdiction=jurisdiction, session=committee.session, chamber=committee.chamber,
                committee=committee_display(committee.name, committee.chamber), committee_key=ckey,
                name=member.name, legislator_id=match.id if match else None, role=member.role,
            ))
            report.memberships += 1
    session.flush()


# --- lookups ------------------------------------------------------------------------------------------------


def current_session(session: Session, jurisdiction: str) -> str | None:
    """The session whose roster was stored last: legislators of older sessions are history."""
    return session.scalar(select(Legislator.session).where(Legislator.jurisdiction == jurisdiction)
                          .order_by(Legislator.updated_at.desc(), Legislator.id.desc()).limit(1))


def legislators_for(session: Session, district: District, *, jurisdiction: str | None = None,
                    term: str | None = None) -> list[Legislator]:
    """The district's state representatives and senators, House first, each seat of a split district listed."""
    code = jurisdiction or district.jurisdiction
    if not code:
        codes = list(session.scalars(select(Legislator.jurisdiction).distinct()))
        if len(codes) != 1:
            return []
        code = codes[0]
    term = term or current_session(session, code)
    if term is None:
        return []
    wanted = [("House", d) for d in district.house_districts or []] + \
             [("Senate", d) for d in district.senate_districts or []]
    found: list[Legislator] = []
    for chamber, number in wanted:
        rows = session.scalars(select(Legislator).where(
            Legislator.jurisdiction == code, Legislator.session == term, Legislator.chamber == chamber,
            Legislator.district == district_key(number)).order_by(Legislator.id))
        for row in rows:
            if row not in found:
                found.append(row)
    return found


def committee_seats(session: Session, jurisdiction: str, term: str, committee: str, chamber: str = ""
                    ) -> list[CommitteeMembership]:
    key = committee_key(committee, chamber)
    return list(session.scalars(select(CommitteeMembership).where(
        CommitteeMembership.jurisdiction == jurisdiction, CommitteeMembership.session == term,
        CommitteeMembership.committee_key == key)))


# --- sync ---------------------------------------------------------------------------------------------------


def people_sources_of(app: App, names: Iterable[str] | None = None) -> list[tuple[JurisdictionConfig, Source]]:
    wanted = set(names or ())
    kinds = PEOPLE_SOURCES
    found = [(j, s) for j, s in app.config.sources() if s.kind in kinds and s.enabled and
             (not wanted or s.name in wanted)]
    unknown = wanted - {s.name for _, s in found}
    if unknown:
        raise ValueError(f"not an enabled Ohio, LegiScan or Open States source: {', '.join(sorted(unknown))}")
    return found


def sync_people(app: App, names: Iterable[str] | None = None, *, client: httpx.Client | None = None,
                progress: Callable[[str], None] | None = None) -> list[PeopleReport]:
    """Fetch and store the legislators and rosters of every people-capable source (or those named)."""
    reports = []
    for jcfg, source in people_sources_of(app, names):
        module = PEOPLE_SOURCES[source.kind]
        options = source.parsed_options()
        if hasattr(options, "sessions") and "sessions" not in source.options:
            options = options.model_copy(update={"sessions": list(jcfg.sessions)})
        key = app.secrets.api_key(source.key_env())
        http = app.config.http
        fetcher = Fetcher(service=SERVICE, contact=app.config.collaborative.contact_email, client=client,
                          timeout=http.timeout, retries=http.retries, backoff=http.backoff,
                          min_interval=http.min_interval, now=app.clock)
        try:
            collected = module.collect_people(fetcher, options, jcfg.code, api_key=key)
            with app.transaction() as session:
                report = store_people(session, jcfg.code, collected.result, app.now(), source=source.name)
        except (ScrapeError, FetchError, ValueError) as exc:
            log.warning("people source=%s failed: %s", source.name, exc)
            report = PeopleReport(source=source.name, error=str(exc))
        finally:
            if client is None:
                fetcher.close()
        reports.append(report)
        if progress:
            progress(report.line())
    return reports
