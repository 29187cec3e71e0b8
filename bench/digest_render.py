"""The digest hand-off without the database: render once per topic selection, build every member's message, hand
them to the SendGrid backend (up to 1,000 personalizations a request) against the local stand-in, per size.

    .venv/bin/python bench/digest_render.py [--members 10000 50000]

Project: the production path from rendered digest to provider, as `digest send` runs it (`outbound.outgoing`
compose with the member's signed link token as a substitution, `SendGridBackend.send` with the official client),
members grouped by selection like `sending.send` groups them. Floor, in the same run against the same stand-in:
the same renderings, then one plain-JSON payload per 1,000 members posted with httpx. Both run on an injected
clock (the tests' fixed instant); the stand-in runs in this process, so its CPU counts for both. Target: project
<= 3x the floor (CPU); memory flat in the number of members (messages are built a request's worth at a time).
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advocacy.app import App  # noqa: E402
from advocacy.config import Secrets, load_config  # noqa: E402
from advocacy.models import Mailing, Member  # noqa: E402
from advocacy.outbound.content import MEMBER_TOKEN  # noqa: E402
from advocacy.outbound.outgoing import cached, compose_with  # noqa: E402
from bench.harness import ROOT, Row, exit_code, measure, report  # noqa: E402
from digests import examples  # noqa: E402
from digests.channels.email import SendGridBackend  # noqa: E402
from digests.model import RenderedEmail  # noqa: E402
from digests.render import EmailRenderer  # noqa: E402
from tests.factories import TEST_NOW, FakeClock  # noqa: E402
from tests.mailservers import SendGridStandIn  # noqa: E402

KEY = "SG.bench"
TOPICS = tuple(examples.TOPIC_BILLS)
SELECTIONS = [c for n in range(1, len(TOPICS) + 1) for c in itertools.combinations(TOPICS, n)]
BATCH = 1000


def members(count: int) -> Iterator[Member]:
    """Members as `sending.send` reads them, grouped by selection (the order their requests go out)."""
    for selection in range(len(SELECTIONS)):
        for i in range(selection, count, len(SELECTIONS)):
            yield Member(id=i + 1, email=f"leader{i}@district{i % 600}.example.org", name=f"Leader {i}",
                         topics=list(SELECTIONS[selection]))


def renderings() -> Callable[[Member], RenderedEmail | None]:
    renderer = EmailRenderer()
    get = cached(lambda key: renderer.digest(examples.digest(topics=key, member_key=MEMBER_TOKEN)))
    return lambda member: get(tuple(member.topics or ()))


def project(app: App, server: SendGridStandIn, count: int) -> int:
    compose = compose_with(app, renderings(), substitute=MEMBER_TOKEN)
    backend = SendGridBackend(KEY, host=server.url, clock=app.clock)
    mailing = Mailing(id=42, kind="digest")
    batch, sent = [], 0
    for member in members(count):
        batch.append(compose(mailing, member))
        if len(batch) == BATCH:
            sent += sum(r.ok for r in backend.send(batch))
            batch = []
    return sent + (sum(r.ok for r in backend.send(batch)) if batch else 0)


def floor(server: SendGridStandIn, count: int) -> int:
    render, sent = renderings(), 0
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {KEY}"}) as http:
        for _, group in itertools.groupby(members(count), key=lambda m: tuple(m.topics or ())):
            group_members = list(group)
            email = render(group_members[0])
            assert email is not None
            for start in range(0, len(group_members), BATCH):
                part = group_members[start:start + BATCH]
                payload = {"from": {"email": "updates@example.org"}, "subject": email.subject,
                           "content": [{"type": "text/plain", "value": email.text},
                                       {"type": "text/html", "value": email.html}],
                           "personalizations": [{"to": [{"email": m.email, "name": m.name}],
                                                 "custom_args": {"member_id": str(m.id)}} for m in part]}
                http.post("/v3/mail/send", content=json.dumps(payload)).raise_for_status()
                sent += len(part)
    return sent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, nargs="+", default=[10_000, 50_000])
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-digest-render-"))
    shutil.copy(ROOT / "config.toml", folder / "config.toml")
    env = {"ADVOCACY_COLLABORATIVE__BASE_URL": "https://updates.maplevalley.example.org"}
    app = App(load_config(folder / "config.toml", env=env), secrets=Secrets.from_env({"SENDGRID_API_KEY": KEY}),
              clock=FakeClock(TEST_NOW), database_url=f"sqlite:///{folder / 'unused.db'}")
    rows = []
    try:
        for count in args.members:
            with SendGridStandIn(api_key=KEY, keep_payloads=False) as server:
                floor_sent, floor_cost = measure(lambda: floor(server, count))  # noqa: B023
                floor_requests = len(server.requests)
            with SendGridStandIn(api_key=KEY, keep_payloads=False) as server:
                sent, cost = measure(lambda: project(app, server, count))  # noqa: B023
                note = f"sent {sent} in {len(server.requests)} requests; floor {floor_sent} in {floor_requests}"
            rows.append(report(Row("digest hand-off", f"{count} members", cost, floor_cost, target=3.0, note=note,
                                   met=sent == floor_sent == count)))
            rows[-1].extra["complete"] = rows[-1].met
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if not all(r.extra["complete"] for r in rows) else exit_code(rows)


if __name__ == "__main__":
    raise SystemExit(main())
