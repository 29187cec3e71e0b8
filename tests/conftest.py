from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from advocacy import db
from advocacy.app import App
from advocacy.config import Config, Secrets, load_config
from tests.factories import TEST_NOW, FakeClock
from tests.websupport import advocate_client, viewer_client

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Each checkout working at once on one server names its own schema.
PG_SCHEMA = os.environ.get("ADVOCACY_TEST_PG_SCHEMA", "advocacy_test")
CLOCK_SHIFT_ENV = "ADVOCACY_TEST_CLOCK_SHIFT_DAYS"


def clock_shift_days() -> float:
    raw = os.environ.get(CLOCK_SHIFT_ENV, "").strip()
    if not raw:
        return 0.0
    try:
        return float(raw)
    except ValueError:
        raise pytest.UsageError(f"{CLOCK_SHIFT_ENV} must be a number of days, not {raw!r}") from None


def pytest_report_header() -> str | None:
    days = clock_shift_days()
    return f"wall clock shifted {days:g} days ahead ({CLOCK_SHIFT_ENV})" if days else None


@pytest.fixture(autouse=True)
def _shifted_wall_clock() -> Iterator[None]:
    """With ADVOCACY_TEST_CLOCK_SHIFT_DAYS=N every test runs with the wall clock N days ahead (and ticking), so a
    test that passes only near the day it was written fails today, not next year (`make test-shifted`).

    A test that freezes time itself nests its own `time_machine.travel` inside this one, which wins until it
    ends. Subprocesses see the real clock.
    """
    days = clock_shift_days()
    if not days:
        yield
        return
    with time_machine.travel(datetime.now(UTC) + timedelta(days=days), tick=True):
        yield


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only loopback: every source in a test is served by a local server."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        if isinstance(address, tuple) and address and address[0] not in ("127.0.0.1", "::1", "localhost"):
            raise RuntimeError(f"network access in a test: {address!r}")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(TEST_NOW)


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """The project's own config.toml, copied so that var/ lands in the test's folder."""
    path = tmp_path / "config.toml"
    shutil.copy(ROOT / "config.toml", path)
    return path


@pytest.fixture
def config(config_path: Path) -> Config:
    return load_config(config_path, env={})


_SQLITE_TEMPLATE: dict[str, Path] = {}


def _sqlite_url(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    # Migrate once per test session, then copy the file: a fresh, migrated database per test in milliseconds.
    if "path" not in _SQLITE_TEMPLATE:
        template = tmp_path_factory.mktemp("template") / "template.db"
        engine = db.make_engine(f"sqlite:///{template}")
        db.upgrade(engine)
        engine.dispose()
        _SQLITE_TEMPLATE["path"] = template
    target = tmp_path / "var" / "test.db"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(_SQLITE_TEMPLATE["path"], target)
    return f"sqlite:///{target}"


_PG_READY: dict[str, bool] = {}


def pg_url() -> str | None:
    return os.environ.get("ADVOCACY_TEST_DATABASE_URL")


def pg_schema_url(base: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{PG_SCHEMA}"


def reset_pg_schema(base: str) -> None:
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    engine.dispose()


def _postgres_url() -> str:
    base = pg_url()
    if not base:
        pytest.skip("ADVOCACY_TEST_DATABASE_URL is not set")
    url = pg_schema_url(base)
    if not _PG_READY:
        reset_pg_schema(base)
        engine = db.make_engine(url)
        db.upgrade(engine)
        engine.dispose()
        _PG_READY["ok"] = True
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [r[0] for r in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = :s AND tablename <> 'alembic_version'"
        ), {"s": PG_SCHEMA})]
        if tables:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, empty database: SQLite always, PostgreSQL too when ADVOCACY_TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        return _sqlite_url(tmp_path, tmp_path_factory)
    return _postgres_url()


@pytest.fixture
def sqlite_url(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    return _sqlite_url(tmp_path, tmp_path_factory)


@pytest.fixture
def app(config: Config, db_url: str, clock: FakeClock) -> Iterator[App]:
    application = App(config, secrets=Secrets.from_env({}), clock=clock, database_url=db_url)
    yield application
    application.engine.dispose()


@pytest.fixture
def sqlite_app(config: Config, sqlite_url: str, clock: FakeClock) -> Iterator[App]:
    """For tests whose subject does not depend on the database engine."""
    application = App(config, secrets=Secrets.from_env({}), clock=clock, database_url=sqlite_url)
    yield application
    application.engine.dispose()


@pytest.fixture
def advocate(app: App) -> TestClient:
    """The advocate persona signed in to the web pages (a module that seeds first overrides this)."""
    return advocate_client(app)


@pytest.fixture
def viewer(app: App) -> TestClient:
    """The viewer persona signed in to the web pages."""
    return viewer_client(app)
