"""When an obligation is really due, and whether it is overdue, as the portal shows it.

A due date falling on a Saturday, Sunday or Polish public holiday moves to the next working day
(Ordynacja podatkowa art. 12 §5, Kodeks cywilny art. 115), except the alcohol licence fee (ALK).
The reminders feature has the same rule for its calendar; billing_view may not import reminders,
so this small copy keeps to the `holidays` package in the same way.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

from app.accounts.models import ObligationKind

ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("PL", years=year))


def is_working_day(day: date) -> bool:
    """True unless the day is a Saturday, Sunday or Polish public holiday."""
    return day.weekday() < 5 and day not in _public_holidays(day.year)


@lru_cache(maxsize=4096)
def effective_due(kind: str, nominal: date | None) -> date | None:
    """The day an obligation of `kind` nominally due on `nominal` is really due (None: no date)."""
    if nominal is None or kind == ObligationKind.ALCOHOL_LICENCE:
        return nominal
    day = nominal
    while not is_working_day(day):
        day += ONE_DAY
    return day


def is_overdue(kind: str, nominal: date | None, remaining, today: date) -> bool:
    """True when something is still owed after the effective due date."""
    due = effective_due(kind, nominal)
    return due is not None and remaining > 0 and due < today
