"""Shared records, counts and clocks for tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from advocacy.app import App
from advocacy.collect.ingest import Store, StoreReport, ensure_jurisdiction
from advocacy.curation.decisions import curate
from advocacy.models import Bill
from advocacy.people.members import import_csv
from advocacy.runtime.pipeline import make_tagger
from advocacy.tagging.store import tag_bills
from advocacy.tagging.tagger import Tagger
from vocabulary.records import (
    ActionRecord,
    BillRecord,
    HearingRecord,
    ScrapeResult,
    SponsorRecord,
    VersionRecord,
)

ET = ZoneInfo("America/New_York")

# The instant every test's `clock` starts at (a Tuesday afternoon in Ohio, ten days after the world's scrape).
TEST_NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


class FakeClock:
    """An injectable clock (`App(clock=...)`) that stands still until a test advances it."""

    def __init__(self, start: datetime = TEST_NOW) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def frozen_fixture(when: datetime) -> Callable[[], Iterator[time_machine.Traveller]]:
    """A `frozen` fixture: the wall clock (`datetime.now`, `time.time`, hence APScheduler and an App on the system
    clock) stands at `when` for the test. Use as `frozen = frozen_fixture(NOW)` in a test module."""

    @pytest.fixture
    def frozen() -> Iterator[time_machine.Traveller]:
        with time_machine.travel(when, tick=False) as traveller:
            yield traveller

    return frozen


def count(app: App, model: type) -> int:
    """How many rows of `model` the database holds."""
    with app.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def et(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(datetime(year, month, day).date(), time(hour, minute), ET)


def funding_bill(**changes: object) -> BillRecord:
    base = BillRecord(
        jurisdiction="OH",
        session="136",
        identifier="HB 96",
        title="Make operating appropriations and revise the school foundation funding formula",
        synopsis="Phases in the school funding formula and changes the guarantee for districts.",
        status="In House Finance",
        url="https://www.legislature.ohio.gov/legislation/136/hb96",
        subjects=("Education", "Appropriations"),
        committee="House Finance",
        sponsors=(SponsorRecord("Rep. Dana Whitfield"), SponsorRecord("Rep. Marcus Oyelaran", primary=False)),
        actions=(
            ActionRecord(et(2026, 2, 18), "Introduced", chamber="House", order=0),
            ActionRecord(et(2026, 2, 19), "Referred to committee: Finance", chamber="House", committee="Finance"),
        ),
        versions=(VersionRecord("As Introduced", code="00_IN", when=et(2026, 2, 18)),),
    )
    return base if not changes else BillRecord(**{**base.__dict__, **changes})


def hearing(**changes: object) -> HearingRecord:
    base = HearingRecord(
        jurisdiction="OH", session="136", committee="House Primary and Secondary Education",
        start=et(2026, 12, 2, 9, 30), key="https://www.legislature.ohio.gov/schedules/meeting/4411",
        location="Statehouse Room 121", bills=("HB 96",), chamber="House",
    )
    return base if not changes else HearingRecord(**{**base.__dict__, **changes})


# -- a small collaborative's world, built through the real store, tagger, curation and member import ----------
def kindergarten_voucher_bill(**changes: object) -> BillRecord:
    """HB 114 of the world: EdChoice for every kindergartner, sponsored, in House Education since Oct 20."""
    base = BillRecord(
        jurisdiction="OH", session="136", identifier="HB 114",
        title="Expand EdChoice scholarship eligibility to all kindergarten students",
        synopsis="Makes every kindergarten student eligible for an educational choice scholarship.",
        status="In House Primary and Secondary Education",
        committee="House Primary and Secondary Education",
        sponsors=(SponsorRecord("Rep. Gideon Marsh", party="R", district="Lima"),),
        actions=(ActionRecord(et(2026, 10, 20), "Introduced", chamber="House"),),
    )
    return base if not changes else BillRecord(**{**base.__dict__, **changes})


def edchoice_bill_introduced(**changes: object) -> BillRecord:
    """HB 11, a bare EdChoice expansion with only its introduction (curation and its command line)."""
    base = BillRecord(
        jurisdiction="OH", session="136", identifier="HB 11", title="Expand the EdChoice scholarship program",
        actions=(ActionRecord(et(2026, 3, 2), "Introduced", chamber="House"),),
    )
    return base if not changes else BillRecord(**{**base.__dict__, **changes})


def edchoice_bill_heard_in_finance() -> BillRecord:
    """HB 11 further along: synopsis, subject, sponsor, referred to Education, re-referred to Finance, heard."""
    return BillRecord(
        jurisdiction="OH", session="136", identifier="HB 11", title="Expand the EdChoice scholarship program",
        synopsis="Raises income limits for the program.", subjects=("Education",),
        sponsors=(SponsorRecord("Rep. Ilse Marchetti"),),
        actions=(
            ActionRecord(et(2026, 3, 2), "Introduced", chamber="House"),
            ActionRecord(et(2026, 3, 4), "Referred to committee: Education", chamber="House",
                         committee="House Primary and Secondary Education"),
            ActionRecord(et(2026, 5, 6), "Re-referred to committee: Finance", chamber="House",
                         committee="House Finance"),
            ActionRecord(et(2026, 5, 7), "Bill heard", chamber="House"),
        ),
    )


def amphibian_bill(**changes: object) -> BillRecord:
    """SB 12, nothing to do with schools: the tagger should pass it by."""
    base = BillRecord(jurisdiction="OH", session="136", identifier="SB 12", title="Designate the state amphibian")
    return base if not changes else BillRecord(**{**base.__dict__, **changes})


def reading_bill(**changes: object) -> BillRecord:
    base = BillRecord(
        jurisdiction="OH", session="136", identifier="HB 141",
        title="Require instructional materials aligned with the science of reading",
        synopsis="Districts adopt core reading curriculum aligned with the science of reading.",
        status="In House Primary and Secondary Education",
        actions=(ActionRecord(et(2026, 10, 28), "Introduced", chamber="House"),),
    )
    return base if not changes else BillRecord(**{**base.__dict__, **changes})


def levy_bill(**changes: object) -> BillRecord:
    base = BillRecord(
        jurisdiction="OH", session="136", identifier="SB 52",
        title="Require voter approval of school district property tax levy renewals at general elections",
        status="In Senate Ways and Means", committee="Senate Ways and Means",
        actions=(ActionRecord(et(2026, 11, 5), "Introduced", chamber="Senate"),),
    )
    return base if not changes else BillRecord(**{**base.__dict__, **changes})


def fruit_bill() -> BillRecord:
    return BillRecord(jurisdiction="OH", session="136", identifier="HB 150",
                      title="Designate the pawpaw as the official state native fruit",
                      actions=(ActionRecord(et(2026, 11, 2), "Introduced", chamber="House"),))


MEMBERS_CSV = """email,name,district,role,topics,alerts
ana.rivera@cedarfalls.example.org,Ana Rivera,Cedar Falls City Schools,superintendent,,yes
ben.osei@maplevalley.example.org,Ben Osei,Maple Valley Local Schools,curriculum director,literacy_curriculum,yes
cara.lind@riverbend.example.org,Cara Lind,Riverbend Exempted Village Schools,treasurer,funding;choice,no
dev.patel@oakridge.example.org,Dev Patel,Oakridge City Schools,board member,taxes_levies,yes
"""


def scrape(app: App, now: datetime, bills: Sequence[BillRecord] = (), hearings: Sequence[HearingRecord] = (),
           tagger: Tagger | None = None) -> StoreReport:
    """What the pipeline does with a scrape: store the records, then tag what changed with the real tagger."""
    with app.transaction() as session:
        oh = ensure_jurisdiction(session, "OH", "Ohio", "America/New_York")
        report = Store(session, oh, source="test", now=now).store_result(
            ScrapeResult(bills=tuple(bills), hearings=tuple(hearings)))
        tag_bills(session, tagger or make_tagger(app.config), report.changed_bill_ids, now)
    return report


def curate_bill(app: App, identifier: str, now: datetime, actor: str = "Priya Advocate", **changes: object) -> None:
    with app.transaction() as session:
        bill = session.scalars(select(Bill).where(Bill.identifier == identifier)).one()
        curate(session, bill, actor, now, **changes)


def import_members(app: App, csv_text: str = MEMBERS_CSV) -> None:
    with app.transaction() as session:
        report = import_csv(session, csv_text, known_topics=set(app.config.tagging.topics))
    assert not report.rejected, report.lines()


WORLD_SCRAPED = datetime(2026, 11, 14, 15, 0, tzinfo=ZoneInfo("UTC"))


def build_world(app: App, now: datetime, members_csv: str = MEMBERS_CSV) -> None:
    """Five bills scraped ten days before `now`, tagged by the real tagger; four curated; members; a hearing.

    HB 96 (funding, high), HB 114 (choice, high, action alert due Nov 30 10 a.m.), HB 141 (literacy, watch),
    SB 52 (levies, medium); the pawpaw bill is on the Dec 1 hearing's agenda but nobody curated it.
    """
    scrape(app, WORLD_SCRAPED, bills=[funding_bill(), kindergarten_voucher_bill(), reading_bill(), levy_bill(), fruit_bill()],
           hearings=[hearing(start=et(2026, 12, 1, 10), bills=("HB 114", "HB 141", "HB 150"))])
    curate_bill(app, "HB 96", now, status="approved", priority="high", position="seek_amendment",
                commentary="The substitute **lowers the base cost**; we ask the Senate to restore the phase-in.")
    curate_bill(app, "HB 114", now, status="approved", priority="high", position="oppose",
                commentary="Paid for by deductions from district foundation payments.", alert=True,
                alert_deadline=et(2026, 11, 30, 10), alert_action="Submit opponent testimony by Monday 10 a.m.")
    curate_bill(app, "HB 141", now, status="approved", priority="watch", position="monitor")
    curate_bill(app, "SB 52", now, status="approved", priority="medium", position="oppose")
    import_members(app, members_csv)
