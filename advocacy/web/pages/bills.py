"""Bills: a list with search by number (any spelling) or title words, and one page per bill."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from advocacy.app import App
from advocacy.config import Config
from advocacy.curation.decisions import audit_log
from advocacy.models import (
    Bill,
    BillRelevance,
    ChangeEvent,
    Curation,
    Hearing,
    HearingBill,
    Jurisdiction,
    LegislativeSession,
    TagAssessment,
)
from advocacy.outbound.content import plain_status
from advocacy.web.billtext_view import MAX_HUNKS, text_panel
from advocacy.web.curation_form import POSITION_LABELS, PRIORITY_LABELS, STATUS_LABELS, CurationForm
from advocacy.web.render import render
from advocacy.web.routing import page
from advocacy.web.votes_view import vote_panel
from vocabulary import billnum

PER_PAGE = 50
CURATION_STATES = ("new", "approved", "dismissed", "snoozed")


@dataclass(frozen=True)
class BillRow:
    bill: Bill
    label: str  # the identifier in the state's own style
    jurisdiction: str
    session: str
    curation: Curation | None
    tags: list[TagAssessment]


@dataclass(frozen=True)
class Search:
    query: str
    number: str | None  # the query read as a bill number, if it is one
    curation: str  # "" or one of CURATION_STATES
    relevant: bool
    page: int


@dataclass(frozen=True)
class Results:
    rows: list[BillRow]
    total: int
    pages: int


def display_label(config: Config, jurisdiction: str, identifier: str) -> str:
    return billnum.display(identifier, config.bill_style(jurisdiction))


def parse_search(config: Config, params: Any) -> Search:
    query = str(params.get("q", "")).strip()[:200]
    curation = str(params.get("curation", ""))
    try:
        number = max(1, int(params.get("page", "1")))
    except ValueError:
        number = 1
    return Search(
        query=query,
        number=billnum.try_normalize(query, config.bill_aliases()) if query else None,
        curation=curation if curation in CURATION_STATES else "",
        relevant=params.get("relevant") == "1",
        page=number,
    )


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_query(search: Search) -> Select[tuple[Bill]]:
    query = select(Bill)
    if search.number:
        query = query.where(Bill.identifier == search.number)
    elif search.query:
        for word in search.query.split():
            query = query.where(Bill.title.ilike(_like(word), escape="\\"))
    if search.relevant:
        query = query.join(BillRelevance, BillRelevance.bill_id == Bill.id).where(BillRelevance.relevant.is_(True))
    if search.curation:
        query = query.join(Curation, Curation.bill_id == Bill.id).where(Curation.status == search.curation)
    return query


def rows_for(session: Session, config: Config, bills: list[Bill]) -> list[BillRow]:
    ids = [b.id for b in bills]
    curations = {c.bill_id: c for c in session.scalars(select(Curation).where(Curation.bill_id.in_(ids)))}
    tags: dict[int, list[TagAssessment]] = {}
    for tag in session.scalars(
        select(TagAssessment).where(TagAssessment.bill_id.in_(ids)).order_by(TagAssessment.score.desc())
    ):
        tags.setdefault(tag.bill_id, []).append(tag)
    rows = []
    for bill in bills:
        code = bill.session.jurisdiction.code
        rows.append(BillRow(bill, display_label(config, code, bill.identifier), code, bill.session.identifier,
                            curations.get(bill.id), tags.get(bill.id, [])))
    return rows


def find_bills(session: Session, config: Config, search: Search) -> Results:
    query = search_query(search)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    bills = list(session.scalars(
        query.options(selectinload(Bill.session).selectinload(LegislativeSession.jurisdiction))
        .order_by(Bill.updated_at.desc(), Bill.id.desc())
        .offset((search.page - 1) * PER_PAGE).limit(PER_PAGE)
    ))
    return Results(rows_for(session, config, bills), total, max(1, -(-total // PER_PAGE)))


def bills_list(request: Request) -> Response:
    app: App = request.app.state.app
    search = parse_search(app.config, request.query_params)
    with app.sessions() as session:
        results = find_bills(session, app.config, search)
        if search.number and results.total == 1:  # a bill number names one bill: go straight to it
            return RedirectResponse(request.url_for("bill", bill_id=results.rows[0].bill.id).path, status_code=303)
        return render(request, "bills.html", {"section": "bills", "search": search, "results": results,
                                              "states": CURATION_STATES})


@dataclass(frozen=True)
class BillPage:
    bill: Bill
    label: str
    jurisdiction: Jurisdiction
    hearings: list[Hearing]
    tags: list[TagAssessment]
    curation: Curation | None
    relevance: BillRelevance | None  # the tagger's verdict for this collaborative; None: not tagged yet
    events: list[ChangeEvent]


def bill_page_data(session: Session, config: Config, bill_id: int) -> BillPage | None:
    bill = session.scalar(
        select(Bill).where(Bill.id == bill_id).options(
            selectinload(Bill.session).selectinload(LegislativeSession.jurisdiction),
            selectinload(Bill.sponsors), selectinload(Bill.actions), selectinload(Bill.versions),
            selectinload(Bill.documents),
        )
    )
    if bill is None:
        return None
    jurisdiction = bill.session.jurisdiction
    return BillPage(
        bill=bill,
        label=display_label(config, jurisdiction.code, bill.identifier),
        jurisdiction=jurisdiction,
        hearings=list(session.scalars(
            select(Hearing).join(HearingBill, HearingBill.hearing_id == Hearing.id)
            .where(HearingBill.bill_id == bill.id).order_by(Hearing.start)
        )),
        tags=list(session.scalars(
            select(TagAssessment).where(TagAssessment.bill_id == bill.id).order_by(TagAssessment.score.desc())
        )),
        curation=session.scalar(select(Curation).where(Curation.bill_id == bill.id)),
        relevance=session.scalar(select(BillRelevance).where(BillRelevance.bill_id == bill.id)),
        events=list(session.scalars(
            select(ChangeEvent).where(ChangeEvent.bill_id == bill.id)
            .order_by(ChangeEvent.detected_at.desc(), ChangeEvent.id.desc()).limit(20)
        )),
    )


def render_bill(request: Request, session: Session, bill_id: int, form: CurationForm | None = None, *,
                status_code: int = 200) -> Response:
    """The bill page; `form` is the curation form as posted (with its errors or preview), else the stored one."""
    app: App = request.app.state.app
    data = bill_page_data(session, app.config, bill_id)
    if data is None:
        raise HTTPException(404, "There is no bill with that number here. It may not have been scraped yet.")
    return render(request, "bill.html", {
        "section": "bills", "p": data,
        "form": form or CurationForm.from_curation(data.curation, app.config.collaborative.tz),
        "history": audit_log(session, data.bill, limit=12), "status": plain_status(app.config, data.bill),
        "statuses": STATUS_LABELS, "priorities": PRIORITY_LABELS, "positions": POSITION_LABELS,
        "t": text_panel(session, bill_id, request.query_params), "max_hunks": MAX_HUNKS,
        "v": vote_panel(session, bill_id),
    }, status_code=status_code)


def bill_detail(request: Request) -> Response:
    app: App = request.app.state.app
    with app.sessions() as session:
        return render_bill(request, session, request.path_params["bill_id"])


ROUTES = [
    page("/bills", bills_list, name="bills"),
    page("/bills/{bill_id:int}", bill_detail, name="bill"),
]
