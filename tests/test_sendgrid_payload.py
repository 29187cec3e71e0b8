"""The SendGrid request body is built as plain data: the JSON the official helper classes make (category order aside)."""

from __future__ import annotations

import base64

from sendgrid.helpers import mail as sg

from digests.channels.email import SendGridBackend
from digests.message import Address, Attachment, OutgoingMessage, list_unsubscribe_headers
from digests.model import RenderedEmail

EMAIL = RenderedEmail(subject="Legislative update", text="Hi -member-token-", html="<p>Hi -member-token-</p>")


def message(email: str, name: str, token: str) -> OutgoingMessage:
    return OutgoingMessage(
        recipient=Address(email, name), sender=Address("updates@heartland.example.org", "Heartland Collaborative"),
        email=EMAIL, reply_to=Address("questions+abc.def@reply.example.org", "Heartland questions"),
        unsubscribe_url=f"https://updates.example.org/m/{token}/unsubscribe",
        unsubscribe_mailto=f"mailto:questions+unsubscribe@reply.example.org?subject=unsubscribe%20{token}",
        headers={"X-Advocacy-Kind": "digest"}, custom_args={"mailing_id": "4", "member_id": token},
        categories=("advocacy", "digest"), substitutions={"-member-token-": token},
        attachments=(Attachment("call.ics", b"BEGIN:VCALENDAR", "text/calendar", (("method", "REQUEST"),)),),
    )


def helper_payload(first: OutgoingMessage, members: list[OutgoingMessage]) -> dict:
    """The body as the sendgrid library's helper classes build it (what the backend sent before)."""
    mail = sg.Mail()
    mail.from_email = sg.From(first.sender.email, first.sender.name or None)
    mail.subject = sg.Subject(first.email.subject)
    mail.add_content(sg.Content("text/plain", first.email.text))
    mail.add_content(sg.Content("text/html", first.email.html))
    assert first.reply_to is not None
    mail.reply_to = sg.ReplyTo(first.reply_to.email, first.reply_to.name or None)
    for category in first.categories:
        mail.add_category(sg.Category(category))
    for a in first.attachments:
        mail.add_attachment(sg.Attachment(sg.FileContent(base64.b64encode(a.content).decode("ascii")),
                                          sg.FileName(a.filename), sg.FileType(a.content_type),
                                          sg.Disposition("attachment")))
    for index, member in enumerate(members):
        personalization = sg.Personalization()
        personalization.add_to(sg.To(member.recipient.email, member.recipient.name or None))
        for name, value in {**list_unsubscribe_headers(member), **member.headers}.items():
            personalization.add_header(sg.Header(name, value))
        for key, value in member.custom_args.items():
            personalization.add_custom_arg(sg.CustomArg(key, value))
        for key, value in member.substitutions.items():
            personalization.add_substitution(sg.Substitution(key, value))
        mail.add_personalization(personalization, index=index)
    return mail.get()


def test_plain_payload_is_the_json_the_official_helpers_make() -> None:
    members = [message("ana@cedarfalls.example.org", "Ana Rivera", "t1"), message("bo@maple.example.org", "", "t2")]
    plain, helped = SendGridBackend("SG.test-key").payload(members[0], members), helper_payload(members[0], members)
    assert plain["categories"] == ["advocacy", "digest"]  # in the message's order (the helpers reverse it)
    assert sorted(helped.pop("categories")) == sorted(plain.pop("categories"))
    assert plain == helped


def test_sandbox_mode_is_asked_for_in_the_plain_payload() -> None:
    first = message("ana@cedarfalls.example.org", "Ana Rivera", "t1")
    assert SendGridBackend("SG.test-key", sandbox=True).payload(first, [first])["mail_settings"] == {
        "sandbox_mode": {"enable": True}}
