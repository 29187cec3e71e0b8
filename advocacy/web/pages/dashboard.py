"""The dashboard: is every source healthy, what waits for the advocate, and what comes next."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from advocacy import schedule
from advocacy.app import App
from advocacy.collect.scrape import last_good_run
from advocacy.config import Config
from advocacy.models import ChangeEvent, Curation, InboundMessage, Mailing, Question, SourceRun
from advocacy.outbound.engagement import MailingEngagement, mailing_engagement
from advocacy.outbound.ledger import DistrictLedger, OpenAlert, ledger, open_alerts
from advocacy.web.render import render
from advocacy.web.routing import page


@dataclass(frozen=True)
class SourceStatus:
    name: str
    kind: str
    jurisdiction: str
    enabled: bool
    last: SourceRun | None
    last_ok: SourceRun | None  # `last_good_run`, when the last run was not good


@dataclass(frozen=True)
class NextDates:
    digest: datetime
    call_start: datetime
    call_end: datetime
    question_cutoff: datetime
    agenda_due: datetime


@dataclass(frozen=True)
class Dashboard:
    sources: list[SourceStatus]
    queue_new: int
    open_questions: int
    quarantined: list[InboundMessage]
    quarantined_count: int
    next: NextDates
    last_digest: Mailing | None
    recent: list[ChangeEvent]
    last_engagement: MailingEngagement | None = None  # opens and clicks of the last digest
    open_alerts: list[OpenAlert] = field(default_factory=list)
    quiet: list[DistrictLedger] = field(default_factory=list)  # listed while an action alert is open


def _last_run(session: Session, source: str) -> SourceRun | None:
    return session.scalar(select(SourceRun).where(SourceRun.source == source)
                          .order_by(SourceRun.started_at.desc(), SourceRun.id.desc()).limit(1))


def source_statuses(session: Session, config: Config) -> list[SourceStatus]:
    statuses = []
    for jurisdiction, source in config.sources():
        last = _last_run(session, source.name)
        good = last_good_run(session, source.name) if last and last.status != "ok" else None
        statuses.append(SourceStatus(source.name, source.kind, jurisdiction.code, source.enabled, last, good))
    return statuses


def next_dates(config: Config, now: datetime) -> NextDates:
    start, end = schedule.next_call(config, now)
    return NextDates(
        digest=schedule.next_digest(config, now),
        call_start=start,
        call_end=end,
        question_cutoff=schedule.question_cutoff(config, start),
        agenda_due=schedule.agenda_due(config, start),
    )


def gather(session: Session, config: Config, now: datetime) -> Dashboard:
    quarantined = select(InboundMessage).where(InboundMessage.status == "quarantined")
    return Dashboard(
        sources=source_statuses(session, config),
        queue_new=session.scalar(select(func.count(Curation.id)).where(Curation.status == "new")) or 0,
        open_questions=session.scalar(select(func.count(Question.id)).where(Question.status == "open")) or 0,
        quarantined=list(session.scalars(quarantined.order_by(InboundMessage.received_at.desc()).limit(5))),
        quarantined_count=session.scalar(select(func.count()).select_from(quarantined.subquery())) or 0,
        next=next_dates(config, now),
        last_digest=session.scalar(
            select(Mailing).where(Mailing.kind == "digest", Mailing.status == "sent")
            .order_by(Mailing.sent_at.desc()).limit(1)
        ),
        recent=list(session.scalars(
            select(ChangeEvent).where(ChangeEvent.bill_id.is_not(None))
            .order_by(ChangeEvent.detected_at.desc(), ChangeEvent.id.desc()).limit(8)
        )),
    )


def dashboard(request: Request) -> Response:
    app: App = request.app.state.app
    with app.sessions() as session:
        data = gather(session, app.config, app.now())
        alerts = open_alerts(session, app.now())
        if alerts:
            quiet = [r for r in ledger(session, app.now(), app.config.engagement.quiet_weeks) if r.quiet]
            data = replace(data, open_alerts=alerts, quiet=quiet)
        if data.last_digest is not None:
            data = replace(data, last_engagement=mailing_engagement(
                session, data.last_digest.id, app.config.email.backend, app.config.tagging.member_topics()))
        return render(request, "dashboard.html", {"section": "dashboard", "d": data,
                                                    "config_backend": app.config.email.backend})


ROUTES = [page("/", dashboard, name="dashboard")]
