"""Finding a stored bill from however a person typed it: "H.B. 33", "hb33", "House Bill 33", "OH 136 HB 33"."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from advocacy.models import Bill, Jurisdiction, LegislativeSession
from vocabulary.billnum import try_normalize


class BillLookupError(LookupError):
    pass


class BillNotFound(BillLookupError):
    def __init__(self, text: str, where: str, suggestions: list[str]) -> None:
        self.text = text
        self.suggestions = suggestions
        message = f"no bill {text!r}{where}"
        if suggestions:
            message += "; did you mean " + " or ".join(suggestions) + "?"
        super().__init__(message)


class AmbiguousBill(BillLookupError):
    def __init__(self, text: str, candidates: list[str]) -> None:
        self.text = text
        self.candidates = candidates
        super().__init__(f"{text!r} names more than one bill: {', '.join(candidates)}; "
                         "add the state (e.g. \"OH HB 33\")")


def session_order(identifier: str) -> tuple[int, str]:
    """Sessions in time order: "135" < "135S1" < "136"."""
    match = re.match(r"\d+", identifier)
    return (int(match.group()) if match else -1, identifier)


def label(bill: Bill) -> str:
    """A spelling `find_bill` reads back unambiguously: "OH 136 HB 33"."""
    return f"{bill.session.jurisdiction.code} {bill.session.identifier} {bill.identifier}"


def _split(session: Session, text: str, jurisdiction: str | None,
           session_ident: str | None) -> tuple[str, str | None, str | None]:
    """Peel a leading state code and session off the text: "OH 136 HB 33" -> ("HB 33", "OH", "136")."""
    tokens = text.split()
    codes = set(session.scalars(select(Jurisdiction.code)))
    if len(tokens) > 1 and tokens[0].upper() in codes:
        jurisdiction = tokens.pop(0).upper()
    if len(tokens) > 1 and any(ch.isdigit() for ch in tokens[0]):
        query = select(LegislativeSession.identifier).where(LegislativeSession.identifier == tokens[0])
        if session.scalar(query) is not None:
            session_ident = tokens.pop(0)
    return " ".join(tokens), jurisdiction, session_ident


def find_bill(session: Session, text: str, jurisdiction: str | None = None, session_id: str | int | None = None,
              *, aliases: Mapping[str, str] | None = None) -> Bill:
    """The stored bill the text names, in the latest session unless one is given.

    `session_id` is the legislative session's identifier ("136") or its row id. `aliases` are the
    jurisdiction's extra prefixes (`bill_aliases` in the config). Raises `BillNotFound` (with close matches
    from stored identifiers and titles) or `AmbiguousBill` (the same number in two states).
    """
    original = text.strip()
    session_ident = session_id if isinstance(session_id, str) else None
    rest, jurisdiction, session_ident = _split(session, original, jurisdiction, session_ident)
    if jurisdiction:
        jurisdiction = jurisdiction.upper()
    identifier = try_normalize(rest, aliases)

    scope = select(Bill).join(Bill.session).join(LegislativeSession.jurisdiction)
    if jurisdiction:
        scope = scope.where(Jurisdiction.code == jurisdiction)
    if isinstance(session_id, int):
        scope = scope.where(Bill.session_id == session_id)
    elif session_ident:
        scope = scope.where(LegislativeSession.identifier == session_ident)

    if identifier is not None:
        found = list(session.scalars(scope.where(Bill.identifier == identifier)))
        if found:
            latest: dict[str, Bill] = {}
            for bill in sorted(found, key=lambda b: session_order(b.session.identifier)):
                latest[bill.session.jurisdiction.code] = bill
            if len(latest) > 1:
                raise AmbiguousBill(original, sorted(label(b) for b in latest.values()))
            return next(iter(latest.values()))

    parts = [p for p in (jurisdiction, session_ident) if p]
    where = f" in {' '.join(parts)}" if parts else (" in that session" if isinstance(session_id, int) else "")
    raise BillNotFound(original, where, _suggest(session, scope, identifier or rest))


def _suggest(session: Session, scope, wanted: str, limit: int = 5) -> list[str]:  # type: ignore[no-untyped-def]
    """Close matches among stored identifiers, then titles that share the words typed."""
    rows = list(session.execute(
        scope.with_only_columns(Bill.identifier, Bill.title, LegislativeSession.identifier, Jurisdiction.code)
    ))
    if not rows:
        return []
    latest: dict[tuple[str, str], tuple[str, str]] = {}  # (state, bill) -> (session, title), latest session
    for ident, title, sess, code in sorted(rows, key=lambda r: session_order(r[2])):
        latest[(code, ident)] = (sess, title)
    states = {code for code, _ in latest}

    def show(code: str, ident: str) -> str:
        sess, title = latest[(code, ident)]
        short = title if len(title) <= 60 else title[:57].rstrip() + "..."
        name = ident if len(states) == 1 else f"{code} {ident}"
        return f"{name} ({short})"

    by_ident: dict[str, list[str]] = {}
    for code, ident in latest:
        by_ident.setdefault(ident, []).append(code)
    picks: list[str] = []
    for ident in difflib.get_close_matches(wanted.upper(), list(by_ident), n=limit, cutoff=0.6):
        picks.extend(show(code, ident) for code in sorted(by_ident[ident]))

    words = [w for w in re.findall(r"\w+", wanted.lower()) if len(w) > 2 and not w.isdigit()]
    if words:
        scored = []
        for (code, ident), (_, title) in latest.items():
            title_words = re.findall(r"\w+", title.lower())
            hits = sum(1 for w in words if difflib.get_close_matches(w, title_words, n=1, cutoff=0.8))
            if hits:
                scored.append((-hits / len(words), ident, code))
        for _, ident, code in sorted(scored)[:limit]:
            if (entry := show(code, ident)) not in picks:
                picks.append(entry)
    return picks[:limit]
