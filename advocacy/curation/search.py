"""Full-text search over bills: number, title, synopsis, sponsors, subjects, committees, the advocate's commentary
and the latest version's text. Ranked, with a highlighted snippet. One interface, two engines: SQLite's FTS5 on
the embedded default, PostgreSQL's full text search on PostgreSQL (the index is made by migration 0006).

The index is one `search_document` row per bill, refreshed for the bills whose facts or text changed since they
were last indexed (`refresh`), so a search never misses what was stored a moment ago. The index is shared by every
collaborative of the host, so it holds no commentary (its `commentary` column stays empty): the commentary is a
collaborative's own, matched in its own curation rows through its scoped session (`_commentary`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session, selectinload

from advocacy.models import (
    Bill,
    BillVersion,
    Curation,
    Jurisdiction,
    LegislativeSession,
    SearchDocument,
    VersionText,
)

MARK_START, MARK_END = "\x02", "\x03"  # around each matched word in a snippet; the page makes them <mark>
BODY_LIMIT = 500_000  # characters of bill text indexed per bill (PostgreSQL caps one tsvector at 1 MB)
_BATCH = 200
# The same expression as the GIN index of migration 0006, so PostgreSQL uses the index.
# Dotted code sections ("3317.02") are split into their numbers, so "3317" finds them as FTS5 does.
PG_VECTOR = " || ".join(
    f"setweight(to_tsvector('english', regexp_replace({fields}, '([0-9])[.]([0-9])', '\\1 \\2', 'g')), '{weight}')"
    for fields, weight in (("identifier || ' ' || title", "A"), ("synopsis || ' ' || sponsors || ' ' || subjects", "B"),
                           ("committees || ' ' || commentary", "C"), ("body", "D"))
)
# FTS5 columns: identifier, title, synopsis, sponsors, subjects, committees, commentary, body
FTS_WEIGHTS = "10.0, 6.0, 3.0, 4.0, 3.0, 2.0, 2.0, 1.0"
NO_BRACKETS = str.maketrans("<>", "  ")
DOTTED = re.compile(r"(\d)\.(\d)")
TERM = re.compile(r'"([^"]+)"|(\S+)')


class SearchError(ValueError):
    """A query that cannot be searched (nothing to look for)."""


@dataclass(frozen=True)
class Hit:
    bill_id: int
    jurisdiction: str
    session: str
    identifier: str
    title: str
    snippet: str  # matched words between MARK_START and MARK_END
    rank: float  # higher is better


def _latest_texts(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """Each bill's newest extracted version text (by version date, then code, then id)."""
    rows = session.execute(
        select(VersionText.bill_id, VersionText.text)
        .join(BillVersion, BillVersion.id == VersionText.version_id)
        .where(VersionText.bill_id.in_(ids), VersionText.status == "ok")
        .order_by(VersionText.bill_id, BillVersion.when.is_(None).desc(), BillVersion.when, BillVersion.code,
                  BillVersion.id)
    )
    return {bill_id: body for bill_id, body in rows}  # the last of each bill wins


def _document(bill: Bill, commentary: str, body: str, now: datetime) -> SearchDocument:
    # PostgreSQL's parser reads "<word>" as a markup tag and skips it: angle brackets carry no words anyway.
    body = body[:BODY_LIMIT].translate(NO_BRACKETS)
    committees = dict.fromkeys([bill.committee, *(a.committee for a in bill.actions)])
    return SearchDocument(
        bill_id=bill.id, identifier=f"{bill.identifier} {bill.identifier.replace(' ', '')}", title=bill.title,
        synopsis=bill.synopsis or "", sponsors="; ".join(s.name for s in bill.sponsors),
        subjects="; ".join(bill.subjects or ()), committees="; ".join(c for c in committees if c),
        commentary=(commentary or "").translate(NO_BRACKETS), body=body, indexed_at=now,
    )


def index_bills(session: Session, bill_ids: Iterable[int], now: datetime) -> int:
    """(Re)build the search rows of these bills. Returns how many were indexed."""
    ids = list(dict.fromkeys(bill_ids))
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start:start + _BATCH]
        bills = session.scalars(select(Bill).where(Bill.id.in_(chunk))
                                .options(selectinload(Bill.sponsors), selectinload(Bill.actions)))
        texts = _latest_texts(session, chunk)
        for bill in bills:
            session.merge(_document(bill, "", texts.get(bill.id, ""), now))
        session.flush()
    return len(ids)


def stale(session: Session) -> list[int]:
    """Bills never indexed, or whose facts or version texts changed since."""
    doc = SearchDocument
    newer_text = select(VersionText.id).where(VersionText.bill_id == Bill.id,
                                              VersionText.fetched_at > doc.indexed_at).exists()
    query = (select(Bill.id).outerjoin(doc, doc.bill_id == Bill.id)
             .where(or_(doc.bill_id.is_(None), doc.indexed_at < Bill.updated_at, newer_text)))
    return list(session.scalars(query))


def refresh(session: Session, now: datetime) -> int:
    return index_bills(session, stale(session), now)


def terms(query: str) -> list[str]:
    """The words and "quoted phrases" of a query, as typed; every one must match."""
    found = [(phrase or word).strip() for phrase, word in TERM.findall(query)]
    cleaned = [" ".join(re.findall(r"[\w$%.-]+", t)) for t in found]
    return [t for t in cleaned if t.strip(".-")]


def _fts_query(parts: Sequence[str]) -> str:
    return " AND ".join('"' + p.replace('"', "") + '"' for p in parts)


def _pg_query(parts: Sequence[str]) -> str:
    split = [DOTTED.sub(r"\1 \2", p) for p in parts]
    return " ".join(f'"{p}"' if " " in p else p for p in split)


def _sqlite(session: Session, parts: Sequence[str], limit: int, only: str) -> list[tuple[int, float, str]]:
    sql = (f"SELECT rowid, -bm25(search_fts, {FTS_WEIGHTS}) AS score, "
           f"snippet(search_fts, -1, :a, :b, ' … ', 14) FROM search_fts WHERE search_fts MATCH :q {only} "
           "ORDER BY score DESC, rowid LIMIT :n")
    rows = session.execute(text(sql), {"q": _fts_query(parts), "a": MARK_START, "b": MARK_END, "n": limit})
    return [(int(r[0]), float(r[1]), str(r[2])) for r in rows]


def _postgres(session: Session, parts: Sequence[str], limit: int, only: str) -> list[tuple[int, float, str]]:
    options = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxFragments=2, MaxWords=18, MinWords=6"
    sql = (f"SELECT bill_id, score, ts_headline('english', identifier || ' — ' || title || ' — ' || synopsis || "
           f"' — ' || sponsors || ' — ' || subjects || ' — ' || committees || ' — ' || commentary || ' — ' || body, "
           f"q, :options) FROM (SELECT d.*, q, ts_rank_cd({PG_VECTOR}, q) AS score FROM search_document d, "
           f"websearch_to_tsquery('english', :q) q WHERE ({PG_VECTOR}) @@ q {only} "
           "ORDER BY score DESC, bill_id LIMIT :n) top ORDER BY score DESC, bill_id")
    rows = session.execute(text(sql), {"q": _pg_query(parts), "options": options, "n": limit})
    return [(int(r[0]), float(r[1]), str(r[2])) for r in rows]


def search(session: Session, query: str, now: datetime, *, limit: int = 50,
           bill_ids: Iterable[int] | None = None) -> list[Hit]:
    """Bills matching every word of `query`, best first. `bill_ids` limits the search to those bills."""
    parts = terms(query)
    if not parts:
        raise SearchError(f"search: {query!r} has no words to look for")
    refresh(session, now)
    only, wanted = "", None
    if bill_ids is not None:
        wanted = sorted({int(i) for i in bill_ids})
        if not wanted:
            return []
        column = "rowid" if session.get_bind().dialect.name == "sqlite" else "d.bill_id"
        only = f"AND {column} IN ({', '.join(str(i) for i in wanted)})"
    engine = _postgres if session.get_bind().dialect.name == "postgresql" else _sqlite
    rows = engine(session, parts, limit, only)
    rows += _commentary(session, parts, limit - len(rows), wanted, {r[0] for r in rows})
    return _hits(session, rows)


def _commentary(session: Session, parts: Sequence[str], limit: int, wanted: list[int] | None,
                found: set[int]) -> list[tuple[int, float, str]]:
    """Bills whose commentary (this collaborative's, never in the shared index) holds every word, after the index's
    matches, each with its commentary as the snippet."""
    if limit <= 0:
        return []
    escaped = [p.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for p in parts]
    query = select(Curation.bill_id, Curation.commentary).where(
        *(Curation.commentary.ilike(f"%{p}%", escape="\\") for p in escaped))
    if wanted is not None:
        query = query.where(Curation.bill_id.in_(wanted))
    if found:
        query = query.where(Curation.bill_id.not_in(found))
    words = re.compile("|".join(re.escape(p) for p in parts), re.IGNORECASE)
    rows = []
    for bill_id, note in session.execute(query.order_by(Curation.bill_id).limit(limit)):
        first = words.search(note)
        start = max(0, first.start() - 60) if first else 0
        excerpt = ("… " if start else "") + " ".join(note[start:start + 200].split())
        rows.append((bill_id, 0.0, words.sub(lambda m: f"{MARK_START}{m.group()}{MARK_END}", excerpt)))
    return rows


def _hits(session: Session, rows: list[tuple[int, float, str]]) -> list[Hit]:
    if not rows:
        return []
    facts = {
        bill_id: (code, ident, number, title)
        for bill_id, code, ident, number, title in session.execute(
            select(Bill.id, Jurisdiction.code, LegislativeSession.identifier, Bill.identifier, Bill.title)
            .join(LegislativeSession, Bill.session_id == LegislativeSession.id)
            .join(Jurisdiction, LegislativeSession.jurisdiction_id == Jurisdiction.id)
            .where(Bill.id.in_([r[0] for r in rows])))
    }
    return [Hit(bill_id, *facts[bill_id], snippet=" ".join(snippet.split()), rank=score)
            for bill_id, score, snippet in rows if bill_id in facts]


def count_indexed(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(SearchDocument)) or 0)
