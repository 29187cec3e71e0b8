"""Many collaboratives on one host: shared bills collected once, everything else each collaborative's own.

The isolation walk takes every route of the web app from its route table (a new route is walked without editing
this file, and a route with an id this walk does not know fails it) and every command that takes an id, as staff
of the host's own collaborative with the ids of "north", and expects a refusal each time and north unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from advocacy.app import App
from advocacy.cli import cli
from advocacy.collect.ingest import Store, ensure_jurisdiction
from advocacy.config import ConfigError, Secrets, load_config, load_host
from advocacy.curation.decisions import queue
from advocacy.curation.search import search
from advocacy.inbound.intake import store_raw
from advocacy.models import Bill, BillRelevance, Curation, Mailing, Member, Question, StaffUser
from advocacy.runtime import steps as step
from advocacy.runtime.pipeline import tag_changed
from advocacy.web.app import healthz_route, host_app
from advocacy.web.routing import GuardedRoute
from tests.collaboratives import NORTH, OwnedIds, host_apps, host_config, seed_owned, snapshot, tag_stale
from tests.factories import FakeClock, build_world, curate_bill, funding_bill
from tests.httpserver import FixtureServer
from tests.test_queue_host import host_files
from tests.test_scrape import ohio, run, serve_ohio
from tests.websupport import (
    ADVOCATE,
    FAST_HASHER,
    PASSWORD,
    add_staff,
    advocate_client,
    csrf_from,
    sign_in,
    text_of,
    web_app,
)
from vocabulary.records import ScrapeResult


@pytest.fixture
def apps(tmp_path: Path, db_url: str, clock: FakeClock) -> Iterator[tuple[App, App]]:
    home, north = host_apps(tmp_path, db_url, clock)
    yield home, north
    home.engine.dispose()
    north.engine.dispose()


def test_todays_single_config_is_a_host_of_one_and_a_collaborative_file_is_validated_like_it(tmp_path: Path) -> None:
    single = load_host(Path(__file__).parent.parent / "config.toml", env={})
    assert [c.collaborative.slug for c in single] == ["default"]
    home, north = load_host(host_config(tmp_path), env={})
    assert (home.collaborative.slug, north.collaborative.slug) == ("default", "north")
    assert north.email.from_name == "Northern Lakes Legislative Update" and north.tagging == home.tagging
    assert north.database_url == home.database_url and north.jurisdictions == home.jurisdictions
    assert load_config(host_config(tmp_path), env={}).collaborative.slug == "default"
    with pytest.raises(ConfigError, match=r"north.toml: database: set by the host"):
        load_host(host_config(tmp_path, NORTH + '\n[database]\nurl = "sqlite:///elsewhere.db"\n'), env={})
    missing = NORTH.replace('postal_address = "9 Harbor Street, Sandusky, OH 44870"\n', "")
    with pytest.raises(ConfigError, match=r"north.toml: collaborative.postal_address: required value is missing"):
        load_host(host_config(tmp_path, missing), env={})
    with pytest.raises(ConfigError, match="its own \\[collaborative\\] slug"):
        load_host(host_config(tmp_path, NORTH.replace('slug = "north"', 'slug = "default"')), env={})


def test_one_scrape_of_ohio_feeds_both_collaboratives_tagging_queues(apps: tuple[App, App]) -> None:
    home, north = apps
    with FixtureServer() as server:
        serve_ohio(server)
        summary = run(home, ohio(server))  # collected once, for the host
    assert (summary.status, summary.new_bills) == ("ok", 3)
    assert tag_stale(home, home.now()) == 3 and tag_stale(north, north.now()) == 3
    assert tag_stale(home, home.now()) == 0 and tag_stale(north, north.now()) == 0  # each tagged once
    with home.sessions() as session:
        home_queue = [(i.bill_id, i.status) for i in queue(session, home.now(), include_all=True)]
    with north.sessions() as session:
        north_queue = [(i.bill_id, i.status) for i in queue(session, north.now(), include_all=True)]
    assert home_queue and home_queue == north_queue  # the same bills, in two queues of their own


def test_each_collaborative_sees_only_its_own_curation_members_mailings_and_questions(apps: tuple[App, App]) -> None:
    home, north = apps
    build_world(home, home.now())
    assert tag_stale(north, north.now()) == 5  # the bills home's scrape stored, tagged for north too
    mine, theirs = seed_owned(home, home.now(), "Home"), seed_owned(north, north.now(), "North")
    for app, own, other in ((home, mine, theirs), (north, theirs, mine)):
        with app.sessions() as session:
            commentary = {c.commentary for c in session.scalars(select(Curation))}
            assert f"{own.marker} commentary" in commentary and f"{other.marker} commentary" not in commentary
            members = {m.name for m in session.scalars(select(Member))}
            assert f"{own.marker} Lee" in members and f"{other.marker} Lee" not in members
            assert {m.subject for m in session.scalars(select(Mailing))} == {f"{own.marker} digest"}
            assert {q.text for q in session.scalars(select(Question))} == {f"{own.marker} question?"}
            assert session.get(Member, other.member_id) is None and session.get(Question, other.question_id) is None
            assert session.get(Mailing, other.mailing_id) is None
            found = search(session, f"{own.marker} commentary", app.now())  # the shared index holds none of it
            assert [h.bill_id for h in found] == [own.bill_id] and search(session, other.marker, app.now()) == []
    with north.sessions() as session:  # the same address may be a member of both, as two members
        assert [m.email for m in session.scalars(select(Member))] == ["lee@shared.example.org"]


def test_the_shared_search_index_never_carries_one_collaboratives_commentary_to_another(
        apps: tuple[App, App], clock: FakeClock) -> None:
    home, north = apps
    build_world(home, home.now())
    tag_stale(north, north.now())
    clock.now += timedelta(hours=1)
    curate_bill(north, "HB 96", north.now(), commentary="Northern Lakes rewrote this")
    with north.transaction() as session:  # the index refreshed by north's search is kept
        assert [h.identifier for h in search(session, "rewrote", north.now())] == ["HB 96"]
    with home.transaction() as session:
        assert search(session, "rewrote", home.now()) == []


def _walked(route: GuardedRoute, theirs: OwnedIds) -> str:
    values = {"bill_id": theirs.bill_id, "mailing_id": theirs.mailing_id, "message_id": theirs.message_id,
              "question_id": theirs.question_id, "call_id": theirs.call_id, "item_id": theirs.item_id,
              "member_id": theirs.member_id, "search_id": theirs.search_id, "token": theirs.token, "fmt": "docx",
              "day": theirs.day}
    unknown = set(route.param_convertors) - set(values)
    assert not unknown, f"{route.path}: the isolation walk does not know {unknown}; add north's id of that kind"
    path = route.path
    for name, value in values.items():
        path = path.replace(f"{{{name}:int}}", str(value)).replace(f"{{{name}}}", str(value))
    return path


# Addresses that name no row of another: bills are the host's (any collaborative reads one and curates it for
# itself), and a day names each collaborative's own call on it.
SHARED = {"bill_id", "day"}
NO_IDS_SKIPPED = {"/login", "/logout"}  # signing in and out act on no collaborative's rows


def test_every_route_as_staff_of_one_collaborative_with_ids_of_another_is_refused(apps: tuple[App, App]) -> None:
    home, north = apps
    build_world(home, home.now())
    tag_stale(north, north.now())
    seed_owned(home, home.now(), "Home")
    theirs = seed_owned(north, north.now(), "North")
    before = snapshot(north)
    served = web_app(home, extra_routes=[healthz_route(home, None)])  # as `advocacy web` serves it
    client = advocate_client(home, extra_routes=[healthz_route(home, None)])
    token = csrf_from(client.get("/members").text)
    routes = [r for r in served.routes if isinstance(r, GuardedRoute)]
    assert len(routes) > 40
    walked, failures = [], []
    for route in routes:
        if route.path in NO_IDS_SKIPPED:
            continue
        path = _walked(route, theirs)
        for method in sorted((route.methods or set()) - {"HEAD"}):
            if method == "POST" and not route.param_convertors:
                continue  # acts on the signed-in collaborative's own rows; no id of another to pass
            response = (client.get(path, follow_redirects=False) if method == "GET" else
                        client.post(path, data={"csrf_token": token}, follow_redirects=False))
            walked.append((method, route.path, response.status_code))
            shown = text_of(response.text) if "text" in response.headers.get("content-type", "") else ""
            if "North" in shown:
                failures.append(f"{method} {path} shows north's rows")
            if set(route.param_convertors) - SHARED and response.status_code != 404:
                failures.append(f"{method} {path}: {response.status_code}, not refused")
    assert failures == [], "\n".join(failures)
    assert snapshot(north) == before, "the walk changed north's rows"
    assert len(walked) > 40 and ("GET", "/healthz", 200) in walked


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))
        elif command is not None:
            yield (*prefix, name), command


ID_PARAMS = re.compile(r"(_id|^item|^keep|^other)$")
# Each command's parameters that name a collaborative's row, as north's: (command, parameter) -> the arguments.
COMMANDS_WITH_IDS = {
    (("agenda", "move"), "item"): lambda t: ["agenda", "move", str(t.item_id), "1"],
    (("agenda", "edit"), "item"): lambda t: ["agenda", "edit", str(t.item_id), "--title", "x"],
    (("agenda", "merge"), "keep"): lambda t: ["agenda", "merge", str(t.question_id), str(t.question_id)],
    (("agenda", "merge"), "other"): lambda t: ["agenda", "merge", str(t.question_id), str(t.question_id)],
    (("alerts", "remind"), "alert_id"): lambda t: ["alerts", "remind", str(t.mailing_id)],
    (("people", "acted"), "alert_id"): lambda t: ["people", "acted", str(t.mailing_id)],
    (("digest", "send"), "mailing_id"): lambda t: ["digest", "send", "--digest", str(t.mailing_id), "--yes"],
    (("digest", "status"), "mailing_id"): lambda t: ["digest", "status", "--digest", str(t.mailing_id)],
    (("export", "digest"), "mailing_id"): lambda t: ["export", "digest", "--id", str(t.mailing_id), "-o", "/dev/null"],
    (("questions", "accept"), "message_id"): lambda t: ["questions", "accept", str(t.message_id), "--member",
                                                        "lee@shared.example.org"],
    (("questions", "discard"), "message_id"): lambda t: ["questions", "discard", str(t.message_id)],
    (("questions", "answer"), "question_id"): lambda t: ["questions", "answer", str(t.question_id), "--notes", "x"],
}
HOST_IDS = {(("scrape",), "replay_run")}  # a source run is the host's, shared by every collaborative


def test_every_command_given_ids_of_another_collaborative_refuses(apps: tuple[App, App], tmp_path: Path) -> None:
    home, north = apps
    build_world(home, home.now())
    seed_owned(home, home.now(), "Home")
    theirs = seed_owned(north, north.now(), "North")
    taking_ids = {(path, p.name) for path, command in _commands(cli) for p in command.params
                  if p.name and isinstance(p.type, click.types.IntParamType) and ID_PARAMS.search(p.name)}
    assert taking_ids - HOST_IDS == set(COMMANDS_WITH_IDS), "a command takes an id this walk does not pass"
    before = snapshot(north)
    env = {"ADVOCACY_DATABASE__URL": home.database_url or "", "ADVOCACY_NOW": home.now().isoformat()}
    for make_args in COMMANDS_WITH_IDS.values():
        args = make_args(theirs)
        result = CliRunner().invoke(cli, ["--config", str(host_config(tmp_path)), *args], env=env)
        assert result.exit_code != 0, f"advocacy {' '.join(args)} accepted north's id:\n{result.output}"
        assert "North" not in result.output, result.output
        assert re.search(r"(?i)\bno (agenda item|question|alert|digest|inbound message) \d+", result.output), (
            f"advocacy {' '.join(args)} failed for another reason:\n{result.output}")
    assert snapshot(north) == before


def test_a_member_token_of_one_collaborative_is_refused_by_another(apps: tuple[App, App]) -> None:
    home, north = apps
    build_world(home, home.now())
    theirs = seed_owned(north, north.now(), "North")
    north_client, home_client = TestClient(web_app(north)), TestClient(web_app(home))
    assert north_client.get(f"/m/{theirs.token}/preferences").status_code == 200
    for page in ("preferences", "unsubscribe", "bills", "questions", "calendar.ics"):
        response = home_client.get(f"/m/{theirs.token}/{page}")
        assert response.status_code == 404 and "North" not in response.text, page


def test_staff_of_one_collaborative_cannot_sign_in_to_another(apps: tuple[App, App]) -> None:
    home, north = apps
    advocate_client(north)  # north's advocate exists, and signs in to north
    with home.sessions() as session:
        assert session.scalars(select(StaffUser)).all() == []
    client = TestClient(web_app(home))
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"email": ADVOCATE, "password": PASSWORD, "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 400 and "North" not in response.text
    assert client.get("/members", follow_redirects=False).status_code == 303  # still sent to sign in


def test_updates_deletes_counts_and_subqueries_of_one_collaborative_never_reach_anothers(
        apps: tuple[App, App]) -> None:
    home, north = apps
    for app, name in ((home, "Home"), (north, "North")):  # one address, a member of both
        with app.transaction() as session:
            session.add(Member(email="lee@shared.example.org", name=f"{name} Lee", created_at=app.now()))
    with home.transaction() as session:
        paused = session.execute(update(Member).where(Member.email == "lee@shared.example.org").values(paused=True))
        assert paused.rowcount == 1  # type: ignore[attr-defined]
        assert session.scalar(select(func.count()).select_from(Member)) == 1
        assert session.scalar(select(exists().where(Member.name == "North Lee"))) is False
        assert session.scalars(select(Member.name).where(Member.id.in_(select(Member.id)))).all() == ["Home Lee"]
        assert session.execute(delete(Member)).rowcount == 1  # type: ignore[attr-defined]
    with north.sessions() as session:
        assert [(m.name, m.paused) for m in session.scalars(select(Member))] == [("North Lee", False)]


def test_the_same_reply_sent_to_two_collaboratives_is_stored_once_in_each(apps: tuple[App, App]) -> None:
    home, north = apps
    raw = b"Message-ID: <one@member.example.org>\r\nFrom: lee@shared.example.org\r\n\r\nA question\r\n"
    stored = []
    for app in (home, north, home):
        with app.transaction() as session:
            stored.append(store_raw(session, raw, "webhook", now=app.now()))
    (home_id, home_new, _), (north_id, north_new, _), (again_id, again_new, _) = stored
    assert (home_new, north_new, again_new) == (True, True, False)
    assert home_id != north_id and again_id == home_id


def test_an_owned_row_written_without_a_collaborative_is_refused(apps: tuple[App, App]) -> None:
    home, _ = apps
    refused = pytest.raises(StatementError, match="needs a session bound to a collaborative")
    with refused, Session(home.engine) as session, session.begin():  # not the App's: bound to no collaborative
        session.add(Member(email="nobody@example.org", name="Nobody", created_at=home.now()))


def test_one_web_process_serves_each_collaborative_at_the_host_name_of_its_base_url(apps: tuple[App, App]) -> None:
    home, north = apps
    add_staff(north, ADVOCATE, "advocate")
    served = host_app([home, north], hasher=FAST_HASHER)
    with TestClient(served, base_url="https://north.example.org") as at_north:  # runs each one's start and stop
        assert "Staff of Northern Lakes Rural Schools Network." in text_of(at_north.get("/login").text)
        assert sign_in(at_north, ADVOCATE).status_code == 303  # type: ignore[attr-defined]
        assert at_north.get("/members").status_code == 200
    at_home = TestClient(served, base_url="http://127.0.0.1:8000")
    assert "Staff of Heartland" in text_of(at_home.get("/login").text)
    assert sign_in(at_home, ADVOCATE).status_code == 400  # type: ignore[attr-defined]  # north's staff, not home's
    assert TestClient(served, base_url="http://elsewhere.example.org").get("/login").status_code == 404
    with pytest.raises(ValueError, match="a host name of its own"):
        host_app([home, home])


def test_advocacy_web_every_collaborative_serves_the_hosts_collaboratives_by_host_name(
        apps: tuple[App, App], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn  # the server itself is not started: what it would serve is kept

    home, _ = apps
    served: list[Starlette] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **_: served.append(app))
    env = {"ADVOCACY_DATABASE__URL": home.database_url or ""}
    result = CliRunner().invoke(cli, ["--config", str(host_config(tmp_path)), "web", "--every-collaborative"], env=env)
    assert result.exit_code == 0, result.output
    assert sorted(route.host for route in served[0].routes) == ["127.0.0.1", "north.example.org"]  # type: ignore[attr-defined]


FEDERAL = '\n[[jurisdictions]]\ncode = "US"\nname = "United States Congress"\ntimezone = "America/New_York"\nsessions = ["119"]\n'


def test_a_collaborative_tags_only_the_bills_of_the_jurisdictions_it_follows(tmp_path: Path, db_url: str,
                                                                            clock: FakeClock) -> None:
    north_federal = NORTH.replace('base_url = "https://north.example.org"\n',
                                  'base_url = "https://north.example.org"\njurisdictions = ["US"]\n')
    path = host_config(tmp_path, north_federal)
    path.write_text(path.read_text() + FEDERAL)
    home_config, north_config = load_host(path, env={})
    assert (home_config.followed(), north_config.followed()) == (None, ["US"])
    home = App(home_config, secrets=Secrets.from_env({}), clock=clock, database_url=db_url)
    north = home.beside(north_config)
    build_world(home, home.now())  # Ohio's bills, stored for the host and tagged for home
    with home.transaction() as session:
        us = ensure_jurisdiction(session, "US", "United States Congress", "America/New_York")
        federal = Store(session, us, source="test", now=home.now()).store_result(ScrapeResult(bills=(
            funding_bill(jurisdiction="US", session="119", identifier="HR 5"),)))
    assert step.tag(north).counts["tagged"] == 1  # the federal bill; none of Ohio's five
    with north.sessions() as session:
        assert set(session.scalars(select(BillRelevance.bill_id))) == set(federal.changed_bill_ids)
    assert step.tag(home).counts["tagged"] == 1  # home follows every jurisdiction: the federal bill too
    with home.sessions() as session:
        ohio = list(session.scalars(select(Bill.id).where(Bill.id.not_in(federal.changed_bill_ids))))
    assert len(ohio) == 5
    assert tag_changed(north, ohio, [])[0].startswith("Tagged 0 new or changed bill(s)")  # a scrape of Ohio's
    home.engine.dispose()


def test_a_collaborative_cannot_follow_a_jurisdiction_the_host_does_not_collect(tmp_path: Path) -> None:
    texas = NORTH.replace('base_url = "https://north.example.org"\n',
                          'base_url = "https://north.example.org"\njurisdictions = ["TX"]\n')
    with pytest.raises(ConfigError, match=r"north.toml: .*jurisdictions: TX not among the host's \[\[jurisdictions\]\] \(OH\)"):
        load_host(host_config(tmp_path, texas), env={})


def test_advocacy_scrape_on_a_host_tags_what_changed_for_every_collaborative(tmp_path: Path, db_url: str,
                                                                            clock: FakeClock) -> None:
    with FixtureServer() as server:
        serve_ohio(server)
        path = host_files(tmp_path, server)
        env = {"ADVOCACY_DATABASE__URL": db_url, "ADVOCACY_HTTP__MIN_INTERVAL": "0"}
        assert CliRunner().invoke(cli, ["--config", str(path), "db", "upgrade"], env=env).exit_code == 0
        result = CliRunner().invoke(cli, ["--config", str(path), "--collaborative", "north", "scrape"], env=env)
    assert result.exit_code == 0, result.output
    assert "default: Tagged 3 new or changed bill(s)" in result.output
    home, north = host_apps(tmp_path, db_url, clock)
    for app in (home, north):  # each collaborative's queue has the bills; nothing is left for a catch-up
        with app.sessions() as session:
            assert session.scalar(select(func.count(BillRelevance.id))) == 3
        assert tag_stale(app, app.now()) == 0
    home.engine.dispose()
