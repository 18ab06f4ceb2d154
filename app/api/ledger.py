"""Obligations and payments: the legacy system upserts and cancels them; readers list a contractor's.

Upserts and cancellations are partial imports (see `app.api.pushes`), so a business hears of a
new or changed obligation, or of a payment, exactly as when the nightly file brought it.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from app.accounts.models import (
    Obligation,
    ObligationKind,
    Payment,
    PaymentMethod,
    RecordStatus,
    Unit,
)
from app.api import bp
from app.api.auth import current_key
from app.api.contractors import RawBulkSchema, contractor_or_404
from app.api.errors import not_found
from app.api.operations import operation
from app.api.pagination import paginate
from app.api.pushes import MAX_ITEMS, Resource, bulk_upsert, cancel
from app.api.schemas import Amount, BulkResultSchema, Instant, PageQuery, page_of, text
from app.core.extensions import db
from app.legacy import rows
from app.legacy.push import Push

TAG = "Obligations and payments"
KINDS = [k.value for k in ObligationKind]


class ObligationInSchema(Schema):
    """An obligation (przypis) as the legacy system holds it (upsert by `legacy_id`)."""

    legacy_id = text(40, required=True)
    contractor_legacy_id = text(40, required=True)
    unit_code = text(20, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    description = text(255, required=True)
    basis = text(4000, multiline=True)
    document_no = text(80)
    period = text(40)
    due_on = fields.Date(allow_none=True, metadata={"description": "required except for kind KU"})
    amount = Amount(required=True)
    assessed_on = fields.Date(allow_none=True)
    status = fields.String(load_default=RecordStatus.ACTIVE.value,
                           validate=validate.OneOf([RecordStatus.ACTIVE.value, RecordStatus.CANCELLED.value]))

    @validates_schema
    def _due(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("kind") != ObligationKind.REMINDER_COST and data.get("due_on") is None:
            raise ValidationError({"due_on": ["Required for every kind but KU."]})


class PaymentInSchema(Schema):
    """A payment the legacy system booked (upsert by `legacy_id`); it settles the obligation it names."""

    legacy_id = text(40, required=True)
    contractor_legacy_id = text(40, required=True)
    obligation_legacy_id = text(40)
    paid_on = fields.Date(required=True)
    amount = Amount(required=True)
    method = fields.String(required=True, validate=validate.OneOf([m.value for m in PaymentMethod]),
                           metadata={"description": "P transfer, K cash, O online"})
    description = text(255)


class ObligationBulkSchema(Schema):
    """Up to 1,000 obligations to upsert."""

    items = fields.List(fields.Nested(ObligationInSchema), required=True, validate=validate.Length(min=1, max=MAX_ITEMS))


class PaymentBulkSchema(Schema):
    """Up to 1,000 payments to upsert."""

    items = fields.List(fields.Nested(PaymentInSchema), required=True, validate=validate.Length(min=1, max=MAX_ITEMS))


class ObligationSchema(Schema):
    """An obligation of a contractor."""

    legacy_id = fields.String(allow_none=True)
    unit_code = fields.Function(lambda o: o.unit.code, required=True, metadata={"type": "string"})
    kind = fields.String(required=True)
    description = fields.String(required=True)
    basis = fields.String(allow_none=True)
    document_no = fields.String(allow_none=True)
    period = fields.String(allow_none=True)
    due_on = fields.Date(allow_none=True)
    amount = Amount(required=True)
    assessed_on = fields.Date(allow_none=True)
    status = fields.String(required=True)
    updated_at = Instant(required=True)


class PaymentSchema(Schema):
    """A payment of a contractor."""

    legacy_id = fields.String(allow_none=True)
    unit_code = fields.Function(lambda p: p.unit.code if p.unit else None, allow_none=True,
                                metadata={"type": "string"})
    paid_on = fields.Date(required=True)
    amount = Amount(required=True)
    method = fields.String(required=True)
    description = fields.String(allow_none=True)
    source = fields.String(required=True)
    status = fields.String(required=True)
    updated_at = Instant(required=True)


class CancelledSchema(Schema):
    """What a cancellation did."""

    legacy_id = fields.String(required=True)
    status = fields.String(required=True)
    import_run_id = fields.Integer(required=True)
    changes = fields.Integer(required=True)


class ObligationQuery(PageQuery):
    """Filters of a contractor's obligations."""

    status = fields.String(validate=validate.OneOf([RecordStatus.ACTIVE.value, RecordStatus.CANCELLED.value]))
    kind = fields.String(validate=validate.OneOf(KINDS))
    due_from = fields.Date()
    due_to = fields.Date()


class PaymentQuery(PageQuery):
    """Filters of a contractor's payments."""

    status = fields.String(validate=validate.OneOf([RecordStatus.ACTIVE.value, RecordStatus.CANCELLED.value]))
    paid_from = fields.Date()
    paid_to = fields.Date()


ObligationPageSchema = page_of(ObligationSchema, "ObligationPageSchema")
PaymentPageSchema = page_of(PaymentSchema, "PaymentPageSchema")


@operation(bp, "/contractors/<legacy_id>/obligations", "GET", scope="accounts:read", tag=TAG,
           query=ObligationQuery, response=ObligationPageSchema)
def list_obligations(legacy_id: str, args: dict[str, Any]):
    """A contractor's obligations, latest due first."""
    contractor = contractor_or_404(legacy_id)
    query = (select(Obligation).join(Unit, Unit.id == Obligation.unit_id)
             .where(Obligation.contractor_id == contractor.id)
             .order_by(Obligation.due_on.desc(), Obligation.id.desc()))
    for name, test in (("status", lambda v: Obligation.status == v), ("kind", lambda v: Obligation.kind == v),
                       ("due_from", lambda v: Obligation.due_on >= v), ("due_to", lambda v: Obligation.due_on <= v)):
        if args.get(name) is not None:
            query = query.where(test(args[name]))
    return paginate(query, args)


@operation(bp, "/contractors/<legacy_id>/payments", "GET", scope="accounts:read", tag=TAG,
           query=PaymentQuery, response=PaymentPageSchema)
def list_payments(legacy_id: str, args: dict[str, Any]):
    """A contractor's payments, latest first."""
    contractor = contractor_or_404(legacy_id)
    query = (select(Payment).where(Payment.contractor_id == contractor.id)
             .order_by(Payment.paid_on.desc(), Payment.id.desc()))
    for name, test in (("status", lambda v: Payment.status == v), ("paid_from", lambda v: Payment.paid_on >= v),
                       ("paid_to", lambda v: Payment.paid_on <= v)):
        if args.get(name) is not None:
            query = query.where(test(args[name]))
    return paginate(query, args)


@operation(bp, "/obligations/bulk", "POST", scope="accounts:write", tag=TAG, body=ObligationBulkSchema,
           response=BulkResultSchema, raw_body=True)
def upsert_obligations(body: Any):
    """Upsert up to 1,000 obligations by legacy id.

    Refused items are listed in `errors`; the others are taken. The contractor must be known (or
    in an earlier request) and the unit must exist. `status: cancelled` cancels the obligation.
    """
    envelope = RawBulkSchema().load(body if isinstance(body, dict) else {"items": body})
    return bulk_upsert(OBLIGATIONS, envelope["items"], current_key(), "obligations")


@operation(bp, "/payments/bulk", "POST", scope="accounts:write", tag=TAG, body=PaymentBulkSchema,
           response=BulkResultSchema, raw_body=True)
def upsert_payments(body: Any):
    """Upsert up to 1,000 payments by legacy id.

    A payment naming an obligation settles it for its whole amount; the obligation must be the same
    contractor's. Refused items are listed in `errors`; the others are taken.
    """
    envelope = RawBulkSchema().load(body if isinstance(body, dict) else {"items": body})
    return bulk_upsert(PAYMENTS, envelope["items"], current_key(), "payments")


@operation(bp, "/obligations/<legacy_id>/cancel", "POST", scope="accounts:write", tag=TAG,
           response=CancelledSchema, path_params={"legacy_id": {"example": "N00000001"}})
def cancel_obligation(legacy_id: str):
    """Cancel an obligation (the business is told, as when the file drops it)."""
    return _cancelled(Obligation, "obligation", legacy_id)


@operation(bp, "/payments/<legacy_id>/cancel", "POST", scope="accounts:write", tag=TAG,
           response=CancelledSchema, path_params={"legacy_id": {"example": "W00000001"}})
def cancel_payment(legacy_id: str):
    """Cancel a payment booked by the legacy system."""
    return _cancelled(Payment, "payment", legacy_id)


def _cancelled(model, entity: str, legacy_id: str) -> dict[str, Any]:
    record = db.session.scalar(select(model).where(model.legacy_id == legacy_id))
    if record is None:
        raise not_found(entity, legacy_id)
    run = cancel(entity, legacy_id, current_key())
    db.session.refresh(record)
    return {"legacy_id": legacy_id, "status": record.status, "import_run_id": run.id, "changes": run.change_count}


def _stage_obligation(pushed: Push, line: int, item: dict[str, Any]) -> None:
    pushed.obligations.append({"line": line, **item, "unit_code": item["unit_code"].upper(),
                               **{n: item.get(n) for n in ("basis", "document_no", "period", "due_on",
                                                           "assessed_on")}})


def _stage_payment(pushed: Push, line: int, item: dict[str, Any]) -> None:
    pushed.payments.append({"line": line, **item, "obligation_legacy_id": item.get("obligation_legacy_id") or None,
                            "description": item.get("description")})


OBLIGATIONS = Resource(rows.OBLIGATIONS.name, ObligationInSchema, _stage_obligation)
PAYMENTS = Resource(rows.PAYMENTS.name, PaymentInSchema, _stage_payment)
