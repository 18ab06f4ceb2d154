"""Booking payments outside the legacy import: allocations are checked against what is owed."""

from datetime import date
from decimal import Decimal

import pytest

from app.accounts.balance import contractor_balance
from app.accounts.models import Payment
from app.accounts.payments import (
    BookingError,
    allocate_payment,
    book_payment,
    oldest_first,
    remaining_amounts,
)
from app.core.signals import payment_booked
from tests.factories import create_contractor, create_obligation, create_unit


@pytest.fixture
def account(db):
    unit = create_unit()
    business = create_contractor()
    cost = create_obligation(contractor=business, unit=unit, kind="KU", due_on=None,
                             amount=Decimal("16.00"), description="Koszty upomnienia")
    march = create_obligation(contractor=business, unit=unit, due_on=date(2026, 3, 16),
                              amount=Decimal("300.00"))
    may = create_obligation(contractor=business, unit=unit, due_on=date(2026, 5, 15),
                            amount=Decimal("300.00"))
    db.session.commit()
    return unit, business, cost, march, may


def _book(business, amount, allocations=None, **kwargs):
    return book_payment(contractor_id=business.id, amount=Decimal(amount), paid_on=date(2026, 4, 1),
                        method="O", source="online", allocations=allocations, **kwargs)


def test_a_booked_payment_lowers_the_balance_and_is_announced_after_commit(db, account):
    unit, business, _cost, march, _may = account
    heard = []

    def hear(_sender, payment_id):
        heard.append(payment_id)

    with payment_booked.connected_to(hear):
        payment = _book(business, "300.00", {march.id: Decimal("300.00")})
    assert heard == [payment.id]
    assert payment.unit_id == unit.id  # taken from the obligation it pays
    assert contractor_balance(business.id) == Decimal("316.00")
    assert remaining_amounts([march.id]) == {march.id: Decimal("0.00")}


def test_suggested_allocation_pays_undated_costs_first_then_the_earliest_due(db, account):
    _unit, business, cost, march, may = account
    assert oldest_first(business.id, Decimal("400.00")) == {
        cost.id: Decimal("16.00"), march.id: Decimal("300.00"), may.id: Decimal("84.00")}


@pytest.mark.parametrize("allocations, message", [
    ("over", "more than the 300.00 still owed"),
    ("other", "is not an obligation of contractor"),
    ("zero", "more than zero"),
    ("sum", "exceed the payment"),
])
def test_a_wrong_allocation_books_nothing_and_says_why(db, account, allocations, message):
    _unit, business, _cost, march, may = account
    stranger = create_obligation()
    db.session.commit()
    shares = {
        "over": {march.id: Decimal("300.01")},
        "other": {stranger.id: Decimal("10.00")},
        "zero": {march.id: Decimal("0")},
        "sum": {march.id: Decimal("200.00"), may.id: Decimal("200.00")},
    }[allocations]
    with pytest.raises(BookingError, match=message):
        _book(business, "300.01" if allocations == "over" else "300.00", shares)
    assert db.session.query(Payment).count() == 0


def test_a_payment_of_nothing_is_refused(db, account):
    with pytest.raises(BookingError, match="more than zero"):
        _book(account[1], "0.00")


def test_an_unallocated_payment_can_be_allocated_later_within_its_amount(db, account):
    _unit, business, _cost, march, may = account
    payment = _book(business, "400.00")
    assert payment.unit_id is None
    allocate_payment(payment.id, {march.id: Decimal("300.00")})
    with pytest.raises(BookingError, match="exceed the payment"):
        allocate_payment(payment.id, {may.id: Decimal("100.01")})
    allocate_payment(payment.id, {may.id: Decimal("100.00")})
    db.session.refresh(payment)
    assert sorted((a.obligation_id, a.amount) for a in payment.allocations) == [
        (march.id, Decimal("300.00")), (may.id, Decimal("100.00"))]
    assert payment.unit_id == march.unit_id
