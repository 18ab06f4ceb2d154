"""Booking payments that arrive outside the legacy import: online, from a bank statement, by staff.

Every such payment goes through `book_payment`, which checks the allocation against what is
still owed, and tells the rest of the platform (`payment_booked`) only after the commit.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.accounts.balance import paid_amounts
from app.accounts.models import Allocation, Obligation, Payment, RecordStatus
from app.core.db import after_commit, transactional
from app.core.extensions import db
from app.core.money import quantize
from app.core.signals import payment_booked


class BookingError(ValueError):
    """A payment or allocation that cannot be booked; the message says why."""


def remaining_amounts(obligation_ids: list[int]) -> dict[int, Decimal]:
    """What is still owed on each active obligation (amount minus active allocations)."""
    if not obligation_ids:
        return {}
    rows = db.session.execute(
        select(Obligation.id, Obligation.amount)
        .where(Obligation.id.in_(obligation_ids), Obligation.status == RecordStatus.ACTIVE)
    ).all()
    paid = paid_amounts([row.id for row in rows])
    return {row.id: quantize(row.amount) - paid.get(row.id, Decimal("0.00")) for row in rows}


def _check_allocations(contractor_id: int, amount: Decimal,
                       allocations: Mapping[int, Decimal]) -> tuple[dict[int, Decimal], set[int]]:
    """Validated shares per obligation and the units they belong to."""
    shares = {int(oid): quantize(share) for oid, share in allocations.items()}
    if any(share <= 0 for share in shares.values()):
        raise BookingError("Every allocated share must be more than zero.")
    if sum(shares.values(), Decimal("0.00")) > amount:
        raise BookingError(f"Allocations ({sum(shares.values())}) exceed the payment ({amount}).")
    obligations = {o.id: o for o in db.session.scalars(
        select(Obligation).where(Obligation.id.in_(list(shares))))}
    remaining = remaining_amounts(list(shares))
    for oid, share in shares.items():
        obligation = obligations.get(oid)
        if obligation is None or obligation.contractor_id != contractor_id:
            raise BookingError(f"Obligation {oid} is not an obligation of contractor {contractor_id}.")
        if obligation.status != RecordStatus.ACTIVE:
            raise BookingError(f"Obligation {oid} is {obligation.status}, not active.")
        if share > remaining.get(oid, Decimal("0.00")):
            raise BookingError(f"Obligation {oid}: share {share} is more than the {remaining.get(oid)} "
                               f"still owed.")
    return shares, {obligations[oid].unit_id for oid in shares}


@transactional
def book_payment(*, contractor_id: int, amount: Decimal, paid_on: date, method: str, source: str,
                 unit_id: int | None = None, description: str | None = None,
                 allocations: Mapping[int, Decimal] | None = None,
                 legacy_id: str | None = None) -> Payment:
    """Book a payment of a contractor, allocated to some of its obligations (or to none yet).

    The unit is the one the allocated obligations belong to when not given. `payment_booked`
    is sent once the transaction commits.
    """
    amount = quantize(amount)
    if amount <= 0:
        raise BookingError(f"A payment must be more than zero, not {amount}.")
    shares, units = _check_allocations(contractor_id, amount, allocations or {})
    if unit_id is None and len(units) == 1:
        unit_id = next(iter(units))
    elif unit_id is not None and units - {unit_id}:
        raise BookingError(f"The allocated obligations belong to other units than unit {unit_id}.")
    payment = Payment(contractor_id=contractor_id, unit_id=unit_id, paid_on=paid_on, amount=amount,
                      method=method, source=source, description=description, legacy_id=legacy_id,
                      status=RecordStatus.ACTIVE)
    payment.allocations = [Allocation(obligation_id=oid, amount=share) for oid, share in shares.items()]
    db.session.add(payment)
    db.session.flush()
    payment_id = payment.id
    after_commit(lambda: payment_booked.send(None, payment_id=payment_id))
    return payment


@transactional
def allocate_payment(payment_id: int, allocations: Mapping[int, Decimal]) -> Payment:
    """Allocate (more of) a booked payment to obligations of its contractor."""
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.status != RecordStatus.ACTIVE:
        raise BookingError(f"Payment {payment_id} does not exist or is not active.")
    free = payment.amount - sum((a.amount for a in payment.allocations), Decimal("0.00"))
    shares, units = _check_allocations(payment.contractor_id, free, allocations)
    if payment.unit_id is not None and units - {payment.unit_id}:
        raise BookingError("The obligations belong to other units than the payment's unit.")
    if payment.unit_id is None and len(units) == 1:
        payment.unit_id = next(iter(units))
    existing = {a.obligation_id: a for a in payment.allocations}
    for oid, share in shares.items():
        if oid in existing:
            existing[oid].amount += share
        else:
            payment.allocations.append(Allocation(obligation_id=oid, amount=share))
    db.session.flush()
    return payment


def oldest_first(contractor_id: int, amount: Decimal, unit_id: int | None = None,
                 first: Collection[int] = ()) -> dict[int, Decimal]:
    """A suggested allocation of `amount`: the obligations in `first` (say, named in a transfer
    title) before the others, and within each group undated costs first, then the earliest due."""
    query = select(Obligation.id, Obligation.due_on).where(Obligation.contractor_id == contractor_id,
                                                           Obligation.status == RecordStatus.ACTIVE)
    if unit_id is not None:
        query = query.where(Obligation.unit_id == unit_id)
    preferred = set(first)
    rows = sorted(db.session.execute(query).all(),
                  key=lambda r: (r.id not in preferred, r.due_on is not None, r.due_on or date.min, r.id))
    ids = [row.id for row in rows]
    remaining = remaining_amounts(ids)
    left, shares = quantize(amount), {}
    for oid in ids:
        if left <= 0:
            break
        share = min(left, remaining.get(oid, Decimal("0.00")))
        if share > 0:
            shares[oid] = share
            left -= share
    return shares
