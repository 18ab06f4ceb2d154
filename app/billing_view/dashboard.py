"""The portal dashboard: the balance of the chosen business and unit, the five nearest items.

The context is a legal entity (a business the user's link to is confirmed) and a unit among
those the user consented to; the user steps through both with previous/next arrows. The list of
nearest events and payments covers ALL consented units of the chosen business: unpaid
obligations (undated ones such as formal reminder costs first, then by due date, overdue
included) and appointments to come, five together. A few indexed queries, never one per row;
the statements are built once per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, select

from app.accounts.balance import balance_in_unit, flushed_connection
from app.accounts.models import Appointment, Obligation, RecordStatus
from app.billing_view.due_dates import effective_due
from app.billing_view.obligations import paid_column
from app.core.clock import to_warsaw, utcnow
from app.core.money import quantize

NEAREST = 5


@dataclass(frozen=True)
class Step:
    """The chosen item of a list and its neighbours (None at either end)."""

    current: Any
    previous: Any
    next: Any
    position: int
    count: int


def step(items: list, current) -> Step:
    """Where `current` stands among `items`, with the ones before and after it."""
    index = items.index(current)
    return Step(current, items[index - 1] if index > 0 else None,
                items[index + 1] if index + 1 < len(items) else None, index + 1, len(items))


@dataclass(frozen=True)
class UpcomingItem:
    """A payment or an event of the nearest list."""

    kind: str  # obligation kind code, or "appointment"
    title: str
    unit_id: int
    day: date | None  # the effective due date, or the appointment's day in Warsaw
    starts_at: datetime | None = None
    amount: Decimal | None = None
    overdue: bool = False

    @property
    def is_appointment(self) -> bool:
        """True for a meeting with office staff."""
        return self.kind == "appointment"


def _sort_key(item: UpcomingItem) -> tuple:
    return (item.day is not None, item.day or date.min, item.starts_at is not None)


@cache
def _owed_statement() -> Select:
    """Built once: the business's first unpaid obligations in :unit_ids (undated first, then by due date)."""
    paid = paid_column()
    return (select(Obligation.kind, Obligation.description, Obligation.unit_id, Obligation.due_on,
                   Obligation.amount, paid.label("paid"))
            .where(Obligation.contractor_id == bindparam("contractor_id"),
                   Obligation.unit_id.in_(bindparam("unit_ids", expanding=True)),
                   Obligation.status == RecordStatus.ACTIVE, paid < Obligation.amount)
            .order_by(Obligation.due_on.is_not(None), Obligation.due_on, Obligation.id).limit(NEAREST))


@cache
def _meetings_statement() -> Select:
    """Built once: the business's appointments in :unit_ids from :now on."""
    return (select(Appointment.description, Appointment.unit_id, Appointment.starts_at)
            .where(Appointment.contractor_id == bindparam("contractor_id"),
                   Appointment.unit_id.in_(bindparam("unit_ids", expanding=True)),
                   Appointment.status == RecordStatus.ACTIVE, Appointment.starts_at >= bindparam("now"))
            .order_by(Appointment.starts_at).limit(NEAREST))


def nearest_items(contractor_id: int, unit_ids: set[int], today: date) -> list[UpcomingItem]:
    """Up to five unpaid obligations and coming appointments of the business in the units."""
    if not unit_ids:
        return []
    params = {"contractor_id": contractor_id, "unit_ids": sorted(unit_ids)}
    connection = flushed_connection()
    owed = connection.execute(_owed_statement(), params).all()
    meetings = connection.execute(_meetings_statement(), {**params, "now": utcnow()}).all()
    items = []
    for row in owed:
        due = effective_due(row.kind, row.due_on)
        items.append(UpcomingItem(kind=row.kind, title=row.description, unit_id=row.unit_id, day=due,
                                  amount=quantize(row.amount) - quantize(row.paid),
                                  overdue=due is not None and due < today))
    for meeting in meetings:
        local = to_warsaw(meeting.starts_at)
        items.append(UpcomingItem(kind="appointment", title=meeting.description or "", unit_id=meeting.unit_id,
                                  day=local.date(), starts_at=meeting.starts_at))
    return sorted(items, key=_sort_key)[:NEAREST]


def unit_balance(contractor_id: int, unit_id: int) -> Decimal:
    """The business's balance in the unit: positive is owed, negative an overpayment."""
    return balance_in_unit(contractor_id, unit_id)
