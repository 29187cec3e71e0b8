"""Shared personas and records for tests."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from advocacy.records import ActionRecord, BillRecord, HearingRecord, SponsorRecord, VersionRecord

ET = ZoneInfo("America/New_York")


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
