"""Plain factories: `create_<model>(**overrides)` adds a valid row and flushes it."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from app.accounts.models import (
    Appointment,
    Contractor,
    Obligation,
    Payment,
    PortalUser,
    StaffUser,
    Unit,
)
from app.core.extensions import db

_seq = itertools.count(1)


def _add(obj):
    db.session.add(obj)
    db.session.flush()
    return obj


def create_unit(**overrides) -> Unit:
    n = next(_seq)
    values = dict(code=f"U{n}", name=f"Jednostka {n}", nip="8481000123",
                  account_nrb="59102059033982597919074833", address="ul. Piłsudskiego 4, 19-300 Ełk")
    values.update(overrides)
    return _add(Unit(**values))


def create_contractor(**overrides) -> Contractor:
    n = next(_seq)
    values = dict(legacy_id=f"T{n:06d}", kind="OP", name=f"Firma Testowa {n} Sp. z o.o.",
                  nip="7900712840", city="Ełk", district="Centrum", pkd="56.10.A")
    values.update(overrides)
    return _add(Contractor(**values))


def create_obligation(**overrides) -> Obligation:
    n = next(_seq)
    if "contractor" not in overrides and "contractor_id" not in overrides:
        overrides["contractor"] = create_contractor()
    if "unit" not in overrides and "unit_id" not in overrides:
        overrides["unit"] = create_unit()
    values = dict(legacy_id=f"TN{n:08d}", kind="PON", description="Podatek od nieruchomości",
                  due_on=date(2026, 3, 16), amount=Decimal("100.00"))
    values.update(overrides)
    return _add(Obligation(**values))


def create_payment(**overrides) -> Payment:
    n = next(_seq)
    if "contractor" not in overrides and "contractor_id" not in overrides:
        overrides["contractor"] = create_contractor()
    values = dict(legacy_id=f"TW{n:08d}", paid_on=date(2026, 3, 10), amount=Decimal("100.00"),
                  method="P")
    values.update(overrides)
    return _add(Payment(**values))


def create_appointment(**overrides) -> Appointment:
    from datetime import UTC, datetime

    if "contractor" not in overrides and "contractor_id" not in overrides:
        overrides["contractor"] = create_contractor()
    if "unit" not in overrides and "unit_id" not in overrides:
        overrides["unit"] = create_unit()
    values = dict(starts_at=datetime(2026, 12, 13, 7, 30, tzinfo=UTC), description="Spotkanie")
    values.update(overrides)
    return _add(Appointment(**values))


def create_staff_user(*, password: str = "haslo-testowe-1", roles=("admin",), **overrides) -> StaffUser:
    n = next(_seq)
    values = dict(email=f"pracownik{n}@um.elk.pl", name=f"Pracownik {n}")
    values.update(overrides)
    user = StaffUser(**values)
    user.role_set = set(roles)
    user.set_password(password)
    return _add(user)


def create_portal_user(*, password: str = "haslo-firmy-1", **overrides) -> PortalUser:
    n = next(_seq)
    values = dict(email=f"firma{n}@example.pl")
    values.update(overrides)
    user = PortalUser(**values)
    user.set_password(password)
    return _add(user)


def stored_paid_amounts_that_differ() -> dict[str, tuple[Decimal, Decimal]]:
    """Obligations whose stored paid amount is not the sum of their active allocations now:
    {legacy id or id: (stored, summed)}; empty when the database kept every one right."""
    from sqlalchemy import func, select

    from app.accounts.models import Allocation, RecordStatus

    summed = (select(func.coalesce(func.sum(Allocation.amount), 0))
              .join(Payment, Payment.id == Allocation.payment_id)
              .where(Allocation.obligation_id == Obligation.id, Payment.status == RecordStatus.ACTIVE)
              .scalar_subquery())
    rows = db.session.execute(select(Obligation.id, Obligation.legacy_id, Obligation.paid_amount, summed)).all()
    money = Decimal("0.01")
    found = {}
    for oid, legacy_id, stored, total in rows:
        stored, total = Decimal(str(stored)).quantize(money), Decimal(str(total)).quantize(money)
        if stored != total:
            found[legacy_id or str(oid)] = (stored, total)
    return found
