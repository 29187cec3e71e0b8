"""Freeze a digest and send it from the database to the SendGrid stand-in for N members, as `digest send` does,
beside its floor, per size.

    .venv/bin/python bench/digest_send.py [--members 2000 10000] [--database-url postgresql+psycopg://...]

Project: the whole production path (`create_digest`, `send_digest`: one delivery row per member, one rendering
per topic selection, per-member messages with signed links, requests of up to 1,000 personalizations through the
official `sendgrid` client, every result written back). Floor, in the same run against the same stand-in: the same
renderings (one per selection), then per 1,000 members one plain-JSON SendGrid payload posted with httpx, with the
delivery rows inserted and marked sent by Core executemany. Both run on the tests' fixed clock (an injected
FakeClock), so the sample world's deadlines are ahead of it on any day. Members are written in bulk before the
measurement (setting them up is not timed). Target: project <= 3x the floor (CPU of this process, which includes the
stand-in server's threads).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import bindparam, func, insert, select, update  # noqa: E402

from advocacy import db  # noqa: E402
from advocacy.app import App  # noqa: E402
from advocacy.config import Secrets, load_config  # noqa: E402
from advocacy.models import Delivery, Mailing, Member  # noqa: E402
from advocacy.outbound.digest import create_digest, load_view, renderer_for, send_digest  # noqa: E402
from bench.harness import ROOT, Row, exit_code, measure, report  # noqa: E402
from digests.channels.email import SendGridBackend  # noqa: E402
from digests.render import EmailRenderer  # noqa: E402
from tests.factories import TEST_NOW, FakeClock, build_world  # noqa: E402
from tests.mailservers import SendGridStandIn  # noqa: E402

KEY = "SG.bench"
TOPICS = ("funding", "choice", "literacy_curriculum", "taxes_levies", "special_ed", "staffing")


def add_members(app: App, count: int, seed: int = 7) -> None:
    """Members in bulk (their addresses are valid by construction, as `members import` leaves them)."""
    rng = random.Random(seed)
    selections = [None] + [list(c) for n in (1, 2, 3) for c in itertools.combinations(TOPICS, n)]
    with app.transaction() as session:
        session.execute(insert(Member), [
            {"email": f"reader{i}@district{i % 600}.example.org", "name": f"Reader {i}", "role": "staff",
             "topics": rng.choice(selections), "alerts": True, "paused": False, "created_at": app.now()}
            for i in range(count)])


def project(app: App, server: SendGridStandIn) -> tuple[int, int]:
    with app.transaction() as session:
        mailing_id = create_digest(session, app.config, app.now()).id
    result = send_digest(app, mailing_id, SendGridBackend(KEY, host=server.url, clock=app.clock))
    return mailing_id, result.sent


def floor(app: App, server: SendGridStandIn, mailing_id: int) -> int:
    """One rendering per selection, plain JSON payloads of 1,000 personalizations, rows in bulk."""
    with app.sessions() as session:
        view = load_view(session, session.get(Mailing, mailing_id), app.config)  # type: ignore[arg-type]
        members = session.execute(select(Member.id, Member.email, Member.name, Member.topics)).all()
    render = renderer_for(app.config, view, EmailRenderer(), app.now())
    groups: dict[tuple[str, ...] | None, list[Any]] = {}
    for m in members:
        groups.setdefault(tuple(sorted(m.topics)) if m.topics is not None else None, []).append(m)
    sent = 0
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {KEY}"}) as http, \
            app.engine.begin() as conn:
        for topics, group in groups.items():
            email = render(Member(topics=list(topics) if topics is not None else None))
            for start in range(0, len(group) if email else 0, 1000):
                part = group[start:start + 1000]
                ids = conn.execute(insert(Delivery).returning(Delivery.id, sort_by_parameter_order=True), [
                    {"mailing_id": mailing_id, "member_id": m.id, "status": "sending", "created_at": app.now()}
                    for m in part]).scalars().all()
                payload = {"from": {"email": "updates@example.org"}, "subject": email.subject,
                           "content": [{"type": "text/plain", "value": email.text},
                                       {"type": "text/html", "value": email.html}],
                           "personalizations": [{"to": [{"email": m.email, "name": m.name}],
                                                 "custom_args": {"member_id": str(m.id)}} for m in part]}
                http.post("/v3/mail/send", content=json.dumps(payload)).raise_for_status()
                conn.execute(update(Delivery).where(Delivery.id == bindparam("b_id")).values(
                    status="sent", sent_at=app.now()), [{"b_id": delivery_id} for delivery_id in ids])
                sent += len(part)
    return sent


def make_app(folder: Path, server: SendGridStandIn, name: str, url: str | None) -> App:
    env = {"ADVOCACY_COLLABORATIVE__BASE_URL": "https://updates.heartland.example.org",
           "ADVOCACY_EMAIL__BACKEND": "sendgrid", "ADVOCACY_EMAIL__SENDGRID__HOST": server.url}
    config = load_config(folder / "config.toml", env=env)
    app = App(config, secrets=Secrets.from_env({"SENDGRID_API_KEY": KEY}), clock=FakeClock(TEST_NOW),
              database_url=url or f"sqlite:///{folder / name}.db")
    db.upgrade(app.engine)
    return app


def bench_size(folder: Path, members: int, url: str | None) -> Row:
    with SendGridStandIn(api_key=KEY, keep_payloads=False) as server:
        base = make_app(folder, server, f"floor{members}", url)
        build_world(base, base.now(), "email,name,district\n")
        add_members(base, members)
        with base.transaction() as session:
            floor_mailing = create_digest(session, base.config, base.now()).id
        floor_sent, floor_cost = measure(lambda: floor(base, server, floor_mailing))
        floor_requests = len(server.requests)
        base.engine.dispose()
    with SendGridStandIn(api_key=KEY, keep_payloads=False) as server:
        app = make_app(folder, server, f"project{members}", url)
        build_world(app, app.now(), "email,name,district\n")
        add_members(app, members)
        (mailing_id, sent), cost = measure(lambda: project(app, server))
        with app.sessions() as session:
            marked = session.scalar(select(func.count(Delivery.id)).where(
                Delivery.mailing_id == mailing_id, Delivery.status == "sent"))
        app.engine.dispose()
        note = (f"sent {sent} in {len(server.requests)} requests, {marked} rows marked sent; "
                f"floor sent {floor_sent} in {floor_requests}")
    row = Row("digest send", f"{members} members", cost, floor_cost, target=3.0, note=note,
              met=sent == floor_sent == marked)
    row.extra["complete"] = row.met
    return report(row)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--database-url", help="default: fresh SQLite files in a temporary folder (PostgreSQL: "
                        "a scratch database, used by the floor and then the project run of each size)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-digest-send-"))
    try:
        shutil.copy(ROOT / "config.toml", folder / "config.toml")
        rows = [bench_size(folder, members, args.database_url) for members in args.members]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if not all(r.extra["complete"] for r in rows) else exit_code(rows)


if __name__ == "__main__":
    raise SystemExit(main())
