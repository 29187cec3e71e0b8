"""Store roll-call votes per legislator. The votes come from the payloads a source run archived (each vote
parser in `scrapers.votes` says which URLs carry votes), so a source that already sends them costs no request.

A roll call is keyed by its source's id (or date, chamber and motion) within its bill: storing it again replaces
its votes, never duplicates them. Each vote is tied to the stored legislator with the same source id (or, failing
that, the same name) when there is one. One unreadable payload or one roll call naming an unknown bill is
skipped and reported; the others are stored.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from advocacy.app import App
from advocacy.models import (
    Bill,
    Jurisdiction,
    LegislativeSession,
    Legislator,
    RollCall,
    RunPayload,
    VoteCast,
)
from scrapers.votes import VOTE_PARSERS
from vocabulary.records import RollCallRecord, ScrapeError, VoteCastRecord


@dataclass
class VotesReport:
    stored: int = 0
    votes: int = 0
    problems: list[str] = field(default_factory=list)
    bill_ids: set[int] = field(default_factory=set)


def _bill_id(session: Session, record: RollCallRecord, jurisdiction: str) -> int | None:
    if record.bill_source_id:
        found = session.scalar(select(Bill.id).where(Bill.source_id == record.bill_source_id))
        if found is not None:
            return found
    if not record.bill:
        return None
    query = (select(Bill.id).join(LegislativeSession, Bill.session_id == LegislativeSession.id)
             .join(Jurisdiction, LegislativeSession.jurisdiction_id == Jurisdiction.id)
             .where(Jurisdiction.code == (record.jurisdiction or jurisdiction), Bill.identifier == record.bill))
    if record.session:
        query = query.where(LegislativeSession.identifier == record.session)
    return session.scalar(query.order_by(Bill.id.desc()).limit(1))


def _legislator(session: Session, jurisdiction: str, chamber: str, vote: VoteCastRecord) -> Legislator | None:
    """By the source's id; else by full name; else by a last name only one member of the chamber has."""
    base = select(Legislator).where(Legislator.jurisdiction == jurisdiction).order_by(Legislator.updated_at.desc())
    if vote.source_id:
        found = session.scalars(base.where(Legislator.source_id == vote.source_id)).first()
        if found is not None:
            return found
    name = " ".join(vote.name.split()).lower()
    if not name:
        return None
    found = session.scalars(base.where(func.lower(Legislator.name) == name)).first()
    if found is not None or not chamber:
        return found
    last = name.split()[-1].rstrip(",.")
    same = {p.source_id: p for p in session.scalars(base.where(Legislator.chamber == chamber))
            if p.name.lower().split()[-1:] == [last]}
    return next(iter(same.values())) if len(same) == 1 else None


def store_roll_calls(session: Session, records: Iterable[RollCallRecord], *, source: str, jurisdiction: str,
                     report: VotesReport | None = None) -> VotesReport:
    report = report or VotesReport()
    for record in records:
        bill_id = _bill_id(session, record, jurisdiction)
        if bill_id is None:
            report.problems.append(f"{record.key}: no stored bill {record.bill or record.bill_source_id!r}")
            continue
        roll = session.scalar(select(RollCall).where(RollCall.bill_id == bill_id, RollCall.key == record.key))
        if roll is None:
            roll = RollCall(bill_id=bill_id, key=record.key)
            session.add(roll)
        roll.source, roll.when, roll.chamber, roll.motion = source, record.when, record.chamber, record.motion
        roll.passed, roll.yeas, roll.nays, roll.other = record.passed, record.yeas, record.nays, record.other
        if record.votes or not roll.votes:  # a bare tally (LegiScan getBill) keeps the votes already known
            roll.votes = []
        for vote in record.votes:
            who = _legislator(session, record.jurisdiction or jurisdiction, record.chamber, vote)
            roll.votes.append(VoteCast(name=vote.name or (who.name if who else vote.source_id),
                                       source_id=vote.source_id, legislator_id=who.id if who else None,
                                       option=vote.option))
        session.flush()
        report.stored += 1
        report.votes += len(record.votes)
        report.bill_ids.add(bill_id)
    return report


def votes_from_run(session: Session, run_id: int, *, kind: str, jurisdiction: str, tz: ZoneInfo) -> VotesReport:
    """Parse and store the votes carried by the payloads run `run_id` archived (a source of kind `kind`)."""
    report = VotesReport()
    parser = VOTE_PARSERS.get(kind)
    if parser is None:
        return report
    wanted = [p for p in session.scalars(select(RunPayload).where(RunPayload.run_id == run_id, RunPayload.status == 200)
                                         .order_by(RunPayload.id)) if parser.wants(p.url)]
    bodies = {p.url: p.blob.body_gz for p in wanted}  # the last body of a URL fetched twice wins
    for url, packed in bodies.items():
        body = gzip.decompress(packed)
        try:
            records = parser.parse(body, url, tz)
        except ScrapeError as exc:
            report.problems.append(str(exc))
            continue
        store_roll_calls(session, records, source=kind, jurisdiction=jurisdiction, report=report)
    return report


def store_run_votes(app: App, runs: Iterable[tuple[str, int]]) -> VotesReport:
    """The votes of each (source name, run id) just collected, each run in its own transaction."""
    sources = {source.name: (jcfg, source) for jcfg, source in app.config.sources()}
    total = VotesReport()
    for name, run_id in runs:
        if name not in sources:
            continue
        jcfg, source = sources[name]
        with app.transaction() as session:
            report = votes_from_run(session, run_id, kind=source.kind, jurisdiction=jcfg.code, tz=jcfg.tz)
        total.stored += report.stored
        total.votes += report.votes
        total.problems += report.problems
        total.bill_ids |= report.bill_ids
    return total
