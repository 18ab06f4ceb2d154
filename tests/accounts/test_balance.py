"""Balances are derived from obligations and payments, per unit and in total."""

from decimal import Decimal

from app.accounts.balance import balances_by_unit, contractor_balance
from tests.factories import create_contractor, create_obligation, create_payment, create_unit


def test_balance_is_obligations_minus_payments_per_unit(db):
    um, zgn = create_unit(code="UM"), create_unit(code="ZGN")
    firm = create_contractor()
    create_obligation(contractor=firm, unit=um, amount=Decimal("300.00"))
    create_obligation(contractor=firm, unit=zgn, amount=Decimal("50.50"))
    create_obligation(contractor=firm, unit=um, amount=Decimal("999.00"), status="cancelled")
    create_payment(contractor=firm, unit=um, amount=Decimal("100.00"))
    create_payment(contractor=firm, unit=zgn, amount=Decimal("80.00"))

    assert contractor_balance(firm.id, um.id) == Decimal("200.00")
    assert contractor_balance(firm.id, zgn.id) == Decimal("-29.50")  # overpayment
    assert contractor_balance(firm.id) == Decimal("170.50")
    assert balances_by_unit(firm.id) == {um.id: Decimal("200.00"), zgn.id: Decimal("-29.50")}


def test_balance_of_contractor_without_entries_is_zero(db):
    assert contractor_balance(create_contractor().id) == Decimal("0.00")
