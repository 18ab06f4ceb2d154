"""The shared sample snapshots import with the balances and rejections their files give."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal

from sqlalchemy import func, select

from app.accounts.balance import balances_query
from app.accounts.models import (
    Allocation,
    ChangeEvent,
    ContactPoint,
    Contractor,
    ContractorAttribute,
    Obligation,
    Payment,
    Unit,
)
from app.legacy.models import ImportIssue
from app.legacy.service import import_snapshot
from tests.factories import stored_paid_amounts_that_differ
from tests.legacy.conftest import FIXTURES


def _balances(db) -> dict[str, Decimal]:
    q = balances_query().subquery()
    rows = db.session.execute(
        select(Contractor.legacy_id, func.coalesce(q.c.balance, 0))
        .outerjoin(q, q.c.contractor_id == Contractor.id)
    )
    return {legacy_id: Decimal(str(balance)).quantize(Decimal("0.01")) for legacy_id, balance in rows}


def _expected(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_clean_sample_gives_the_expected_balances(db, sample):
    run = import_snapshot(sample)
    expected = _expected("sample-expected.json")

    assert run.status == "done" and run.rejected_count == 0
    assert _count(db, Contractor) == expected["contractors"]
    assert _count(db, Obligation) == expected["obligations"]
    assert _count(db, Payment) == expected["payments"]
    assert _balances(db) == {k: Decimal(v).quantize(Decimal("0.01"))
                             for k, v in expected["balances"].items()}
    assert _count(db, Unit) == 2
    paid = db.session.scalar(select(func.count()).select_from(Obligation).where(Obligation.paid_amount > 0))
    assert paid > 0 and stored_paid_amounts_that_differ() == {}


def test_bad_sample_rejects_exactly_the_six_listed_rows_and_keeps_the_rest(db, sample_bad):
    run = import_snapshot(sample_bad)
    expected = _expected("sample-bad-expected.json")

    errors = db.session.scalars(select(ImportIssue).where(ImportIssue.severity == "error")).all()
    assert sorted((e.file, e.line, e.reason) for e in errors) == sorted(
        tuple(e) for e in _expected("sample-bad-expected-errors.json"))
    assert run.rejected_count == 6
    assert _count(db, Contractor) == expected["contractors"]
    assert _count(db, Obligation) == expected["obligations"]
    assert _count(db, Payment) == expected["payments"]
    assert _balances(db) == {k: Decimal(v).quantize(Decimal("0.01"))
                             for k, v in expected["balances"].items()}


def test_rejected_rows_name_field_and_value(db, sample_bad):
    import_snapshot(sample_bad)
    nip = db.session.scalars(select(ImportIssue).where(ImportIssue.reason == "NIP checksum")).one()
    assert (nip.file, nip.line, nip.field, nip.value) == ("kontrahenci.csv", 14, "NIP", "1234567890")


def test_reimporting_the_same_snapshot_writes_nothing(db, sample):
    first = import_snapshot(sample)
    events_after_first = _count(db, ChangeEvent)
    second = import_snapshot(sample)

    assert first.rows_written > 0
    assert second.rows_written == 0
    assert second.change_count == 0
    assert _count(db, ChangeEvent) == events_after_first
    assert all(c.get("inserted", 0) == c.get("updated", 0) == 0 for c in second.counts.values())


def test_zip_of_the_snapshot_imports_like_the_folder(db, sample, tmp_path):
    archive = shutil.make_archive(str(tmp_path / "snapshot"), "zip", sample.parent, sample.name)
    run = import_snapshot(archive)
    assert run.status == "done" and run.source == "snapshot.zip"
    assert _count(db, Obligation) == _expected("sample-expected.json")["obligations"]


def test_contact_points_are_normalised_and_payments_allocated(db, sample):
    import_snapshot(sample)
    phones = set(db.session.scalars(select(ContactPoint.value).where(ContactPoint.channel == "sms")))
    # `0048652811001`, `+48 634-945-205` and `694398799` all become E.164.
    assert {"+48652811001", "+48634945205", "+48694398799"} <= phones
    assert all(p.startswith("+48") and len(p) == 12 for p in phones)
    assert _count(db, Allocation) > 0
    attrs = db.session.scalars(select(ContractorAttribute).where(
        ContractorAttribute.code == "NIERUCHOMOSC_M2")).all()
    assert any(a.value_number is not None and Decimal(str(a.value_number)) == Decimal("765.44")
               for a in attrs)


def test_parsing_in_worker_processes_gives_the_same_result(db, sample_bad):
    """On PostgreSQL large snapshots are parsed in worker processes; the outcome is identical."""
    run = import_snapshot(sample_bad, workers=2)
    expected = _expected("sample-bad-expected.json")

    errors = db.session.scalars(select(ImportIssue).where(ImportIssue.severity == "error")).all()
    assert sorted((e.file, e.line, e.reason) for e in errors) == sorted(
        tuple(e) for e in _expected("sample-bad-expected-errors.json"))
    assert run.counts["naleznosci.csv"]["rows"] == 108
    assert _balances(db) == {k: Decimal(v).quantize(Decimal("0.01"))
                             for k, v in expected["balances"].items()}
