"""Open States API v3: `GET /bills` with actions, sponsorships and versions, page by page.

`since` becomes `updated_since`, so a run asks only for bills that moved. The first page is fetched
conditionally (a 304 means nothing moved); once it has changed, the following pages are fetched in full.
`Collected.state["updated_since"]` is the newest `updated_at` seen, kept only when every page parsed.

A row that lacks a field the record needs (real New York rows have come without `actions`) is skipped and
reported, naming the URL, the row and the field; the rest of the page is stored. The format is taken from the
API's documentation: no recorded `/bills` page was found in public material, so the fixtures are written here
(tests/fixtures/SOURCES.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from scrapers.base import (
    ApiKey,
    BudgetExhausted,
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
from vocabulary.actions import (
    AMENDED,
    CONCURRED,
    EFFECTIVE,
    FAILED,
    INTRODUCED,
    PASSED,
    REFERRED,
    REPORTED,
    SIGNED,
    VETOED,
)
from vocabulary.billnum import BillNumberError, normalize
from vocabulary.records import (
    ActionRecord,
    BillRecord,
    ScrapeError,
    ScrapeResult,
    SponsorRecord,
    VersionRecord,
)

# Open States' action vocabulary in ours; the rest is left to vocabulary.actions rules.
CLASSIFICATIONS = {
    "introduction": INTRODUCED,
    "filing": INTRODUCED,
    "referral-committee": REFERRED,
    "committee-passage": REPORTED,
    "committee-passage-favorable": REPORTED,
    "committee-passage-unfavorable": REPORTED,
    "passage": PASSED,
    "concurrence": CONCURRED,
    "executive-veto": VETOED,
    "executive-veto-line-item": VETOED,
    "executive-signature": SIGNED,
    "became-law": EFFECTIVE,
    "failure": FAILED,
    "committee-failure": FAILED,
    "amendment-passage": AMENDED,
}
CHAMBERS = {"lower": "House", "upper": "Senate", "executive": "Governor"}

API_KEY = ApiKey(env="OPENSTATES_API_KEY", label="Open States")


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str = "https://v3.openstates.org"
    api_key_env: str = API_KEY.env
    # Open States' name for the jurisdiction ("Massachusetts" or an ocd-jurisdiction id); None uses our code.
    jurisdiction: str | None = None
    session: str | None = None
    per_page: int = Field(default=20, ge=1, le=20)
    max_pages: int = Field(default=50, ge=1)


def _when(text: str, where: str, tz: ZoneInfo) -> datetime:
    if len(text) == 10:
        return parse_day(text, "%Y-%m-%d", where, tz)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ScrapeError(where, f"unreadable date {text!r}") from exc
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)


def _action(action: Any, here: str, tz: ZoneInfo) -> ActionRecord:
    when = _when(require(action, "date", here, str), here, tz)
    organization = action.get("organization") or {}
    ours = tuple(dict.fromkeys(CLASSIFICATIONS[c] for c in action.get("classification") or [] if c in CLASSIFICATIONS))
    return ActionRecord(when=when, description=require(action, "description", here, str).strip(),
                        chamber=CHAMBERS.get(organization.get("classification", ""), ""), classification=ours)


def _actions(item: Any, at: str, tz: ZoneInfo, skipped: list[ScrapeError] | None) -> tuple[ActionRecord, ...]:
    listed = sorted(require(item, "actions", at, list), key=lambda a: a.get("order", 0) if isinstance(a, dict) else 0)
    actions: list[ActionRecord] = []
    for found in each_item(listed, at, "actions", lambda action, here: _action(action, here, tz), skipped):
        same_day = sum(1 for a in actions if a.when.date() == found.when.date())
        actions.append(replace(found, order=same_day))
    return tuple(actions)


def _sponsor(s: Any, here: str) -> SponsorRecord:
    return SponsorRecord(
        name=require(s, "name", here, str).strip(),
        primary=bool(s.get("primary")),
        party=((s.get("person") or {}).get("party") or ""),
        district=(((s.get("person") or {}).get("current_role") or {}).get("district") or ""),
    )


def _version(version: Any, here: str, tz: ZoneInfo) -> VersionRecord:
    """A version links to the PDF when there is one (else the HTML, else any link) and keeps the HTML apart."""
    links = require(version, "links", here, list)
    by_type = {link.get("media_type", ""): link.get("url", "") for link in links if isinstance(link, dict)}
    html = by_type.get("text/html", "")
    return VersionRecord(
        name=require(version, "note", here, str),
        when=_when(version["date"], here, tz) if version.get("date") else None,
        url=by_type.get("application/pdf") or html or next(iter(by_type.values()), ""),
        html_url=html,
    )


def _bill(item: Any, where: str, tz: ZoneInfo, jurisdiction: str, skipped: list[ScrapeError] | None = None
          ) -> BillRecord:
    """One row; a row without a field it needs raises, one broken action, sponsor or version inside it goes to
    `skipped` (raised when it is None)."""
    raw_identifier = require(item, "identifier", where, str)
    try:
        identifier = normalize(raw_identifier)
    except BillNumberError as exc:
        raise ScrapeError(where, f"unreadable identifier {raw_identifier!r}") from exc
    at = f"{where} ({raw_identifier})"
    sponsors = each_item(require(item, "sponsorships", at, list), at, "sponsorships", _sponsor, skipped)
    versions = each_item(require(item, "versions", at, list), at, "versions",
                         lambda version, here: _version(version, here, tz), skipped)
    return BillRecord(
        jurisdiction=jurisdiction,
        session=require(item, "session", at, str),
        identifier=identifier,
        title=require(item, "title", at, str).strip(),
        status=item.get("latest_action_description") or "",
        url=item.get("openstates_url") or "",
        source_id=require(item, "id", at, str),
        subjects=tuple(item.get("subject") or ()),
        sponsors=tuple(sponsors),
        actions=_actions(item, at, tz, skipped),
        versions=tuple(versions),
    )


def parse_bills_page(
    body: bytes, where: str, tz: ZoneInfo, jurisdiction: str, skipped: list[ScrapeError] | None = None
) -> tuple[list[BillRecord], int, str | None]:
    """(bills, max_page, newest updated_at) of one page of `GET /bills`; a broken row goes to `skipped`
    (raised when it is None)."""
    data = load_json(body, where)
    results = require(data, "results", where, list)
    pagination = require(data, "pagination", where, dict)
    max_page = require(pagination, "max_page", f"{where} pagination", int)

    def row(item: Any, at: str) -> BillRecord:
        inside: list[ScrapeError] | None = None if skipped is None else []
        bill = _bill(item, at, tz, jurisdiction, inside)
        if skipped is not None and inside:  # reported only when the row itself is kept
            skipped.extend(inside)
        return bill

    bills = each_item(results, where, "results", row, skipped)
    updated = [item["updated_at"] for item in results
               if isinstance(item, dict) and isinstance(item.get("updated_at"), str)]
    return bills, max_page, max(updated, default=None)


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
    if not api_key:
        raise ValueError(f"Open States needs an API key (the caller reads it from ${options.api_key_env})")
    run = Run(fetcher, options.max_pages)
    url = f"{options.base_url.rstrip('/')}/bills"
    params: dict[str, Any] = {"jurisdiction": options.jurisdiction or jurisdiction.lower()}
    if options.session:
        params["session"] = options.session
    if since:
        params["updated_since"] = since.isoformat(timespec="seconds")
    params.update(
        {"sort": "updated_asc", "include": ["actions", "sponsorships", "versions", "votes"], "per_page": options.per_page}
    )
    headers = {"X-API-KEY": api_key}
    previous = dict(state or {})
    newest: list[str] = [previous["updated_since"]] if previous.get("updated_since") else []
    bills: list[BillRecord] = []
    page, max_page = 1, 1
    try:
        while page <= max_page:
            request = Request(url, params={**params, "page": page}, headers=headers)
            payload = run.get(request, conditional=page == 1)
            if payload.not_modified:
                return run.collected(ScrapeResult(), previous)
            skipped: list[ScrapeError] = []
            try:
                found, max_page, updated = parse_bills_page(payload.body, payload.url, tz, jurisdiction, skipped)
            except ScrapeError as exc:
                if page == 1:
                    raise
                run.fail(exc)
                page += 1
                continue
            run.skipped(skipped)
            run.accept([payload], index=page == 1)
            bills.extend(found)
            newest.extend([updated] if updated else [])
            if page == 1 and not found:
                run.notes.append(f"Open States {jurisdiction}: no bills updated since {since or 'the start'}")
            page += 1
    except BudgetExhausted as exc:
        run.notes.append(f"Open States {jurisdiction}: {exc}; pages {page}..{max_page} left for the next run")
    complete = not run.errors and page > max_page
    cursor = {"updated_since": max(newest)} if newest and complete else previous
    return run.collected(ScrapeResult(bills=tuple(bills)), cursor)


def check(fetcher: Fetcher, options: Options, jurisdiction: str, tz: ZoneInfo, *, api_key: str | None = None
          ) -> list[str]:
    """A live sample (one bill of the first page): what the parser would miss in it."""
    if not api_key:
        return [f"no API key (set ${options.api_key_env})"]
    params: dict[str, Any] = {"jurisdiction": options.jurisdiction or jurisdiction.lower(), "per_page": 1,
                              "include": ["actions", "sponsorships", "versions"], "page": 1}
    if options.session:
        params["session"] = options.session
    page = fetcher.fetch(f"{options.base_url.rstrip('/')}/bills", params=params, headers={"X-API-KEY": api_key},
                         conditional=False)
    return problems_of(lambda skipped: parse_bills_page(page.body, page.url, tz, jurisdiction, skipped))
