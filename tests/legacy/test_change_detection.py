"""What changed between two snapshots becomes change events; nothing else does."""

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
    RecordStatus,
)
from app.legacy.service import import_snapshot
from tests.factories import stored_paid_amounts_that_differ
from tests.legacy.conftest import edit_file


def _events(db, run) -> list[tuple[str, str, str | None, str | None]]:
    rows = db.session.execute(
        select(Contractor.legacy_id, ChangeEvent.kind, ChangeEvent.subject, ChangeEvent.old_value,
               ChangeEvent.new_value)
        .join(Contractor, Contractor.id == ChangeEvent.contractor_id)
        .where(ChangeEvent.import_run_id == run.id)
        .order_by(ChangeEvent.id)
    )
    return [tuple(r) for r in rows]


def test_first_import_records_one_event_per_new_contractor(db, sample):
    run = import_snapshot(sample)
    kinds = {kind for _, kind, *_ in _events(db, run)}
    assert kinds == {"contractor_new"}
    assert run.change_count == 12


def test_changed_amount_and_due_date_are_recorded_and_applied(db, sample):
    import_snapshot(sample)
    edit_file(sample, "naleznosci.csv", lambda t: t.replace(
        "DN-1/2026/1;2026/12;15.12.2026;67,00", "DN-1/2026/1;2026/12;16.12.2026;70,00"))
    run = import_snapshot(sample)

    events = _events(db, run)
    assert ("K000001", "obligation_amount_changed", "obligation:N00000012") == events[0][:3]
    assert Decimal(events[0][3]) == Decimal("67.00") and Decimal(events[0][4]) == Decimal("70.00")
    assert [e[:3] for e in events[1:]] == [("K000001", "obligation_due_changed", "obligation:N00000012")]
    ob = db.session.scalars(select(Obligation).where(Obligation.legacy_id == "N00000012")).one()
    assert ob.amount == Decimal("70.00") and str(ob.due_on) == "2026-12-16"
    assert run.counts["naleznosci.csv"]["updated"] == 1
    assert run.counts["naleznosci.csv"]["unchanged"] == 196


def test_new_obligation_and_payment_and_missing_rows(db, sample):
    import_snapshot(sample)

    def add_obligation(text: str) -> str:
        return text + ("N00000999;K000002;UM;KU;Koszty upomnienia;Upomnienie nr 12/2026;"
                       "UP/12/2026;2026;;16,00;20.11.2026;A\r\n")

    def drop_payment(text: str) -> str:
        return "".join(line for line in text.splitlines(keepends=True)
                       if not line.startswith("W00000001;"))

    edit_file(sample, "naleznosci.csv", add_obligation)
    edit_file(sample, "wplaty.csv", drop_payment)
    edit_file(sample, "wplaty.csv", lambda t: t + "W00000999;K000003;;20.11.2026;100,00;O;Wpłata\r\n")
    run = import_snapshot(sample)

    events = set(_events(db, run))
    assert ("K000002", "obligation_new", "obligation:N00000999", None) == next(
        e for e in events if e[1] == "obligation_new")[:4]
    assert any(e[:3] == ("K000001", "payment_cancelled", "payment:W00000001") for e in events)
    assert any(e[:3] == ("K000003", "payment_new", "payment:W00000999") for e in events)
    cost = db.session.scalars(select(Obligation).where(Obligation.legacy_id == "N00000999")).one()
    assert cost.due_on is None and cost.kind == "KU"
    gone = db.session.scalars(select(Payment).where(Payment.legacy_id == "W00000001")).one()
    assert gone.status == RecordStatus.CANCELLED  # history kept, no longer counted
    unallocated = db.session.scalars(select(Payment).where(Payment.legacy_id == "W00000999")).one()
    assert unallocated.unit_id is None and unallocated.allocations == []
    assert stored_paid_amounts_that_differ() == {}  # what the cancelled payment paid is no longer paid


def test_changed_phone_and_attribute_are_recorded(db, sample):
    import_snapshot(sample)
    edit_file(sample, "kontrahenci.csv", lambda t: t.replace(";694398799;", ";+48 600 100 200;"))
    edit_file(sample, "cechy.csv", lambda t: t.replace("K000001;POJAZDY;8", "K000001;POJAZDY;9"))
    run = import_snapshot(sample)

    events = _events(db, run)
    assert ("K000001", "contact_changed", "contact:sms", "+48694398799", "+48600100200") in events
    assert ("K000001", "attribute_changed", "attribute:POJAZDY", "8", "9") in events
    phones = db.session.execute(
        select(ContactPoint.value, ContactPoint.is_active)
        .join(Contractor).where(Contractor.legacy_id == "K000001", ContactPoint.channel == "sms")
    ).all()
    assert sorted(phones) == [("+48600100200", True), ("+48694398799", False)]
    pojazdy = db.session.scalars(select(ContractorAttribute).where(
        ContractorAttribute.code == "POJAZDY", ContractorAttribute.value == "9")).one()
    assert Decimal(str(pojazdy.value_number)) == Decimal("9")


def test_contractor_missing_from_snapshot_is_cancelled_with_history(db, sample):
    import_snapshot(sample)
    edit_file(sample, "kontrahenci.csv", lambda t: "".join(
        line for line in t.splitlines(keepends=True) if not line.startswith("K000012;")))
    run = import_snapshot(sample)

    gone = db.session.scalars(select(Contractor).where(Contractor.legacy_id == "K000012")).one()
    assert gone.status == RecordStatus.CANCELLED
    # Its rows now name an unknown contractor: rejected, and so kept as they were.
    assert run.counts["naleznosci.csv"]["rejected"] > 0
    kept = db.session.scalars(select(Obligation).where(Obligation.contractor_id == gone.id)).all()
    assert kept and all(o.status == RecordStatus.ACTIVE for o in kept)


def test_rejected_row_does_not_cancel_what_it_describes(db, sample):
    import_snapshot(sample)
    edit_file(sample, "naleznosci.csv", lambda t: t.replace(
        "2026/12;15.12.2026;67,00;12.11.2026;A", "2026/12;15.12.2026;67,0x;12.11.2026;A"))
    run = import_snapshot(sample)

    assert run.rejected_count == 1
    ob = db.session.scalars(select(Obligation).where(Obligation.legacy_id == "N00000012")).one()
    assert ob.status == RecordStatus.ACTIVE and ob.amount == Decimal("67.00")
    assert run.change_count == 0


def test_payment_moved_to_another_obligation_moves_its_allocation(db, sample):
    from app.accounts.models import Allocation

    import_snapshot(sample)
    edit_file(sample, "wplaty.csv", lambda t: t.replace(
        "W00000001;K000001;N00000001;", "W00000001;K000001;N00000012;"))
    run = import_snapshot(sample)

    payment = db.session.scalars(select(Payment).where(Payment.legacy_id == "W00000001")).one()
    settled = db.session.scalars(select(Obligation.legacy_id).join(Allocation).where(
        Allocation.payment_id == payment.id)).all()
    assert settled == ["N00000012"]
    assert stored_paid_amounts_that_differ() == {}
    assert run.counts["wplaty.csv"]["unchanged"] == 165


def test_imported_phones_are_classified_for_texting(db, sample):
    """A landline from the legacy system is kept, but marked so no SMS is planned to it."""
    import_snapshot(sample)
    edit_file(sample, "kontrahenci.csv", lambda t: t.replace(";694398799;", ";87 621 00 00;"))
    import_snapshot(sample)
    classes = dict(db.session.execute(
        select(ContactPoint.value, ContactPoint.number_class).where(ContactPoint.channel == "sms")).all())
    assert classes["+48876210000"] == "not-mobile"
    assert classes["+48694398799"] == "mobile"
    assert set(classes.values()) <= {"mobile", "not-mobile"}
    assert db.session.scalar(select(ContactPoint.number_class).where(ContactPoint.channel == "email")) is None
