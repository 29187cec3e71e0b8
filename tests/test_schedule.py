from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from advocacy.config import Config
from advocacy.schedule import agenda_due, next_call, next_digest, previous_digest, question_cutoff

ET = ZoneInfo("America/New_York")


def test_next_digest_is_the_first_slot_after_now_every_two_weeks(config: Config) -> None:
    assert next_digest(config, datetime(2026, 11, 24, tzinfo=UTC)) == datetime(2026, 12, 1, 7, 0, tzinfo=ET)
    assert next_digest(config, datetime(2026, 12, 1, 12, 0, tzinfo=UTC)) == datetime(2026, 12, 15, 7, 0, tzinfo=ET)
    assert previous_digest(config, datetime(2026, 12, 2, tzinfo=UTC)) == datetime(2026, 12, 1, 7, 0, tzinfo=ET)
    assert previous_digest(config, datetime(2026, 11, 2, tzinfo=UTC)) is None


def test_call_keeps_its_local_time_across_daylight_saving(config: Config) -> None:
    start, end = next_call(config, datetime(2027, 3, 12, tzinfo=UTC))  # DST starts March 14, 2027
    assert start == datetime(2027, 3, 25, 10, 0, tzinfo=ET)
    assert start.utcoffset().total_seconds() == -4 * 3600  # type: ignore[union-attr]
    assert (end - start).total_seconds() == 3600


def test_cutoff_and_agenda_are_counted_back_from_the_call(config: Config) -> None:
    start, _ = next_call(config, datetime(2026, 11, 24, tzinfo=UTC))
    assert start == datetime(2026, 12, 3, 10, 0, tzinfo=ET)
    assert question_cutoff(config, start) == datetime(2026, 12, 2, 10, 0, tzinfo=ET)
    assert agenda_due(config, start) == datetime(2026, 12, 1, 10, 0, tzinfo=ET)
