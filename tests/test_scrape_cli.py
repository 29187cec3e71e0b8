"""`advocacy scrape` and `advocacy sources` as an advocate runs them, against sources served from fixture files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from advocacy.cli import EXIT_FAILED, EXIT_USAGE, cli
from tests.httpserver import Answer, FixtureServer
from tests.test_scrape import API, serve_ohio

ENV = {"ADVOCACY_HTTP__MIN_INTERVAL": "0", "ADVOCACY_HTTP__RETRIES": "0", "LEGISCAN_API_KEY": None,
       "OPENSTATES_API_KEY": None, "ADVOCACY_CONFIG": None}


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as running:
        serve_ohio(running)
        running.serve("/news.xml", "rss/statehouse_news.xml")
        yield running


@pytest.fixture
def configured(config_path: Path, server: FixtureServer) -> Path:
    """The project's config with its jurisdictions pointed at the local server (and a disabled LegiScan source)."""
    text = config_path.read_text()
    start, end = text.index("[[jurisdictions]]"), text.index("[tagging]")
    sources = f'''[[jurisdictions]]
code = "OH"
name = "Ohio"
timezone = "America/New_York"
sessions = ["136"]

[[jurisdictions.sources]]
name = "ohio-legislature"
kind = "ohio"
[jurisdictions.sources.options]
api_base_url = "{server.base_url}"
site_base_url = "{server.base_url}"

[[jurisdictions.sources]]
name = "statehouse-news"
kind = "rss"
[jurisdictions.sources.options]
feeds = [{{ url = "{server.url('/news.xml')}" }}]

[[jurisdictions.sources]]
name = "ohio-legiscan"
kind = "legiscan"
enabled = false

'''
    config_path.write_text(text[:start] + sources + text[end:])
    assert run(config_path, "db", "upgrade").exit_code == 0
    return config_path


def run(config_path: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config_path), *args], env=ENV)


def test_scrape_shows_progress_per_source_and_a_summary(configured: Path) -> None:
    first = run(configured, "scrape")
    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    assert lines[0] == "[1/2] ohio-legislature (ohio, OH) ..."
    assert lines[1] == "[1/2] ohio-legislature: ok; fetched 18, not modified 0, new bills 3, updated 0, events 9"
    assert lines[2] == "[2/2] statehouse-news (rss, OH) ..."
    assert lines[3].startswith("[2/2] statehouse-news: ok; fetched 1, not modified 0, new bills 0")
    assert any(line.startswith("Tagged 3 new or changed bill(s)") for line in lines)
    assert lines[-1].startswith("Summary: 2 source(s); fetched 19, not modified 0, new bills 3, events ")
    assert lines[-1].endswith(", errors 0")

    second = run(configured, "scrape")
    assert second.exit_code == 0, second.output
    assert "[1/2] ohio-legislature: ok; fetched 1, not modified 12, new bills 0, updated 0, events 0" in second.output
    assert second.output.splitlines()[-2:] == [
        "Summary: 2 source(s); fetched 1, not modified 13, new bills 0, events 0, errors 0",
        "Nothing new.",
    ]


def test_sources_lists_each_source_with_its_last_run_and_what_it_lacks(configured: Path) -> None:
    before = run(configured, "sources")
    assert before.exit_code == 0, before.output
    assert "ohio-legislature (ohio, OH)  schedule: 0 7-18 * * 1-5\n    never run" in before.output
    assert ("ohio-legiscan (legiscan, OH) [disabled]  schedule: 0 7-18 * * 1-5\n"
            "    cannot run: ohio-legiscan needs a LegiScan API key: set the environment variable LEGISCAN_API_KEY"
            in before.output)

    run(configured, "scrape", "--source", "ohio-legislature")
    after = run(configured, "sources").output
    assert "    last run 1 at " in after and " EST: ok; fetched 18, not modified 0, records 6, new bills 3, events 9" in after
    assert "statehouse-news (rss, OH)  schedule: 0 7-18 * * 1-5\n    never run" in after


def test_a_failed_source_is_named_and_exits_non_zero(configured: Path, server: FixtureServer) -> None:
    server.route(f"{API}/", Answer(status=500))
    result = run(configured, "scrape")
    assert result.exit_code == EXIT_FAILED
    assert f"    error: {server.url(f'{API}/')}: HTTP 500 after 1 attempt(s): Internal Server Error" in result.output
    assert result.output.splitlines()[-1].endswith("errors 1; failed: ohio-legislature")
    shown = run(configured, "sources").output
    assert f"    error: {server.url(f'{API}/')}: HTTP 500 after 1 attempt(s): Internal Server Error" in shown


def test_named_disabled_source_runs_and_unknown_name_is_a_usage_error(configured: Path) -> None:
    disabled = run(configured, "scrape", "--source", "ohio-legiscan")
    assert disabled.exit_code == EXIT_FAILED
    assert "needs a LegiScan API key: set the environment variable LEGISCAN_API_KEY" in disabled.output
    unknown = run(configured, "scrape", "--source", "nope")
    assert unknown.exit_code == EXIT_USAGE
    assert "no source named nope in the configuration" in unknown.output


def test_replay_reparses_a_run_offline(configured: Path, server: FixtureServer) -> None:
    run(configured, "scrape", "--source", "ohio-legislature")
    server.clear_log()
    replayed = run(configured, "scrape", "--replay", "1")
    assert replayed.exit_code == 0, replayed.output
    assert replayed.output.splitlines()[0] == (
        "Replay of run 1: ohio-legislature: ok; fetched 18, not modified 0, new bills 0, updated 0, events 0")
    assert server.log == []
    missing = run(configured, "scrape", "--replay", "99")
    assert missing.exit_code == EXIT_USAGE and "no source run 99" in missing.output


def test_the_example_jurisdictions_in_config_toml_load_when_uncommented(config_path: Path) -> None:
    import re

    from advocacy.config import load_config

    text = config_path.read_text()
    start, end = text.index("# More jurisdictions."), text.index("[tagging]")
    toml_line = re.compile(r"^# (\[|[a-z_.]+ = |  \{|\])")
    block = "\n".join(line[2:] if toml_line.match(line) else line for line in text[start:end].splitlines())
    config_path.write_text(text[:start] + block + "\n\n" + text[end:])
    config = load_config(config_path, env={})
    found = {source.name: (jcfg.code, source.kind, source.enabled) for jcfg, source in config.sources()}
    assert found["federal-register-education"] == ("US", "rss", True)
    assert found["massachusetts-openstates"] == ("MA", "openstates", False)
    assert found["colorado-legiscan"] == ("CO", "legiscan", False)
    assert config.jurisdiction("CO").tz.key == "America/Denver"


def test_every_command_logs_in_the_documented_key_value_shape(config_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(config_path), "-v", "db", "upgrade"])
    assert result.exit_code == 0, result.output
    logged = [line for line in result.output.splitlines() if "alembic" in line]
    assert logged and all(line.startswith("ts=") and " level=info logger=alembic" in line for line in logged)
