"""A business's upcoming payment deadlines, as the portal shows them (effective dates, unpaid only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from app.accounts.balance import paid_in_full
from app.accounts.models import Obligation, RecordStatus
from app.core.extensions import db
from app.reminders.calendar import effective_due, next_working_day, nominal_dates_for

HORIZON_DAYS = 60


@dataclass(frozen=True)
class Upcoming:
    """One unpaid obligation's deadline: the day it is really due and the date the law or decision names."""

    kind: str
    description: str
    nominal: date
    effective: date

    @property
    def moved(self) -> bool:
        """True when the deadline moved off a Saturday, Sunday or holiday."""
        return self.nominal != self.effective


def upcoming_of(contractor_id: int, start: date, days: int = HORIZON_DAYS) -> list[Upcoming]:
    """The business's unpaid active obligations falling due from `start` for `days` days, soonest first."""
    end = start + timedelta(days=days - 1)
    first_nominal = min(nominal_dates_for("PON", next_working_day(start)))
    rows = db.session.execute(
        select(Obligation.kind, Obligation.description, Obligation.due_on)
        .where(Obligation.contractor_id == contractor_id, Obligation.status == RecordStatus.ACTIVE,
               Obligation.due_on.between(first_nominal, end), ~paid_in_full()))
    found = [Upcoming(kind, description, nominal, effective_due(kind, nominal)) for kind, description, nominal in rows]
    return sorted((u for u in found if start <= u.effective <= end), key=lambda u: (u.effective, u.kind))
