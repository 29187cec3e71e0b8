"""Staff accounts: the advocate who curates and the viewers who read. Passwords are hashed with Argon2id."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from advocacy.models import StaffUser

ADVOCATE = "advocate"
VIEWER = "viewer"
ROLES = (VIEWER, ADVOCATE)  # in rising order of what the role may do
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # hashing a megabyte per request is a denial of service, not a password

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# A hash of a random, forgotten string: verified against when the email is unknown, so that a wrong email
# costs as long as a wrong password and the timing does not tell which accounts exist.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$m2kYotweTYZULfwUESbiOg$5pPLs597UbOIiIWaFd43IQPlv2572Dd3f3RxtyxjgC4"
)


class UserError(ValueError):
    """Bad input for an account: the message names the field."""


def default_hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2-cffi's defaults follow RFC 9106's recommendation


def normalize_email(email: str) -> str:
    value = email.strip().lower()
    if not _EMAIL.match(value) or len(value) > 320:
        raise UserError(f"email: {email!r} is not an email address")
    return value


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"role: {role!r} is not one of {', '.join(ROLES)}")
    return role


def role_allows(role: str, needed: str) -> bool:
    """An advocate may do what a viewer may; a viewer may not do what an advocate may."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(check_role(needed))


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password: use at least {MIN_PASSWORD} characters (a few words make a good one)")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"password: at most {MAX_PASSWORD} characters")
    return password


def find_user(session: Session, email: str) -> StaffUser | None:
    return session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))


def add_user(session: Session, email: str, password: str, role: str, *, now: datetime,
             hasher: PasswordHasher | None = None) -> StaffUser:
    address = normalize_email(email)
    check_role(role)
    check_password(password)
    if find_user(session, address) is not None:
        raise UserError(f"email: an account for {address} already exists")
    user = StaffUser(email=address, password_hash=(hasher or default_hasher()).hash(password), role=role,
                     created_at=now)
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, email: str, password: str, *, hasher: PasswordHasher | None = None) -> StaffUser:
    user = find_user(session, email)
    if user is None:
        raise UserError(f"email: no account for {email.strip().lower()}")
    user.password_hash = (hasher or default_hasher()).hash(check_password(password))
    return user


def set_role(session: Session, email: str, role: str) -> StaffUser:
    user = find_user(session, email)
    if user is None:
        raise UserError(f"email: no account for {email.strip().lower()}")
    user.role = check_role(role)
    return user


def remove_user(session: Session, email: str) -> None:
    user = find_user(session, email)
    if user is None:
        raise UserError(f"email: no account for {email.strip().lower()}")
    session.delete(user)


def list_users(session: Session) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).order_by(StaffUser.email)))


def authenticate(session: Session, email: str, password: str, *,
                 hasher: PasswordHasher | None = None) -> StaffUser | None:
    """The account if the password is right, else None. Upgrades a hash made with weaker parameters."""
    hasher = hasher or default_hasher()
    if len(password) > MAX_PASSWORD:
        return None
    user = find_user(session, email)
    try:
        hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None:  # only if someone guessed the forgotten dummy password
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


def fingerprint(user: StaffUser) -> str:
    """Changes when the password does: a session remembers it, so a new password signs out old sessions."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]
