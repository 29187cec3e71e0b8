"""The Federal Register's JSON API (`GET /api/v1/documents.json`): one agency's documents, newest first.

Every document is news of the federal jurisdiction. A document with a comment deadline (`comments_close_on`, a
proposed rule or a request for comment) is also an advocacy opportunity with a deadline: it becomes a comment
period (a HearingRecord keyed `vocabulary.records.COMMENT_PERIOD` + its document number), starting at the end of its
last comment day, whose "committee" is the agency's public comment and whose link is the comment page
(`comment_url`, regulations.gov) when there is one, else the document. Digests show it under "Action needed" as
"Comment by <date>" while the deadline is ahead, and members' calendars carry it; a deadline that moves reads as a
reschedule.

The format (`results`, `document_number`, `title`, `type`, `abstract`, `html_url`, `comment_url`,
`publication_date`, `comments_close_on`, `agencies[].name`) is taken from the API's documentation and checked on
real recorded `documents.json` pages (tests/test_realdata_sources.py: list results give `type` as "Notice"/"Rule",
`abstract` may be null, several agencies per document). None of those real documents was open for comment, so the
comment-deadline path is proven on a fixture written here. One broken document is skipped and reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from scrapers.base import (
    ApiKey,
    Collected,
    Request,
    Run,
    each_item,
    load_json,
    parse_day,
    problems_of,
    require,
)
from scrapers.http import Fetcher
from vocabulary.records import COMMENT_PERIOD, HearingRecord, NewsRecord, ScrapeError, ScrapeResult

API_KEY: ApiKey | None = None  # the Federal Register API is open
FIELDS = ("document_number", "title", "type", "abstract", "html_url", "comment_url", "publication_date",
          "comments_close_on", "agencies")


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str = "https://www.federalregister.gov/api/v1"
    agency: str = "education-department"  # the API's agency slug
    # Document types to follow: PRORULE (proposed rules), RULE, NOTICE, PRESDOCU.
    types: list[str] = Field(default_factory=lambda: ["PRORULE", "RULE", "NOTICE"])
    per_page: int = Field(default=50, ge=1, le=1000)
    name: str = "Federal Register"  # shown as the news items' source


def _document(item: Any, at: str, tz: ZoneInfo, jurisdiction: str, source: str
              ) -> tuple[NewsRecord, HearingRecord | None]:
    number = require(item, "document_number", at, str)
    at = f"{at} ({number})"
    title = " ".join(require(item, "title", at, str).split())
    url = require(item, "html_url", at, str)
    published = parse_day(require(item, "publication_date", at, str), "%Y-%m-%d", at, tz)
    agencies = [a.get("name", "") for a in item.get("agencies") or [] if isinstance(a, dict)]
    kind = item.get("type") or ""
    news = NewsRecord(jurisdiction=jurisdiction, guid=f"federalregister:{number}", title=title, url=url,
                      published=published, summary=(item.get("abstract") or "").strip(),
                      source=f"{source}: {kind}" if kind else source)
    closes = item.get("comments_close_on")
    if not closes:
        return news, None
    deadline = datetime.combine(parse_day(closes, "%Y-%m-%d", at, tz).date(), time(23, 59), tzinfo=tz)
    agency = next((a for a in agencies if a), "the agency")
    hearing = HearingRecord(jurisdiction=jurisdiction, session="", committee=f"Public comment to {agency}: {title}",
                            start=deadline, key=f"{COMMENT_PERIOD}federalregister:{number}",
                            location="Written comments (online)",
                            url=item.get("comment_url") or url)
    return news, hearing


def parse_documents(body: bytes, where: str, tz: ZoneInfo, jurisdiction: str, source: str = "Federal Register",
                    skipped: list[ScrapeError] | None = None) -> ScrapeResult:
    data = load_json(body, where)
    if isinstance(data, dict) and data.get("count") == 0 and "results" not in data:
        results: list[Any] = []  # the API leaves `results` out of an empty answer
    else:
        results = require(data, "results", where, list)
    found = each_item(results, where, "results", lambda item, at: _document(item, at, tz, jurisdiction, source),
                      skipped)
    return ScrapeResult(news=tuple(n for n, _ in found), hearings=tuple(h for _, h in found if h is not None))


def collect(fetcher: Fetcher, options: Options, jurisdiction: str, tz: ZoneInfo, since: datetime | None, *,
            state: Mapping[str, str] | None = None, api_key: str | None = None) -> Collected:
    """The newest page of the agency's documents (`since` narrows it by publication date); news guids
    deduplicate what was seen before."""
    run = Run(fetcher)
    params: dict[str, Any] = {"conditions[agencies][]": options.agency, "conditions[type][]": options.types,
                              "order": "newest", "per_page": options.per_page, "fields[]": list(FIELDS)}
    if since is not None:
        params["conditions[publication_date][gte]"] = since.astimezone(tz).date().isoformat()
    payload = run.get(Request(f"{options.base_url.rstrip('/')}/documents.json", params=params))
    if payload.not_modified:
        return run.collected(ScrapeResult())
    skipped: list[ScrapeError] = []
    result = parse_documents(payload.body, payload.url, tz, jurisdiction, options.name, skipped)
    run.skipped(skipped)
    run.accept([payload])
    run.listing(len(result.news))
    return run.collected(result)


def check(fetcher: Fetcher, options: Options, jurisdiction: str, tz: ZoneInfo, *, api_key: str | None = None
          ) -> list[str]:
    """A live sample (the newest document): what the parser would miss in it."""
    params = {"conditions[agencies][]": options.agency, "order": "newest", "per_page": 1, "fields[]": list(FIELDS)}
    page = fetcher.fetch(f"{options.base_url.rstrip('/')}/documents.json", params=params, conditional=False)
    return problems_of(lambda skipped: parse_documents(page.body, page.url, tz, jurisdiction, options.name, skipped))
