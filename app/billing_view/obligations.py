"""A business's obligations for the portal: filters, one page, what is paid and left, late interest.

Set-based: one query for the page (what is paid comes from a correlated sum over
`ix_allocations_obligation`), one for the count, one for the rates; never a query per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, func, or_, select

from app.accounts.models import (
    Allocation,
    LateInterestRate,
    Obligation,
    ObligationKind,
    Payment,
    RecordStatus,
    Unit,
)
from app.billing_view.due_dates import effective_due, is_working_day
from app.billing_view.interest import RatePeriod, late_interest
from app.core.extensions import db
from app.core.money import quantize

PAGE_SIZE = 25
STATUSES = ("unpaid", "overdue", "paid", "all")
#: Kinds that never carry late interest themselves: reminder costs and interest.
NO_INTEREST_KINDS = {ObligationKind.REMINDER_COST, ObligationKind.INTEREST}


def paid_column():
    """SQL, per obligation row: the sum allocated to it from active payments."""
    return (select(func.coalesce(func.sum(Allocation.amount), 0))
            .join(Payment, Payment.id == Allocation.payment_id)
            .where(Allocation.obligation_id == Obligation.id, Payment.status == RecordStatus.ACTIVE)
            .correlate(Obligation).scalar_subquery())


def overdue_before(today: date) -> date:
    """The first nominal due date that is not yet overdue today for kinds moved off days off.

    A date before it is overdue: its effective due date (the next working day) is before today.
    """
    day = today
    while not is_working_day(day - timedelta(days=1)):
        day -= timedelta(days=1)
    return day


def overdue_condition(today: date) -> ColumnElement[bool]:
    """SQL: the obligation's effective due date has passed (alcohol fees never move)."""
    return or_(and_(Obligation.kind == ObligationKind.ALCOHOL_LICENCE, Obligation.due_on < today),
               and_(Obligation.kind != ObligationKind.ALCOHOL_LICENCE, Obligation.due_on < overdue_before(today)))


@dataclass
class ObligationFilter:
    """What the obligations list shows; `errors` names each refused field and value."""

    unit_id: int | None = None
    kind: str | None = None
    year: int | None = None
    status: str = "unpaid"
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_args(cls, args, unit_ids: set[int]) -> ObligationFilter:
        """Read the query string; a bad value is named in `errors` and left unfiltered."""
        chosen = cls()
        raw_unit = args.get("unit_id", "").strip()
        if raw_unit:
            if raw_unit.isdigit() and int(raw_unit) in unit_ids:
                chosen.unit_id = int(raw_unit)
            else:
                chosen.errors["unit_id"] = raw_unit
        raw_kind = args.get("kind", "").strip()
        if raw_kind:
            if raw_kind in set(ObligationKind):
                chosen.kind = raw_kind
            else:
                chosen.errors["kind"] = raw_kind
        raw_year = args.get("year", "").strip()
        if raw_year:
            if raw_year.isdigit() and 1990 <= int(raw_year) <= 2100:
                chosen.year = int(raw_year)
            else:
                chosen.errors["year"] = raw_year
        raw_status = args.get("status", "unpaid").strip() or "unpaid"
        if raw_status in STATUSES:
            chosen.status = raw_status
        else:
            chosen.errors["status"] = raw_status
        raw_page = args.get("page", "1").strip() or "1"
        if raw_page.isdigit() and int(raw_page) >= 1:
            chosen.page = int(raw_page)
        else:
            chosen.errors["page"] = raw_page
        return chosen


@dataclass(frozen=True)
class ObligationRow:
    """One obligation as listed: its basis, amounts, effective due date and late interest."""

    id: int
    unit_id: int
    kind: str
    description: str
    basis: str | None
    document_no: str | None
    period: str | None
    assessed_on: date | None
    due_on: date | None
    amount: Decimal
    paid: Decimal
    interest: Decimal | None  # None: the unit does not show interest

    @property
    def remaining(self) -> Decimal:
        """What is still owed (never below zero)."""
        return max(self.amount - self.paid, Decimal("0.00"))

    @property
    def effective_due(self) -> date | None:
        """The day payment is really due (moved off a day off where the law says so)."""
        return effective_due(self.kind, self.due_on)

    @property
    def is_paid(self) -> bool:
        """True when allocations cover the amount."""
        return self.paid >= self.amount


def _conditions(contractor_id: int, unit_ids: set[int], chosen: ObligationFilter, today: date, paid):
    conditions = [Obligation.contractor_id == contractor_id,
                  Obligation.unit_id.in_(sorted({chosen.unit_id} if chosen.unit_id else unit_ids)),
                  Obligation.status == RecordStatus.ACTIVE]
    if chosen.kind:
        conditions.append(Obligation.kind == chosen.kind)
    if chosen.year:
        start, end = date(chosen.year, 1, 1), date(chosen.year, 12, 31)
        conditions.append(or_(Obligation.due_on.between(start, end),
                              and_(Obligation.due_on.is_(None), Obligation.assessed_on.between(start, end))))
    if chosen.status == "unpaid":
        conditions.append(paid < Obligation.amount)
    elif chosen.status == "paid":
        conditions.append(paid >= Obligation.amount)
    elif chosen.status == "overdue":
        conditions += [paid < Obligation.amount, overdue_condition(today)]
    return conditions


def rate_periods() -> list[RatePeriod]:
    """The office's late-interest rates, oldest first."""
    return [RatePeriod(r.valid_from, r.annual_rate) for r in
            db.session.scalars(select(LateInterestRate).order_by(LateInterestRate.valid_from))]


def interest_units(unit_ids: set[int]) -> set[int]:
    """The units among these that show late interest."""
    if not unit_ids:
        return set()
    return set(db.session.scalars(select(Unit.id).where(Unit.id.in_(unit_ids), Unit.late_interest_enabled.is_(True))))


def interest_for(kind: str, due_on: date | None, remaining: Decimal, today: date, rates) -> Decimal:
    """Late interest owed today on what remains of an overdue obligation (0 when none)."""
    due = effective_due(kind, due_on)
    if due is None or kind in NO_INTEREST_KINDS or remaining <= 0 or due >= today:
        return Decimal(0)
    return late_interest(remaining, due, today, rates)


def obligations_page(contractor_id: int, unit_ids: set[int], chosen: ObligationFilter,
                     today: date) -> tuple[list[ObligationRow], int]:
    """One page of the business's obligations in the units (undated first, then by due date) and the total."""
    if not unit_ids:
        return [], 0
    paid = paid_column().label("paid")
    conditions = _conditions(contractor_id, unit_ids, chosen, today, paid_column())
    total = db.session.scalar(select(func.count()).select_from(Obligation).where(*conditions)) or 0
    rows = db.session.execute(
        select(Obligation.id, Obligation.unit_id, Obligation.kind, Obligation.description, Obligation.basis,
               Obligation.document_no, Obligation.period, Obligation.assessed_on, Obligation.due_on,
               Obligation.amount, paid)
        .where(*conditions)
        .order_by(Obligation.due_on.is_not(None), Obligation.due_on, Obligation.id)
        .limit(PAGE_SIZE).offset((chosen.page - 1) * PAGE_SIZE)).all()
    with_interest = interest_units(unit_ids)
    rates = rate_periods() if with_interest else []
    listed = []
    for row in rows:
        amount, paid_sum = quantize(row.amount), quantize(row.paid)
        interest = None
        if row.unit_id in with_interest:
            interest = interest_for(row.kind, row.due_on, max(amount - paid_sum, Decimal(0)), today, rates)
        listed.append(ObligationRow(row.id, row.unit_id, row.kind, row.description, row.basis, row.document_no,
                                    row.period, row.assessed_on, row.due_on, amount, paid_sum, interest))
    return listed, total


def obligation_years(contractor_id: int, unit_ids: set[int]) -> list[int]:
    """The years the business's obligations fall due in (for the year filter), newest first."""
    if not unit_ids:
        return []
    year = func.extract("year", Obligation.due_on)
    found = db.session.scalars(select(year).where(
        Obligation.contractor_id == contractor_id, Obligation.unit_id.in_(sorted(unit_ids)),
        Obligation.due_on.is_not(None)).group_by(year))
    return sorted({int(y) for y in found}, reverse=True)
