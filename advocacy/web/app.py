"""The web app: `create_app(app)` builds it from the composition root (`advocacy.app.App`); uvicorn serves it.

One Starlette app serves the staff's pages (`advocacy/web/pages/`), the pages members reach from an email by a
signed link (`pages/member_links.py`) and the inbound-mail webhook (`advocacy.inbound.webhook`); `advocacy run`
adds `/healthz` through `extra_routes`. On start it parses the replies that were stored but never parsed.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from apscheduler.schedulers.base import BaseScheduler
from argon2 import PasswordHasher
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Host, Mount
from starlette.staticfiles import StaticFiles

from advocacy.app import App
from advocacy.inbound.intake import process_pending
from advocacy.inbound.webhook import Parser, ReplyDomains, sendgrid_endpoint
from advocacy.people.staff import default_hasher
from advocacy.runtime.health import healthz_endpoint
from advocacy.web.auth import LoginLimiter
from advocacy.web.events import sendgrid_events_endpoint
from advocacy.web.headers import SecurityHeaders
from advocacy.web.pages import ROUTES
from advocacy.web.render import STATIC, make_templates, render
from advocacy.web.routing import public, unguarded

SESSION_COOKIE = "advocacy_session"
SESSION_MAX_AGE = 7 * 24 * 3600

_MESSAGES = {
    403: "You don't have permission to do that.",
    404: "There is nothing at this address.",
    405: "That address doesn't accept this kind of request.",
    429: "Too many attempts. Please wait and try again.",
}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    # Starlette's default detail is the bare status phrase; a person deserves a sentence.
    detail = exc.detail if exc.detail and exc.detail != _phrase(exc.status_code) else ""
    message = detail or _MESSAGES.get(exc.status_code, "Something went wrong.")
    response = render(request, "error.html", {"status": exc.status_code, "message": message},
                      status_code=exc.status_code)
    response.headers.update(exc.headers or {})  # e.g. Retry-After on a 429
    return response


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def create_app(app: App, *, extra_routes: Sequence[BaseRoute] | None = None,
               hasher: PasswordHasher | None = None, limiter: LoginLimiter | None = None,
               process_inbound: Any = None, collaboratives: Mapping[str, App] | None = None,
               reply_domains: ReplyDomains | None = None) -> Starlette:
    """The ASGI app. `extra_routes` must be built with `advocacy.web.routing` (page/action/form_page/public),
    so each says who may use it; anything else is refused here rather than served unchecked. `collaboratives`
    (slug -> App) and `reply_domains` (reply domain -> Apps): a host's, from `host_app`, so SendGrid's events and
    replies reach the collaborative they belong to whichever collaborative's URL they were posted to."""
    extra = list(extra_routes or [])
    refused = unguarded(extra)
    if refused:
        raise ValueError(
            f"routes {', '.join(refused)} were not built with advocacy.web.routing.page/action/form_page/public"
        )

    parser = Parser(app, process_inbound)
    routes: list[BaseRoute] = [
        *ROUTES,
        # public: SendGrid is no signed-in user; the endpoint checks its own basic-auth credentials
        public("/inbound/sendgrid", sendgrid_endpoint(app, parser=parser, reply_domains=reply_domains),
               name="inbound_sendgrid", methods=["POST"], csrf=False),
        # public: SendGrid's Event Webhook; the endpoint verifies SendGrid's ECDSA signature
        public("/events/sendgrid", sendgrid_events_endpoint(app, collaboratives=collaboratives),
               name="events_sendgrid", methods=["POST"], csrf=False),
        *extra,
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders, hsts=app.config.web.secure_cookies),
        Middleware(
            SessionMiddleware,
            secret_key=app.session_secret,
            session_cookie=SESSION_COOKIE,
            max_age=SESSION_MAX_AGE,
            same_site="lax",
            https_only=app.config.web.secure_cookies,
        ),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # Replies stored before a crash but never parsed are parsed now: none is lost.
        await run_in_threadpool(process_pending, app)
        yield
        await run_in_threadpool(parser.close)  # replies answered but not yet parsed are parsed before stopping

    web = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: _http_error},
        lifespan=lifespan,
    )
    state: Any = web.state
    state.app = app
    state.templates = make_templates(app)
    state.hasher = hasher or default_hasher()
    state.limiter = limiter or LoginLimiter(app.now)
    return web


def healthz_route(app: App, scheduler: BaseScheduler | None) -> BaseRoute:
    """`GET /healthz` for `create_app(app, extra_routes=[...])`: the service's health as JSON; without a
    scheduler (`advocacy web`), the scheduler is reported as running elsewhere."""
    return public("/healthz", healthz_endpoint(app, scheduler, scheduler_elsewhere=scheduler is None),
                  name="healthz")


def host_app(apps: Sequence[App], **kwargs: Any) -> Starlette:
    """Every collaborative of a host in one ASGI app: a request goes to the collaborative whose
    `[collaborative] base_url` names the host it was sent to (anything else: 404). Each keeps its own pages,
    session cookie, keys and /healthz, as `advocacy --collaborative SLUG web` alone would serve it; `kwargs` go to
    each `create_app`. Every collaborative's SendGrid webhooks take any collaborative's events and replies (one
    SendGrid account per host): they are stored with the collaborative they belong to."""
    collaboratives = {a.config.collaborative.slug: a for a in apps}
    reply_domains: dict[str, list[App]] = {}
    for a in apps:
        reply_domains.setdefault(a.config.email.reply_domain.lower(), []).append(a)
    served = {urlsplit(a.config.collaborative.base_url).hostname or "":
              create_app(a, extra_routes=[healthz_route(a, None)], collaboratives=collaboratives,
                         reply_domains=reply_domains, **kwargs) for a in apps}
    if len(served) != len(apps):
        raise ValueError("every collaborative needs a host name of its own in [collaborative] base_url to share "
                         "one web process; or serve each with its own `advocacy --collaborative SLUG web`")

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:  # each collaborative's start and stop (replies parsed)
            for web in served.values():
                await stack.enter_async_context(web.router.lifespan_context(web))
            yield

    return Starlette(routes=[Host(name, app=web) for name, web in served.items()], lifespan=lifespan)
