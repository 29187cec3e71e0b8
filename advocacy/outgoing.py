"""One email to one member: addresses, signed links and reply tokens, the same for digests, alerts and agendas."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from advocacy.app import App
from advocacy.models import Digest, Member
from advocacy.tokens import make_reply_address, sign, unsign
from digests.message import Address, Attachment, OutgoingMessage
from digests.model import RenderedEmail

MEMBER_LINK = "member"


def member_token(app: App, member_id: int) -> str:
    return sign(app.signing_key, MEMBER_LINK, member_id)


def read_member_token(app: App, token: str) -> int:
    """The member id of a signed preferences/unsubscribe link; raises advocacy.tokens.TokenError."""
    return int(unsign(app.signing_key, MEMBER_LINK, token))


def member_url(app: App, member_id: int, page: str) -> str:
    return f"{app.config.collaborative.base_url}/m/{member_token(app, member_id)}/{page}"


def reply_address(app: App, digest_id: int) -> str:
    email = app.config.email
    return make_reply_address(app.signing_key, digest_id, local=email.reply_local, domain=email.reply_domain)


def message_for(app: App, digest: Digest, member: Member, rendered: RenderedEmail, *,
                substitute: str | None = None, attachments: Sequence[Attachment] = ()) -> OutgoingMessage:
    config = app.config
    unsubscribe = member_url(app, member.id, "unsubscribe")
    return OutgoingMessage(
        recipient=Address(member.email, member.name),
        sender=Address(config.email.from_address, config.email.from_name),
        email=rendered,
        reply_to=Address(reply_address(app, digest.id), f"{config.collaborative.name} questions"),
        # RFC 8058 one-click needs https; on a plain-http local install only the mailto form is offered
        unsubscribe_url=unsubscribe if unsubscribe.startswith("https://") else "",
        unsubscribe_mailto=f"mailto:{config.email.reply_local}+unsubscribe@{config.email.reply_domain}"
                           f"?subject=unsubscribe%20{member_token(app, member.id)}",
        headers={"X-Advocacy-Kind": digest.kind, "X-Advocacy-Digest": str(digest.id)},
        custom_args={"digest_id": str(digest.id), "member_id": str(member.id), "kind": digest.kind},
        categories=tuple(config.email.sendgrid.categories) + (digest.kind,),
        attachments=tuple(attachments),
        substitutions={substitute: member_token(app, member.id)} if substitute else {},
    )


def cached(render: Callable[[Any], RenderedEmail | None]) -> Callable[[Any], RenderedEmail | None]:
    """Render once per distinct key (members with the same topics get the same email)."""
    memo: dict[Any, RenderedEmail | None] = {}

    def get(key: Any) -> RenderedEmail | None:
        if key not in memo:
            memo[key] = render(key)
        return memo[key]

    return get


def compose_with(app: App, render_for: Callable[[Member], RenderedEmail | None], *,
                 substitute: str | None = None) -> Callable[[Session, Digest, Sequence[Member]],
                                                             list[OutgoingMessage | None]]:
    def compose(session: Session, digest: Digest, members: Sequence[Member]) -> list[OutgoingMessage | None]:
        out: list[OutgoingMessage | None] = []
        for member in members:
            rendered = render_for(member)
            out.append(None if rendered is None else message_for(app, digest, member, rendered,
                                                                 substitute=substitute))
        return out

    return compose
