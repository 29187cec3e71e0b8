"""The jurisdiction examples in examples/ load into the real configuration, and each of their sources runs
against the local fixture server in its own format, storing what it found."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from advocacy.app import App
from advocacy.collect.scrape import run_source
from advocacy.config import JurisdictionConfig, load_config
from advocacy.models import Bill, Hearing, NewsItem
from tests.httpserver import Answer, FakeTime, FixtureServer
from tests.test_scrape import LEGISCAN_BILLS, legiscan_file, serve_ohio, with_keys

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FILES = sorted(p.name for p in EXAMPLES.glob("*.toml"))


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as running:
        serve_ohio(running)
        running.serve("/bills", "openstates/bills_page1.json", query={"page": "1"})
        running.serve("/bills", "openstates/bills_page2.json", query={"page": "2"})
        for state in ("CO", "US"):
            running.route("/", Answer(file="legiscan/masterlist_raw_ar.json"),
                          query={"op": "getMasterListRaw", "state": state})
        for bill_id, name in LEGISCAN_BILLS.items():
            running.route("/", Answer(file=str(legiscan_file(name))), query={"op": "getBill", "id": str(bill_id)})
        running.serve("/api/v1/documents.json", "federal_register/documents_education.json")
        yield running


def example(config_path: Path, name: str) -> JurisdictionConfig:
    text = config_path.read_text()
    start, end = text.index("[[jurisdictions]]"), text.index("[tagging]")
    config_path.write_text(text[:start] + (EXAMPLES / name).read_text() + "\n" + text[end:])
    (jurisdiction,) = load_config(config_path, env={}).jurisdictions
    return jurisdiction


def local(jurisdiction: JurisdictionConfig, server: FixtureServer) -> JurisdictionConfig:
    """The same sources, asking the fixture server instead of the real services."""
    here: dict[str, dict[str, Any]] = {
        "ohio": {"api_base_url": server.base_url, "site_base_url": server.base_url, "max_requests": None},
        "openstates": {"base_url": server.base_url, "per_page": 2},
        "legiscan": {"base_url": server.url("/")},
        "federal_register": {"base_url": server.url("/api/v1")},
    }
    sources = [s.model_copy(update={"options": {**s.options, **here[s.kind]}}) for s in jurisdiction.sources]
    return jurisdiction.model_copy(update={"sources": sources})


def test_every_collaborative_state_and_federal_has_an_example() -> None:
    assert FILES == ["colorado.toml", "connecticut.toml", "federal.toml", "massachusetts.toml", "ohio.toml"]


@pytest.mark.parametrize("name", FILES)
def test_example_loads_and_each_of_its_sources_stores_what_the_fixtures_hold(
    name: str, app: App, config_path: Path, server: FixtureServer
) -> None:
    jurisdiction = local(example(config_path, name), server)
    app = with_keys(app)
    app.config = app.config.model_copy(update={"jurisdictions": [jurisdiction]})
    time = FakeTime()
    for source in jurisdiction.sources:
        summary = run_source(app, jurisdiction, source, sleep=time.sleep, monotonic=time.clock)
        assert summary.status in {"ok", "partial"} and summary.records > 0, (source.name, summary.errors)
        assert summary.fetched > 0
    with app.sessions() as session:  # every example follows bills of its jurisdiction
        assert session.scalars(select(Bill.identifier)).all()


def test_federal_register_comment_deadline_becomes_a_dated_opportunity(
    app: App, config_path: Path, server: FixtureServer
) -> None:
    jurisdiction = local(example(config_path, "federal.toml"), server)
    app.config = app.config.model_copy(update={"jurisdictions": [jurisdiction]})
    source = next(s for s in jurisdiction.sources if s.kind == "federal_register")
    summary = run_source(app, jurisdiction, source, sleep=FakeTime().sleep, monotonic=FakeTime().clock)
    assert summary.status == "partial"  # the untitled document is skipped and reported
    assert "(2026-20299): missing field 'title'" in summary.errors[0]
    with app.sessions() as session:
        titles = sorted(n.title for n in session.scalars(select(NewsItem)))
        (deadline,) = session.scalars(select(Hearing)).all()
        assert len(titles) == 2
        assert deadline.committee.startswith("Public comment to Education Department: Proposed Priorities")
        assert deadline.start.astimezone(jurisdiction.tz).strftime("%Y-%m-%d %H:%M") == "2026-12-21 23:59"
        assert deadline.url == "https://www.regulations.gov/commenton/ED-2026-OESE-0101-0001"
    (query,) = server.requests_to("/api/v1/documents.json")
    assert query.query["conditions[agencies][]"] == ["education-department"]
