"""A source declares its own key need; the configuration may name another variable for the key."""

from __future__ import annotations

from types import SimpleNamespace

from advocacy.collect.scrape import missing_key
from advocacy.config import Secrets, Source


def test_a_keyed_source_reads_its_key_from_its_declared_variable_by_default() -> None:
    source = Source(name="oh-legiscan", kind="legiscan")
    assert source.key_env() == "LEGISCAN_API_KEY"
    app = SimpleNamespace(secrets=Secrets.from_env({}))
    assert missing_key(app, source) == (  # type: ignore[arg-type]
        "oh-legiscan needs a LegiScan API key: set the environment variable LEGISCAN_API_KEY")


def test_api_key_env_option_names_the_variable_the_key_is_read_from() -> None:
    source = Source(name="ma-openstates", kind="openstates", options={"api_key_env": "MA_OPENSTATES_KEY"})
    assert source.key_env() == "MA_OPENSTATES_KEY"
    assert Secrets.from_env({"MA_OPENSTATES_KEY": "k"}).api_key(source.key_env()) == "k"
    app = SimpleNamespace(secrets=Secrets.from_env({"OPENSTATES_API_KEY": "the-default-one"}))
    assert "set the environment variable MA_OPENSTATES_KEY" in (missing_key(app, source) or "")  # type: ignore[arg-type]


def test_an_open_source_needs_no_key() -> None:
    source = Source(name="ohio", kind="ohio")
    assert source.key_env() is None
    assert missing_key(SimpleNamespace(secrets=Secrets.from_env({})), source) is None  # type: ignore[arg-type]
