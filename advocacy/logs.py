"""Structured logs: one line per event, `key=value` (logfmt) or JSON, quiet unless asked for detail.

An event is logged with `log_event(logger, "job.finished", job="digest", status="ok", duration_ms=812, sent=41)`.
Library messages (APScheduler, uvicorn) come out in the same shape with their text under `msg`.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

Format = Literal["kv", "json"]
FIELDS = "event_fields"  # where log_event puts its fields on the LogRecord

# By default a person sees one line per job run plus anything that went wrong; --verbose shows every step,
# the scheduler's own decisions and the web requests.
# SQLAlchemy stays at warnings even then: its INFO is every SQL statement.
QUIET_LEVELS = {"advocacy": logging.INFO, "apscheduler": logging.WARNING, "uvicorn": logging.WARNING,
                "uvicorn.access": logging.WARNING, "sqlalchemy": logging.WARNING}
VERBOSE_LEVELS = {"advocacy": logging.DEBUG, "apscheduler": logging.INFO, "uvicorn": logging.INFO,
                  "uvicorn.access": logging.INFO, "sqlalchemy": logging.WARNING}


def log_event(logger: logging.Logger, event: str, level: int = logging.INFO, **fields: Any) -> None:
    logger.log(level, event, extra={FIELDS: fields})


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname.lower(),
        "logger": record.name,
    }
    fields: Mapping[str, Any] | None = getattr(record, FIELDS, None)
    if fields is None:
        out["event"] = "log"
        out["msg"] = record.getMessage()
    else:
        out["event"] = record.getMessage()
        out.update(fields)
    if record.exc_info and record.exc_info[0] is not None:
        out["error"] = f"{record.exc_info[0].__name__}: {record.exc_info[1]}"
    return out


def _logfmt_value(value: Any) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    elif isinstance(value, float):
        value = f"{value:.3f}".rstrip("0").rstrip(".")
    elif isinstance(value, bool) or value is None:
        value = json.dumps(value)
    text = str(value)
    if text == "" or any(c in text for c in ' "=\n\t'):
        return json.dumps(text)
    return text


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{k}={_logfmt_value(v)}" for k, v in _fields(record).items())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record), default=str, separators=(",", ":"))


class _Replaced(logging.Filter):
    """Drops a library message that one of our own structured events already reports."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.prefix)


# The scheduler's own line for an overlapping run; `job.skipped` says it with the job's fields.
REPLACED = {"apscheduler.scheduler": "Execution of job"}


def configure(verbose: bool = False, fmt: Format = "kv", stream: TextIO | None = None) -> logging.Handler:
    """Replace the root handlers with one structured handler; returns it (so a caller can remove it)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else KeyValueFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    for name, level in (VERBOSE_LEVELS if verbose else QUIET_LEVELS).items():
        logging.getLogger(name).setLevel(level)
    for name, prefix in REPLACED.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, _Replaced) for f in logger.filters):
            logger.addFilter(_Replaced(prefix))
    return handler
