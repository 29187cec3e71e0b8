"""One email to one member: addresses, signed links and reply tokens, the same for digests, alerts and agendas."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from advocacy.app import App
from advocacy.models import Mailing, Member
from advocacy.outbound.sending import Skip
from advocacy.tokens import make_reply_address, sign, signer_for, unsign
from digests.message import Address, Attachment, OutgoingMessage
from digests.model import RenderedEmail

MEMBER_LINK = "member"


def _seconds(app: App) -> Callable[[], float]:
    return lambda: app.now().timestamp()


def member_token(app: App, member_id: int) -> str:
    """The member's key in every link of an email (preferences, unsubscribe, portal, calendar), dated by the
    app's clock so that readers can refuse an old one (`max_age`)."""
    return sign(app.signing_key, MEMBER_LINK, member_id, clock=_seconds(app))


def read_member_token(app: App, token: str, *, max_age: int | None = None) -> int:
    """The member id of a signed member link; raises advocacy.tokens.TokenError (TokenExpired when older than
    `max_age` seconds). Unsubscribe and preferences accept any age; the portal pages do not."""
    return int(unsign(app.signing_key, MEMBER_LINK, token, max_age=max_age, clock=_seconds(app)))


def reply_address(app: App, mailing_id: int) -> str:
    email = app.config.email
    return make_reply_address(app.signing_key, mailing_id, local=email.reply_local, domain=email.reply_domain)


@dataclass(frozen=True)
class Shared:
    """What every member's message of one mailing has in common: built once per mailing, not once per member."""

    sender: Address
    reply_to: Address
    headers: Mapping[str, str]
    categories: tuple[str, ...]
    token: Callable[[int], str]  # a member's signed link token


def shared_for(app: App, digest: Mailing, reply_mailing_id: int | None = None) -> Shared:
    config = app.config
    return Shared(
        sender=Address(config.email.from_address, config.email.from_name),
        reply_to=Address(reply_address(app, reply_mailing_id or digest.id), f"{config.collaborative.name} questions"),
        headers={"X-Advocacy-Kind": digest.kind, "X-Advocacy-Mailing": str(digest.id)},
        categories=tuple(dict.fromkeys((*config.email.sendgrid.categories, digest.kind))),
        token=signer_for(app.signing_key, MEMBER_LINK, clock=_seconds(app)),
    )


def message_for(app: App, digest: Mailing, member: Member, rendered: RenderedEmail, *,
                substitute: str | None = None, attachments: Sequence[Attachment] = (),
                reply_mailing_id: int | None = None, shared: Shared | None = None) -> OutgoingMessage:
    """`rendered` addressed to `member`. With `substitute`, that placeholder in the email becomes the member's own
    signed link token, so the email itself can be shared by every member who sees the same content.
    `reply_mailing_id`: the email replies belong to, when not this one (a reminder's replies answer its alert).
    `shared`: the mailing's common parts, when the caller builds many messages (`shared_for`)."""
    config = app.config
    shared = shared or shared_for(app, digest, reply_mailing_id)
    token = shared.token(member.id)
    unsubscribe = f"{config.collaborative.base_url}/m/{token}/unsubscribe"
    return OutgoingMessage(
        recipient=Address(member.email, member.name),
        sender=shared.sender,
        email=rendered,
        reply_to=shared.reply_to,
        # RFC 8058 one-click needs https; on a plain-http local install only the mailto form is offered
        unsubscribe_url=unsubscribe if unsubscribe.startswith("https://") else "",
        unsubscribe_mailto=f"mailto:{config.email.reply_local}+unsubscribe@{config.email.reply_domain}"
                           f"?subject=unsubscribe%20{token}",
        headers=shared.headers,
        custom_args={"mailing_id": str(digest.id), "member_id": str(member.id), "kind": digest.kind,
                     "collaborative": config.collaborative.slug},
        categories=shared.categories,
        attachments=tuple(attachments),
        substitutions={substitute: token} if substitute else {},
    )


def cached(render: Callable[[Any], RenderedEmail | None]) -> Callable[[Any], RenderedEmail | None]:
    """Render once per distinct key (members with the same topics get the same email)."""
    memo: dict[Any, RenderedEmail | None] = {}

    def get(key: Any) -> RenderedEmail | None:
        if key not in memo:
            memo[key] = render(key)
        return memo[key]

    return get


def compose_with(app: App, render_for: Callable[[Member], RenderedEmail | None], *, substitute: str | None = None,
                 nothing: str = "nothing in this email concerns the member's topics"
                 ) -> Callable[[Mailing, Member], OutgoingMessage]:
    """A `sending.Compose`: the member's message, or `Skip(nothing)` when `render_for` has no email for them."""

    shared: dict[int, Shared] = {}

    def compose(digest: Mailing, member: Member) -> OutgoingMessage:
        rendered = render_for(member)
        if rendered is None:
            raise Skip(nothing)
        if digest.id not in shared:
            shared[digest.id] = shared_for(app, digest)
        return message_for(app, digest, member, rendered, substitute=substitute, shared=shared[digest.id])

    return compose
