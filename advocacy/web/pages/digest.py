"""The next digest as members will see it, a test send to oneself, the send itself, and how past sends went.

Everything goes through `advocacy.outbound.digest` (the same draft, contexts and send as `advocacy digest ...`), so the
preview is the email: the HTML part is served on its own address and shown in a sandboxed frame.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from advocacy import schedule
from advocacy.app import App
from advocacy.config import Config
from advocacy.models import Mailing, Member
from advocacy.outbound.content import MEMBER_TOKEN
from advocacy.outbound.digest import (
    DigestView,
    NothingNew,
    context_for,
    create_digest,
    last_sent_digest,
    latest_draft,
    load_view,
    member_topics_key,
    send_digest,
    withdrawn,
)
from advocacy.outbound.outgoing import message_for
from advocacy.outbound.personal import PERSONAL_KINDS
from advocacy.outbound.sending import AlreadySent, SendInProgress, counts, failures
from advocacy.people.members import active_members
from advocacy.web import forms
from advocacy.web.auth import require_user
from advocacy.web.flash import flash
from advocacy.web.pages.bills import display_label
from advocacy.web.preferences import topic_choices
from advocacy.web.render import render
from advocacy.web.routing import action, page, posted_form
from digests import model as m
from digests.render import EmailRenderer

SECTION_LABELS = {"action_needed": "Action needed", "moved": "Bills that moved", "new_bills": "New bills",
                  "hearings": "Hearings", "watch_list": "Watch list"}
# The email's own styles are inline; the frame gets nothing else: no script, no forms, no plugins.
PREVIEW_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'self'; "
               "base-uri 'none'; form-action 'none'")
HISTORY = 12


def chosen_topics(config: Config, values: list[str]) -> tuple[str, ...] | None:
    """The topics to preview as, sorted; None (every topic) when none is chosen."""
    known = topic_choices(config)
    picked = tuple(sorted({v for v in values if v in known}))
    return picked or None


@dataclass(frozen=True)
class Audience:
    receive: int  # active members with something in this digest for their topics
    nothing_for_them: int  # active members whose topics match nothing in it
    paused: int
    unsubscribed: int
    pending: int  # a send that stopped part-way: deliveries still to go


def audience(session: Session, config: Config, digest: Mailing, view: DigestView, now: datetime
             ) -> Audience:
    members = list(session.scalars(select(Member)))
    active = active_members(session)
    has: dict[tuple[str, ...] | None, bool] = {}
    receive = 0
    cache: dict[int, m.BillItem] = {}
    for member in active:
        key = member_topics_key(member)
        if key not in has:
            has[key] = context_for(config, view, key, now, cache) is not None
        receive += has[key]
    pending = counts(session, digest.id).get("pending", 0) if digest.status == "sending" else 0
    return Audience(receive=receive, nothing_for_them=len(active) - receive,
                    paused=sum(1 for x in members if x.paused and x.unsubscribed_at is None),
                    unsubscribed=sum(1 for x in members if x.unsubscribed_at is not None), pending=pending)


@dataclass(frozen=True)
class PastSend:
    digest: Mailing
    title: str
    counts: dict[str, int]
    failures: list[tuple[str, str, str]]  # (email, status, reason)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def title_of(digest: Mailing) -> str:
    if digest.subject:
        return digest.subject
    if digest.kind == "digest":
        start = f"{digest.period_start:%b %-d} – " if digest.period_start else "until "
        return f"Digest, {start}{digest.period_end:%b %-d, %Y}"
    return f"{digest.kind.capitalize()} {digest.key or digest.id}"


def history(session: Session) -> list[PastSend]:
    rows = session.scalars(select(Mailing).where(Mailing.status.in_(("sending", "sent")),
                                                 Mailing.kind.not_in(PERSONAL_KINDS))
                           .order_by(Mailing.created_at.desc(), Mailing.id.desc()).limit(HISTORY))
    return [PastSend(d, title_of(d), counts(session, d.id), failures(session, d.id)) for d in rows]


def _sections(digest: Mailing) -> list[tuple[str, int]]:
    found = Counter(item.section for item in digest.items)
    return [(label, found[code]) for code, label in SECTION_LABELS.items() if found[code]]


def _draft_or_404(session: Session, mailing_id: int) -> Mailing:
    digest = session.get(Mailing, mailing_id)
    if digest is None or digest.kind != "digest":
        raise HTTPException(404, "There is no digest with that number.")
    return digest


def digest_page(request: Request) -> Response:
    app: App = request.app.state.app
    config = app.config
    topics = chosen_topics(config, request.query_params.getlist("topic"))
    now = app.now()
    with app.sessions() as session:
        draft = latest_draft(session)
        context: dict[str, object] = {"section": "digest", "draft": draft, "topics": topics,
                                      "choices": topic_choices(config), "history": history(session),
                                      "last_sent": last_sent_digest(session),
                                      "next_slot": schedule.next_digest(config, now)}
        if draft is not None:
            view = load_view(session, draft, config)
            ctx = context_for(config, view, topics, now)
            rendered = EmailRenderer().digest(ctx) if ctx else None
            context.update(
                withdrawn=[(display_label(config, b.session.jurisdiction.code, b.identifier), status)
                           for b, status in withdrawn(session, draft)],
                sections=_sections(draft), audience=audience(session, config, draft, view, now),
                subject=rendered.subject if rendered else "",
                text=rendered.text.replace(MEMBER_TOKEN, "preview") if rendered else "",
                query="&".join(f"topic={t}" for t in topics or ()),
            )
        return render(request, "digest.html", context)


def digest_email(request: Request) -> Response:
    """The HTML part alone, for the preview frame; links keep a placeholder instead of a member's token."""
    app: App = request.app.state.app
    topics = chosen_topics(app.config, request.query_params.getlist("topic"))
    with app.sessions() as session:
        digest = _draft_or_404(session, request.path_params["mailing_id"])
        ctx = context_for(app.config, load_view(session, digest, app.config), topics, app.now())
    if ctx is None:
        html = "<!doctype html><p style=\"font-family:sans-serif\">Nothing in this digest for these topics.</p>"
    else:
        html = EmailRenderer().digest(ctx).html.replace(MEMBER_TOKEN, "preview")
    return HTMLResponse(html, headers={"Content-Security-Policy": PREVIEW_CSP, "X-Frame-Options": "SAMEORIGIN"})


def prepare(request: Request) -> Response:
    """Freeze the next digest as a draft (or again, from scratch), with the advocate's opening note.

    Preparing again sets the old draft aside even when nothing is left to send, so a bill dismissed since it was
    frozen never goes out.
    """
    app: App = request.app.state.app
    form = posted_form(request)
    try:
        note = forms.text(form, "note", 10_000)
    except forms.FieldError as exc:
        flash(request, str(exc), "bad")
        return RedirectResponse(request.url_for("digest").path, status_code=303)
    try:
        with app.transaction() as session:
            message, kind = _prepare(app, session, note, fresh=form.get("intent") == "fresh")
    except SendInProgress as exc:
        message, kind = str(exc), "bad"
    flash(request, message, kind)
    return RedirectResponse(request.url_for("digest").path, status_code=303)


def _prepare(app: App, session: Session, note: str, *, fresh: bool) -> tuple[str, str]:
    existing = latest_draft(session)
    if existing is not None and existing.status == "sending":
        raise SendInProgress(f"digest {existing.id} is being sent; it cannot be prepared again")
    if existing is not None and not fresh:
        existing.opening_note = note
        return "Opening note saved.", "good"
    if existing is not None:
        existing.status = "skipped"  # replaced by the fresh draft; kept for the record
    try:
        created = create_digest(session, app.config, app.now(), note=note,
                                allow_empty=not app.config.schedule.skip_empty_digest)
    except NothingNew as exc:
        aside = f" Digest {existing.id} was set aside." if existing is not None else ""
        return f"No digest to prepare: {exc}.{aside}", "info"
    return f"Digest {created.id} prepared with {len(created.items)} item(s).", "good"


def test_send(request: Request) -> Response:
    """The digest as a member with the chosen topics gets it, to the signed-in staff address only.

    Not a delivery: no member receives anything and the digest's send is untouched.
    """
    app: App = request.app.state.app
    user = require_user(request)
    form = posted_form(request)
    topics = chosen_topics(app.config, form.getlist("topic"))
    back = request.url_for("digest").path + ("?" + "&".join(f"topic={t}" for t in topics) if topics else "")
    with app.sessions() as session:
        digest = _draft_or_404(session, request.path_params["mailing_id"])
        ctx = context_for(app.config, load_view(session, digest, app.config), topics, app.now())
        if ctx is None:
            flash(request, "Nothing in this digest for these topics: there is nothing to send.", "warn")
            return RedirectResponse(back, status_code=303)
        rendered = EmailRenderer().digest(ctx)
        rendered = replace(rendered, subject=f"[Test] {rendered.subject}")
        staff = Member(id=0, email=user.email, name="Test send")
        message = message_for(app, digest, staff, rendered, substitute=MEMBER_TOKEN)
    result = app.mail.send([message])[0]
    if result.ok:
        flash(request, f"Test sent to {user.email} through the {app.config.email.backend} backend.")
    else:
        flash(request, f"The test to {user.email} failed: {result.reason}", "bad")
    return RedirectResponse(back, status_code=303)


def confirm_send(request: Request) -> Response:
    app: App = request.app.state.app
    with app.sessions() as session:
        digest = _draft_or_404(session, request.path_params["mailing_id"])
        if digest.status not in ("draft", "sending"):
            flash(request, f"Digest {digest.id} is {digest.status}; there is nothing to send.", "warn")
            return RedirectResponse(request.url_for("digest").path, status_code=303)
        view = load_view(session, digest, app.config)
        return render(request, "digest_send.html", {
            "section": "digest", "digest": digest, "sections": _sections(digest),
            "audience": audience(session, app.config, digest, view, app.now()), "backend": app.config.email.backend,
        })


def send(request: Request) -> Response:
    app: App = request.app.state.app
    mailing_id = request.path_params["mailing_id"]
    with app.sessions() as session:
        _draft_or_404(session, mailing_id)
    try:
        report = send_digest(app, mailing_id, app.mail)
    except AlreadySent as exc:
        said = str(exc).split(";")[0]  # the CLI's hint (--resend-to) is no use here
        flash(request, f"Not sent again: {said}.", "warn")
    except SendInProgress as exc:
        flash(request, f"Not sent: {exc}", "bad")
    else:
        text = f"Digest {mailing_id}: sent {report.sent}, skipped {report.skipped}, failed {report.failed}."
        if report.retry_later:
            text += f" {report.retry_later} will be retried (temporary failure): send again later to resume."
        flash(request, text, "bad" if report.failed else "good")
    return RedirectResponse(request.url_for("digest").path + "#history", status_code=303)


ROUTES = [
    page("/digest", digest_page, name="digest"),
    page("/digest/{mailing_id:int}/email", digest_email, name="digest_email"),
    action("/digest/prepare", prepare, name="digest_prepare"),
    action("/digest/{mailing_id:int}/test", test_send, name="digest_test"),
    page("/digest/{mailing_id:int}/send", confirm_send, name="digest_confirm"),
    action("/digest/{mailing_id:int}/send", send, name="digest_send"),
]
