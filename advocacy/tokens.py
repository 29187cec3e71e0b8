"""Signed tokens: reply addresses (`questions+TOKEN@reply.example.org`) and signed links (unsubscribe,
preferences).

Reply tokens live in the local part of an email address, which some mail servers lowercase and which must stay
short (64 characters at most). So the token is built only from lowercase letters, digits and dots: ids in base
36 and an HMAC truncated to 80 bits in lowercase base 32 (digest 123456, member 259: `2n9c.77.` and 16
signature characters). Verification lowercases first, so a server that changes the case does not break a
member's reply. itsdangerous does the key derivation (salted, with key rotation: pass a list of secrets,
newest last).

Signed links have no such limits and use itsdangerous' URL-safe timed serializer with the purpose as salt, so
a token made for one purpose (say "unsubscribe") is never accepted for another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadData, SignatureExpired, Signer, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, int_to_bytes, want_bytes

Secret = str | bytes | Sequence[str] | Sequence[bytes]

_REPLY_SALT = "advocacy.reply-address"
_SIG_BYTES = 10  # 80 bits: 16 base-32 characters; enough against guessing, short enough for a local part
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_TOKEN = re.compile(r"^[0-9a-z]+(?:\.[0-9a-z]+)?\.[a-z2-7]{16}$")


class TokenError(ValueError):
    """A signed value was tampered with, made for another purpose, malformed or expired."""


class TokenExpired(TokenError):
    """A genuine token, older than the reader accepts: its holder may ask for a fresh one."""


class _LowercaseSigner(Signer):
    """itsdangerous' Signer with a truncated, lowercase base-32 signature that survives case folding."""

    def get_signature(self, value: str | bytes) -> bytes:
        return self._signature(self.derive_key(), want_bytes(value))

    def verify_signature(self, value: str | bytes, sig: str | bytes) -> bool:
        value, sig = want_bytes(value), want_bytes(sig)
        return any(
            hmac.compare_digest(self._signature(self.derive_key(key), value), sig)
            for key in reversed(self.secret_keys)
        )

    def _signature(self, key: bytes, value: bytes) -> bytes:
        mac = self.algorithm.get_signature(key, value)[:_SIG_BYTES]
        return base64.b32encode(mac).rstrip(b"=").lower()


def _reply_signer(secret: Secret) -> _LowercaseSigner:
    return _LowercaseSigner(secret, salt=_REPLY_SALT, sep=".", digest_method=hashlib.sha256)


def _base36(number: int) -> str:
    if number < 0:
        raise ValueError(f"ids must not be negative: {number}")
    digits = ""
    while True:
        number, rest = divmod(number, 36)
        digits = _ALPHABET[rest] + digits
        if not number:
            return digits


@dataclass(frozen=True)
class ReplyToken:
    mailing_id: int
    member_id: int | None = None


def make_reply_token(secret: Secret, mailing_id: int, member_id: int | None = None) -> str:
    value = _base36(mailing_id) if member_id is None else f"{_base36(mailing_id)}.{_base36(member_id)}"
    return _reply_signer(secret).sign(value).decode("ascii")


def read_reply_token(secret: Secret, token: str) -> ReplyToken | None:
    """The digest (and member) a token names, or None when it is malformed or its signature does not match."""
    token = token.strip().lower()
    if not _TOKEN.match(token):
        return None
    try:
        value = _reply_signer(secret).unsign(token).decode("ascii")
    except BadData:
        return None
    ids = [int(part, 36) for part in value.split(".")]
    return ReplyToken(ids[0], ids[1] if len(ids) > 1 else None)


def make_reply_address(
    secret: Secret,
    mailing_id: int,
    *,
    member_id: int | None = None,
    local: str = "questions",
    domain: str = "reply.example.org",
) -> str:
    """`questions+TOKEN@domain`: replies to this address say which digest (and member) they answer."""
    return f"{local}+{make_reply_token(secret, mailing_id, member_id)}@{domain}"


def token_from_address(address: str, local: str = "questions") -> str | None:
    """The TOKEN of `local+TOKEN@domain` (any domain, any case), or None for any other address."""
    user, at, _domain = address.strip().strip("<>").rpartition("@")
    base, plus, token = user.partition("+")
    if not at or not plus or base.lower() != local.lower() or not token:
        return None
    return token.lower()


def read_reply_address(secret: Secret, address: str, local: str = "questions") -> int | None:
    """The digest id of a reply address we made, or None when it is not ours or has been tampered with."""
    token = token_from_address(address, local)
    parsed = read_reply_token(secret, token) if token else None
    return parsed.mailing_id if parsed else None


class _ClockSigner(TimestampSigner):
    """TimestampSigner whose clock is passed in, so that expiry is testable without waiting."""

    def __init__(self, *args: Any, clock: Callable[[], float], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock())


def _serializer(secret: Secret, purpose: str, clock: Callable[[], float] | None) -> URLSafeTimedSerializer:
    if not purpose:
        raise ValueError("a signed value needs a purpose")
    if clock is None:
        return URLSafeTimedSerializer(secret, salt=f"advocacy.{purpose}")
    return URLSafeTimedSerializer(
        secret, salt=f"advocacy.{purpose}", signer=_ClockSigner, signer_kwargs={"clock": clock}
    )


def signer_for(secret: Secret, purpose: str, *, clock: Callable[[], float] = time.time) -> Callable[[Any], str]:
    """`sign` for many payloads (every member of a mailing): the same tokens, with the serializer, its derived key
    and the keyed HMAC made once; each token costs its payload's encoding and one copied HMAC."""
    serializer = _serializer(secret, purpose, None)
    signer = serializer.make_signer()
    keyed = hmac.new(signer.derive_key(), digestmod=signer.digest_method)
    sep = want_bytes(signer.sep)

    def sign_one(payload: Any) -> str:
        # up to 9 characters, an int's JSON is its digits and zlib never makes it shorter: what dump_payload makes
        short_int = type(payload) is int and -10**8 < payload < 10**9
        body = base64_encode(b"%d" % payload) if short_int else serializer.dump_payload(payload)
        value = body + sep + base64_encode(int_to_bytes(int(clock())))
        mac = keyed.copy()
        mac.update(value)
        return (value + sep + base64_encode(mac.digest())).decode("utf-8")

    return sign_one


def sign(secret: Secret, purpose: str, payload: Any, *, clock: Callable[[], float] | None = None) -> str:
    """A URL-safe token carrying `payload` (anything JSON can hold), valid only for `purpose`."""
    return _serializer(secret, purpose, clock).dumps(payload)


def unsign(
    secret: Secret,
    purpose: str,
    token: str,
    *,
    max_age: int | None = None,
    clock: Callable[[], float] | None = None,
) -> Any:
    """The payload of a token made by `sign` for the same purpose; TokenError when it is not valid."""
    try:
        return _serializer(secret, purpose, clock).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenExpired(f"{purpose} token expired") from exc
    except BadData as exc:
        raise TokenError(f"{purpose} token is not valid") from exc
