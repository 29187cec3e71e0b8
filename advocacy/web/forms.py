"""Reading posted forms: the browser sends strings; the domain functions take values and say what is wrong."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData, UploadFile

LOCAL_MINUTE = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows


class FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def text(form: FormData, name: str, limit: int = 20_000) -> str:
    value = form.get(name, "")
    if not isinstance(value, str):
        raise FieldError(name, "expected text, got a file")
    if len(value) > limit:
        raise FieldError(name, f"is {len(value):,} characters long; at most {limit:,} fit")
    return value.replace("\r\n", "\n")


def checked(form: FormData, name: str) -> bool:
    return form.get(name) in ("1", "on", "yes", "true")


def choice(form: FormData, name: str, allowed: tuple[str, ...]) -> str | None:
    """One of `allowed`, or None for an empty value; anything else is an error naming the field."""
    value = text(form, name, 200).strip()
    if not value:
        return None
    if value not in allowed:
        raise FieldError(name, f"{value!r} is not one of {', '.join(allowed)}")
    return value


def whole_number(form: FormData, name: str, *, low: int = 1, high: int = 10_000) -> int:
    value = text(form, name, 20).strip()
    try:
        number = int(value)
    except ValueError:
        raise FieldError(name, f"{value!r} is not a whole number") from None
    if not low <= number <= high:
        raise FieldError(name, f"{number} is not between {low} and {high}")
    return number


def local_moment(value: str, zone: ZoneInfo, *, day_ends: bool = True) -> datetime | None:
    """A datetime-local ("2026-12-04T17:00") or a date ("2026-12-04": the end of that day, or its start) in the
    collaborative's zone; None when empty; ValueError when it is neither."""
    value = value.strip()
    if not value:
        return None
    if "T" in value:
        return datetime.strptime(value, LOCAL_MINUTE).replace(tzinfo=zone)
    day = date.fromisoformat(value)
    return datetime.combine(day, time(23, 59) if day_ends else time(0, 0), zone)


def local_input(value: datetime | None, zone: ZoneInfo) -> str:
    """The value a datetime-local input shows for an instant."""
    return value.astimezone(zone).strftime(LOCAL_MINUTE) if value else ""


def upload(form: FormData, name: str, limit: int) -> tuple[str, bytes]:
    """(file name, bytes) of an uploaded file, at most `limit` bytes."""
    value: Any = form.get(name)
    if not isinstance(value, UploadFile) or not value.filename:
        raise FieldError(name, "choose a file to upload")
    data = value.file.read(limit + 1)
    if len(data) > limit:
        raise FieldError(name, f"{value.filename} is larger than {limit // 1_000_000} MB")
    return value.filename, data


def problems_by_field(problems: list[str], fields: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    """Split "field: what is wrong" messages into those shown next to their field and the rest."""
    by_field: dict[str, str] = {}
    other: list[str] = []
    for problem in problems:
        name, sep, message = problem.partition(": ")
        if sep and name in fields:
            by_field[name] = f"{by_field[name]} {message}" if name in by_field else message
        else:
            other.append(problem)
    return by_field, other
