"""The accounting system fetches payments not yet exported and marks them exported, once each."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.accounts.payments import book_payment
from app.billing_view.fk_export import export_pending
from tests.factories import create_contractor, create_obligation, create_payment, create_unit


@pytest.fixture
def payments(db):
    unit = create_unit(code="UM")
    business = create_contractor(legacy_id="K000001", nip="7697251027", name="Gabinet Ewa Dąbrowski")
    tax = create_obligation(contractor=business, unit=unit, legacy_id="N1", amount=Decimal("60.00"),
                            document_no="DN-1/2026/1", period="2026/03")
    db.session.commit()
    online = book_payment(contractor_id=business.id, amount=Decimal("80.00"), paid_on=date(2026, 4, 2), method="O",
                          source="online", allocations={tax.id: Decimal("60.00")})
    statement = book_payment(contractor_id=business.id, amount=Decimal("15.50"), paid_on=date(2026, 4, 1),
                             method="P", source="statement", unit_id=unit.id)
    legacy = create_payment(contractor=business, unit=unit, source="legacy")
    db.session.commit()
    return {"online": online.id, "statement": statement.id, "legacy": legacy.id}


def test_the_accounting_system_lists_what_waits_with_allocations_and_no_legacy_payments(api, payments):
    response = api.get("/api/v1/accounting/payments")
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 2
    assert [p["id"] for p in body["items"]] == [payments["statement"], payments["online"]]  # oldest first
    online = body["items"][1]
    assert (online["amount"], online["unallocated"], online["contractor_legacy_id"], online["unit_code"]) == (
        "80.00", "20.00", "K000001", "UM")
    assert online["allocations"] == [{"obligation_legacy_id": "N1", "kind": "PON", "document_no": "DN-1/2026/1",
                                      "period": "2026/03", "amount": "60.00"}]
    assert api.get("/api/v1/accounting/payments?paid_from=2026-04-02").get_json()["total"] == 1


def test_marked_payments_leave_the_list_and_cannot_be_marked_twice(api, payments):
    response = api.post("/api/v1/accounting/exports",
                        json={"payment_ids": [payments["online"], payments["legacy"], 987654]},
                        headers={"Idempotency-Key": "fk-2026-04-02"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["batch"]["payment_count"] == 1 and body["batch"]["created_via"] == "api"
    assert body["batch"]["created_by"] == "System dziedzinowy"
    assert [(e["payment_id"], e["code"]) for e in body["errors"]] == [
        (payments["legacy"], "not_exported_source"), (987654, "not_found")]
    assert [p["id"] for p in api.get("/api/v1/accounting/payments").get_json()["items"]] == [payments["statement"]]

    again = api.post("/api/v1/accounting/exports", json={"payment_ids": [payments["online"]]})
    assert again.status_code == 200
    assert again.get_json()["batch"] is None and again.get_json()["errors"][0]["code"] == "already_exported"

    rest = api.post("/api/v1/accounting/exports", json={})
    assert rest.status_code == 200 and rest.get_json()["batch"]["payment_count"] == 1
    assert api.get("/api/v1/accounting/payments").get_json()["total"] == 0


def test_a_batch_made_in_the_admin_is_read_again_through_the_api(api, payments, db):
    batch = export_pending(created_by="finanse@um.elk.pl")
    listed = api.get("/api/v1/accounting/exports").get_json()
    assert [b["number"] for b in listed["items"]] == [batch.number]
    first = api.get(f"/api/v1/accounting/exports/{batch.id}")
    assert first.status_code == 200
    detail = first.get_json()
    assert detail["total_amount"] == "95.50" and [p["id"] for p in detail["payments"]] == sorted(
        [payments["online"], payments["statement"]])
    assert api.get(f"/api/v1/accounting/exports/{batch.id}").get_json() == detail
    assert api.get("/api/v1/accounting/exports/999999").status_code == 404


def test_the_accounting_endpoints_need_the_payments_scope(make_client, payments):
    reader = make_client("accounts:read")
    assert reader.get("/api/v1/accounting/payments").status_code == 403
    assert reader.post("/api/v1/accounting/exports", json={}).status_code == 403
    assert make_client("payments").get("/api/v1/accounting/payments").status_code == 200
