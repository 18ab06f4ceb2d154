"""Late interest (odsetki za zwłokę) on an overdue amount: a pure calculation, no database.

For each day of delay, from the day after the due date to the day of payment (or today)
inclusive, interest = amount × annual rate / 365, at the rate in force on that day (the rates
change on their `valid_from` dates). The sum is rounded to full złoty (fractions of 50 grosze
and more up, less down; Ordynacja podatkowa art. 63 §1), and not charged at all when it does not
exceed the statutory minimum, three times the fee for a registered letter: 8,70 zł
(art. 54 §1 pkt 1). Days before the first known rate carry no interest.

Worked example: 10 000,00 zł due on 21 December 2024, paid on 10 January 2025, 14,50 % a year
until 31 December and 12,00 % from 1 January: 10 days × 10 000 × 14,5 % / 365 = 39,73 zł, plus
10 days × 10 000 × 12 % / 365 = 32,88 zł, together 72,60 zł, so 73 zł.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

STATUTORY_MINIMUM = Decimal("8.70")
DAYS_IN_YEAR = Decimal(365)
ONE_DAY = timedelta(days=1)
ZERO = Decimal(0)


@dataclass(frozen=True)
class RatePeriod:
    """An annual rate in percent, in force from `valid_from` until the next period starts."""

    valid_from: date
    annual_rate: Decimal


def days_late(due_on: date, paid_on: date) -> int:
    """Days of delay: from the day after the due date to the day of payment inclusive."""
    return max((paid_on - due_on).days, 0)


def _days_per_rate(due_on: date, paid_on: date, rates: Sequence[RatePeriod]) -> list[tuple[Decimal, int]]:
    """(annual rate, days of delay at that rate) for each rate period the delay touches."""
    first_late, last_late = due_on + ONE_DAY, paid_on
    ordered = sorted(rates, key=lambda period: period.valid_from)
    spans = []
    for index, period in enumerate(ordered):
        start = max(period.valid_from, first_late)
        next_start = ordered[index + 1].valid_from if index + 1 < len(ordered) else None
        end = min(next_start - ONE_DAY, last_late) if next_start else last_late
        if start <= end:
            spans.append((Decimal(period.annual_rate), (end - start).days + 1))
    return spans


def exact_interest(amount: Decimal, due_on: date, paid_on: date, rates: Sequence[RatePeriod]) -> Decimal:
    """The interest before rounding (Decimal, not rounded), summed over the rate periods."""
    if amount <= 0 or paid_on <= due_on:
        return ZERO
    # Σ(rate × days) is exact; dividing once keeps the result independent of how periods split.
    rate_days = sum((rate * days for rate, days in _days_per_rate(due_on, paid_on, rates)), ZERO)
    return Decimal(amount) * rate_days / (100 * DAYS_IN_YEAR)


def late_interest(amount: Decimal, due_on: date, paid_on: date, rates: Sequence[RatePeriod], *,
                  minimum: Decimal = STATUTORY_MINIMUM) -> Decimal:
    """Late interest in full złoty; 0 when it does not exceed `minimum` (8,70 zł)."""
    rounded = exact_interest(amount, due_on, paid_on, rates).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return rounded if rounded > minimum else ZERO
