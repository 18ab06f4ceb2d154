"""Payments for the accounting (FK) system: those not yet exported, and marking them exported.

The same batches as the finance staff's FK export in the admin (`app.billing_view.fk_export`):
a payment marked exported here is in a batch there, and the other way round, and never twice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import Allocation, Payment
from app.api import bp
from app.api.auth import current_key
from app.api.errors import not_found
from app.api.operations import operation
from app.api.pagination import paginate
from app.api.schemas import MAX_ID, Amount, Instant, PageQuery, page_of
from app.billing_view import fk_export
from app.billing_view.finance_models import FkExportBatch
from app.core.extensions import db

TAG = "Accounting"
MAX_MARK = 1000


class AllocationOutSchema(Schema):
    """The part of a payment that settled one obligation."""

    obligation_legacy_id = fields.Function(lambda a: a.obligation.legacy_id, allow_none=True,
                                           metadata={"type": "string"})
    kind = fields.Function(lambda a: a.obligation.kind, required=True, metadata={"type": "string"})
    document_no = fields.Function(lambda a: a.obligation.document_no, allow_none=True, metadata={"type": "string"})
    period = fields.Function(lambda a: a.obligation.period, allow_none=True, metadata={"type": "string"})
    amount = Amount(required=True)


def _free(payment: Payment) -> Decimal:
    return payment.amount - sum((a.amount for a in payment.allocations), Decimal("0.00"))


class AccountingPaymentSchema(Schema):
    """A payment as accounting books it: who paid which unit, how much, and what it settled."""

    id = fields.Integer(required=True)
    paid_on = fields.Date(required=True)
    amount = Amount(required=True)
    method = fields.String(required=True, metadata={"description": "P transfer, K cash, O online"})
    source = fields.String(required=True, metadata={"description": "online, statement"})
    unit_code = fields.Function(lambda p: p.unit.code if p.unit else None, allow_none=True,
                                metadata={"type": "string"})
    contractor_legacy_id = fields.Function(lambda p: p.contractor.legacy_id, required=True,
                                           metadata={"type": "string"})
    contractor_nip = fields.Function(lambda p: p.contractor.nip, allow_none=True, metadata={"type": "string"})
    contractor_name = fields.Function(lambda p: p.contractor.name, required=True, metadata={"type": "string"})
    description = fields.String(allow_none=True)
    allocations = fields.List(fields.Nested(AllocationOutSchema), required=True)
    unallocated = fields.Function(lambda p: f"{_free(p):.2f}", required=True,
                                  metadata={"type": "string", "description": "an overpayment, not yet settling anything"})


class PendingQuery(PageQuery):
    """Which payments waiting for export to list."""

    paid_from = fields.Date()
    paid_to = fields.Date()


class BatchSchema(Schema):
    """An FK export batch."""

    id = fields.Integer(required=True)
    number = fields.String(required=True, metadata={"example": "FK/2026/000012"})
    created_at = Instant(required=True)
    created_by = fields.String(allow_none=True)
    created_via = fields.String(required=True, metadata={"description": "admin, api"})
    payment_count = fields.Integer(required=True)
    total_amount = Amount(required=True)
    first_paid_on = fields.Date(allow_none=True)
    last_paid_on = fields.Date(allow_none=True)


class BatchDetailSchema(BatchSchema):
    """An FK export batch with its payments (the same each time it is read: a re-export)."""

    payments = fields.List(fields.Nested(AccountingPaymentSchema), required=True)


class MarkExportedSchema(Schema):
    """The payments the accounting system has taken; none given: every payment waiting."""

    payment_ids = fields.List(fields.Integer(validate=validate.Range(min=1, max=MAX_ID)),
                              validate=validate.Length(min=1, max=MAX_MARK), load_default=None,
                              metadata={"description": f"up to {MAX_MARK}; omit to take every payment waiting"})


class RefusalSchema(Schema):
    """A payment that was not marked, and why."""

    payment_id = fields.Integer(required=True)
    code = fields.String(required=True, metadata={"description": "not_found, already_exported, not_active, "
                                                                 "not_exported_source"})
    message = fields.String(required=True)


class MarkResultSchema(Schema):
    """The batch the payments were put in (null when none could be) and those refused."""

    batch = fields.Nested(BatchSchema, allow_none=True, required=True)
    errors = fields.List(fields.Nested(RefusalSchema), required=True)


AccountingPaymentPageSchema = page_of(AccountingPaymentSchema, "AccountingPaymentPageSchema")
BatchPageSchema = page_of(BatchSchema, "BatchPageSchema")


@operation(bp, "/accounting/payments", "GET", scope="payments", tag=TAG, query=PendingQuery,
           response=AccountingPaymentPageSchema)
def list_pending_payments(args: dict[str, Any]):
    """Payments not yet exported to the accounting system, oldest first.

    Payments from the legacy system are not listed: it hands them to accounting itself.
    """
    query = fk_export.pending_query().options(
        selectinload(Payment.contractor), selectinload(Payment.unit),
        selectinload(Payment.allocations).selectinload(Allocation.obligation))
    if args.get("paid_from") is not None:
        query = query.where(Payment.paid_on >= args["paid_from"])
    if args.get("paid_to") is not None:
        query = query.where(Payment.paid_on <= args["paid_to"])
    return paginate(query, args)


@operation(bp, "/accounting/exports", "POST", scope="payments", tag=TAG, body=MarkExportedSchema,
           response=MarkResultSchema)
def mark_exported(body: dict[str, Any]):
    """Mark payments exported: they go into a new batch and are never listed as waiting again.

    A payment already exported, cancelled, unknown or from the legacy system is refused in `errors`;
    the others are taken. Without `payment_ids`, every payment waiting is taken.
    """
    key = current_key()
    if body.get("payment_ids"):
        batch, refusals = fk_export.export_payments(body["payment_ids"], created_by=key.name, via="api")
    else:
        batch, refusals = fk_export.export_pending(created_by=key.name, via="api"), []
    return {"batch": batch, "errors": refusals}


@operation(bp, "/accounting/exports", "GET", scope="payments", tag=TAG, query=PageQuery, response=BatchPageSchema)
def list_batches(args: dict[str, Any]):
    """FK export batches, newest first (made here or by finance staff in the admin)."""
    return paginate(select(FkExportBatch).order_by(FkExportBatch.id.desc()), args)


@operation(bp, "/accounting/exports/<int:batch_id>", "GET", scope="payments", tag=TAG,
           response=BatchDetailSchema)
def get_batch(batch_id: int):
    """One batch with its payments, the same each time: read it again to re-export it."""
    batch = db.session.get(FkExportBatch, batch_id) if batch_id <= MAX_ID else None
    if batch is None:
        raise not_found("batch", batch_id)
    values = {name: getattr(batch, name) for name in BatchSchema().fields}
    return {**values, "payments": fk_export.batch_payments(batch.id)}
