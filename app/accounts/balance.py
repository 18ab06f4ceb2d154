"""Balances, derived from obligations and payments and never stored.

What is paid on one obligation is stored (`Obligation.paid_amount`, kept by database triggers).

Balance of a contractor in a unit = active obligations minus active payments of that unit.
A negative balance is an overpayment (nadpłata). Payments not yet tied to a unit count only
in the contractor's total.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Connection, Select, func, literal, select, union_all

from app.accounts.models import Obligation, Payment, RecordStatus
from app.core.extensions import db
from app.core.money import quantize

ZERO = Decimal("0.00")


def paid_in_full():
    """SQL, per obligation row: its allocations from active payments cover its amount."""
    return Obligation.paid_amount >= Obligation.amount


def ledger_lines() -> Select:
    """Signed amounts per contractor and unit: obligations positive, payments negative."""
    owed = select(
        Obligation.contractor_id.label("contractor_id"),
        Obligation.unit_id.label("unit_id"),
        Obligation.amount.label("amount"),
    ).where(Obligation.status == RecordStatus.ACTIVE)
    paid = select(
        Payment.contractor_id.label("contractor_id"),
        Payment.unit_id.label("unit_id"),
        (literal(0) - Payment.amount).label("amount"),
    ).where(Payment.status == RecordStatus.ACTIVE)
    return union_all(owed, paid).subquery("ledger")


def balances_query(contractor_ids: list[int] | None = None, *, by_unit: bool = False) -> Select:
    """A query of (contractor_id[, unit_id], balance), optionally for some contractors only."""
    lines = ledger_lines()
    columns = [lines.c.contractor_id] + ([lines.c.unit_id] if by_unit else [])
    query = select(*columns, func.sum(lines.c.amount).label("balance")).group_by(*columns)
    if contractor_ids is not None:
        query = query.where(lines.c.contractor_id.in_(contractor_ids))
    return query


def contractor_balance(contractor_id: int, unit_id: int | None = None) -> Decimal:
    """Balance of one contractor, in one unit or across all units."""
    lines = ledger_lines()
    query = select(func.coalesce(func.sum(lines.c.amount), 0)).where(
        lines.c.contractor_id == contractor_id
    )
    if unit_id is not None:
        query = query.where(lines.c.unit_id == unit_id)
    return quantize(db.session.scalar(query) or 0)


def flushed_connection() -> Connection:
    """The session's connection, pending changes flushed first (as the session's autoflush would).

    Executing a Core statement built once on it skips the ORM's per-statement work; for reads
    on pages served many times a second.
    """
    session = db.session
    if session.new or session.dirty or session.deleted:
        session.flush()
    return session.connection()


def balances_by_unit(contractor_id: int) -> dict[int | None, Decimal]:
    """Balance per unit of one contractor (key None: payments not tied to a unit)."""
    rows = db.session.execute(balances_query([contractor_id], by_unit=True)).all()
    return {row.unit_id: quantize(row.balance) for row in rows}


def paid_amounts(obligation_ids: list[int]) -> dict[int, Decimal]:
    """Sum of active allocations per obligation (only those with something paid)."""
    if not obligation_ids:
        return {}
    query = select(Obligation.id, Obligation.paid_amount).where(Obligation.id.in_(obligation_ids),
                                                                 Obligation.paid_amount != 0)
    return {oid: quantize(total) for oid, total in db.session.execute(query)}
