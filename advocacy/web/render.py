"""Templates: Jinja2 with autoescape on and StrictUndefined, so a missing value fails a test, not a page."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jinja2
from jinja2 import pass_context
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from advocacy.app import App
from advocacy.web.auth import current_user
from advocacy.web.csrf import csrf_field
from advocacy.web.flash import pop_flashes
from advocacy.web.nav import NAV
from digests.markup import Markdown

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def safe_url(url: str | None) -> str:
    """Only http(s) links from scraped data reach an href: never `javascript:` or `data:`."""
    if not url:
        return ""
    scheme = urlsplit(url.strip()).scheme.lower()
    return url.strip() if scheme in ("http", "https") else ""


def _static_versions() -> dict[str, str]:
    # A content hash in the URL lets browsers cache the stylesheet for good and still see a new one.
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:10] for p in STATIC.iterdir() if p.is_file()}


def make_templates(app: App) -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    zone = app.config.collaborative.tz
    versions = _static_versions()

    def when(value: datetime | None, fmt: str = "%a %b %-d, %Y, %-I:%M %p %Z", tz: str | None = None) -> str:
        """An instant in the collaborative's zone (or `tz`), e.g. "Tue Dec 1, 2026, 7:00 AM EST"."""
        if value is None:
            return ""
        return value.astimezone(ZoneInfo(tz) if tz else zone).strftime(fmt)

    def day(value: datetime | None, tz: str | None = None) -> str:
        return when(value, "%b %-d, %Y", tz)

    @pass_context
    def static_url(context: dict[str, Any], name: str) -> str:
        request: Request = context["request"]
        return f"{request.url_for('static', path=name).path}?v={versions.get(name, '0')}"

    @pass_context
    def path_for(context: dict[str, Any], name: str, **params: Any) -> str:
        request: Request = context["request"]
        return request.url_for(name, **params).path

    markdown = Markdown()
    base_url = app.config.collaborative.base_url

    def markdown_html(source: str | None) -> Markup:
        # The same rendering and sanitizing as the emails: raw HTML stays text, only safe tags and links survive.
        return Markup(markdown.to_html(source or "", base_url))

    env.filters.update(when=when, day=day, safe_url=safe_url, markdown=markdown_html)
    env.globals.update(csrf_field=csrf_field, static_url=static_url, path_for=path_for, nav=NAV,
                       collaborative=app.config.collaborative)

    def common(request: Request) -> dict[str, Any]:
        return {"user": current_user(request), "now": app.now(), "flashes": pop_flashes(request)}

    return Jinja2Templates(env=env, context_processors=[common])


def render(request: Request, template: str, context: dict[str, Any] | None = None, *,
           status_code: int = 200) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, template, context or {}, status_code=status_code)
