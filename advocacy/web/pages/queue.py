"""The review queue: bills that want the advocate's eye, why each was tagged, what happened since the last look."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from advocacy.app import App
from advocacy.config import Config
from advocacy.curation import decisions as cur
from advocacy.models import TagAssessment
from advocacy.runtime.pipeline import make_tagger
from advocacy.tagging.learning import RankedTagger, suggestions
from advocacy.web.curation_form import PRIORITY_LABELS, STATUS_LABELS
from advocacy.web.pages.bills import display_label
from advocacy.web.pages.curate import SNOOZE_DAYS
from advocacy.web.render import render
from advocacy.web.routing import page


@dataclass(frozen=True)
class Filters:
    topic: str
    priority: str
    status: str
    jurisdiction: str
    include_all: bool

    @property
    def active(self) -> bool:
        return bool(self.topic or self.priority or self.status or self.jurisdiction or self.include_all)

    @property
    def query(self) -> str:
        """The filters as a query string, so a decision made from a filtered queue comes back to it."""
        params = {"topic": self.topic, "priority": self.priority, "status": self.status,
                  "jurisdiction": self.jurisdiction, "all": "1" if self.include_all else ""}
        return urlencode({k: v for k, v in params.items() if v})


def parse_filters(config: Config, params: Any, topics: dict[str, str]) -> Filters:
    def pick(name: str, allowed: Any) -> str:
        value = str(params.get(name, "")).strip()
        return value if value in allowed else ""

    return Filters(
        topic=pick("topic", topics),
        priority=pick("priority", cur.PRIORITIES),
        status=pick("status", cur.STATUSES),
        jurisdiction=pick("jurisdiction", [j.code for j in config.jurisdictions]),
        include_all=params.get("all") == "1",
    )


def known_topics(session: Session) -> dict[str, str]:
    """Tag code -> label, of the tags bills actually carry (what the topic filter can find)."""
    rows = session.execute(select(TagAssessment.tag, TagAssessment.label).distinct())
    found: dict[str, str] = {}
    for tag, label in rows:
        found[tag] = found.get(tag) or label or tag
    return dict(sorted(found.items(), key=lambda pair: pair[1].lower()))


def queue_page(request: Request) -> Response:
    app: App = request.app.state.app
    with app.sessions() as session:
        topics = known_topics(session)
        filters = parse_filters(app.config, request.query_params, topics)
        items = cur.queue(session, app.now(), topic=filters.topic or None, priority=filters.priority or None,
                          status=filters.status or None, jurisdiction=filters.jurisdiction or None,
                          include_all=filters.include_all)
        tagger = make_tagger(app.config)
        learned = suggestions(session, tagger, [i.bill_id for i in items]) if isinstance(tagger, RankedTagger) else {}
    if learned:
        # The learned ranker orders the queue (most likely to be approved first); the rules' score breaks ties.
        items.sort(key=lambda i: -learned[i.bill_id].probability if i.bill_id in learned else 0.0)
    labels = {item.bill_id: display_label(app.config, item.jurisdiction, item.identifier) for item in items}
    here = request.url.path + (f"?{filters.query}" if filters.query else "")
    return render(request, "queue.html", {
        "section": "queue", "items": items, "labels": labels, "filters": filters, "topics": topics,
        "priorities": PRIORITY_LABELS, "statuses": STATUS_LABELS,
        "jurisdictions": [j.code for j in app.config.jurisdictions], "snooze_days": SNOOZE_DAYS, "here": here,
        "learned": learned,
    })


ROUTES = [page("/queue", queue_page, name="queue")]
