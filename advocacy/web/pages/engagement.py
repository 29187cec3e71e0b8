"""One mailing's engagement: delivered, opened and clicked, in all, per district and per member topic.

The numbers come from SendGrid's Event Webhook (`advocacy.outbound.engagement`); on SMTP or the outbox the page
says they are unavailable rather than showing zeros.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from advocacy.app import App
from advocacy.models import Mailing
from advocacy.outbound.engagement import mailing_engagement
from advocacy.web.preferences import topic_choices
from advocacy.web.render import render
from advocacy.web.routing import page


def engagement_page(request: Request) -> Response:
    app: App = request.app.state.app
    with app.sessions() as session:
        mailing = session.get(Mailing, request.path_params["mailing_id"])
        if mailing is None:
            raise HTTPException(404, "There is no email with that number.")
        numbers = mailing_engagement(session, mailing.id, app.config.email.backend, topic_choices(app.config))
        return render(request, "engagement.html", {"section": "digest", "mailing": mailing, "e": numbers,
                                                   "backend": app.config.email.backend})


ROUTES = [page("/mailings/{mailing_id:int}/engagement", engagement_page, name="mailing_engagement")]
