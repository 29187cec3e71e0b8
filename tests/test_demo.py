"""The whole pipeline on the bundled sample data, twice, as `make demo` runs it."""

from __future__ import annotations

import email
import socket
from email import policy
from pathlib import Path

import pytest

from advocacy.config import Config
from advocacy.demo.run import PORT_FILE, open_site, run_demo


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def outbox_by_kind(folder: Path) -> dict[str, list[email.message.EmailMessage]]:
    found: dict[str, list[email.message.EmailMessage]] = {}
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        found.setdefault(message["X-Advocacy-Kind"], []).append(message)  # type: ignore[arg-type]
    return found


def test_demo_runs_the_pipeline_and_a_second_run_finds_nothing_new(config: Config) -> None:
    port = free_port()
    lines: list[str] = []
    first = run_demo(config, echo=lines.append, site_port=port)

    assert first.new_events > 0 and not first.nothing_new
    assert first.sent == 6
    text = first.digest_files["text"].read_text()
    # the sections, in the order members read them, with the advocate's words and topic labels (never the
    # tagger's reasons: those stay on the staff pages)
    order = [text.index(h) for h in ("ACTION NEEDED", "NEW BILLS WE ARE WATCHING", "HEARINGS IN THE NEXT TWO WEEKS",
                                     "WATCH LIST", "YOUR QUESTIONS FOR THE CALL")]
    assert order == sorted(order)
    assert "H.B. 96 [Support if amended]" in text
    assert "our estimate is a\n  loss of $80 to $140 per pupil" in text
    assert "Why you see this: Topic: School funding" in text
    assert "in title" not in text and "in synopsis" not in text
    assert "https://www.legislature.ohio.gov/legislation/136/hb114" in text
    assert "Tuesday, Dec 1, 10:00 a.m. ET" in text
    assert "Thursday, Dec 3, 10:00 a.m. ET" in text
    # what the tagger left out never reaches members
    assert "pawpaw" not in text.lower() and "tuition guarantee" not in text.lower()

    outbox = outbox_by_kind(first.outbox)
    assert {kind: len(found) for kind, found in outbox.items()} == {"alert": 4, "digest": 6, "agenda": 6}
    by_member = {m["To"].addresses[0].addr_spec: m for m in outbox["digest"]}
    ken = by_member["ken.aldridge@maplevalley.example.org"]  # chose literacy and special education only
    body = ken.get_body(("plain",)).get_content()
    assert "H.B. 141" in body and "H.B. 130" in body and "H.B. 114" not in body and "S.B. 52" not in body
    reply_to = ken["Reply-To"].addresses[0].addr_spec
    assert reply_to.startswith("questions+") and reply_to.endswith("@reply.heartland-collab.example.org")
    assert "/m/-member-token-/" not in body  # every member gets their own links

    # the alert names each member's own legislators; the out-of-office reply made no question
    riverbend_alert = next(m for m in outbox["alert"] if "riverbend" in m["To"].addresses[0].addr_spec)
    assert "House District 61" in riverbend_alert.get_body(("plain",)).get_content()
    assert any("auto_reply" in r for r in first.replies)
    agenda = first.agenda_files["md"].read_text()
    assert "Does SB 52 apply to emergency levies or only to renewals? _(Riverbend Local Schools, Cedar Falls " \
           "Exempted Village Schools)_" in agenda  # the same question from two districts, merged
    assert "If the House version of HB 96 passes as is" in agenda
    assert "out of the office" not in agenda.lower()
    invite = next(p for p in outbox["agenda"][0].iter_attachments() if p.get_filename() == "invite.ics")
    assert "DTSTART;TZID=America/New_York:20261203T100000" in invite.get_content()

    second = run_demo(config, echo=lines.append, site_port=port)
    assert second.new_events == 0 and second.nothing_new and second.sent == 0 and second.alerts_sent == 0
    assert {kind: len(found) for kind, found in outbox_by_kind(first.outbox).items()} == {
        "alert": 4, "digest": 6, "agenda": 6}  # nothing sent twice
    assert all("already imported" in r for r in second.replies)
    assert any("Nothing new from the sources" in line for line in lines)
    assert Path(second.digest_files["html"]).exists()


def test_a_taken_site_port_moves_the_demo_to_a_free_one_and_the_next_run_keeps_it(config: Config) -> None:
    lines: list[str] = []
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        config.path(PORT_FILE).parent.mkdir(parents=True, exist_ok=True)
        config.path(PORT_FILE).write_text(str(taken))
        with open_site(config, None, lines.append) as site:
            moved = site.port
        assert moved != taken and f"Port {taken} is taken: the sample site uses port {moved}" in lines[0]
    assert config.path(PORT_FILE).read_text() == str(moved)
    with open_site(config, None, lines.append) as again:
        assert again.port == moved and len(lines) == 1


def test_an_explicit_taken_port_is_an_error_that_names_it(config: Config) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        with pytest.raises(OSError, match=f"127.0.0.1:{taken}.*--site-port"):
            open_site(config, taken, print)
