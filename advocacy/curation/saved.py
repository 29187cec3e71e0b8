"""Saved searches: the advocate's own queue rules. Tried against the stored bills before saving (how many match,
and which); once saved, a new or changed bill that matches joins the queue with the search's name as the reason.

A match is kept as a tag of the bill (`search:<id>`, labelled with the search's name), the same way the tagger's
topics are kept, so the queue, its filters and its reasons need nothing new. The tagger replaces a bill's tags
when it re-tags it; `apply_saved_searches` runs after it on every scrape, so a match is never lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from advocacy.curation.search import Hit, SearchError, index_bills, search, terms
from advocacy.models import Bill, Curation, SavedSearch, TagAssessment
from advocacy.tagging.store import relevance

TAG_PREFIX = "search:"
SCORE = 1.0  # a saved search is the advocate's explicit wish: as strong as the tagger's surest topic


@dataclass(frozen=True)
class Trial:
    query: str
    total: int
    hits: list[Hit]  # the best `limit` of them


@dataclass(frozen=True)
class Matched:
    bill_id: int
    identifier: str
    search: str  # the saved search's name: the reason in the queue


def try_search(session: Session, query: str, now: datetime, limit: int = 20) -> Trial:
    """What the search would match among the stored bills, before it is saved."""
    hits = search(session, query, now, limit=10_000)
    return Trial(query, len(hits), hits[:limit])


def save_search(session: Session, name: str, query: str, actor: str, now: datetime) -> SavedSearch:
    name, query = " ".join(name.split()), " ".join(query.split())
    if not name:
        raise SearchError("name: a saved search needs a name (it is the reason shown in the queue)")
    if not terms(query):
        raise SearchError(f"query: {query!r} has no words to look for")
    if session.scalar(select(SavedSearch).where(SavedSearch.name == name)) is not None:
        raise SearchError(f"name: a saved search is already called {name!r}")
    saved = SavedSearch(name=name[:200], query=query, created_by=actor, created_at=now)
    session.add(saved)
    session.flush()
    return saved


def delete_search(session: Session, search_id: int) -> None:
    saved = session.get(SavedSearch, search_id)
    if saved is not None:
        tag = f"{TAG_PREFIX}{saved.id}"
        for row in session.scalars(select(TagAssessment).where(TagAssessment.tag == tag)):
            session.delete(row)
        session.delete(saved)


def _enqueue(session: Session, bill: Bill, saved: SavedSearch, now: datetime) -> None:
    tag = f"{TAG_PREFIX}{saved.id}"
    row = session.scalar(select(TagAssessment).where(TagAssessment.bill_id == bill.id, TagAssessment.tag == tag))
    if row is None:
        row = TagAssessment(bill_id=bill.id, tag=tag)
        session.add(row)
    row.label, row.score, row.reasons, row.assessed_at = saved.name, SCORE, [f'saved search "{saved.query}"'], now
    verdict = relevance(session, bill.id)
    verdict.relevant, verdict.score = True, max(verdict.score or 0.0, SCORE)
    curation = session.scalar(select(Curation).where(Curation.bill_id == bill.id))
    if curation is None:
        session.add(Curation(bill_id=bill.id, status="new", changed_at=now, updated_at=now))


def apply_saved_searches(session: Session, bill_ids: Iterable[int], now: datetime) -> list[Matched]:
    """Run every saved search over these (new or changed) bills; each match joins the queue."""
    ids = sorted(set(bill_ids))
    searches = list(session.scalars(select(SavedSearch).order_by(SavedSearch.id)))
    if not ids or not searches:
        return []
    index_bills(session, ids, now)
    matched: list[Matched] = []
    for saved in searches:
        for hit in search(session, saved.query, now, limit=len(ids), bill_ids=ids):
            bill = session.get(Bill, hit.bill_id)
            if bill is not None:
                _enqueue(session, bill, saved, now)
                matched.append(Matched(bill.id, bill.identifier, saved.name))
    session.flush()
    return matched
