"""`advocacy demo`: the whole pipeline on bundled sample data, against a local copy of the sources' sites.

Time is fixed at the sample data's "today" (Tuesday, November 24, 2026, 9 a.m. Eastern) so that hearings, the
next call and the question cutoff fall where the samples expect them, on any day the demo is run.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from advocacy import db
from advocacy.app import App
from advocacy.collect.scrape import run_sources
from advocacy.config import Config, Secrets
from advocacy.curation.decisions import curate
from advocacy.curation.lookup import find_bill
from advocacy.demo.site import DemoSite
from advocacy.inbound.intake import take_in
from advocacy.models import Mailing
from advocacy.outbound.agenda import build_for, export, publish
from advocacy.outbound.alerts import create_alerts, send_alerts
from advocacy.outbound.digest import NothingNew, create_digest, last_sent_digest, preview, send_digest
from advocacy.outbound.outgoing import reply_address
from advocacy.outbound.sending import AlreadySent
from advocacy.people.legislators import sync_people
from advocacy.people.members import import_csv
from advocacy.runtime.pipeline import after_scrape

DEMO = Path(__file__).resolve().parent
DEMO_NOW = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("America/New_York"))
ACTOR = "demo advocate"


@dataclass
class DemoResult:
    outbox: Path
    database: str
    new_events: int = 0
    mailing_id: int | None = None
    digest_files: dict[str, Path] = field(default_factory=dict)
    sent: int = 0
    questions: list[str] = field(default_factory=list)
    agenda_files: dict[str, Path] = field(default_factory=dict)
    nothing_new: bool = False
    alerts_sent: int = 0
    replies: list[str] = field(default_factory=list)  # what intake made of each sample reply


def demo_config(config: Config, site_url: str) -> Config:
    """The project's config, with sources pointed at the local sample site and a database of its own."""
    data = config.model_dump(mode="python")
    data["database"]["url"] = "sqlite:///var/demo.db"
    data["email"]["backend"] = "outbox"
    data["http"]["min_interval"] = 0
    data["http"]["retries"] = 1
    for jurisdiction in data["jurisdictions"]:
        for source in jurisdiction["sources"]:
            if source["kind"] == "ohio":
                source["options"] = {**source["options"], "api_base_url": site_url, "site_base_url": site_url}
            elif source["kind"] == "rss":
                source["options"] = {"feeds": [{"url": f"{site_url}/feeds/ed-federal-register.xml",
                                                "name": "Federal Register: Department of Education"}]}
            else:
                source["enabled"] = False
    return Config.model_validate({**data, "base_dir": config.base_dir})


def _apply_curation(app: App, echo: Callable[[str], None]) -> int:
    decisions = tomllib.loads((DEMO / "curation.toml").read_text(encoding="utf-8"))["bill"]
    changed = 0
    with app.transaction() as session:
        for entry in decisions:
            bill = find_bill(session, entry["bill"])
            changes: dict[str, object] = {}
            if entry.get("approve"):
                changes["status"] = "approved"
            for key in ("priority", "position"):
                if key in entry:
                    changes[key] = entry[key]
            if "commentary" in entry:
                changes["commentary"] = entry["commentary"].strip()
            if entry.get("alert"):
                changes["alert"] = True
                changes["alert_deadline"] = datetime.fromisoformat(entry["deadline"]).replace(tzinfo=DEMO_NOW.tzinfo)
                changes["alert_action"] = " ".join(entry["action"].split())
            change = curate(session, bill, ACTOR, app.now(), **changes)
            if change.changed:
                changed += 1
    echo(f"Curated {changed} bill(s) as the sample advocate decided (advocacy/demo/curation.toml).")
    return changed


SITE_PORT = 48765
PORT_FILE = "var/demo-site-port"  # the port the sample site last used, so that its URLs stay the same


def open_site(config: Config, site_port: int | None, echo: Callable[[str], None]) -> DemoSite:
    """The sample site on `site_port`, else on the port it used last (or 48765); when that port is taken, on a
    free one, remembered for the next run. An explicit port that is taken is an error naming it."""
    remembered = config.path(PORT_FILE)
    if site_port is not None:
        return DemoSite(port=site_port)
    wanted = int(remembered.read_text()) if remembered.is_file() else SITE_PORT
    try:
        site = DemoSite(port=wanted)
    except OSError:
        site = DemoSite(port=0)
        echo(f"Port {wanted} is taken: the sample site uses port {site.port} instead "
             f"(remembered in {PORT_FILE}; `make demo DEMO_PORT=...` chooses one).")
    remembered.parent.mkdir(parents=True, exist_ok=True)
    remembered.write_text(str(site.port))
    return site


def run_demo(config: Config, echo: Callable[[str], None] = print, site_port: int | None = None) -> DemoResult:
    with open_site(config, site_port, echo) as site:
        cfg = demo_config(config, site.base_url)
        app = App(cfg, secrets=Secrets.from_env(), clock=lambda: DEMO_NOW)
        result = DemoResult(outbox=cfg.path(cfg.email.outbox_dir), database=cfg.database_url)
        echo(f"Demo: sample sources served at {site.base_url}; database {cfg.database_url}; "
             f"time fixed at {DEMO_NOW:%A %B %d, %Y %I:%M %p} ET")
        db.upgrade(app.engine)

        with app.transaction() as session:
            report = import_csv(session, (DEMO / "members.csv").read_text(encoding="utf-8"),
                                known_topics=set(cfg.tagging.member_topics()), origin="advocacy/demo/members.csv")
        echo(f"Members: {report.lines()[0]}")

        echo("Scraping the sample sources through the real scrapers:")
        summaries = run_sources(app, progress=lambda line: echo(f"  {line}"))
        result.new_events = sum(s.events for s in summaries)
        for line in after_scrape(app, summaries):
            echo(f"  {line}")
        if result.new_events == 0:
            echo("  Nothing new from the sources since the last run.")
        people = sync_people(app, ["ohio-legislature"])
        echo(f"Legislators and committee rosters: {people[0].line()}")
        _apply_curation(app, echo)
        with app.transaction() as session:
            create_alerts(session, cfg, app.now())
        alert_reports = send_alerts(app, app.mail)
        sent_alerts = sum(r.sent for r in alert_reports)
        result.alerts_sent = sent_alerts
        echo(f"Urgent alerts: {sent_alerts} email(s), each naming the member's own legislators"
             if sent_alerts else "Urgent alerts: none new.")

        digest_step(app, result, echo)
        replies_step(app, result, echo)
        agenda_step(app, result, echo)
    return result


def digest_step(app: App, result: DemoResult, echo: Callable[[str], None]) -> None:
    cfg = app.config
    note = (DEMO / "opening-note.md").read_text(encoding="utf-8") if _last_sent_id(app) is None else ""
    try:
        with app.transaction() as session:
            result.mailing_id = create_digest(session, cfg, app.now(), note=note).id
    except NothingNew as exc:
        result.nothing_new = True
        echo(f"Digest: nothing new ({exc}); no digest sent.")
        result.mailing_id = _last_sent_id(app)
        if result.mailing_id is not None:
            result.digest_files = preview(app, result.mailing_id, cfg.path("var/previews"))
        return
    result.digest_files = preview(app, result.mailing_id, cfg.path("var/previews"))
    report = send_digest(app, result.mailing_id, app.mail)
    result.sent = report.sent
    echo(f"Digest {result.mailing_id}: sent to {report.sent} member(s) through the outbox backend.")


def replies_step(app: App, result: DemoResult, echo: Callable[[str], None]) -> None:
    """Members answer the digest: each sample reply is addressed to the digest's own signed reply address."""
    if result.mailing_id is None:
        return
    with app.sessions() as session:
        digest = session.get(Mailing, result.mailing_id)
        assert digest is not None
        subject = digest.subject or "Legislative update"
    for path in sorted((DEMO / "replies").glob("*.eml")):
        raw = path.read_text(encoding="utf-8").replace("{reply_to}", reply_address(app, result.mailing_id)) \
            .replace("{subject}", subject).replace("{in_reply_to}", f"<digest-{result.mailing_id}@demo>")
        taken = take_in(app, raw.replace("\n", "\r\n").encode("utf-8"), channel="file")
        if not taken.is_new:
            line = f"{path.name}: already imported"
        elif taken.status == "parsed":
            questions = [q.text for q in taken.outcome.questions]
            result.questions += questions
            line = f"{path.name}: {len(questions)} question(s) for the call"
        else:
            line = f"{path.name}: {taken.status} ({'; '.join(taken.outcome.problems) or 'no reason given'})"
        result.replies.append(line)
        echo(f"Reply {line}")


def agenda_step(app: App, result: DemoResult, echo: Callable[[str], None]) -> None:
    call_id = build_for(app)
    folder = app.config.path(app.config.email.outbox_dir) / "agendas"
    try:
        published = publish(app, call_id, folder=folder)
    except AlreadySent:
        result.agenda_files = export(app, call_id, folder)
        echo("Call agenda: already sent for this call; files rewritten.")
        return
    result.agenda_files = published.paths
    sent = published.report.sent if published.report else 0
    echo(f"Call agenda: built from the curated bills and the members' questions; sent to {sent} member(s) "
         "with a calendar invitation.")


def _last_sent_id(app: App) -> int | None:
    with app.sessions() as session:
        digest = last_sent_digest(session)
        return digest.id if digest else None
