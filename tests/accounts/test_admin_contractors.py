"""Contractor list and details page: search, balance per unit and total, overpayment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.accounts.models import Allocation, ContactPoint
from tests.factories import (
    create_contractor,
    create_obligation,
    create_payment,
    create_unit,
)


def test_list_searches_by_nip_and_name(staff_client, db):
    create_contractor(name="Piekarnia Mazurska", nip="8480000001")
    create_contractor(name="Warsztat Ełcki", nip="8480000002")
    db.session.commit()
    page = staff_client.get("/admin/contractors/?search=8480000001").get_data(as_text=True)
    assert "Piekarnia Mazurska" in page and "Warsztat Ełcki" not in page
    page = staff_client.get("/admin/contractors/?search=Warsztat").get_data(as_text=True)
    assert "Warsztat Ełcki" in page and "Piekarnia Mazurska" not in page


def test_list_filters_by_district(staff_client, db):
    create_contractor(name="Firma z Centrum", district="Centrum")
    create_contractor(name="Firma z Baranek", district="Baranki")
    db.session.commit()
    page = staff_client.get("/admin/contractors/").get_data(as_text=True)
    assert "Osiedle" in page  # the filter is offered
    filtered = staff_client.get("/admin/contractors/?flt0_0=Baranki").get_data(as_text=True)
    assert "Firma z Baranek" in filtered and "Firma z Centrum" not in filtered


def test_details_show_the_account_and_the_total_due(staff_client, db):
    contractor = create_contractor(name="Hotel Pod Ełkiem")
    tax_office = create_unit(name="Wydział Podatków")
    obligation = create_obligation(contractor=contractor, unit=tax_office, amount=Decimal("1250.00"),
                                   due_on=date(2026, 3, 16))
    payment = create_payment(contractor=contractor, unit=tax_office, amount=Decimal("250.00"))
    db.session.add(Allocation(payment_id=payment.id, obligation_id=obligation.id, amount=Decimal("250.00")))
    db.session.add(ContactPoint(contractor=contractor, channel="sms", value="+48600100200",
                                unusable_reason="invalid"))
    db.session.commit()
    page = staff_client.get(f"/admin/contractors/details/?id={contractor.id}").get_data(as_text=True)
    assert "Hotel Pod Ełkiem" in page
    assert "Wydział Podatków" in page
    assert "1\u00a0250,00\u00a0zł" in page  # amount of the obligation
    assert "1\u00a0000,00\u00a0zł" in page  # remaining and balance
    assert "16.03.2026" in page
    assert "+48 600 100 200" in page and "invalid" in page
    assert "do zapłaty" in page
    assert "nadpłata" not in page


def test_negative_balance_is_shown_as_overpayment(staff_client, db):
    contractor = create_contractor()
    unit = create_unit(name="Wydział Geodezji")
    create_obligation(contractor=contractor, unit=unit, amount=Decimal("100.00"))
    create_payment(contractor=contractor, unit=unit, amount=Decimal("150.00"))
    db.session.commit()
    page = staff_client.get(f"/admin/contractors/details/?id={contractor.id}").get_data(as_text=True)
    assert "50,00\u00a0zł" in page
    assert "nadpłata" in page


def test_details_of_a_missing_contractor_is_404(staff_client):
    assert staff_client.get("/admin/contractors/details/?id=999999").status_code == 404
