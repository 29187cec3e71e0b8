from __future__ import annotations

import re

import pytest

from advocacy.tokens import (
    ReplyToken,
    TokenError,
    make_reply_address,
    make_reply_token,
    read_reply_address,
    read_reply_token,
    sign,
    signer_for,
    token_from_address,
    unsign,
)

SECRET = "test-secret-not-for-production"


def test_reply_address_round_trips_to_its_digest() -> None:
    address = make_reply_address(SECRET, 4321, domain="reply.example.org")
    assert address.startswith("questions+") and address.endswith("@reply.example.org")
    assert read_reply_address(SECRET, address) == 4321


def test_reply_token_carries_an_optional_member() -> None:
    assert read_reply_token(SECRET, make_reply_token(SECRET, 7, member_id=912)) == ReplyToken(7, 912)
    assert read_reply_token(SECRET, make_reply_token(SECRET, 7)) == ReplyToken(7, None)


def test_reply_token_is_lowercase_short_and_fits_a_local_part() -> None:
    token = make_reply_token(SECRET, 2**40, member_id=2**31)
    assert re.fullmatch(r"[a-z0-9.]+", token)
    assert len(f"questions+{token}") <= 64


def test_reply_address_survives_a_server_that_changes_case() -> None:
    address = make_reply_address(SECRET, 55, member_id=3)
    assert read_reply_address(SECRET, address.upper()) == 55
    assert read_reply_address(SECRET, f"<{address.title()}>") == 55


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.replace(t.split(".")[0], "zz", 1),  # another digest id
        lambda t: t[:-1] + ("a" if t[-1] != "a" else "b"),  # one signature character
        lambda t: t.rsplit(".", 1)[0],  # signature removed
        lambda t: t + "x",  # signature lengthened
    ],
)
def test_tampered_reply_token_is_rejected(change) -> None:
    token = make_reply_token(SECRET, 1234, member_id=5)
    assert read_reply_token(SECRET, change(token)) is None


def test_reply_token_from_another_secret_is_rejected() -> None:
    address = make_reply_address("another-secret", 99)
    assert read_reply_address(SECRET, address) is None


def test_rotated_secret_still_reads_old_addresses() -> None:
    address = make_reply_address("old-secret", 99)
    assert read_reply_address(["old-secret", "new-secret"], address) == 99
    assert read_reply_address("new-secret", make_reply_address(["old-secret", "new-secret"], 99)) == 99


@pytest.mark.parametrize(
    "address",
    [
        "questions@reply.example.org",
        "help+abc@reply.example.org",
        "questions+@reply.example.org",
        "",
        "not an address",
    ],
)
def test_addresses_without_our_token_read_as_none(address: str) -> None:
    assert read_reply_address(SECRET, address) is None


def test_token_from_address_finds_the_token_for_a_configured_local_part() -> None:
    assert token_from_address("Replies+AbC.12@reply.example.org", local="replies") == "abc.12"
    assert token_from_address("questions+abc.12@reply.example.org", local="replies") is None


def test_negative_ids_are_refused() -> None:
    with pytest.raises(ValueError):
        make_reply_token(SECRET, -1)


def test_signed_link_round_trips_its_payload() -> None:
    token = sign(SECRET, "unsubscribe", {"member": 12, "list": "digest"})
    assert unsign(SECRET, "unsubscribe", token) == {"member": 12, "list": "digest"}
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", token)


def test_signed_link_for_one_purpose_is_refused_for_another() -> None:
    token = sign(SECRET, "unsubscribe", {"member": 12})
    with pytest.raises(TokenError, match="preferences"):
        unsign(SECRET, "preferences", token)


def test_tampered_signed_link_is_refused() -> None:
    token = sign(SECRET, "unsubscribe", {"member": 12})
    payload, _, rest = token.partition(".")
    forged = sign("attacker", "unsubscribe", {"member": 13}).partition(".")[0] + "." + rest
    with pytest.raises(TokenError):
        unsign(SECRET, "unsubscribe", forged)


def test_signed_link_expires_after_max_age_on_the_injected_clock() -> None:
    now = [1_700_000_000.0]
    token = sign(SECRET, "preferences", 12, clock=lambda: now[0])
    now[0] += 3600
    assert unsign(SECRET, "preferences", token, max_age=7200, clock=lambda: now[0]) == 12
    now[0] += 7200
    with pytest.raises(TokenError, match="expired"):
        unsign(SECRET, "preferences", token, max_age=7200, clock=lambda: now[0])


def test_tokens_of_a_reused_signer_are_read_like_single_ones_and_only_for_their_purpose() -> None:
    many = signer_for([SECRET + "-old", SECRET], "member")
    tokens = [many(member_id) for member_id in (1, 2, 259)]
    assert [unsign(SECRET, "member", token) for token in tokens] == [1, 2, 259]
    assert len(set(tokens)) == 3
    with pytest.raises(TokenError):
        unsign(SECRET, "unsubscribe", tokens[0])


def test_a_reused_signer_dates_its_tokens_by_the_injected_clock_so_readers_on_that_clock_accept_them() -> None:
    now = [1_700_000_000.0]  # long before the wall clock: a token dated by the wall clock would read as "negative age"
    many = signer_for(SECRET, "member", clock=lambda: now[0])
    token = many(7)
    assert unsign(SECRET, "member", token, max_age=3600, clock=lambda: now[0]) == 7
    assert token == sign(SECRET, "member", 7, clock=lambda: now[0])
    now[0] += 7200
    with pytest.raises(TokenError, match="expired"):
        unsign(SECRET, "member", token, max_age=3600, clock=lambda: now[0])
