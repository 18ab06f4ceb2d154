"""Late interest: worked examples and properties of the pure calculation."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from app.billing_view.interest import RatePeriod, days_late, exact_interest, late_interest

RATES = [RatePeriod(date(2024, 1, 1), Decimal("14.50")), RatePeriod(date(2025, 1, 1), Decimal("12.00"))]


def test_worked_example_across_two_rates():
    # 10 days at 14,5 % (39,73 zł) and 10 days at 12 % (32,88 zł): 72,60 zł, rounded to 73 zł.
    assert days_late(date(2024, 12, 21), date(2025, 1, 10)) == 20
    assert late_interest(Decimal("10000.00"), date(2024, 12, 21), date(2025, 1, 10), RATES) == Decimal(73)


def test_one_rate_thirty_days():
    # 10 000 × 14,5 % × 30 / 365 = 119,18 zł -> 119 zł.
    assert late_interest(Decimal("10000"), date(2024, 3, 15), date(2024, 4, 14), RATES) == Decimal(119)


def test_rounding_half_up_to_full_zloty():
    # 2 250 × 14,5 % × 14 / 365 = 12,51 zł -> 13 zł; 2 200 × 14,5 % × 14 / 365 = 12,24 zł -> 12 zł.
    assert late_interest(Decimal("2250"), date(2024, 3, 1), date(2024, 3, 15), RATES) == Decimal(13)
    assert late_interest(Decimal("2200"), date(2024, 3, 1), date(2024, 3, 15), RATES) == Decimal(12)


def test_not_charged_up_to_the_statutory_minimum():
    # 500 zł for 30 days: 5,96 zł -> 6 zł, below 8,70 zł: nothing.
    assert late_interest(Decimal("500"), date(2024, 3, 15), date(2024, 4, 14), RATES) == 0
    # 9 zł after rounding exceeds 8,70 zł: charged.
    amount = Decimal("755")  # 755 × 14,5 % × 30 / 365 = 9,00 zł
    assert late_interest(amount, date(2024, 3, 15), date(2024, 4, 14), RATES) == Decimal(9)


def test_paid_on_time_or_before_the_first_rate_costs_nothing():
    assert late_interest(Decimal("100000"), date(2024, 3, 15), date(2024, 3, 15), RATES) == 0
    assert late_interest(Decimal("100000"), date(2020, 3, 15), date(2020, 12, 31), RATES) == 0


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10000000"), places=2)
days = st.dates(min_value=date(2023, 6, 1), max_value=date(2026, 12, 31))
rates = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("40.00"), places=2)


@given(amounts, days, st.integers(0, 2000), rates)
def test_one_rate_is_the_textbook_formula(amount, due, late, rate):
    periods = [RatePeriod(date(2000, 1, 1), rate)]
    expected = (amount * rate * late / Decimal(36500)).quantize(Decimal(1), rounding="ROUND_HALF_UP")
    result = late_interest(amount, due, due + timedelta(days=late), periods)
    assert result == (expected if expected > Decimal("8.70") else 0)
    assert result == result.to_integral_value() and result >= 0


@given(amounts, days, st.integers(0, 1500), rates, st.integers(1, 1500))
def test_splitting_a_period_at_the_same_rate_changes_nothing(amount, due, late, rate, cut):
    whole = [RatePeriod(date(2000, 1, 1), rate)]
    split = [RatePeriod(date(2000, 1, 1), rate), RatePeriod(due + timedelta(days=cut), rate)]
    paid = due + timedelta(days=late)
    assert exact_interest(amount, due, paid, split) == exact_interest(amount, due, paid, whole)


@given(amounts, amounts, days, st.integers(0, 1500), st.integers(0, 1500))
def test_more_owed_or_paid_later_never_costs_less(a, b, due, late, later):
    small, big = sorted((a, b))
    paid = due + timedelta(days=late)
    assert late_interest(small, due, paid, RATES) <= late_interest(big, due, paid, RATES)
    assert late_interest(small, due, paid, RATES) <= late_interest(small, due, paid + timedelta(days=later), RATES)
