"""The composition root: one place that builds the engine, the clock and the mail backend from the config."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from advocacy import db
from advocacy.config import Config, Secrets, local_secret

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    config: Config
    secrets: Secrets = field(default_factory=Secrets.from_env)
    clock: Clock = system_clock
    database_url: str | None = None

    @cached_property
    def engine(self) -> Engine:
        return db.make_engine(self.database_url or self.config.database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return db.session_factory(self.engine)

    def transaction(self):  # type: ignore[no-untyped-def]
        return db.transaction(self.sessions)

    def check_migrated(self) -> None:
        db.check_migrated(self.engine)

    @cached_property
    def signing_key(self) -> str:
        return self.secrets.signing_key or local_secret(self.config, "signing-key")

    @cached_property
    def session_secret(self) -> str:
        return self.secrets.session_secret or local_secret(self.config, "session-secret")

    def now(self) -> datetime:
        return self.clock()
