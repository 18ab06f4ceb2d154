"""A contractor's balance per unit and its upcoming deadlines, as the portal shows them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate
from sqlalchemy import select

from app.accounts.balance import ZERO, balances_by_unit
from app.accounts.models import Unit
from app.api import bp
from app.api.contractors import contractor_or_404
from app.api.operations import operation
from app.api.schemas import SignedAmount
from app.core.clock import today_warsaw
from app.core.extensions import db
from app.reminders.upcoming import HORIZON_DAYS, upcoming_of

TAG = "Obligations and payments"


class UnitBalanceSchema(Schema):
    """The balance with one office unit (negative: an overpayment)."""

    unit_code = fields.String(allow_none=True, metadata={"description": "null: payments not tied to a unit"})
    unit_name = fields.String(allow_none=True)
    balance = SignedAmount(required=True)


class BalanceSchema(Schema):
    """What a contractor owes in total and per unit (obligations minus payments, active only)."""

    legacy_id = fields.String(required=True)
    total = SignedAmount(required=True)
    units = fields.List(fields.Nested(UnitBalanceSchema), required=True)


class UpcomingItemSchema(Schema):
    """An unpaid deadline: the date named (`nominal_due_on`) and the day payment is really due."""

    kind = fields.String(required=True)
    description = fields.String(required=True)
    nominal_due_on = fields.Date(required=True)
    due_on = fields.Date(required=True)
    moved = fields.Boolean(required=True, metadata={"description": "moved off a weekend or holiday"})


class UpcomingSchema(Schema):
    """A contractor's unpaid deadlines from today."""

    legacy_id = fields.String(required=True)
    start = fields.Date(required=True)
    days = fields.Integer(required=True)
    items = fields.List(fields.Nested(UpcomingItemSchema), required=True)


class UpcomingQuery(Schema):
    """How far ahead to look."""

    class Meta:
        unknown = EXCLUDE

    days = fields.Integer(load_default=HORIZON_DAYS, validate=validate.Range(min=1, max=366))


@operation(bp, "/contractors/<legacy_id>/balance", "GET", scope="accounts:read", tag=TAG, response=BalanceSchema)
def get_balance(legacy_id: str):
    """A contractor's balance, in total and per office unit."""
    contractor = contractor_or_404(legacy_id)
    per_unit = balances_by_unit(contractor.id)
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_([k for k in per_unit if k])))}
    rows = [{"unit_code": units[k].code if k in units else None, "unit_name": units[k].name if k in units else None,
             "balance": v} for k, v in per_unit.items()]
    rows.sort(key=lambda r: (r["unit_code"] is None, r["unit_code"] or ""))
    return {"legacy_id": legacy_id, "total": sum(per_unit.values(), Decimal(ZERO)), "units": rows}


@operation(bp, "/contractors/<legacy_id>/upcoming", "GET", scope="accounts:read", tag=TAG, query=UpcomingQuery,
           response=UpcomingSchema)
def get_upcoming(legacy_id: str, args: dict[str, Any]):
    """A contractor's unpaid deadlines of the coming days (60 by default), soonest first."""
    contractor = contractor_or_404(legacy_id)
    start = today_warsaw()
    items = [{"kind": u.kind, "description": u.description, "nominal_due_on": u.nominal, "due_on": u.effective,
              "moved": u.moved} for u in upcoming_of(contractor.id, start, args["days"])]
    return {"legacy_id": legacy_id, "start": start, "days": args["days"], "items": items}
