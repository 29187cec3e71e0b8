"""Members' questions: the replies held in quarantine (accept as a member's, or discard), the open questions by
call (move to another call, merge duplicates, mark answered with notes) and what was answered lately.

Every change goes through `advocacy.inbound.intake` and `advocacy.outbound.agenda`, which audit it, as the CLI does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from advocacy import calls
from advocacy.app import App
from advocacy.config import Config
from advocacy.inbound import intake
from advocacy.models import Call, InboundMessage, Member, Question
from advocacy.outbound import agenda, content, portal
from advocacy.schedule import next_call
from advocacy.web import forms
from advocacy.web.auth import require_user
from advocacy.web.flash import flash
from advocacy.web.render import render
from advocacy.web.routing import action, page, posted_form

CALL_CHOICES = 4
RECENT_ANSWERS = 10


@dataclass(frozen=True)
class CallQuestions:
    call: Call | None  # None: questions not on any call (accepted by hand before a call existed)
    questions: list[Question]


def call_choices(session: Session, config: Config, now: datetime, count: int = CALL_CHOICES) -> list[datetime]:
    """Start times of the next calls a question can move to: calls made by hand and scheduled slots."""
    starts = set(session.scalars(select(Call.starts_at).where(Call.starts_at > now)
                                 .order_by(Call.starts_at).limit(count)))
    after = now
    for _ in range(count):
        after, _end = next_call(config, after)
        starts.add(after)
    return sorted(starts)[:count]


def gather(session: Session) -> tuple[list[CallQuestions], dict[int, Member]]:
    open_rows = list(session.scalars(
        select(Question).options(selectinload(Question.bills))
        .where(Question.status == "open", Question.merged_into_id.is_(None))
        .order_by(Question.created_at, Question.id)
    ))
    by_call: dict[int | None, list[Question]] = {}
    for question in open_rows:
        by_call.setdefault(question.call_id, []).append(question)
    groups = [CallQuestions(call, by_call[call.id]) for call in session.scalars(
        select(Call).where(Call.id.in_([c for c in by_call if c is not None])).order_by(Call.starts_at))]
    if None in by_call:
        groups.append(CallQuestions(None, by_call[None]))
    ids = {q.member_id for q in open_rows if q.member_id}
    members = {m.id: m for m in session.scalars(
        select(Member).options(selectinload(Member.district)).where(Member.id.in_(ids)))}
    return groups, members


def questions_page(request: Request) -> Response:
    app: App = request.app.state.app
    now = app.now()
    with app.sessions() as session:
        groups, members = gather(session)
        query = request.query_params.get("q", "").strip()[:200]
        answered = portal.search_answered(session, query, limit=RECENT_ANSWERS) if query else list(
            session.scalars(select(Question).where(Question.status == "answered")
                            .order_by(Question.answered_at.desc(), Question.id.desc()).limit(RECENT_ANSWERS)))
        everyone = list(session.scalars(select(Member).order_by(Member.email)))
        held = intake.quarantine(session)
        return render(request, "questions.html", {
            "section": "questions", "held": held, "groups": groups, "members": members, "answered": answered,
            "member_emails": [m.email for m in everyone], "choices": call_choices(session, app.config, now),
            "districts": {q.id: content.districts(session, q) for g in groups for q in g.questions},
            "similar": {q.id: portal.similar_answers(session, q) for g in groups for q in g.questions},
            "query": query,
        })


def _back(request: Request, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(request.url_for("questions").path + anchor, status_code=303)


# The row each path parameter names: one the signed-in collaborative cannot see is not there (404).
_TARGETS: dict[str, type[InboundMessage] | type[Question]] = {"message_id": InboundMessage, "question_id": Question}


def _run(request: Request, work: Callable[[Session], str], anchor: str = "", *, back: str | None = None
         ) -> Response:
    """Do one change in a transaction; its message, or why it could not be done, is flashed. Then back to the
    questions page (or to `back`)."""
    app: App = request.app.state.app
    try:
        with app.transaction() as session:
            for name, model in _TARGETS.items():
                if name in request.path_params and session.get(model, request.path_params[name]) is None:
                    raise HTTPException(404)
            message = work(session)
    except (intake.IntakeError, agenda.AgendaError, forms.FieldError) as exc:
        flash(request, f"Nothing changed: {exc}", "bad")
    else:
        flash(request, message)
    return RedirectResponse(back, status_code=303) if back else _back(request, anchor)


def accept(request: Request) -> Response:
    app: App = request.app.state.app
    user = require_user(request)
    form = posted_form(request)
    message_id = request.path_params["message_id"]

    def work(session: Session) -> str:
        email = forms.text(form, "member", 320).strip().lower()
        if not email:
            raise forms.FieldError("member", "say which member asked")
        text = forms.text(form, "text", 10_000).strip() or None
        outcome = intake.accept(session, message_id, email, config=app.config, secret=app.signing_key,
                                actor=user.email, now=app.now(), text=text)
        count = len(outcome.questions)
        return f"Message {message_id} accepted as {email}'s: {count} question{'s' if count != 1 else ''}."

    return _run(request, work, "#held")


def discard(request: Request) -> Response:
    app: App = request.app.state.app
    user = require_user(request)
    form = posted_form(request)
    message_id = request.path_params["message_id"]

    def work(session: Session) -> str:
        reason = forms.text(form, "reason", 1_000).strip()
        intake.discard(session, message_id, actor=user.email, now=app.now(), reason=reason)
        return f"Message {message_id} discarded (kept in the records)."

    return _run(request, work, "#held")


def assign(request: Request) -> Response:
    app: App = request.app.state.app
    user = require_user(request)
    form = posted_form(request)
    question_id = request.path_params["question_id"]

    def work(session: Session) -> str:
        value = forms.text(form, "call", 100).strip()
        try:
            start = datetime.fromisoformat(value)
        except ValueError:
            raise forms.FieldError("call", f"{value!r} is not a call's start time") from None
        if start.tzinfo is None or start not in call_choices(session, app.config, app.now()):
            raise forms.FieldError("call", "choose one of the calls listed")
        call = calls.ensure_call(session, app.config, start)
        intake.assign_call(session, question_id, call, actor=user.email, now=app.now())
        local = start.astimezone(app.config.collaborative.tz)
        return f"Question {question_id} moved to the call of {local:%a %b %-d}."

    return _run(request, work, f"#question-{question_id}")


def merge(request: Request) -> Response:
    """`question_id` asks what `into` asks (`agenda.merge_questions`): the one merge, from the questions page or
    the agenda (`back=agenda` returns there)."""
    app: App = request.app.state.app
    user = require_user(request)
    form = posted_form(request)
    question_id = request.path_params["question_id"]
    back = None
    if form.get("back") == "agenda":
        with app.sessions() as session:
            question = session.get(Question, question_id)
            call = session.get(Call, question.call_id) if question and question.call_id else None
            day = f"?call={call.starts_at.astimezone(app.config.collaborative.tz):%Y-%m-%d}" if call else ""
        back = request.url_for("agenda").path + day

    def work(session: Session) -> str:
        keep = forms.whole_number(form, "into", low=1, high=2**31)
        agenda.merge_questions(session, keep, question_id, actor=user.email, now=app.now())
        return f"Question {question_id} merged into question {keep}: one question, both districts listed."

    return _run(request, work, f"#question-{form.get('into', '')}", back=back)


def answer(request: Request) -> Response:
    app: App = request.app.state.app
    user = require_user(request)
    form = posted_form(request)
    question_id = request.path_params["question_id"]

    def work(session: Session) -> str:
        notes = forms.text(form, "notes", 10_000).strip()
        if not notes:
            raise forms.FieldError("notes", "write what was answered; the next digest can carry it")
        intake.answer(session, question_id, notes, actor=user.email, now=app.now())
        return f"Question {question_id} marked answered."

    return _run(request, work, "#answered")


def reuse(request: Request) -> Response:
    """Answer a question with a past answer (the next digest and the member's page carry it)."""
    user = require_user(request)
    app: App = request.app.state.app
    form = posted_form(request)
    question_id = request.path_params["question_id"]

    def work(session: Session) -> str:
        past = session.get(Question, forms.whole_number(form, "answer", low=1, high=2**31))
        if past is None or past.status != "answered" or not past.answer_notes.strip():
            raise forms.FieldError("answer", "choose one of the past answers offered")
        intake.answer(session, question_id, past.answer_notes, actor=user.email, now=app.now())
        return f"Question {question_id} answered with the answer to question {past.id}."

    return _run(request, work, "#answered")


ROUTES = [
    page("/questions", questions_page, name="questions"),
    action("/questions/held/{message_id:int}/accept", accept, name="question_accept"),
    action("/questions/held/{message_id:int}/discard", discard, name="question_discard"),
    action("/questions/{question_id:int}/call", assign, name="question_call"),
    action("/questions/{question_id:int}/merge", merge, name="question_merge"),
    action("/questions/{question_id:int}/answer", answer, name="question_answer"),
    action("/questions/{question_id:int}/reuse", reuse, name="question_reuse"),
]
