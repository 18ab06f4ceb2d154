"""The deadline calendar against the real Polish calendar of 2025-2027 (checked with `holidays`)."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.accounts.models import ObligationKind
from app.reminders.calendar import (
    effective_due,
    holiday_name,
    is_working_day,
    moves_off_holidays,
    next_working_day,
    nominal_dates_for,
    statutory_deadlines,
    upcoming_deadlines,
)

KINDS = [kind.value for kind in ObligationKind]
DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))


def test_the_package_knows_the_holidays_these_tests_rely_on():
    polish = holidays.country_holidays("PL", years=[2025, 2026])
    assert date(2025, 12, 24) in polish  # Christmas Eve, a public holiday from 2025
    assert date(2026, 11, 11) in polish
    assert date(2024, 12, 24) not in polish
    assert date(2026, 1, 31).strftime("%A") == "Saturday"
    assert date(2026, 11, 15).strftime("%A") == "Sunday"


@pytest.mark.parametrize(("day", "working"), [
    (date(2026, 2, 2), True),  # Monday
    (date(2026, 1, 31), False),  # Saturday
    (date(2026, 11, 15), False),  # Sunday
    (date(2026, 11, 11), False),  # Independence Day, a Wednesday
    (date(2025, 12, 24), False),  # Christmas Eve 2025, a Wednesday
    (date(2024, 12, 24), True),  # Christmas Eve 2024 was still a working day
    (date(2026, 1, 6), False),  # Epiphany
])
def test_working_days_follow_weekends_and_polish_public_holidays(day, working):
    assert is_working_day(day) is working


def test_next_working_day_skips_a_run_of_days_off():
    assert next_working_day(date(2026, 2, 2)) == date(2026, 2, 2)
    # Thu 24.12.2026 Christmas Eve, Fri 25, Sat 26, Sun 27 -> Monday 28.12
    assert next_working_day(date(2026, 12, 24)) == date(2026, 12, 28)


def test_only_the_alcohol_licence_fee_keeps_its_deadline_on_a_day_off():
    assert [kind for kind in KINDS if not moves_off_holidays(kind)] == ["ALK"]


def test_january_instalments_on_saturday_31_january_2026():
    assert effective_due("PON", date(2026, 1, 31)) == date(2026, 2, 2)
    assert effective_due("ALK", date(2026, 1, 31)) == date(2026, 1, 31)


def test_sunday_and_holiday_deadlines_move_to_the_next_working_day():
    assert effective_due("PON", date(2026, 11, 15)) == date(2026, 11, 16)
    assert effective_due("DZR", date(2026, 11, 11)) == date(2026, 11, 12)
    assert effective_due("UW", date(2026, 3, 31)) == date(2026, 3, 31)  # a Tuesday


def test_nominal_dates_of_a_monday_include_the_weekend_before_it():
    assert nominal_dates_for("PON", date(2026, 2, 2)) == [date(2026, 1, 31), date(2026, 2, 1),
                                                          date(2026, 2, 2)]
    assert nominal_dates_for("PON", date(2026, 1, 31)) == []
    assert nominal_dates_for("ALK", date(2026, 1, 31)) == [date(2026, 1, 31)]
    assert nominal_dates_for("ALK", date(2026, 2, 2)) == [date(2026, 2, 2)]
    assert nominal_dates_for("PON", date(2026, 12, 28)) == [date(2026, 12, d) for d in range(24, 29)]


@given(kind=st.sampled_from(KINDS), nominal=DAYS)
def test_every_nominal_date_is_found_again_from_its_effective_date(kind, nominal):
    effective = effective_due(kind, nominal)
    assert nominal in nominal_dates_for(kind, effective)
    assert effective >= nominal
    assert is_working_day(effective) or not moves_off_holidays(kind)


@given(kind=st.sampled_from(KINDS), effective=DAYS)
def test_nominal_dates_for_is_exactly_the_inverse_of_effective_due(kind, effective):
    nominals = nominal_dates_for(kind, effective)
    assert all(effective_due(kind, nominal) == effective for nominal in nominals)
    # Nothing is missed: every day of the preceding week mapping to `effective` is listed.
    week_before = [effective - timedelta(days=n) for n in range(8)]
    assert sorted(d for d in week_before if effective_due(kind, d) == effective) == nominals


def test_property_tax_2026_has_twelve_instalments_january_by_the_31st():
    deadlines = statutory_deadlines("PON", 2026)
    assert [d.nominal for d in deadlines] == [date(2026, 1, 31)] + [date(2026, m, 15) for m in range(2, 13)]
    moved = {d.nominal: d.effective for d in deadlines if d.moved}
    assert moved == {
        date(2026, 1, 31): date(2026, 2, 2),  # Saturday
        date(2026, 2, 15): date(2026, 2, 16),  # Sunday
        date(2026, 3, 15): date(2026, 3, 16),  # Sunday
        date(2026, 8, 15): date(2026, 8, 17),  # Saturday and Assumption Day
        date(2026, 11, 15): date(2026, 11, 16),  # Sunday
    }
    assert str(deadlines[0].label) == "Property tax, instalment 1 of 12"


def test_other_statutory_calendars_of_2026():
    assert [(d.nominal, d.effective) for d in statutory_deadlines("PST", 2026)] == [
        (date(2026, 2, 15), date(2026, 2, 16)), (date(2026, 9, 15), date(2026, 9, 15))]
    assert [(d.nominal, d.effective) for d in statutory_deadlines("UW", 2026)] == [
        (date(2026, 3, 31), date(2026, 3, 31))]
    assert [(d.nominal, d.effective) for d in statutory_deadlines("ALK", 2026)] == [
        (date(2026, 1, 31), date(2026, 1, 31)), (date(2026, 5, 31), date(2026, 5, 31)),
        (date(2026, 9, 30), date(2026, 9, 30))]
    assert [statutory_deadlines(kind, 2026) for kind in ("DZR", "KU", "ODS", "OPL")] == [[], [], [], []]


def test_alcohol_deadlines_of_2027_stay_on_sunday_31_january():
    assert [d.effective for d in statutory_deadlines("ALK", 2027)][0] == date(2027, 1, 31)
    assert [d.effective for d in statutory_deadlines("PON", 2027)][0] == date(2027, 2, 1)


def test_upcoming_deadlines_are_sorted_by_the_day_payment_is_really_due():
    found = upcoming_deadlines(date(2026, 1, 30), 20)
    assert [(d.kind, d.nominal, d.effective) for d in found] == [
        ("ALK", date(2026, 1, 31), date(2026, 1, 31)),
        ("PON", date(2026, 1, 31), date(2026, 2, 2)),
        ("PON", date(2026, 2, 15), date(2026, 2, 16)),
        ("PST", date(2026, 2, 15), date(2026, 2, 16)),
    ]
    assert [d.kind for d in upcoming_deadlines(date(2026, 1, 30), 20, kinds=["PST"])] == ["PST"]


def test_upcoming_deadlines_count_the_start_day_and_stop_before_the_end():
    assert [d.effective for d in upcoming_deadlines(date(2026, 2, 16), 1)] == [date(2026, 2, 16)] * 2
    assert upcoming_deadlines(date(2026, 2, 3), 13) == []


def test_upcoming_deadlines_cross_the_new_year():
    found = upcoming_deadlines(date(2026, 12, 10), 60, kinds=["PON", "ALK"])
    assert [(d.kind, d.effective) for d in found] == [
        ("PON", date(2026, 12, 15)), ("ALK", date(2027, 1, 31)), ("PON", date(2027, 2, 1))]


def test_holiday_names_in_polish_and_english():
    assert holiday_name(date(2026, 11, 11), "pl") == "Narodowe Święto Niepodległości"
    assert holiday_name(date(2026, 11, 11), "en") == "National Independence Day"
    assert holiday_name(date(2026, 11, 12)) is None
