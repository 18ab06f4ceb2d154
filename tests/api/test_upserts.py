"""Bulk upserts: per-item errors, the 1,000-item bound, and the same change events as a snapshot import."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from app.accounts.models import (
    ChangeEvent,
    ContactPoint,
    Contractor,
    ContractorAttribute,
    Obligation,
    Payment,
)
from app.legacy.models import ImportRun
from tests.api.conftest import contractor_item, obligation_item
from tests.factories import create_unit


def _events(db, run_id: int) -> list[tuple]:
    rows = db.session.execute(
        select(Contractor.legacy_id, ChangeEvent.kind, ChangeEvent.subject, ChangeEvent.old_value,
               ChangeEvent.new_value, ChangeEvent.source)
        .join(Contractor, Contractor.id == ChangeEvent.contractor_id)
        .where(ChangeEvent.import_run_id == run_id).order_by(ChangeEvent.id))
    return [tuple(r) for r in rows]


def test_contractors_are_upserted_with_attributes_and_contacts(api, db):
    response = api.post("/api/v1/contractors/bulk", json={"items": [contractor_item()]})

    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert (result["received"], result["inserted"], result["rejected"], result["errors"]) == (1, 1, 0, [])
    contractor = db.session.scalar(select(Contractor).where(Contractor.legacy_id == "K900001"))
    assert contractor.name == "Piekarnia Mazurska Sp. z o.o." and contractor.district == "Centrum"
    attributes = dict(db.session.execute(select(ContractorAttribute.code, ContractorAttribute.value)
                                         .where(ContractorAttribute.contractor_id == contractor.id)).all())
    assert attributes == {"KONCESJA": "T", "POWIERZCHNIA": "120,5"}
    phones = db.session.scalars(select(ContactPoint.value).where(ContactPoint.contractor_id == contractor.id,
                                                                  ContactPoint.channel == "sms")).all()
    assert phones == ["+48600100200"]
    run = db.session.get(ImportRun, result["import_run_id"])
    assert run.source.startswith("API: System dziedzinowy") and run.status == "done"
    assert _events(db, run.id) == [("K900001", "contractor_new", "contractor", None,
                                    "Piekarnia Mazurska Sp. z o.o.", "api")]

    again = api.post("/api/v1/contractors/bulk", json={"items": [contractor_item()]}).get_json()
    assert (again["inserted"], again["updated"], again["unchanged"], again["changes"]) == (0, 0, 1, 0)


def test_bad_items_are_named_and_the_good_ones_taken(api, db):
    items = [contractor_item("K1"), contractor_item("K2", nip="1234567890"), "nonsense",
             contractor_item("K3", kind="XX"), contractor_item("K1"), contractor_item("K4", phone="12")]

    result = api.post("/api/v1/contractors/bulk", json={"items": items}).get_json()

    assert result["inserted"] == 1 and result["received"] == 6
    errors = {(e["index"], e["field"]): e for e in result["errors"]}
    assert errors[(1, "nip")]["reason"] == "NIP checksum" and errors[(1, "nip")]["value"] == "1234567890"
    assert errors[(1, "nip")]["legacy_id"] == "K2"
    assert errors[(2, None)]["reason"] == "not an object"
    assert (3, "kind") in errors and (5, "phone") in errors
    assert errors[(4, "legacy_id")]["reason"] == "duplicate id"
    assert db.session.scalars(select(Contractor.legacy_id)).all() == ["K1"]


def test_a_thousand_items_are_taken_and_a_thousand_and_one_refused(api, db):
    items = [contractor_item(f"K{n:06d}", phone=None, email=None, attributes={}) for n in range(1000)]

    taken = api.post("/api/v1/contractors/bulk", json={"items": items})
    refused = api.post("/api/v1/contractors/bulk", json={"items": [*items, contractor_item("K999999")]})

    assert taken.status_code == 200 and taken.get_json()["inserted"] == 1000
    assert refused.status_code == 422
    assert refused.get_json()["code"] == "validation_error" and "items" in refused.get_json()["fields"]
    assert db.session.scalar(select(Contractor.id).where(Contractor.legacy_id == "K999999")) is None


def test_obligations_and_payments_make_the_same_change_events_as_a_snapshot(api, db):
    create_unit(code="UM", name="Urząd Miasta Ełk")
    api.post("/api/v1/contractors/bulk", json={"items": [contractor_item()]})

    first = api.post("/api/v1/obligations/bulk", json={"items": [obligation_item()]}).get_json()
    changed = api.post("/api/v1/obligations/bulk", json={"items": [
        obligation_item(amount="70.00", due_on="2026-12-16")]}).get_json()
    paid = api.post("/api/v1/payments/bulk", json={"items": [
        {"legacy_id": "W900001", "contractor_legacy_id": "K900001", "obligation_legacy_id": "N900001",
         "paid_on": "2026-12-10", "amount": "70.00", "method": "P"}]}).get_json()
    cancelled = api.post("/api/v1/obligations/N900001/cancel").get_json()

    assert first["inserted"] == 1 and first["errors"] == []
    assert [e[1:3] for e in _events(db, first["import_run_id"])] == [("obligation_new", "obligation:N900001")]
    amount, due = _events(db, changed["import_run_id"])
    assert amount[1:3] == ("obligation_amount_changed", "obligation:N900001")
    assert (Decimal(amount[3]), Decimal(amount[4])) == (Decimal("67.00"), Decimal("70.00"))
    assert due[1:5] == ("obligation_due_changed", "obligation:N900001", "2026-12-15", "2026-12-16")
    assert [e[1:3] for e in _events(db, paid["import_run_id"])] == [("payment_new", "payment:W900001")]
    assert cancelled["status"] == "cancelled"
    assert [e[1:3] for e in _events(db, cancelled["import_run_id"])] == [
        ("obligation_cancelled", "obligation:N900001")]
    payment = db.session.scalar(select(Payment).where(Payment.legacy_id == "W900001"))
    assert payment.amount == Decimal("70.00") and [a.obligation.legacy_id for a in payment.allocations] == ["N900001"]


def test_references_are_checked_against_known_and_pushed_records(api, db):
    create_unit(code="UM")
    api.post("/api/v1/contractors/bulk", json={"items": [contractor_item()]})
    result = api.post("/api/v1/obligations/bulk", json={"items": [
        obligation_item("N1", contractor="NOBODY"), obligation_item("N2", unit="XX"),
        obligation_item("N3", kind="KU", due_on=None), obligation_item("N4", due_on=None),
        obligation_item("N5", amount=12.5)]}).get_json()

    reasons = {(e["index"], e["field"]): e["reason"] for e in result["errors"]}
    assert reasons[(0, "contractor_legacy_id")] == "unknown contractor"
    assert reasons[(1, "unit_code")] == "unknown unit"
    assert (3, "due_on") in reasons and (4, "amount") in reasons
    assert [o.legacy_id for o in db.session.scalars(select(Obligation))] == ["N3"]  # KU needs no due date


def test_a_pushed_obligation_reaches_the_business_as_an_account_change_notice(api, db, stub_worker):
    from app.accounts.models import Channel
    from app.reminders.change_notices import notify_pending

    create_unit(code="UM", name="Urząd Miasta Ełk")
    api.post("/api/v1/contractors/bulk", json={"items": [contractor_item(consent_email=True)]})
    api.post("/api/v1/obligations/bulk", json={"items": [obligation_item()]})
    stub_worker.join()
    notify_pending()

    from app.channels.models import Message

    messages = db.session.scalars(select(Message).where(Message.purpose == "notice")).all()
    assert [m.recipient for m in messages if m.channel == Channel.EMAIL] == ["biuro@piekarnia.example.pl"]
    assert db.session.scalar(select(ChangeEvent.processed_at).where(ChangeEvent.kind == "obligation_new"))
