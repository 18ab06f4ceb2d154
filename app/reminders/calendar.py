"""The statutory deadline calendar: working days, deadlines moved off days off, each kind's dates.

A deadline falling on a Saturday, Sunday or Polish public holiday moves to the next working day
(taxes: Ordynacja podatkowa art. 12 §5; civil-law fees: Kodeks cywilny art. 115), except the
alcohol licence fee, whose deadlines are final. Obligations keep the nominal date the legacy
system gives them (`Obligation.due_on`); `effective_due` says when payment is really due.
Public holidays come from the `holidays` package, never from a list of our own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import holidays
from flask_babel import lazy_gettext as _l

from app.accounts.models.ledger import ObligationKind

ONE_DAY = timedelta(days=1)

#: (month, day) of each kind's statutory deadlines in a year, in order.
_SCHEDULES: dict[str, tuple[tuple[int, int], ...]] = {
    # Property tax of legal persons: by the 15th of each month, January's by 31 January.
    ObligationKind.PROPERTY_TAX: ((1, 31), *((month, 15) for month in range(2, 13))),
    ObligationKind.TRANSPORT_TAX: ((2, 15), (9, 15)),
    ObligationKind.PERPETUAL_USUFRUCT: ((3, 31),),
    # Three instalments (or the whole fee by 31 January); never moved off days off.
    ObligationKind.ALCOHOL_LICENCE: ((1, 31), (5, 31), (9, 30)),
}


@dataclass(frozen=True)
class Deadline:
    """One statutory deadline of a kind: its nominal date and the day payment is really due."""

    kind: str
    nominal: date
    effective: date
    label: Any = field(compare=False)  # a lazy translated string

    @property
    def moved(self) -> bool:
        """True when the deadline was moved off a day off."""
        return self.effective != self.nominal


@lru_cache(maxsize=128)
def _public_holidays(year: int, language: str = "en_US") -> dict[date, str]:
    return dict(holidays.country_holidays("PL", years=year, language=language))


def is_working_day(day: date) -> bool:
    """True unless the day is a Saturday, Sunday or Polish public holiday."""
    return day.weekday() < 5 and day not in _public_holidays(day.year)


def holiday_name(day: date, language: str = "en") -> str | None:
    """The name of the Polish public holiday on `day` in `language` ("pl" or "en"), else None."""
    return _public_holidays(day.year, "pl" if language == "pl" else "en_US").get(day)


def next_working_day(day: date) -> date:
    """The first working day on or after `day` (the day itself when it is a working day)."""
    while not is_working_day(day):
        day += ONE_DAY
    return day


def moves_off_holidays(kind: str) -> bool:
    """Whether a deadline of `kind` falling on a day off moves to the next working day.

    True for taxes (Ordynacja podatkowa art. 12 §5) and civil-law fees such as perpetual
    usufruct and rent (Kodeks cywilny art. 115); False for the alcohol licence fee (ALK),
    whose statutory deadlines are final and never move.
    """
    return kind != ObligationKind.ALCOHOL_LICENCE


def effective_due(kind: str, nominal: date) -> date:
    """The day a payment of `kind` nominally due on `nominal` is really due."""
    return next_working_day(nominal) if moves_off_holidays(kind) else nominal


def nominal_dates_for(kind: str, effective: date) -> list[date]:
    """Every nominal date of `kind` whose effective due date is `effective`, oldest first."""
    if not moves_off_holidays(kind):
        return [effective]
    if not is_working_day(effective):
        return []
    days = [effective]
    while not is_working_day(days[-1] - ONE_DAY):
        days.append(days[-1] - ONE_DAY)
    return sorted(days)


def _label(kind: str, number: int, count: int) -> Any:
    if kind == ObligationKind.PROPERTY_TAX:
        return _l("Property tax, instalment %(number)d of %(count)d", number=number, count=count)
    if kind == ObligationKind.TRANSPORT_TAX:
        return _l("Transport vehicle tax, instalment %(number)d of %(count)d", number=number, count=count)
    if kind == ObligationKind.ALCOHOL_LICENCE:
        return _l("Alcohol licence fee, instalment %(number)d of %(count)d", number=number, count=count)
    return _l("Perpetual usufruct fee for the year")


def statutory_deadlines(kind: str, year: int) -> list[Deadline]:
    """The statutory deadlines of `kind` in `year`; [] for kinds without a statutory calendar."""
    schedule = _SCHEDULES.get(kind, ())
    deadlines = []
    for number, (month, day) in enumerate(schedule, start=1):
        nominal = date(year, month, day)
        deadlines.append(Deadline(kind=str(kind), nominal=nominal, effective=effective_due(kind, nominal),
                                  label=_label(kind, number, len(schedule))))
    return deadlines


def upcoming_deadlines(start: date, days: int, kinds: list[str] | None = None) -> list[Deadline]:
    """Statutory deadlines effectively due from `start` for `days` days, by effective date."""
    end = start + timedelta(days=days)
    chosen = list(_SCHEDULES) if kinds is None else kinds
    found = [
        deadline
        for year in range(start.year - 1, end.year + 1)
        for kind in chosen
        for deadline in statutory_deadlines(kind, year)
        if start <= deadline.effective < end
    ]
    return sorted(found, key=lambda d: (d.effective, d.nominal, d.kind))
