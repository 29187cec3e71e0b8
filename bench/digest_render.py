"""Render a digest for N members and hand them to SendGridBackend against the local stand-in server.

Members differ by topic selection (which bills they follow) and by their footer links and reply token, as in
production. Work goes in chunks so memory stays flat however many members there are.

    .venv/bin/python bench/digest_render.py --members 10000 --workers 4

Targets: under 60 s and under 500 MB peak RSS for 10,000 members. Peak RSS includes the stand-in server, which
runs in this process.
"""

from __future__ import annotations

import argparse
import itertools
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digests import examples  # noqa: E402
from digests.channels.email import RetryPolicy, SendGridBackend  # noqa: E402
from digests.message import Address, OutgoingMessage  # noqa: E402
from digests.render import EmailRenderer  # noqa: E402
from tests.mailservers import SendGridStandIn  # noqa: E402

TOPICS = tuple(examples.TOPIC_BILLS)
SELECTIONS = [c for n in range(1, len(TOPICS) + 1) for c in itertools.combinations(TOPICS, n)]
SENDER = Address("updates@maplevalley.example.org", "Maple Valley Schools Collaborative")


def message_for(renderer: EmailRenderer, i: int) -> OutgoingMessage:
    key = f"m{i}"
    context = examples.digest(topics=SELECTIONS[i % len(SELECTIONS)], member_key=key, member_name="")
    return OutgoingMessage(
        recipient=Address(f"leader{i}@district{i % 600}.example.org"),
        sender=SENDER,
        email=renderer.digest(context),
        reply_to=Address(f"reply+{key}-d42@in.maplevalley.example.org"),
        unsubscribe_url=f"{examples.BASE_URL}/unsubscribe/{key}",
        unsubscribe_mailto=f"mailto:unsubscribe+{key}@maplevalley.example.org",
        custom_args={"mailing_id": "d42", "member_id": key},
        categories=("digest",),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4, help="concurrent SendGrid requests")
    parser.add_argument("--chunk", type=int, default=1_000, help="members rendered and sent per step")
    args = parser.parse_args()

    renderer = EmailRenderer()
    render_seconds = send_seconds = 0.0
    sent = failed = 0
    with SendGridStandIn(api_key="SG.bench", keep_payloads=False) as server:
        backend = SendGridBackend(
            "SG.bench",
            host=server.url,
            max_workers=args.workers,
            retry=RetryPolicy(attempts=2, sleep=lambda s: None),
        )
        started = time.perf_counter()
        for first in range(0, args.members, args.chunk):
            t0 = time.perf_counter()
            batch = [message_for(renderer, i) for i in range(first, min(first + args.chunk, args.members))]
            t1 = time.perf_counter()
            results = backend.send(batch)
            t2 = time.perf_counter()
            render_seconds += t1 - t0
            send_seconds += t2 - t1
            sent += sum(r.ok for r in results)
            failed += sum(not r.ok for r in results)
        total = time.perf_counter() - started
        requests = len(server.requests)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"members: {args.members}  sent: {sent}  failed: {failed}  requests: {requests}")
    print(
        f"render: {render_seconds:.1f} s  send: {send_seconds:.1f} s  total: {total:.1f} s  (target < 60 s)"
    )
    print(f"peak RSS: {peak_mb:.0f} MB  (target < 500 MB)")
    if failed or total >= 60 or peak_mb >= 500:
        sys.exit(1)


if __name__ == "__main__":
    main()
