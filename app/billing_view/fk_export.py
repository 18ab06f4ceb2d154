"""Export of payments to the accounting (FK) system: batches of payments not yet exported.

Payments the platform itself received (online, bank statements, staff) go to FK; payments that
came from the legacy system are already in the office's books and are not exported again. Each
payment is exported in exactly one batch (a unique key guarantees it even when two exports run
at once); a batch's CSV and XML can be downloaded again at any time and are the same each time.
The formats are documented in `docs/fk-export.md`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.etree import ElementTree

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.accounts.models import Allocation, Payment, RecordStatus
from app.billing_view.finance_models import FkExportBatch, FkExportedPayment
from app.core import audit
from app.core.clock import to_warsaw, utcnow
from app.core.csv_cells import safe_cell
from app.core.db import transactional
from app.core.extensions import db

#: Payments of this source came from the legacy system, which hands them to FK itself.
LEGACY_SOURCE = "legacy"
MAX_BATCH = 50_000
XML_NAMESPACE = "urn:powiadomienia:fk-export:1"
CSV_COLUMNS = (
    "batch", "payment_id", "paid_on", "payment_amount", "method", "source", "unit_code", "unit_account",
    "contractor_legacy_id", "contractor_nip", "contractor_name", "title", "obligation_legacy_id",
    "obligation_kind", "obligation_document_no", "obligation_period", "obligation_due_on", "allocated_amount",
)
OVERPAYMENT = "NADPLATA"


class ExportConflict(RuntimeError):
    """Another export took some of the same payments at the same moment; try again."""


def pending_query():
    """Active payments of the exported sources that no batch holds yet, oldest first."""
    return (select(Payment)
            .where(Payment.status == RecordStatus.ACTIVE, Payment.source != LEGACY_SOURCE,
                   ~exists().where(FkExportedPayment.payment_id == Payment.id))
            .order_by(Payment.paid_on, Payment.id))


def pending_summary() -> tuple[int, Decimal]:
    """How many payments wait for export and their total."""
    sub = pending_query().subquery()
    count, total = db.session.execute(select(func.count(), func.coalesce(func.sum(sub.c.amount), 0))).one()
    return count, Decimal(total).quantize(Decimal("0.01"))


@dataclass
class Refusal:
    """A payment that could not be put in a batch, and why."""

    payment_id: int
    code: str
    message: str


def _new_batch(payment_ids: list[int], created_by: str | None, via: str) -> FkExportBatch:
    batch = FkExportBatch(created_by=created_by, created_via=via, created_at=utcnow())
    db.session.add(batch)
    db.session.flush()
    db.session.add_all(FkExportedPayment(payment_id=pid, batch_id=batch.id) for pid in payment_ids)
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise ExportConflict("Another export took some of these payments at the same moment; try again.") from exc
    count, total, first, last = db.session.execute(
        select(func.count(), func.coalesce(func.sum(Payment.amount), 0), func.min(Payment.paid_on),
               func.max(Payment.paid_on))
        .where(Payment.id.in_(select(FkExportedPayment.payment_id).where(FkExportedPayment.batch_id == batch.id)))
    ).one()
    batch.payment_count, batch.total_amount = count, Decimal(total).quantize(Decimal("0.01"))
    batch.first_paid_on, batch.last_paid_on = first, last
    audit.record("finance.fk_exported", actor_type="api" if via == "api" else "staff" if created_by else "system",
                 actor_label=created_by, target=f"fk_batch:{batch.id}", payments=count, total=str(batch.total_amount))
    return batch


@transactional
def export_pending(*, created_by: str | None = None, via: str = "admin",
                   until: date | None = None) -> FkExportBatch | None:
    """Put every payment not yet exported (paid up to `until`) in a new batch; None when none wait."""
    query = pending_query().with_only_columns(Payment.id).limit(MAX_BATCH)
    if until is not None:
        query = query.where(Payment.paid_on <= until)
    ids = list(db.session.scalars(query))
    if not ids:
        return None
    return _new_batch(ids, created_by, via)


@transactional
def export_payments(payment_ids: Collection[int], *, created_by: str | None = None,
                    via: str = "api") -> tuple[FkExportBatch | None, list[Refusal]]:
    """Mark the given payments exported in one new batch; those that cannot be are refused, each with why."""
    wanted = list(dict.fromkeys(int(pid) for pid in payment_ids))
    payments = {p.id: p for p in db.session.scalars(select(Payment).where(Payment.id.in_(wanted)))}
    done = dict(db.session.execute(select(FkExportedPayment.payment_id, FkExportedPayment.batch_id)
                                   .where(FkExportedPayment.payment_id.in_(wanted))).all())
    refusals, taken = [], []
    for pid in wanted:
        payment = payments.get(pid)
        if payment is None:
            refusals.append(Refusal(pid, "not_found", f"Payment {pid} does not exist."))
        elif pid in done:
            refusals.append(Refusal(pid, "already_exported", f"Payment {pid} was exported in batch {done[pid]}."))
        elif payment.status != RecordStatus.ACTIVE:
            refusals.append(Refusal(pid, "not_active", f"Payment {pid} is {payment.status}."))
        elif payment.source == LEGACY_SOURCE:
            refusals.append(Refusal(pid, "not_exported_source",
                                    f"Payment {pid} came from the legacy system, which books it itself."))
        else:
            taken.append(pid)
    return (_new_batch(taken, created_by, via) if taken else None), refusals


def batch_payments(batch_id: int) -> list[Payment]:
    """A batch's payments with what the files need, in payment order."""
    return list(db.session.scalars(
        select(Payment)
        .join(FkExportedPayment, FkExportedPayment.payment_id == Payment.id)
        .where(FkExportedPayment.batch_id == batch_id)
        .options(selectinload(Payment.contractor), selectinload(Payment.unit),
                 selectinload(Payment.allocations).selectinload(Allocation.obligation))
        .order_by(Payment.id)))


def _allocated(payment: Payment) -> list[Allocation]:
    return sorted(payment.allocations, key=lambda a: (a.obligation.due_on or date.min, a.obligation_id))


def _free(payment: Payment) -> Decimal:
    return payment.amount - sum((a.amount for a in payment.allocations), Decimal("0.00"))


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(text: str | None) -> str:
    """Text XML 1.0 can carry: control characters dropped."""
    return _XML_ILLEGAL.sub("", text or "")


def _pl(amount: Decimal) -> str:
    return f"{amount:.2f}".replace(".", ",")


def batch_csv(batch: FkExportBatch) -> Iterator[str]:
    """The batch as CSV for FK: UTF-8 with BOM, `;`, CRLF, one row per allocation (and overpayment)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    for payment in batch_payments(batch.id):
        head = [batch.number, payment.id, payment.paid_on.isoformat(), _pl(payment.amount), payment.method,
                payment.source, payment.unit.code if payment.unit else "",
                payment.unit.account_nrb if payment.unit else "", payment.contractor.legacy_id,
                payment.contractor.nip or "", payment.contractor.name, payment.description or ""]
        for allocation in _allocated(payment):
            obligation = allocation.obligation
            writer.writerow([safe_cell(v) for v in head + [
                obligation.legacy_id or obligation.id, obligation.kind, obligation.document_no or "",
                obligation.period or "", obligation.due_on.isoformat() if obligation.due_on else "",
                _pl(allocation.amount)]])
        if _free(payment) > 0 or not payment.allocations:
            writer.writerow([safe_cell(v) for v in head + ["", OVERPAYMENT, "", "", "", _pl(_free(payment))]])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def batch_xml(batch: FkExportBatch) -> bytes:
    """The batch as XML for FK (namespace `urn:powiadomienia:fk-export:1`, amounts with a dot)."""
    created = to_warsaw(batch.created_at)
    root = ElementTree.Element("fk-export", {
        "xmlns": XML_NAMESPACE, "batch": batch.number, "created": created.isoformat(timespec="seconds"),
        "payments": str(batch.payment_count), "total": f"{batch.total_amount:.2f}"})
    for payment in batch_payments(batch.id):
        node = ElementTree.SubElement(root, "payment", {
            "id": str(payment.id), "paid-on": payment.paid_on.isoformat(), "amount": f"{payment.amount:.2f}",
            "method": payment.method, "source": payment.source})
        if payment.unit is not None:
            ElementTree.SubElement(node, "unit", {"code": _x(payment.unit.code), "account": _x(payment.unit.account_nrb)})
        contractor = ElementTree.SubElement(node, "contractor", {"legacy-id": _x(payment.contractor.legacy_id),
                                                                 "nip": _x(payment.contractor.nip)})
        contractor.text = _x(payment.contractor.name)
        ElementTree.SubElement(node, "title").text = _x(payment.description)
        for allocation in _allocated(payment):
            obligation = allocation.obligation
            attributes = {"obligation": _x(str(obligation.legacy_id or obligation.id)), "kind": obligation.kind,
                          "amount": f"{allocation.amount:.2f}"}
            for key, value in (("document", obligation.document_no), ("period", obligation.period),
                               ("due-on", obligation.due_on.isoformat() if obligation.due_on else None)):
                if value:
                    attributes[key] = _x(value)
            ElementTree.SubElement(node, "allocation", attributes)
        if _free(payment) > 0:
            ElementTree.SubElement(node, "overpayment", {"amount": f"{_free(payment):.2f}"})
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


@transactional
def record_download(batch_id: int, file_format: str, *, by: str | None, via: str = "admin") -> None:
    """Count and audit a download (a re-export) of a batch's file."""
    batch = db.session.get(FkExportBatch, batch_id)
    batch.download_count += 1
    batch.last_downloaded_at = utcnow()
    audit.record("finance.fk_downloaded", actor_type="api" if via == "api" else "staff", actor_label=by,
                 target=f"fk_batch:{batch_id}", format=file_format)
