"""RSS and Atom feeds (statehouse news, a chamber's bill-action feed, an association's updates).

Each entry becomes a NewsRecord; in a feed marked `bill_actions`, an entry whose title names a bill becomes an
action on that bill instead (a partial BillRecord: the store adds the action, it does not replace the bill).
feedparser's "bozo" flag is judged case by case: a body that is no feed at all is an error naming the URL, a
feed with a recoverable glitch (a stray "&") is read, with a note.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
from bs4 import BeautifulSoup
from pydantic import BaseModel, ConfigDict, Field

from scrapers.base import ApiKey, BudgetExhausted, Collected, Run, problems_of, skip_or_raise
from scrapers.http import Fetcher
from vocabulary.billnum import find_refs
from vocabulary.records import ActionRecord, BillRecord, NewsRecord, ScrapeError, ScrapeResult


class Feed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str
    name: str = ""  # shown as the news item's source; the feed's own title when empty
    bill_actions: bool = False  # entries naming a bill are actions on it (a legislature's status feed)
    session: str = ""  # the session those bills belong to (required with bill_actions)

API_KEY: ApiKey | None = None  # feeds are public


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid")

    feeds: list[Feed] = Field(default_factory=list)
    max_requests: int | None = Field(default=None, ge=1)


def _text(html: str) -> str:
    return " ".join(BeautifulSoup(html, "lxml").get_text(" ").split()) if html else ""


def _published(entry: Any, tz: ZoneInfo) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    # feedparser normalizes to UTC as a time.struct_time
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC).astimezone(tz)


def _action_text(title: str) -> str:
    """ "H.B. 12 - Reported - Substitute" -> "Reported - Substitute"; a title not led by the bill stays whole."""
    match = re.match(r"^\s*(?:Am\.\s*|Sub\.\s*)*[HS]\.?\s?(?:[JC]\.?\s?)?[BR]\.?\s*(?:No\.?\s*)?\d+\s*[-:–—]\s*(.+)$", title)
    return match[1].strip() if match else title.strip()


def _read(body: bytes, where: str, content_type: str) -> tuple[Any, list[str]]:
    """feedparser's reading of the body, with notes on what it forgave; a body that is no feed is an error."""
    headers = {"content-type": content_type} if content_type else None
    parsed = feedparser.parse(body, response_headers=headers)
    notes: list[str] = []
    if parsed.bozo:
        problem = parsed.get("bozo_exception")
        described = f"{type(problem).__name__}: {problem}"
        if isinstance(problem, feedparser.CharacterEncodingOverride):
            pass  # declared and actual encodings differ; feedparser decoded it, nothing is lost
        elif not parsed.entries:
            raise ScrapeError(where, f"not an RSS or Atom feed ({described})")
        else:
            notes.append(f"{where}: feed read despite an error ({described})")
    elif not parsed.version:
        raise ScrapeError(where, "not an RSS or Atom feed (no feed element)")
    if not parsed.entries:
        notes.append(f"{where}: the feed lists no entries")
    return parsed, notes


def parse_feed(
    body: bytes, where: str, tz: ZoneInfo, jurisdiction: str, feed: Feed, content_type: str = "",
    skipped: list[ScrapeError] | None = None,
) -> ScrapeResult:
    """The feed's entries; an entry with neither title nor link goes to `skipped` (raised when it is None)."""
    parsed, notes = _read(body, where, content_type)
    source = feed.name or parsed.feed.get("title", "")
    news: list[NewsRecord] = []
    actions: dict[str, list[ActionRecord]] = {}
    for index, entry in enumerate(parsed.entries):
        title = " ".join((entry.get("title") or "").split())
        link = entry.get("link") or ""
        if not title and not link:
            skip_or_raise(skipped, ScrapeError(f"{where} [entry {index}]", "neither a title nor a link"))
            continue
        published = _published(entry, tz)
        refs = find_refs(title) if feed.bill_actions else []
        if refs and published is not None:
            same_day = sum(1 for a in actions.get(refs[0], []) if a.when.date() == published.date())
            actions.setdefault(refs[0], []).append(ActionRecord(published, _action_text(title), order=same_day))
            continue
        guid = entry.get("id") or link or hashlib.sha256(title.encode()).hexdigest()
        news.append(
            NewsRecord(
                jurisdiction=jurisdiction,
                guid=guid,
                title=title,
                url=link,
                published=published,
                summary=_text(entry.get("summary", "")),
                source=source,
            )
        )
    bills = tuple(
        BillRecord(
            jurisdiction=jurisdiction,
            session=feed.session,
            identifier=identifier,
            title="",
            actions=tuple(sorted(found, key=lambda a: (a.when, a.order))),
            partial=True,
        )
        for identifier, found in actions.items()
    )
    return ScrapeResult(bills=bills, news=tuple(news), notes=tuple(notes))


def collect(
    fetcher: Fetcher,
    options: Options,
    jurisdiction: str,
    tz: ZoneInfo,
    since: datetime | None,
    *,
    state: Mapping[str, str] | None = None,
    api_key: str | None = None,
) -> Collected:
    """Every feed, conditionally. `since`, `state` and `api_key` are not used: validators and entry guids
    (deduplicated on store) are what keep a feed from being read twice."""
    for feed in options.feeds:
        if feed.bill_actions and not feed.session:
            raise ValueError(f"feed {feed.url}: bill_actions needs the session its bills belong to")
    run = Run(fetcher, options.max_requests)
    bills: list[BillRecord] = []
    news: list[NewsRecord] = []
    notes: list[str] = []
    for feed in options.feeds:
        try:
            payload = run.get(feed.url)
        except BudgetExhausted as exc:
            notes.append(f"feeds: {exc}")
            break
        if payload.not_modified:
            continue
        skipped: list[ScrapeError] = []
        try:
            result = parse_feed(payload.body, feed.url, tz, jurisdiction, feed, payload.content_type, skipped)
        except ScrapeError as exc:
            run.fail(exc)
            continue
        run.skipped(skipped)
        run.accept([payload])
        run.listing(len(result.news) + sum(len(bill.actions) for bill in result.bills))
        bills.extend(result.bills)
        news.extend(result.news)
        notes.extend(result.notes)
    return run.collected(ScrapeResult(bills=tuple(bills), news=tuple(news), notes=tuple(notes)))


def check(fetcher: Fetcher, options: Options, jurisdiction: str, tz: ZoneInfo, *, api_key: str | None = None
          ) -> list[str]:
    """Each feed, read once: what the parser would miss in it."""
    found: list[str] = []
    for feed in options.feeds:
        payload = fetcher.fetch(feed.url, conditional=False)
        found += problems_of(lambda skipped, p=payload, f=feed: parse_feed(p.body, f.url, tz, jurisdiction, f,
                                                                           p.content_type, skipped))
    return found
