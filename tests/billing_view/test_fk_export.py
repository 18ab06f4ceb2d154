"""FK export: each payment the platform received goes to accounting once, in a CSV and XML batch."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from xml.etree import ElementTree

import pytest

from app.accounts.payments import book_payment
from app.billing_view.finance_models import FkExportedPayment
from app.billing_view.fk_export import (
    CSV_COLUMNS,
    ExportConflict,
    _new_batch,
    batch_csv,
    batch_xml,
    export_payments,
    export_pending,
    pending_summary,
)
from tests.factories import create_contractor, create_obligation, create_payment, create_unit

NS = {"fk": "urn:powiadomienia:fk-export:1"}


@pytest.fixture
def received(db):
    """Two payments the platform received, one from the legacy system and one cancelled."""
    unit = create_unit(code="UM")
    business = create_contractor(legacy_id="K000001", nip="7697251027", name="=HYPERLINK(\"http://x\") Sp. z o.o.")
    march = create_obligation(contractor=business, unit=unit, legacy_id="N1", due_on=date(2026, 3, 16),
                              amount=Decimal("60.00"), document_no="DN-1/2026/1", period="2026/03")
    may = create_obligation(contractor=business, unit=unit, legacy_id="N2", due_on=date(2026, 5, 15),
                            amount=Decimal("60.00"))
    db.session.commit()
    online = book_payment(contractor_id=business.id, amount=Decimal("80.00"), paid_on=date(2026, 4, 2),
                          method="O", source="online", allocations={march.id: Decimal("60.00"), may.id: Decimal("20.00")})
    statement = book_payment(contractor_id=business.id, amount=Decimal("15.50"), paid_on=date(2026, 4, 1),
                             method="P", source="statement", unit_id=unit.id,
                             description="wpłata\x07 bez tytułu")
    legacy = create_payment(contractor=business, unit=unit, source="legacy")
    cancelled = create_payment(contractor=business, unit=unit, source="online", status="cancelled")
    db.session.commit()
    return {"online": online, "statement": statement, "legacy": legacy, "cancelled": cancelled, "march": march,
            "may": may, "business": business}


def _rows(batch) -> list[dict[str, str]]:
    text = "".join(batch_csv(batch))
    assert text.startswith("\ufeff") and "\r\n" in text
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))


def test_pending_payments_are_exported_once_oldest_first_and_legacy_ones_never(db, received):
    assert pending_summary() == (2, Decimal("95.50"))
    batch = export_pending(created_by="finanse@um.elk.pl")
    assert (batch.payment_count, batch.total_amount) == (2, Decimal("95.50"))
    assert (batch.first_paid_on, batch.last_paid_on) == (date(2026, 4, 1), date(2026, 4, 2))
    assert batch.number == f"FK/{batch.created_at:%Y}/{batch.id:06d}"
    assert {p.payment_id for p in batch.payments} == {received["online"].id, received["statement"].id}
    assert export_pending() is None and pending_summary() == (0, Decimal("0.00"))
    later = book_payment(contractor_id=received["business"].id, amount=Decimal("1.00"), paid_on=date(2026, 4, 3),
                         method="O", source="online")
    db.session.commit()
    assert [p.payment_id for p in export_pending().payments] == [later.id]


def test_the_csv_has_a_row_per_allocation_and_one_for_an_overpayment(db, received):
    batch = export_pending()
    rows = _rows(batch)
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [(r["payment_id"], r["obligation_legacy_id"], r["obligation_kind"], r["allocated_amount"]) for r in rows] == [
        (str(received["online"].id), "N1", "PON", "60,00"),
        (str(received["online"].id), "N2", "PON", "20,00"),
        (str(received["statement"].id), "", "NADPLATA", "15,50"),
    ]
    first = rows[0]
    assert (first["batch"], first["paid_on"], first["payment_amount"], first["unit_code"], first["contractor_nip"],
            first["obligation_document_no"], first["obligation_due_on"]) == (
        batch.number, "2026-04-02", "80,00", "UM", "7697251027", "DN-1/2026/1", "2026-03-16")
    assert first["contractor_name"].startswith("'=HYPERLINK")  # a spreadsheet will not run it
    # the rows of each payment add up to its amount
    for payment in (received["online"], received["statement"]):
        total = sum(Decimal(r["allocated_amount"].replace(",", ".")) for r in rows if r["payment_id"] == str(payment.id))
        assert total == payment.amount


def test_the_xml_carries_the_same_payments_and_totals(db, received):
    batch = export_pending()
    root = ElementTree.fromstring(batch_xml(batch))
    assert root.tag == "{urn:powiadomienia:fk-export:1}fk-export"
    assert (root.get("batch"), root.get("payments"), root.get("total")) == (batch.number, "2", "95.50")
    payments = root.findall("fk:payment", NS)
    assert [p.get("amount") for p in payments] == ["80.00", "15.50"]
    online = payments[0]
    assert online.find("fk:contractor", NS).get("legacy-id") == "K000001"
    assert [(a.get("obligation"), a.get("amount"), a.get("period")) for a in online.findall("fk:allocation", NS)] == [
        ("N1", "60.00", "2026/03"), ("N2", "20.00", None)]
    statement = payments[1]
    assert statement.find("fk:overpayment", NS).get("amount") == "15.50"
    assert statement.find("fk:title", NS).text == "wpłata bez tytułu"  # the control character is dropped


def test_a_batch_downloads_the_same_files_again(db, received):
    batch = export_pending()
    assert "".join(batch_csv(batch)) == "".join(batch_csv(batch))
    assert batch_xml(batch) == batch_xml(batch)


def test_marking_chosen_payments_exported_refuses_each_one_that_cannot_be(db, received):
    batch, refusals = export_payments([received["online"].id, received["legacy"].id, received["cancelled"].id, 999999],
                                      created_by="FK system", via="api")
    assert [p.payment_id for p in batch.payments] == [received["online"].id]
    assert [(r.payment_id, r.code) for r in refusals] == [
        (received["legacy"].id, "not_exported_source"), (received["cancelled"].id, "not_active"),
        (999999, "not_found")]
    again, refusals = export_payments([received["online"].id])
    assert again is None and refusals[0].code == "already_exported" and f"batch {batch.id}" in refusals[0].message


def test_a_payment_taken_by_another_export_at_the_same_moment_is_not_exported_twice(db, received):
    first = export_pending()
    with pytest.raises(ExportConflict):
        _new_batch([received["online"].id], "finanse@um.elk.pl", "admin")
    db.session.rollback()
    assert db.session.get(FkExportedPayment, received["online"].id).batch_id == first.id
