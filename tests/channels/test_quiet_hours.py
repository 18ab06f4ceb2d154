"""Quiet hours are read on the Warsaw clock and release messages at their end."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.channels.quiet_hours import QuietHours
from app.core.clock import warsaw_to_utc

NIGHT = QuietHours.parse("20:00-08:00")


@pytest.mark.parametrize(
    ("local", "quiet", "released"),
    [
        (datetime(2026, 11, 23, 19, 59), False, datetime(2026, 11, 23, 19, 59)),
        (datetime(2026, 11, 23, 20, 0), True, datetime(2026, 11, 24, 8, 0)),
        (datetime(2026, 11, 23, 23, 30), True, datetime(2026, 11, 24, 8, 0)),
        (datetime(2026, 11, 24, 3, 0), True, datetime(2026, 11, 24, 8, 0)),
        (datetime(2026, 11, 24, 8, 0), False, datetime(2026, 11, 24, 8, 0)),
        # The night the clocks go back (25 Oct 2026) still ends at 8:00 local time.
        (datetime(2026, 10, 24, 22, 0), True, datetime(2026, 10, 25, 8, 0)),
    ],
)
def test_night_window_on_the_warsaw_clock(local, quiet, released):
    instant = warsaw_to_utc(local)
    assert NIGHT.contains(instant) is quiet
    assert NIGHT.release_at(instant) == warsaw_to_utc(released)


def test_a_window_within_one_day_and_an_empty_one():
    lunch = QuietHours.parse("13:00-14:00")
    assert lunch.contains(warsaw_to_utc(datetime(2026, 11, 23, 13, 30)))
    assert lunch.release_at(warsaw_to_utc(datetime(2026, 11, 23, 13, 30))) == warsaw_to_utc(
        datetime(2026, 11, 23, 14, 0)
    )
    never = QuietHours.parse("00:00-00:00")
    assert not never.contains(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))


def test_a_malformed_setting_names_the_value():
    with pytest.raises(ValueError, match="'20-8'"):
        QuietHours.parse("20-8")
