"""SendGrid's Event Webhook: `POST /events/sendgrid`, mounted beside the inbound-mail webhook.

The POST is refused (403) unless SendGrid's ECDSA signature over timestamp + body verifies with the key in the
environment (`advocacy.outbound.engagement.EVENT_KEY_ENV`) and the timestamp is within
`[engagement] event_max_age_seconds`; with no key configured every POST is refused (503) and logged, so events
are never taken unchecked. Storing is `advocacy.outbound.engagement.store_events`.

A host runs one SendGrid account, whose Event Webhook posts every event to one URL: served by `host_app`, the
endpoint gets the host's collaboratives by slug and stores each event with the collaborative its `collaborative`
custom arg names (each group in its own collaborative's session; no arg or an unknown slug: the receiving one).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from advocacy.app import App
from advocacy.inbound.webhook import read_capped
from advocacy.outbound import engagement

log = logging.getLogger("advocacy.web.events")


def sendgrid_events_endpoint(app: App, *, collaboratives: Mapping[str, App] | None = None
                             ) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint; `collaboratives` (slug -> App, from `host_app`) routes each event to its collaborative."""

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
        report = await run_in_threadpool(_store, app, events, collaboratives or {})
        for problem in report.problems:
            log.warning("event webhook: %s", problem)
        return JSONResponse({"stored": report.stored, "duplicates": report.duplicates, "ignored": report.ignored,
                             "problems": report.problems})

    return receive


def by_collaborative(app: App, events: object, collaboratives: Mapping[str, App]) -> list[tuple[App, object]]:
    """The events grouped by the collaborative their `collaborative` custom arg names, the receiving App first
    (anything not a list of events stays whole with it, for `store_events` to report)."""
    if not collaboratives or not isinstance(events, list):
        return [(app, events)]
    groups: dict[int, tuple[App, list[object]]] = {id(app): (app, [])}
    for event in events:
        slug = event.get("collaborative") if isinstance(event, dict) else None
        owner = collaboratives.get(slug, app) if isinstance(slug, str) else app
        groups.setdefault(id(owner), (owner, []))[1].append(event)
    return [(owner, group) for owner, group in groups.values() if group or owner is app]


def _store(app: App, events: object, collaboratives: Mapping[str, App]) -> engagement.StoreReport:
    total = engagement.StoreReport()
    for owner, group in by_collaborative(app, events, collaboratives):
        with owner.transaction() as session:  # each collaborative's events in its own scoped session
            report = engagement.store_events(session, group, app.now())
        total.stored += report.stored
        total.duplicates += report.duplicates
        total.ignored += report.ignored
        total.suppressed += report.suppressed
        total.problems += [p if owner is app else f"{owner.config.collaborative.slug}: {p}" for p in report.problems]
    return total
