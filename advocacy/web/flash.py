"""One-time messages after a POST-redirect-GET ("H.B. 96 approved."), kept in the signed session cookie."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

SESSION_KEY = "flash"
KINDS = ("good", "bad", "info", "warn")


@dataclass(frozen=True)
class Flash:
    text: str
    kind: str


def flash(request: Request, text: str, kind: str = "good") -> None:
    if kind not in KINDS:
        raise ValueError(f"flash kind {kind!r} is not one of {', '.join(KINDS)}")
    waiting = list(request.session.get(SESSION_KEY, []))
    waiting.append([text, kind])
    request.session[SESSION_KEY] = waiting[-5:]  # a cookie has little room; the last few are what matter


def pop_flashes(request: Request) -> list[Flash]:
    if "session" not in request.scope:
        return []
    waiting = request.session.pop(SESSION_KEY, [])
    return [Flash(str(text), str(kind)) for text, kind in waiting if kind in KINDS]
