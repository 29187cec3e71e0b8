"""Members' messages of one mailing: the common parts built once, each member's own parts still their own."""

from __future__ import annotations

import pytest

from advocacy.app import App
from advocacy.models import Mailing, Member
from advocacy.outbound.outgoing import compose_with, read_member_token
from advocacy.outbound.portal import fresh_link_message
from digests.message import Address, MessageError
from digests.model import RenderedEmail

EMAIL = RenderedEmail(subject="Digest", text="Hello TOKEN", html="<p>Hello TOKEN</p>")


def test_messages_of_one_mailing_share_sender_and_reply_address_but_carry_their_members_tokens(app: App) -> None:
    compose = compose_with(app, lambda member: EMAIL, substitute="TOKEN")
    mailing = Mailing(id=42, kind="digest")
    first = compose(mailing, Member(id=7, email="ana@cedarfalls.example.org", name="Ana Rivera"))
    second = compose(mailing, Member(id=8, email="bo@maple.example.org", name="Bo"))
    assert first.sender is second.sender and first.reply_to is second.reply_to
    assert first.reply_to is not None and "+" in first.reply_to.email
    assert [read_member_token(app, m.substitutions["TOKEN"]) for m in (first, second)] == [7, 8]
    assert first.custom_args["member_id"] == "7" and first.recipient.email == "ana@cedarfalls.example.org"


def test_every_email_names_its_collaborative_for_the_hosts_one_event_webhook(app: App) -> None:
    member = Member(id=7, email="ana@cedarfalls.example.org", name="Ana Rivera")
    digest = compose_with(app, lambda m: EMAIL)(Mailing(id=42, kind="digest"), member)
    link = fresh_link_message(app, member)
    slug = app.config.collaborative.slug
    assert digest.custom_args["collaborative"] == slug == link.custom_args["collaborative"] == "default"


@pytest.mark.parametrize("email, name", [("a..b@example.org", ""), ("a b@example.org", ""),
                                         ("ana@example.org", "Ana\r\nBcc: everyone@example.org")])
def test_the_quick_address_check_still_refuses_what_the_full_parser_refuses(email: str, name: str) -> None:
    with pytest.raises(MessageError):
        Address(email, name)


def test_unusual_but_valid_addresses_still_pass_through_the_full_parser() -> None:
    assert Address("postmaster@localhost").domain == "localhost"
    assert str(Address("ana+digest@sub.example.org", "Rivera, Ana")) == '"Rivera, Ana" <ana+digest@sub.example.org>'
