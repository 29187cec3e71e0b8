"""Configuration: read once from `config.toml`, validated into typed objects, passed down.

Environment variables carry secrets (see `Secrets`) and overrides: `ADVOCACY_SECTION__KEY=value` replaces
`[section] key` (e.g. `ADVOCACY_DATABASE__URL`, `ADVOCACY_EMAIL__BACKEND`).
"""

from __future__ import annotations

import copy
import json
import os
import secrets as pysecrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from advocacy.crontab import crontab_trigger
from advocacy.tagging.rules import TaggingConfig
from scrapers import SOURCES
from scrapers.base import SourceModule, key_env

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config.toml"
ENV_PREFIX = "ADVOCACY_"


class ConfigError(Exception):
    """One clear message naming the file and the key."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as 'America/New_York')") from exc
    return value


def _cron(value: str) -> str:
    # Read exactly as the scheduler will read it.
    if len(value.split()) != 5:
        raise ValueError(f"bad cron expression {value!r}: five fields are needed (minute hour day month weekday)")
    try:
        crontab_trigger(value, "UTC")
    except ValueError as exc:
        raise ValueError(f"bad cron expression {value!r}: {exc}") from exc
    return value


class Collaborative(_Model):
    name: str
    slug: str = Field(default="default", pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")  # its row on a shared host
    timezone: str = "America/New_York"
    postal_address: str
    contact_email: str
    website: str = ""
    base_url: str = "http://127.0.0.1:8000"  # where links in emails point: the web app's public address
    # The host's jurisdictions whose bills this collaborative follows (its tagger reads them); empty: every one.
    jurisdictions: list[str] = Field(default_factory=list)

    _tz = field_validator("timezone")(_zone)

    @field_validator("base_url")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must be an absolute http(s) URL, got {value!r}")
        return value.rstrip("/")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Database(_Model):
    url: str = "sqlite:///var/advocacy.db"


class Queue(_Model):
    """Where scheduled work runs: "embedded" (the in-process scheduler of `advocacy run`) or "procrastinate" (a task
    queue in the PostgreSQL database, worked by any number of `advocacy worker` processes)."""

    backend: Literal["embedded", "procrastinate"] = "embedded"


class Source(_Model):
    name: str
    kind: str
    schedule: str = "0 7-18 * * 1-5"  # cron, in the collaborative's zone
    enabled: bool = True
    max_body_mb: float | None = Field(default=None, gt=0)  # this source's cap on one body; else [http] max_body_mb
    options: dict[str, Any] = Field(default_factory=dict)

    _cron = field_validator("schedule")(_cron)

    @model_validator(mode="after")
    def _known_kind(self) -> Source:
        if self.kind not in SOURCES:
            raise ValueError(f"unknown source kind {self.kind!r} (known: {', '.join(sorted(SOURCES))})")
        self.parsed_options()
        return self

    @property
    def module(self) -> SourceModule:
        return SOURCES[self.kind]

    def parsed_options(self) -> Any:
        return self.module.Options.model_validate(self.options)

    def key_env(self) -> str | None:
        """The environment variable this source's API key is read from (its `api_key_env` option, else the source's
        own default); None for a source that needs no key."""
        return key_env(self.module, self.parsed_options())


class JurisdictionConfig(_Model):
    code: str
    name: str
    timezone: str
    sessions: list[str]
    bill_style: dict[str, str] = Field(default_factory=dict)  # {"HB": "H.B."}: the state's own spelling
    bill_aliases: dict[str, str] = Field(default_factory=dict)
    bill_url: str = ""  # template for a bill's official page: {session}, {prefix}, {number}, {slug}
    sources: list[Source] = Field(default_factory=list)

    _tz = field_validator("timezone")(_zone)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Schedule(_Model):
    digest_first: datetime  # local time in the collaborative's zone of the first digest
    digest_every_days: int = Field(default=14, ge=1)
    skip_empty_digest: bool = True
    call_first: datetime
    call_every_days: int = Field(default=14, ge=1)
    call_minutes: int = Field(default=60, ge=10, le=480)
    call_title: str = "Legislative Q&A call"
    call_join_url: str = ""
    agenda_lead_days: int = Field(default=2, ge=0)
    question_cutoff_hours: int = Field(default=24, ge=0)
    reminder_hours_before_cutoff: int = Field(default=24, ge=0)
    misfire_grace_minutes: int = Field(default=120, ge=1)
    cutoff_time: time | None = None

    @field_validator("digest_first", "call_first")
    @classmethod
    def _naive_local(cls, value: datetime) -> datetime:
        if value.tzinfo is not None:
            raise ValueError("write it as local time without an offset; the collaborative's zone applies")
        return value


class Smtp(_Model):
    host: str = "127.0.0.1"
    port: int = 587
    starttls: bool = True
    username: str = ""  # the password comes from ADVOCACY_SMTP_PASSWORD
    timeout: float = 30.0


class SendGrid(_Model):
    host: str = "https://api.sendgrid.com"
    sandbox: bool = False
    timeout: float = Field(default=30.0, gt=0)  # seconds for one request; past it the request "may be accepted"
    batch_size: int = Field(default=1000, ge=1, le=1000)  # members per request: what one lost answer can cost
    categories: list[str] = Field(default_factory=lambda: ["legislative-update"])


class Email(_Model):
    backend: Literal["outbox", "smtp", "sendgrid"] = "outbox"
    from_address: str
    from_name: str
    reply_local: str = "questions"
    reply_domain: str
    outbox_dir: str = "var/outbox"
    smtp: Smtp = Smtp()
    sendgrid: SendGrid = SendGrid()
    max_inbound_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    acknowledge_questions: bool = False
    alerts_per_member_per_day: int = Field(default=2, ge=0)
    alert_hearing_within_days: int = Field(default=7, ge=0)


class Http(_Model):
    timeout: float = Field(default=30.0, gt=0)
    retries: int = Field(default=4, ge=0)
    backoff: float = Field(default=2.0, ge=0)
    min_interval: float = Field(default=1.0, ge=0)  # seconds between requests to one host
    deadline: float = Field(default=300.0, gt=0)  # seconds for one whole request; `timeout` is per read
    max_body_mb: float = Field(default=50.0, gt=0)  # a body past this is given up while it streams


class Web(_Model):
    host: str = "127.0.0.1"
    port: int = 8000
    secure_cookies: bool = False


class Imap(_Model):
    """A mailbox to poll for replies, for collaboratives without SendGrid inbound (always over TLS)."""

    host: str = ""  # empty: no IMAP polling
    port: int = 993
    username: str = ""  # the password comes from ADVOCACY_IMAP_PASSWORD
    mailbox: str = "INBOX"
    processed_flag: str = "$AdvocacyProcessed"  # set on every message once it is safely stored
    timeout: float = Field(default=30.0, gt=0)
    batch: int = Field(default=100, ge=1)


class Inbound(_Model):
    # Messages above this are stored whole but only their headers are read (flagged "oversized");
    # email.max_inbound_bytes is the hard cap on what the webhook accepts at all.
    parse_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    require_spf_or_dkim: bool = True  # webhook mail from a member must pass SPF or DKIM
    imap: Imap = Imap()


class AgendaSettings(_Model):
    top_items: int = Field(default=5, ge=0)  # curated bills that moved since the last call
    open_minutes: int = Field(default=10, ge=0)  # kept free at the end for open Q&A
    bill_minutes: int = Field(default=3, ge=1)  # a bill on the agenda, before its questions
    question_minutes: int = Field(default=3, ge=1)  # each distinct question
    merge_similarity: float = Field(default=0.6, gt=0, le=1)  # word overlap at which two questions are one


class ChamberTestimony(_Model):
    hours: float = Field(default=24, ge=0)  # written testimony is due this long before the hearing (local clock)
    at: time | None = None  # when set, due at this local time on the day the lead time lands on
    where: str = ""  # where to send it (email or portal); empty: the [testimony] default


class Testimony(_Model):
    """When and where written testimony is due, per chamber ("House", "Senate", "Joint")."""

    where: str = ""
    default_hours: float = Field(default=24, ge=0)
    chambers: dict[str, ChamberTestimony] = Field(
        default_factory=lambda: {"House": ChamberTestimony(), "Senate": ChamberTestimony()}
    )

    def for_chamber(self, chamber: str) -> ChamberTestimony:
        found = {k.lower(): v for k, v in self.chambers.items()}.get(chamber.strip().lower())
        return found or ChamberTestimony(hours=self.default_hours)

    def where_for(self, chamber: str) -> str:
        return self.for_chamber(chamber).where or self.where


class Engagement(_Model):
    # A district with no open, click, question, call or acted-on alert for this long is "quiet".
    quiet_weeks: int = Field(default=4, ge=1)
    # SendGrid's signed events older (or further ahead) than this are refused as stale or replayed.
    event_max_age_seconds: int = Field(default=600, ge=10)


class Host(_Model):
    """The other collaboratives this host serves, one file each (beside this one); see `load_host`."""

    collaboratives: list[str] = Field(default_factory=list)


# What a collaborative's own file may set; the rest (database, queue, http, web, jurisdictions) is the host's.
OWNED_SECTIONS = frozenset({"collaborative", "schedule", "email", "inbound", "agenda", "tagging", "testimony",
                            "engagement"})


class Config(_Model):
    collaborative: Collaborative
    host: Host = Host()
    database: Database = Database()
    queue: Queue = Queue()
    jurisdictions: list[JurisdictionConfig]
    schedule: Schedule
    email: Email
    http: Http = Http()
    web: Web = Web()
    inbound: Inbound = Inbound()
    agenda: AgendaSettings = AgendaSettings()
    tagging: TaggingConfig
    testimony: Testimony = Testimony()
    engagement: Engagement = Engagement()

    # Where the file was, so that relative paths (sqlite file, outbox) resolve beside it, not beside the cwd.
    base_dir: Path = Field(default=Path("."), exclude=True)

    def path(self, relative: str) -> Path:
        p = Path(relative)
        return p if p.is_absolute() else (self.base_dir / p)

    @property
    def database_url(self) -> str:
        url = self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite://":
            return prefix + str(self.path(url[len(prefix):]))
        return url

    def jurisdiction(self, code: str) -> JurisdictionConfig:
        for j in self.jurisdictions:
            if j.code == code:
                return j
        raise KeyError(code)

    def bill_style(self, code: str) -> dict[str, str]:
        """The jurisdiction's own spelling of bill prefixes ({"HB": "H.B."}); none for one not configured."""
        try:
            return self.jurisdiction(code).bill_style
        except KeyError:
            return {}

    def bill_aliases(self) -> dict[str, str]:
        """Extra prefixes people type ("House Docket"), of every jurisdiction."""
        merged: dict[str, str] = {}
        for jurisdiction in self.jurisdictions:
            merged.update(jurisdiction.bill_aliases)
        return merged

    def sources(self) -> list[tuple[JurisdictionConfig, Source]]:
        return [(j, s) for j in self.jurisdictions for s in j.sources]

    def followed(self) -> list[str] | None:
        """The jurisdiction codes whose bills this collaborative follows; None: every one of the host's."""
        return list(self.collaborative.jurisdictions) or None

    def follows(self, code: str) -> bool:
        return not self.collaborative.jurisdictions or code in self.collaborative.jurisdictions

    @model_validator(mode="after")
    def _followed_are_the_hosts(self) -> Config:
        codes = {j.code for j in self.jurisdictions}
        unknown = [code for code in self.collaborative.jurisdictions if code not in codes]
        if unknown:
            raise ValueError(f"[collaborative] jurisdictions: {', '.join(unknown)} not among the host's "
                             f"[[jurisdictions]] ({', '.join(sorted(codes)) or 'none'})")
        return self

    @model_validator(mode="after")
    def _queue_on_postgres(self) -> Config:
        if self.queue.backend == "procrastinate" and not self.database.url.startswith("postgresql"):
            raise ValueError(f'[queue] backend = "procrastinate" needs a PostgreSQL [database] url, not '
                             f'{self.database.url.split(":", 1)[0]!r}; on SQLite keep backend = "embedded"')
        return self

    @model_validator(mode="after")
    def _unique_names(self) -> Config:
        names = [s.name for j in self.jurisdictions for s in j.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique; repeated: {', '.join(dupes)}")
        return self


@dataclass(frozen=True)
class Secrets:
    """Everything secret, from the environment only."""

    sendgrid_api_key: str | None
    smtp_password: str | None
    webhook_user: str | None
    webhook_password: str | None
    session_secret: str | None
    signing_key: str | None
    imap_password: str | None = None
    # The environment as it was read: a source's API key is in the variable its configuration names.
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Secrets:
        env = os.environ if env is None else env
        return cls(
            sendgrid_api_key=env.get("SENDGRID_API_KEY"),
            smtp_password=env.get("ADVOCACY_SMTP_PASSWORD"),
            webhook_user=env.get("ADVOCACY_WEBHOOK_USER"),
            webhook_password=env.get("ADVOCACY_WEBHOOK_PASSWORD"),
            session_secret=env.get("ADVOCACY_SESSION_SECRET"),
            signing_key=env.get("ADVOCACY_SIGNING_KEY"),
            imap_password=env.get("ADVOCACY_IMAP_PASSWORD"),
            environ=dict(env),
        )

    def api_key(self, env_name: str | None) -> str | None:
        """The key in environment variable `env_name` (as `Source.key_env` names it); None when unset or empty."""
        return (self.environ.get(env_name) or None) if env_name else None

    def require(self, name: str, env_name: str) -> str:
        value = getattr(self, name)
        if not value:
            raise ConfigError(f"environment variable {env_name} is not set; it is needed here")
        return value


def local_secret(config: Config, name: str) -> str:
    """A random key kept under var/ for the embedded default, when the environment gives none.

    Never committed: var/ is ignored. Production sets the environment variable instead.
    """
    path = config.path("var") / f".{name}"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = pysecrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


def _apply_overrides(data: dict[str, Any], env: Mapping[str, str]) -> list[str]:
    applied = []
    for name, raw in sorted(env.items()):
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        path = [p.lower() for p in name[len(ENV_PREFIX):].split("__")]
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        node = data
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{name}: {'.'.join(path)} does not name a setting")
        node[path[-1]] = value
        applied.append(name)
    return applied


def _describe(error: ValidationError, origin: str, overrides: Mapping[tuple[str, ...], str] | None = None) -> str:
    """One line per problem, naming the file (or the environment variable that set the value) and the key."""
    lines = []
    for err in error.errors():
        loc = ""
        for part in err["loc"]:
            loc += f"[{part}]" if isinstance(part, int) else (f".{part}" if loc else str(part))
        path = tuple(str(p).lower() for p in err["loc"])
        variable = next((name for prefix, name in (overrides or {}).items() if path[:len(prefix)] == prefix), None)
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "required value is missing"
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        where = f"environment variable {variable} (overriding {origin})" if variable else origin
        lines.append(f"{where}: {loc or '(top level)'}: {msg}")
    return "\n".join(lines)


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such configuration file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """The host file's own collaborative (the only one of a single-collaborative `config.toml`)."""
    path = Path(path) if path else Path(os.environ.get("ADVOCACY_CONFIG", DEFAULT_CONFIG))
    return _validate(_read(path), path, path, os.environ if env is None else env)


def load_host(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> list[Config]:
    """Every collaborative of the host: the host file's own first, then one per `[host] collaboratives` file.

    A collaborative's file holds only the sections it owns (`OWNED_SECTIONS`); each replaces the host's section of
    that name, and the result is validated exactly as `config.toml` is. Slugs must differ. Environment overrides
    (`ADVOCACY_SECTION__KEY`) apply to every collaborative of the host.
    """
    path = Path(path) if path else Path(os.environ.get("ADVOCACY_CONFIG", DEFAULT_CONFIG))
    env = os.environ if env is None else env
    host_data = _read(path)
    configs = [_validate(host_data, path, path, env)]
    for name in configs[0].host.collaboratives:
        own_path = configs[0].path(name)
        own = _read(own_path)
        foreign = sorted(set(own) - OWNED_SECTIONS)
        if foreign:
            raise ConfigError(f"{own_path}: {', '.join(foreign)}: set by the host ({path}), not a collaborative "
                              f"(a collaborative's file may set {', '.join(sorted(OWNED_SECTIONS))})")
        merged = {key: value for key, value in host_data.items() if key != "host"} | own
        configs.append(_validate(merged, own_path, path, env))
    slugs = [c.collaborative.slug for c in configs]
    if len(set(slugs)) != len(slugs):
        raise ConfigError(f"{path}: every collaborative needs its own [collaborative] slug; got {', '.join(slugs)}")
    return configs


def _validate(data: dict[str, Any], origin: Path, host_path: Path, env: Mapping[str, str]) -> Config:
    data = copy.deepcopy(data)  # overrides write into nested tables the host's other collaboratives share
    applied = _apply_overrides(data, env)
    overrides = {tuple(p.lower() for p in name[len(ENV_PREFIX):].split("__")): name for name in applied}
    try:
        config = Config.model_validate({**data, "base_dir": host_path.resolve().parent})
    except ValidationError as exc:
        raise ConfigError(_describe(exc, str(origin), overrides)) from None
    return config
