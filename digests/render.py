"""One context in, one email out: subject, plain text and HTML from the templates in `digests/templates/`.

`EmailRenderer` holds the Jinja environment, the CSS inliner and the Markdown cache, so a run that renders
thousands of member digests builds them once. `StrictUndefined` makes a missing value fail loudly instead of
mailing a blank; every href in the finished HTML is checked to be absolute.
"""

from __future__ import annotations

import re
import textwrap
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import css_inline
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from digests import timefmt
from digests.markup import Markdown
from digests.model import (
    ActionLine,
    AgendaContext,
    AlertContext,
    BillItem,
    DigestContext,
    RenderedEmail,
    require_absolute_url,
)

TEMPLATES = Path(__file__).parent / "templates"
TEXT_WIDTH = 72
# Only inside tags: escaped text may show 'href="..."' as words, which is harmless.
_HREF = re.compile(r"""<[a-zA-Z][^<>]*?\shref\s*=\s*["']([^"']*)["']""")
_BLANK_RUNS = re.compile(r"\n{3,}")


class RenderError(ValueError):
    """The template produced something an email must not carry (a relative link, an empty subject)."""


class _Format:
    """Helpers bound to one collaborative's zone and base URL, exposed to templates as `fmt`."""

    def __init__(self, markdown: Markdown, zone: ZoneInfo, base_url: str) -> None:
        self._markdown = markdown
        self._collab_zone = zone
        self.base_url = base_url

    def when(self, moment: datetime) -> str:
        return timefmt.format_when(moment, self._collab_zone)

    def clock(self, moment: datetime) -> str:
        return timefmt.format_clock(moment, self._collab_zone)

    def day(self, moment: date) -> str:
        if isinstance(moment, datetime):
            moment = timefmt.localize(moment, self._collab_zone).date()
        return timefmt.format_day(moment)

    def date(self, moment: date) -> str:
        if isinstance(moment, datetime):
            moment = timefmt.localize(moment, self._collab_zone).date()
        return timefmt.format_date(moment)

    def period(self, start: date, end: date) -> str:
        return timefmt.format_period(start, end)

    def md_html(self, source: str) -> Markup:
        # Safe to mark: nh3 produced it from Markdown rendered with raw HTML disabled.
        return Markup(self._markdown.to_html(source, self.base_url))

    def md_text(self, source: str, indent: int = 0) -> str:
        text = self._markdown.to_text(source, self.base_url, TEXT_WIDTH - indent)
        return textwrap.indent(text, " " * indent) if indent else text

    def wrap(self, text: str, indent: int = 0, first: str = "") -> str:
        """Wrap one paragraph at the text width; `first` prefixes line one (a bullet), the rest align."""
        pad = " " * indent
        return textwrap.fill(
            " ".join(str(text).split()),
            TEXT_WIDTH,
            initial_indent=pad + first,
            subsequent_indent=pad + " " * len(first),
            break_long_words=False,
            break_on_hyphens=False,
        )

    def by_topic(self, bills: Any) -> list[tuple[str, list[Any]]]:
        """Bills grouped under their topic label, groups in the order their first bill comes (newest first)."""
        groups: dict[str, list[Any]] = {}
        for bill in bills:
            groups.setdefault(bill.topic, []).append(bill)
        return list(groups.items())

    def heading(self, title: str) -> str:
        """A text-part heading as written when it fits the text width, else wrapped (its rule follows suit)."""
        return title if len(title) <= TEXT_WIDTH else self.wrap(title)

    def tel(self, phone: str) -> str:
        """A `tel:` URI for a phone number as written ("(614) 466-8140" -> "tel:+16144668140"); "" when the text
        holds no dialable number. Ten digits are read as a North American number."""
        digits = "".join(ch for ch in phone.split("x")[0].split("ext")[0] if ch.isdigit())
        if len(digits) == 10:
            return f"tel:+1{digits}"
        if len(digits) == 11 and digits.startswith("1"):
            return f"tel:+{digits}"
        return f"tel:{'+' if phone.strip().startswith('+') else ''}{digits}" if len(digits) >= 7 else ""

    def anchor(self, key: str) -> str:
        """An `id` from a bill key: no spaces (`OH-136-HB-96`), so `#` links work."""
        return re.sub(r"[^A-Za-z0-9_.-]+", "-", key).strip("-")

    def action(self, line: ActionLine) -> str:
        where = ", ".join(part for part in (line.chamber, line.committee) if part)
        return f"{self.date(line.when)}: {line.description}" + (f" ({where})" if where else "")


def time_boxes(start: datetime, minutes: list[int]) -> list[tuple[datetime, datetime]]:
    """Clock slots for consecutive time boxes starting at `start`."""
    slots = []
    for length in minutes:
        end = start + timedelta(minutes=length)
        slots.append((start, end))
        start = end
    return slots


def newest_first(bills: tuple[BillItem, ...]) -> list[BillItem]:
    """Bills by last action, newest first; bills without a date keep their order at the end."""

    def key(bill: BillItem) -> tuple[int, float]:
        when = bill.last_action_at
        if when is None:
            return (1, 0.0)
        stamp = (
            when.timestamp()
            if isinstance(when, datetime)
            else datetime(when.year, when.month, when.day).timestamp()
        )
        return (0, -stamp)

    return sorted(bills, key=key)


class EmailRenderer:
    """Renders digests, alerts and call agendas. Build one per run and reuse it for every member."""

    def __init__(self, templates: Path = TEMPLATES) -> None:
        self._env = Environment(
            loader=FileSystemLoader(templates),
            undefined=StrictUndefined,
            autoescape=lambda name: bool(name and name.endswith(".html")),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self._inliner = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)
        self._markdown = Markdown()

    def digest(self, context: DigestContext) -> RenderedEmail:
        return self._render("digest", context, moved=newest_first(context.moved))

    def alert(self, context: AlertContext) -> RenderedEmail:
        return self._render("alert", context)

    def agenda(self, context: AgendaContext) -> RenderedEmail:
        slots = time_boxes(context.start, [item.minutes for item in context.items])
        overrun = bool(slots) and slots[-1][1] > context.end
        return self._render("agenda", context, slots=slots, overrun=overrun)

    def _render(self, kind: str, context: Any, **extra: Any) -> RenderedEmail:
        fmt = _Format(self._markdown, context.collaborative.zone, context.base_url)
        values = {"c": context, "fmt": fmt, **extra}
        subject = " ".join(self._env.get_template(f"{kind}-subject.txt").render(values).split())
        if not subject:
            raise RenderError(f"{kind}-subject.txt rendered an empty subject")
        text = self._env.get_template(f"{kind}-body.txt").render(values)
        text = _BLANK_RUNS.sub("\n\n", "\n".join(line.rstrip() for line in text.splitlines())).strip() + "\n"
        html = self._inliner.inline(self._env.get_template(f"{kind}-body.html").render(values))
        _check_links(html, f"{kind}-body.html")
        return RenderedEmail(subject=subject, text=text, html=html)


def _check_links(html: str, where: str) -> None:
    for href in _HREF.findall(html):
        try:
            require_absolute_url(href, f"{where} href")
        except ValueError as exc:
            raise RenderError(str(exc)) from exc


def render_digest(context: DigestContext, renderer: EmailRenderer | None = None) -> RenderedEmail:
    return (renderer or EmailRenderer()).digest(context)


def render_alert(context: AlertContext, renderer: EmailRenderer | None = None) -> RenderedEmail:
    return (renderer or EmailRenderer()).alert(context)


def render_agenda(context: AgendaContext, renderer: EmailRenderer | None = None) -> RenderedEmail:
    return (renderer or EmailRenderer()).agenda(context)
