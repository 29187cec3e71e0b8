"""SendGrid's Event Webhook: `POST /events/sendgrid`, mounted beside the inbound-mail webhook.

The POST is refused (403) unless SendGrid's ECDSA signature over timestamp + body verifies with the key in the
environment (`advocacy.outbound.engagement.EVENT_KEY_ENV`) and the timestamp is within
`[engagement] event_max_age_seconds`; with no key configured every POST is refused (503) and logged, so events
are never taken unchecked. Storing is `advocacy.outbound.engagement.store_events`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from advocacy.app import App
from advocacy.inbound.webhook import read_capped
from advocacy.outbound import engagement

log = logging.getLogger("advocacy.web.events")


def sendgrid_events_endpoint(app: App) -> Callable[[Request], Awaitable[Response]]:
    async def receive(request: Request) -> Response:
        configured = app.secrets.api_key(engagement.EVENT_KEY_ENV)
        if not configured:
            log.error("event webhook refused: environment variable %s is not set", engagement.EVENT_KEY_ENV)
            return JSONResponse({"error": "event webhook not configured"}, status_code=503)
        try:
            key = engagement.load_key(configured)
            read = await read_capped(request, app.config.email.max_inbound_bytes)
            if read.too_large:  # events are small; SendGrid batches them, so a huge post is not SendGrid's
                return JSONResponse({"error": f"too large: {read.size:,} bytes, over [email] max_inbound_bytes"},
                                    status_code=413)
            body = read.data
            engagement.verify(key, request.headers.get(engagement.SIGNATURE_HEADER, ""),
                              request.headers.get(engagement.TIMESTAMP_HEADER, ""), body, now=app.now(),
                              max_age=timedelta(seconds=app.config.engagement.event_max_age_seconds))
        except ValueError as exc:
            log.error("event webhook refused: %s", exc)
            return JSONResponse({"error": "event webhook misconfigured"}, status_code=503)
        except engagement.SignatureError as exc:
            log.warning("event webhook refused: %s", exc)
            return JSONResponse({"error": "signature refused"}, status_code=403)
        try:
            events = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return JSONResponse({"error": "the body is not JSON"}, status_code=400)
        report = await run_in_threadpool(_store, app, events)
        for problem in report.problems:
            log.warning("event webhook: %s", problem)
        return JSONResponse({"stored": report.stored, "duplicates": report.duplicates, "ignored": report.ignored,
                             "problems": report.problems})

    return receive


def _store(app: App, events: object) -> engagement.StoreReport:
    with app.transaction() as session:
        return engagement.store_events(session, events, app.now())
