"""The reminder that questions for the next call close soon, sent once per call to members who have not asked."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from advocacy import calls
from advocacy.app import App
from advocacy.models import Mailing, Member, Question
from advocacy.outbound.content import MEMBER_TOKEN, collaborative, footer
from advocacy.outbound.outgoing import compose_with
from advocacy.outbound.sending import SendReport, lease, prepare, send
from advocacy.people.members import active_members
from advocacy.schedule import question_cutoff
from digests.channels.email import MailBackend
from digests.model import AlertContext, RenderedEmail
from digests.render import EmailRenderer
from digests.timefmt import format_when


def send_cutoff_reminder(app: App, backend: MailBackend | None = None) -> SendReport | None:
    """Within `reminder_hours_before_cutoff` of the next call's question cutoff, remind every active member who
    has not sent a question for that call. None when no reminder is due. Sent at most once per call."""
    with lease(app, "cutoff-reminder", "the question cutoff reminder"):
        return _send_cutoff_reminder(app, backend)


def _send_cutoff_reminder(app: App, backend: MailBackend | None) -> SendReport | None:
    config, now = app.config, app.now()
    with app.transaction() as session:
        call = calls.upcoming(session, config, now)
        cutoff = question_cutoff(config, call.starts_at)
        if not (cutoff - timedelta(hours=config.schedule.reminder_hours_before_cutoff) <= now < cutoff):
            return None
        key = f"reminder:{call.id}"
        digest = session.scalar(select(Mailing).where(Mailing.key == key))
        if digest is None:
            digest = Mailing(kind="reminder", key=key, period_end=now, call_id=call.id, status="sending",
                            created_at=now)
            session.add(digest)
            session.flush()
            asked = set(session.scalars(select(Question.member_id).where(Question.call_id == call.id)))
            prepare(session, digest, [m for m in active_members(session) if m.id not in asked], now)
        elif digest.status == "sent":
            return None
        mailing_id = digest.id
        zone = config.collaborative.tz
        context = AlertContext(
            collaborative=collaborative(config),
            headline=f"Questions for the {config.schedule.call_title} close {format_when(cutoff, zone)}",
            note=(f"Reply to this email with your question for the {config.schedule.call_title} on "
                  f"{format_when(call.starts_at, zone)} and it will be on the agenda. Questions that arrive "
                  "later are kept for the call after."),
            footer=footer(config),
            base_url=config.collaborative.base_url,
        )
    rendered: RenderedEmail = EmailRenderer().alert(context)

    def render_for(_: Member) -> RenderedEmail:
        return rendered

    return send(app, mailing_id, backend or app.mail, compose_with(app, render_for, substitute=MEMBER_TOKEN))
