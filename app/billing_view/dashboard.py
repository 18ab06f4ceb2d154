"""The portal dashboard: the balance of the chosen business and unit, the five nearest items.

The context is a legal entity (a business the user's link to is confirmed) and a unit among
those the user consented to; the user steps through both with previous/next arrows. The list of
nearest events and payments covers ALL consented units of the chosen business: unpaid
obligations (undated ones such as formal reminder costs first, then by due date, overdue
included) and appointments to come, five together. One statement, built once per process, brings
the balance and both lists: a few indexed reads, never one per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import CompoundSelect, bindparam, cast, func, literal, null, select, union_all

from app.accounts.balance import flushed_connection
from app.accounts.models import Appointment, Obligation, Payment, RecordStatus
from app.billing_view.due_dates import effective_due
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
def _figures_statement() -> CompoundSelect:
    """Built once: in one round trip, the business's balance in :unit_id ("balance" row), its first
    unpaid obligations ("owed": up to five undated and five dated) and coming appointments
    ("meeting", from :now) in :unit_ids."""
    paid = Obligation.paid_amount
    business, units = bindparam("contractor_id"), bindparam("unit_ids", expanding=True)

    def nothing(column, name: str):  # a typed NULL: every part has the same columns
        return cast(null(), column.type).label(name)

    def owed(dated: bool):  # undated (reminder costs) and dated apart: each walks the business's
        # obligations in `ix_obligations_contractor_due` order and stops at the first unpaid ones
        return (select(literal("owed").label("part"), Obligation.id, Obligation.kind, Obligation.description,
                       Obligation.unit_id, Obligation.due_on, Obligation.amount, paid.label("paid"),
                       nothing(Appointment.starts_at, "starts_at"))
                .where(Obligation.contractor_id == business, Obligation.unit_id.in_(units),
                       Obligation.due_on.is_not(None) if dated else Obligation.due_on.is_(None),
                       Obligation.status == RecordStatus.ACTIVE, paid < Obligation.amount)
                .order_by(Obligation.due_on, Obligation.id).limit(NEAREST)).subquery()

    meetings = (select(literal("meeting").label("part"), Appointment.id, nothing(Obligation.kind, "kind"),
                       Appointment.description, Appointment.unit_id, nothing(Obligation.due_on, "due_on"),
                       nothing(Obligation.amount, "amount"), nothing(Obligation.amount, "paid"), Appointment.starts_at)
                .where(Appointment.contractor_id == business, Appointment.unit_id.in_(units),
                       Appointment.status == RecordStatus.ACTIVE, Appointment.starts_at >= bindparam("now"))
                .order_by(Appointment.starts_at).limit(NEAREST)).subquery()
    one_unit = bindparam("unit_id")
    owed_sum = select(func.coalesce(func.sum(Obligation.amount), 0)).where(
        Obligation.contractor_id == business, Obligation.unit_id == one_unit,
        Obligation.status == RecordStatus.ACTIVE).scalar_subquery()
    paid_sum = select(func.coalesce(func.sum(Payment.amount), 0)).where(
        Payment.contractor_id == business, Payment.unit_id == one_unit,
        Payment.status == RecordStatus.ACTIVE).scalar_subquery()
    balance = select(literal("balance").label("part"), nothing(Obligation.id, "id"), nothing(Obligation.kind, "kind"),
                     nothing(Obligation.description, "description"), nothing(Obligation.unit_id, "unit_id"),
                     nothing(Obligation.due_on, "due_on"), (owed_sum - paid_sum).label("amount"),
                     nothing(Obligation.amount, "paid"), nothing(Appointment.starts_at, "starts_at"))
    return union_all(select(owed(dated=False)), select(owed(dated=True)), select(meetings), balance)


@dataclass(frozen=True)
class DashboardFigures:
    """What the dashboard shows of the chosen business and unit."""

    balance: Decimal  # in the chosen unit: positive is owed, negative an overpayment
    items: list[UpcomingItem]  # the five nearest, in all consented units


def dashboard_figures(contractor_id: int, unit_id: int, unit_ids: set[int], today: date) -> DashboardFigures:
    """The balance in `unit_id` (as `contractor_balance`) and up to five unpaid obligations and coming
    appointments of the business in `unit_ids`, from one statement."""
    params = {"contractor_id": contractor_id, "unit_id": unit_id, "unit_ids": sorted(unit_ids), "now": utcnow()}
    rows = flushed_connection().execute(_figures_statement(), params).all()
    balance = next(quantize(row.amount or 0) for row in rows if row.part == "balance")
    owed = sorted((row for row in rows if row.part == "owed"),
                  key=lambda row: (row.due_on is not None, row.due_on or date.min, row.id))
    meetings = sorted((row for row in rows if row.part == "meeting"), key=lambda row: (row.starts_at, row.id))
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
    return DashboardFigures(balance, sorted(items, key=_sort_key)[:NEAREST])
