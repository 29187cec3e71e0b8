"""The composition root: one place that builds the engine, the clock and each delivery channel's backend from the config."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from advocacy import db, models
from advocacy.config import Config, ConfigError, Secrets, local_secret
from digests.channels import email

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    config: Config
    secrets: Secrets = field(default_factory=Secrets.from_env)
    clock: Clock = system_clock
    database_url: str | None = None
    home: bool = True  # the host file's own collaborative (the host's scrape jobs are its); False: another one

    @cached_property
    def engine(self) -> Engine:
        return db.make_engine(self.database_url or self.config.database_url)

    @cached_property
    def collaborative_id(self) -> int:
        """The collaborative this App serves (`[collaborative] slug`), added to the host on first use."""
        return models.collaborative_id(self.engine, self.config.collaborative.slug, self.config.collaborative.name)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        """Sessions scoped to this App's collaborative: its own rows and the shared ones, nothing of another's."""
        return models.scoped_sessions(self.engine, self.collaborative_id)

    def beside(self, config: Config) -> App:
        """Another collaborative of this App's host: its own configuration, this App's engine (one connection
        pool for the host however many collaboratives it serves), secrets and clock."""
        other = App(config, secrets=self.secrets, clock=self.clock, database_url=self.database_url, home=False)
        other.__dict__["engine"] = self.engine  # the cached_property's slot: built once, for the host
        return other

    def transaction(self):  # type: ignore[no-untyped-def]
        return db.transaction(self.sessions)

    def check_migrated(self) -> None:
        db.check_migrated(self.engine)

    @cached_property
    def signing_key(self) -> str:
        """Signs member tokens and reply addresses: bound to the collaborative, so another's are refused."""
        return self._own(self.secrets.signing_key or local_secret(self.config, "signing-key"))

    @cached_property
    def session_secret(self) -> str:
        return self._own(self.secrets.session_secret or local_secret(self.config, "session-secret"))

    def _own(self, host_key: str) -> str:
        """The host's key for the default collaborative (tokens already mailed stay valid), else one derived
        from it and the slug."""
        slug = self.config.collaborative.slug
        if slug == models.DEFAULT_SLUG:
            return host_key
        return hmac.new(host_key.encode(), f"collaborative:{slug}".encode(), hashlib.sha256).hexdigest()

    @cached_property
    def mail(self) -> email.MailBackend:
        """The email channel's backend, built once from `[email] backend`: outbox, SMTP or SendGrid."""
        settings = self.config.email
        if settings.backend == "outbox":
            return email.OutboxBackend(self.config.path(settings.outbox_dir), clock=self.clock)
        if settings.backend == "smtp":
            smtp = settings.smtp
            return email.SmtpBackend(host=smtp.host, port=smtp.port, username=smtp.username,
                                     password=self.secrets.smtp_password or "", starttls=smtp.starttls,
                                     timeout=smtp.timeout, clock=self.clock)
        if settings.backend == "sendgrid":
            key = self.secrets.require("sendgrid_api_key", "SENDGRID_API_KEY")
            return email.SendGridBackend(api_key=key, host=settings.sendgrid.host, sandbox=settings.sendgrid.sandbox,
                                         timeout=settings.sendgrid.timeout, batch_size=settings.sendgrid.batch_size,
                                         clock=self.clock)
        raise ConfigError(f"email.backend: unknown backend {settings.backend!r}")

    def now(self) -> datetime:
        return self.clock()
