from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from advocacy.app import App
from advocacy.outbound import opportunities as opp
from advocacy.outbound.opportunities import call_to_action, set_template
from digests import examples
from digests.model import ContextError, PersonalCall
from digests.render import EmailRenderer
from tests.people_helpers import bill, hearing_of, member, setup_world


def test_alert_names_the_members_legislators_the_committee_role_and_the_acted_link(app: App) -> None:
    with app.transaction() as session:
        setup_world(session, app.now())
        set_template(session, bill(session), app.now(), message="Please restore the phase-in; {district} needs it.",
                     testimony_template="Chair and members of the committee: thank you for hearing our views.")
    with app.sessions() as session:
        hearing = hearing_of(session, "House Primary and Secondary Education")
        found = call_to_action(session, app.config, member(session, "tamara.odum@riverbend.example.org"),
                               bill(session), hearing, acted_url="https://updates.example.org/a/tok123")
        testimony = opp.testimony_info(session, app.config, hearing)
    context = replace(examples.alert(), call=found.call,
                      hearing=replace(examples.HEARING, testimony=testimony))
    email = EmailRenderer().alert(context)
    assert "YOUR LEGISLATORS" in email.text
    flowing = " ".join(email.text.split())
    assert ("Rep. Delia Frankart, who represents your district, is chair of the House Primary and Secondary "
            "Education Committee, which hears H.B. 96 on Wednesday, Dec 2.") in flowing
    assert "* Rep. Delia Frankart (R, House District 61)" in email.text
    assert "  Phone: (614) 466-1061" in email.text and "  Email: rep61@ohiohouse.gov" in email.text
    assert "Riverbend Local Schools needs it." in flowing
    assert "Contacted them? One click tells us: https://updates.example.org/a/tok123" in email.text
    assert 'Or reply "done" to this email.' in email.text
    assert "Testimony due Tuesday, Dec 1, 9:30 a.m. ET" in email.text  # 24 hours before the 9:30 hearing
    assert "Our template testimony" in email.text and "thank you for hearing our views" in flowing
    assert 'href="https://updates.example.org/a/tok123"' in email.html
    assert 'href="mailto:rep61@ohiohouse.gov"' in email.html
    assert re.search(r'<a href="tel:\+16144661061"[^>]*>\(614\) 466-1061</a>', email.html)  # tap to call
    assert "who represents your district, is chair" in email.html


def test_generic_call_renders_without_an_empty_name(app: App) -> None:
    with app.transaction() as session:
        setup_world(session, app.now())
    with app.sessions() as session:
        found = call_to_action(session, app.config, member(session, "dana.cruz@oakhollow.example.org"), bill(session))
    email = EmailRenderer().alert(replace(examples.alert(), call=found.call))
    assert "Contact your state representative and state senator about H.B. 96." in " ".join(email.text.split())
    assert "* " + "(" not in email.text and "Rep. (" not in email.text
    assert 'Contacted them? Reply "done" to this email.' in email.text


def test_digest_hearing_section_shows_where_and_the_template() -> None:
    from digests.model import TestimonyInfo

    hearing = replace(examples.HEARING, testimony=TestimonyInfo(
        deadline=examples.HEARING.testimony_deadline, where="SenateEducation@example.gov",
        template="Chair Vale and members: our district supports HB 214."))
    digest = replace(examples.digest(), hearings=(hearing,))
    email = EmailRenderer().digest(digest)
    assert "Send it to: SenateEducation@example.gov" in email.text
    assert "our district supports HB 214" in email.text and "our district supports HB 214" in email.html


def test_a_personal_call_without_names_needs_the_generic_text() -> None:
    with pytest.raises(ContextError, match="PersonalCall"):
        PersonalCall()


def test_digest_hearing_items_carry_the_configured_testimony_details(app: App) -> None:
    from advocacy.models import Curation
    from advocacy.outbound.digest import create_digest, digest_app_context

    with app.transaction() as session:
        setup_world(session, app.now())
        session.add(Curation(bill_id=bill(session).id, status="approved"))
        session.flush()
        mailing_id = create_digest(session, app.config, app.now()).id
    context = digest_app_context(app, mailing_id)
    assert context is not None
    house = next(h for h in context.hearings if h.committee == "House Primary and Secondary Education")
    assert house.testimony is not None and house.testimony.where == app.config.testimony.where
    assert house.testimony.deadline == house.start - timedelta(hours=24)
    assert "Send it to: the committee chair's office" in EmailRenderer().digest(context).text
