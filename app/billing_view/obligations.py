"""A business's obligations for the portal: filters, one page, what is paid and left, late interest.

Set-based: one query for the page and the number of matching obligations (what is paid is kept
on each obligation, `Obligation.paid_amount`; the number comes from a window count), one for
the rates when a unit shows interest; never a query per row. The statements are built once per
filter shape and process, the values bound on each request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cache

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    func,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from app.accounts.balance import flushed_connection
from app.accounts.models import LateInterestRate, Obligation, ObligationKind, RecordStatus, Unit
from app.billing_view.due_dates import effective_due, is_working_day
from app.billing_view.interest import RatePeriod, late_interest
from app.core.money import quantize

PAGE_SIZE = 25
STATUSES = ("unpaid", "overdue", "paid", "all")
#: Kinds that never carry late interest themselves: reminder costs and interest.
NO_INTEREST_KINDS = {ObligationKind.REMINDER_COST, ObligationKind.INTEREST}


def overdue_before(today: date) -> date:
    """The first nominal due date that is not yet overdue today for kinds moved off days off.

    A date before it is overdue: its effective due date (the next working day) is before today.
    """
    day = today
    while not is_working_day(day - timedelta(days=1)):
        day -= timedelta(days=1)
    return day


def overdue_condition() -> ColumnElement[bool]:
    """SQL: the obligation's effective due date has passed (alcohol fees never move).

    Binds :today and :overdue_before (`overdue_before(today)`).
    """
    return or_(and_(Obligation.kind == ObligationKind.ALCOHOL_LICENCE, Obligation.due_on < bindparam("today")),
               and_(Obligation.kind != ObligationKind.ALCOHOL_LICENCE,
                    Obligation.due_on < bindparam("overdue_before")))


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


@dataclass(frozen=True, slots=True)
class ObligationRow:
    """One obligation as listed: its basis, amounts, effective due date and late interest.

    `remaining`, `effective_due`, `is_paid` and `overdue` are worked out once (`listed_row`),
    not on each use in the template.
    """

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
    remaining: Decimal  # what is still owed (never below zero)
    effective_due: date | None  # the day payment is really due (moved off a day off where the law says so)
    is_paid: bool  # allocations cover the amount
    overdue: bool  # something is owed after the effective due date


ZERO_AMOUNT = Decimal("0.00")


def listed_row(row, today: date, with_interest: set[int], rates) -> ObligationRow:
    """An `ObligationRow` from a page query row (id, unit_id, kind, ..., amount, paid)."""
    amount, paid_sum = quantize(row.amount), quantize(row.paid)
    remaining = max(amount - paid_sum, ZERO_AMOUNT)
    due = effective_due(row.kind, row.due_on)
    interest = None
    if row.unit_id in with_interest:
        interest = interest_for(row.kind, row.due_on, max(amount - paid_sum, Decimal(0)), today, rates)
    return ObligationRow(row.id, row.unit_id, row.kind, row.description, row.basis, row.document_no, row.period,
                         row.assessed_on, row.due_on, amount, paid_sum, interest, remaining, due,
                         paid_sum >= amount, remaining > 0 and due is not None and due < today)


def _conditions(*, kind: bool, year: bool, status: str) -> list[ColumnElement[bool]]:
    """SQL conditions of a filter of this shape; the values are bind parameters (`_parameters`)."""
    conditions = [Obligation.contractor_id == bindparam("contractor_id"),
                  Obligation.unit_id.in_(bindparam("unit_ids", expanding=True)),
                  Obligation.status == RecordStatus.ACTIVE]
    if kind:
        conditions.append(Obligation.kind == bindparam("kind"))
    if year:
        start, end = bindparam("year_start"), bindparam("year_end")
        conditions.append(or_(Obligation.due_on.between(start, end),
                              and_(Obligation.due_on.is_(None), Obligation.assessed_on.between(start, end))))
    if status == "unpaid":
        conditions.append(Obligation.paid_amount < Obligation.amount)
    elif status == "paid":
        conditions.append(Obligation.paid_amount >= Obligation.amount)
    elif status == "overdue":
        conditions += [Obligation.paid_amount < Obligation.amount, overdue_condition()]
    return conditions


def _parameters(contractor_id: int, unit_ids: set[int], chosen: ObligationFilter, today: date) -> dict:
    """The bind parameters of `_conditions` for the chosen filter."""
    params = {"contractor_id": contractor_id,
              "unit_ids": sorted({chosen.unit_id} if chosen.unit_id else unit_ids)}
    if chosen.kind:
        params["kind"] = chosen.kind
    if chosen.year:
        params["year_start"], params["year_end"] = date(chosen.year, 1, 1), date(chosen.year, 12, 31)
    if chosen.status == "overdue":
        params["today"], params["overdue_before"] = today, overdue_before(today)
    return params


# The statements are built once per filter shape (kind chosen, year chosen, status) and process.

@cache
def _page_statement(kind: bool, year: bool, status: str) -> Select:
    """One page (:offset) of the matching obligations with what is paid, how many match and, on
    every row, the years of the business's due dates in all :all_unit_ids (`_years_text`).

    The page is chosen first from `ix_obligations_contractor_due` alone (it carries what the
    usual filters test), then only its rows are read from the table.
    """
    page = (select(Obligation.id, Obligation.due_on, func.count().over().label("total"))
            .where(*_conditions(kind=kind, year=year, status=status))
            .order_by(Obligation.due_on.asc().nulls_first(), Obligation.id)
            .limit(PAGE_SIZE).offset(bindparam("offset"))).subquery("page")
    return (select(Obligation.id, Obligation.unit_id, Obligation.kind, Obligation.description, Obligation.basis,
                   Obligation.document_no, Obligation.period, Obligation.assessed_on, Obligation.due_on,
                   Obligation.amount, Obligation.paid_amount.label("paid"), page.c.total,
                   _years_text().label("years"))
            .join_from(page, Obligation, Obligation.id == page.c.id)
            .order_by(page.c.due_on.asc().nulls_first(), page.c.id))


def _years_text():
    """SQL: the years of the business's due dates in :all_unit_ids as one comma-separated text,
    computed once per statement (it does not depend on the row); repeats are dropped in Python."""
    other = aliased(Obligation)
    year = cast(cast(func.extract("year", other.due_on), Integer), String)
    return (select(func.aggregate_strings(year, ","))
            .where(other.contractor_id == bindparam("contractor_id"),
                   other.unit_id.in_(bindparam("all_unit_ids", expanding=True)), other.due_on.is_not(None))
            .scalar_subquery())


@cache
def _count_statement(kind: bool, year: bool, status: str) -> Select:
    """How many obligations match."""
    return select(func.count()).select_from(Obligation).where(*_conditions(kind=kind, year=year, status=status))


@cache
def _rates_statement() -> Select:
    return select(LateInterestRate.valid_from, LateInterestRate.annual_rate).order_by(LateInterestRate.valid_from)


@cache
def _interest_units_statement() -> Select:
    return select(Unit.id).where(Unit.id.in_(bindparam("unit_ids", expanding=True)),
                                 Unit.late_interest_enabled.is_(True))


def rate_periods() -> list[RatePeriod]:
    """The office's late-interest rates, oldest first."""
    return [RatePeriod(valid_from, annual_rate)
            for valid_from, annual_rate in flushed_connection().execute(_rates_statement())]


def interest_units(unit_ids: set[int]) -> set[int]:
    """The units among these that show late interest."""
    if not unit_ids:
        return set()
    return set(flushed_connection().execute(_interest_units_statement(), {"unit_ids": sorted(unit_ids)}).scalars())


def interest_for(kind: str, due_on: date | None, remaining: Decimal, today: date, rates) -> Decimal:
    """Late interest owed today on what remains of an overdue obligation (0 when none)."""
    due = effective_due(kind, due_on)
    if due is None or kind in NO_INTEREST_KINDS or remaining <= 0 or due >= today:
        return Decimal(0)
    return late_interest(remaining, due, today, rates)


@dataclass(frozen=True, slots=True)
class ObligationsPage:
    """One page of the list, how many obligations match, and the years the year filter offers."""

    rows: list[ObligationRow]
    total: int
    years: list[int]  # the years the business's obligations in the units fall due in, newest first


def obligations_page(contractor_id: int, unit_ids: set[int], chosen: ObligationFilter, today: date, *,
                     interest_unit_ids: set[int] | None = None) -> ObligationsPage:
    """One page of the business's obligations in the units (undated first, then by due date), the total
    and the years; one statement when the page has rows.

    `interest_unit_ids`: the units among `unit_ids` that show late interest, when the caller
    already knows them (None: asked of the database).
    """
    if not unit_ids:
        return ObligationsPage([], 0, [])
    shape = (bool(chosen.kind), bool(chosen.year), chosen.status)
    params = _parameters(contractor_id, unit_ids, chosen, today)
    connection = flushed_connection()
    rows = connection.execute(_page_statement(*shape), {**params, "offset": (chosen.page - 1) * PAGE_SIZE,
                                                        "all_unit_ids": sorted(unit_ids)}).all()
    if rows:
        total = rows[0].total
        years = _years(rows[0].years)
    else:  # no row carries the total and the years: past the last page, or nothing matches
        total = (connection.execute(_count_statement(*shape), params).scalar() or 0) if chosen.page > 1 else 0
        years = obligation_years(contractor_id, unit_ids)
    with_interest = interest_units(unit_ids) if interest_unit_ids is None else interest_unit_ids & unit_ids
    rates = rate_periods() if with_interest and rows else []
    return ObligationsPage([listed_row(row, today, with_interest, rates) for row in rows], total, years)


def obligation_years(contractor_id: int, unit_ids: set[int]) -> list[int]:
    """The years the business's obligations fall due in (for the year filter), newest first."""
    if not unit_ids:
        return []
    return _years(flushed_connection().scalar(
        _years_alone_statement(), {"contractor_id": contractor_id, "all_unit_ids": sorted(unit_ids)}))


@cache
def _years_alone_statement() -> Select:
    return select(_years_text())


def _years(text: str | None) -> list[int]:
    """The years of `_years_text`, each once, newest first."""
    return sorted({int(y) for y in (text or "").split(",") if y}, reverse=True)
