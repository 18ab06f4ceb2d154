"""What is paid on an obligation is kept on it by the database, whatever changes the allocations."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, select, text

from app.accounts.models import Allocation, Obligation, RecordStatus
from app.accounts.payments import allocate_payment, book_payment
from tests.factories import (
    create_contractor,
    create_obligation,
    create_payment,
    create_unit,
    stored_paid_amounts_that_differ,
)


def _paid(db, obligation) -> Decimal:
    db.session.flush()
    stored = db.session.scalar(select(Obligation.paid_amount).where(Obligation.id == obligation.id))
    return Decimal(str(stored)).quantize(Decimal("0.01"))


@pytest.fixture
def two_obligations(db):
    unit, business = create_unit(), create_contractor()
    first = create_obligation(contractor=business, unit=unit, amount=Decimal("300.00"))
    second = create_obligation(contractor=business, unit=unit, amount=Decimal("200.00"),
                               due_on=date(2026, 5, 15))
    db.session.commit()
    return business, first, second


def test_booking_and_allocating_more_add_to_what_is_paid(db, two_obligations):
    business, first, second = two_obligations
    payment = book_payment(contractor_id=business.id, amount=Decimal("350.00"), paid_on=date(2026, 4, 1),
                           method="O", source="online", allocations={first.id: Decimal("120.10")})
    assert (_paid(db, first), _paid(db, second)) == (Decimal("120.10"), Decimal("0.00"))

    allocate_payment(payment.id, {first.id: Decimal("0.20"), second.id: Decimal("200.00")})
    assert (_paid(db, first), _paid(db, second)) == (Decimal("120.30"), Decimal("200.00"))
    assert stored_paid_amounts_that_differ() == {}


def test_a_cancelled_payment_stops_counting_and_counts_again_when_restored(db, two_obligations):
    business, first, _second = two_obligations
    payment = create_payment(contractor=business, amount=Decimal("300.00"))
    payment.allocations = [Allocation(obligation_id=first.id, amount=Decimal("300.00"))]
    db.session.commit()
    assert _paid(db, first) == Decimal("300.00")

    payment.status = RecordStatus.CANCELLED
    assert _paid(db, first) == Decimal("0.00")
    payment.status = RecordStatus.ACTIVE
    payment.description = "przywrócona"
    assert _paid(db, first) == Decimal("300.00")
    assert stored_paid_amounts_that_differ() == {}


def test_an_allocation_moved_or_removed_updates_both_obligations(db, two_obligations):
    business, first, second = two_obligations
    payment = create_payment(contractor=business, amount=Decimal("150.00"))
    db.session.add(Allocation(payment_id=payment.id, obligation_id=first.id, amount=Decimal("150.00")))
    db.session.commit()

    db.session.execute(text("UPDATE allocations SET obligation_id = :to WHERE payment_id = :p"),
                       {"to": second.id, "p": payment.id})
    assert (_paid(db, first), _paid(db, second)) == (Decimal("0.00"), Decimal("150.00"))

    db.session.execute(text("DELETE FROM allocations WHERE payment_id = :p"), {"p": payment.id})
    assert _paid(db, second) == Decimal("0.00")
    assert stored_paid_amounts_that_differ() == {}


def test_a_payment_deleted_with_its_allocations_leaves_nothing_paid(db, two_obligations):
    business, first, _second = two_obligations
    payment = create_payment(contractor=business, amount=Decimal("80.00"))
    payment.allocations = [Allocation(obligation_id=first.id, amount=Decimal("80.00"))]
    db.session.commit()
    db.session.delete(payment)
    assert _paid(db, first) == Decimal("0.00")


def test_two_payments_allocated_to_one_obligation_at_once_both_count(db, app, two_obligations):
    """Two transactions allocate to the same obligation at the same moment; the second waits for the
    first and sums after it has committed."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (TEST_DATABASE_URL); SQLite has one writer")
    business, first, _second = two_obligations
    payments = [create_payment(contractor=business, amount=Decimal("100.00")) for _ in range(2)]
    db.session.commit()
    engine = create_engine(db.engine.url)
    first_inserted, errors = threading.Event(), []

    def allocate(payment_id: int, hold: bool) -> None:
        try:
            with app.app_context(), engine.begin() as conn:
                conn.execute(text("INSERT INTO allocations (payment_id, obligation_id, amount) "
                                  "VALUES (:p, :o, 100)"), {"p": payment_id, "o": first.id})
                if hold:  # keep the first transaction open while the second one allocates
                    first_inserted.set()
                    threading.Event().wait(0.5)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    holder = threading.Thread(target=allocate, args=(payments[0].id, True))
    holder.start()
    first_inserted.wait(5)
    allocate(payments[1].id, False)
    holder.join()
    engine.dispose()
    assert errors == []
    db.session.expire_all()
    assert _paid(db, first) == Decimal("200.00")
