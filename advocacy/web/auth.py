"""Who is signed in, what their role lets them do, and how many wrong passwords an address may try."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from starlette.exceptions import HTTPException
from starlette.requests import Request

from advocacy.app import App, Clock
from advocacy.models import StaffUser
from advocacy.people import staff

SESSION_USER = "uid"
SESSION_FINGERPRINT = "fp"


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in account as a plain value: safe to keep after the database session closes."""

    id: int
    email: str
    role: str

    def can(self, role: str) -> bool:
        return staff.role_allows(self.role, role)

    @property
    def can_change(self) -> bool:
        return self.can(staff.ADVOCATE)


def load_user(app: App, session_data: dict[str, object]) -> CurrentUser | None:
    """The account named by the session cookie, if it still exists and its password has not changed since."""
    uid = session_data.get(SESSION_USER)
    if not isinstance(uid, int):
        return None
    with app.sessions() as session:
        user = session.get(StaffUser, uid)
        if user is None or session_data.get(SESSION_FINGERPRINT) != staff.fingerprint(user):
            return None
        return CurrentUser(id=user.id, email=user.email, role=user.role)


def sign_in(request: Request, user: StaffUser) -> None:
    # A fresh session at sign-in: nothing an anonymous visitor put in it (a planted CSRF token) survives.
    request.session.clear()
    request.session[SESSION_USER] = user.id
    request.session[SESSION_FINGERPRINT] = staff.fingerprint(user)


def sign_out(request: Request) -> None:
    request.session.clear()


def current_user(request: Request) -> CurrentUser | None:
    """The signed-in user, as loaded by the route guard (None on a public page visited anonymously)."""
    return getattr(request.state, "user", None)


def require_user(request: Request) -> CurrentUser:
    user = current_user(request)
    if user is None:
        raise HTTPException(403, "Please sign in first.")
    return user


def require_role(request: Request, role: str) -> CurrentUser:
    """The signed-in user if their role allows `role`, else 403. Routes built with `action()` already check."""
    user = require_user(request)
    if not user.can(role):
        raise HTTPException(403, f"Your account ({user.role}) can read but not change this; an {role} can.")
    return user


class LoginLimiter:
    """At most `limit` failed sign-ins per (email, address) and `address_limit` per address whatever the email,
    within `window`; kept in memory, per process.

    One process serves the staff pages, so memory is enough; a restart forgets, which costs an attacker at most
    one more window of guesses, each of them slowed by Argon2. The per-address count stops one address from
    trying many emails; a success clears only its own (email, address) count.
    """

    def __init__(self, clock: Clock, *, limit: int = 5, address_limit: int = 20,
                 window: timedelta = timedelta(minutes=15)) -> None:
        self.clock = clock
        self.limit = limit
        self.address_limit = address_limit
        self.window = window
        self._failures: dict[tuple[str, str], deque[datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: datetime) -> deque[datetime]:
        times = self._failures.get(key, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        return times

    def retry_after(self, email: str, address: str) -> timedelta | None:
        """How long until this pair may try again, or None if it may try now."""
        now = self.clock()
        waits = []
        with self._lock:
            for key, limit in (((email.strip().lower(), address), self.limit), (("", address), self.address_limit)):
                times = self._recent(key, now)
                if len(times) >= limit:
                    waits.append(self.window - (now - times[-limit]))
        return max(waits, default=None)

    def failed(self, email: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            for key in ((email.strip().lower(), address), ("", address)):
                times = self._recent(key, now)
                times.append(now)
                self._failures[key] = times
            if len(self._failures) > 10_000:  # forget pairs whose failures have all expired
                for stale in [k for k in self._failures if not self._recent(k, now)]:
                    del self._failures[stale]

    def succeeded(self, email: str, address: str) -> None:
        with self._lock:
            self._failures.pop((email.strip().lower(), address), None)
