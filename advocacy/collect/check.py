"""`advocacy sources check`: one small live page of each configured source, read by its own parser, so that a
deployer sees what a source no longer gives (a missing field, a renamed table) before a run fails on it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import httpx

from advocacy.app import App
from advocacy.collect.scrape import SERVICE, _source_options, missing_key, selected_sources
from scrapers.http import Fetcher, FetchError
from vocabulary.records import ScrapeError


@dataclass
class CheckResult:
    name: str
    kind: str
    jurisdiction: str
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        head = f"{self.name} ({self.kind}, {self.jurisdiction}): "
        if not self.problems:
            return [head + "ok"]
        return [head + f"{len(self.problems)} problem(s)", *(f"    missing: {p}" for p in self.problems)]


def check_sources(app: App, names: Iterable[str] | None = None, *, client: httpx.Client | None = None
                  ) -> list[CheckResult]:
    """Every named (else every enabled) source, sampled once, without storing anything."""
    http = app.config.http
    fetcher = Fetcher(service=SERVICE, contact=app.config.collaborative.contact_email, client=client,
                      timeout=http.timeout, retries=0, min_interval=0, now=app.now)
    results = []
    try:
        for jcfg, source in selected_sources(app, names):
            result = CheckResult(source.name, source.kind, jcfg.code)
            if problem := missing_key(app, source):
                result.problems.append(problem)
            else:
                try:
                    result.problems = source.module.check(fetcher, _source_options(jcfg, source), jcfg.code, jcfg.tz,
                                                          api_key=app.secrets.api_key(source.key_env()))
                except (FetchError, ScrapeError) as exc:
                    result.problems.append(str(exc))
            results.append(result)
    finally:
        if client is None:
            fetcher.close()
    return results
