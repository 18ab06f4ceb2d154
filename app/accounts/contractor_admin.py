"""Contractors in the admin: a searchable read-only list and a details page with the account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask import abort, request
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual, FilterLike
from flask_admin.helpers import get_redirect_target
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select

from app.accounts.balance import ZERO, balances_by_unit, contractor_balance, paid_amounts
from app.accounts.contacts import format_phone
from app.accounts.models import (
    Appointment,
    AttributeDefinition,
    ChangeEvent,
    ChangeKind,
    Channel,
    Contractor,
    ContractorKind,
    Obligation,
    ObligationKind,
    Payment,
    PaymentMethod,
    RecordStatus,
    Unit,
)
from app.core.admin import ALL_ROLES, SecureModelView, label_options, live_options
from app.core.clock import today_warsaw
from app.core.extensions import db

KIND_LABELS = {
    ContractorKind.LEGAL_PERSON: _l("legal person"),
    ContractorKind.ORGANISATIONAL_UNIT: _l("organisational unit"),
    ContractorKind.SOLE_TRADER: _l("sole trader"),
}
STATUS_LABELS = {
    RecordStatus.ACTIVE: _l("active"),
    RecordStatus.CLOSED: _l("closed"),
    RecordStatus.CANCELLED: _l("cancelled"),
}
OBLIGATION_KIND_LABELS = {
    ObligationKind.PROPERTY_TAX: _l("property tax"),
    ObligationKind.TRANSPORT_TAX: _l("transport vehicle tax"),
    ObligationKind.ALCOHOL_LICENCE: _l("alcohol licence fee"),
    ObligationKind.PERPETUAL_USUFRUCT: _l("perpetual usufruct fee"),
    ObligationKind.LEASE_RENT: _l("lease rent"),
    ObligationKind.REMINDER_COST: _l("formal reminder cost"),
    ObligationKind.INTEREST: _l("late interest"),
    ObligationKind.OTHER_FEE: _l("other fee"),
}
METHOD_LABELS = {
    PaymentMethod.TRANSFER: _l("bank transfer"),
    PaymentMethod.CASH: _l("cash"),
    PaymentMethod.ONLINE: _l("online payment"),
}
CHANGE_LABELS = {
    ChangeKind.CONTRACTOR_NEW: _l("new contractor"),
    ChangeKind.CONTRACTOR_CHANGED: _l("contractor data changed"),
    ChangeKind.CONTRACTOR_CANCELLED: _l("contractor cancelled"),
    ChangeKind.CONTACT_CHANGED: _l("contact changed"),
    ChangeKind.ATTRIBUTE_CHANGED: _l("attribute changed"),
    ChangeKind.OBLIGATION_NEW: _l("new obligation"),
    ChangeKind.OBLIGATION_AMOUNT_CHANGED: _l("obligation amount changed"),
    ChangeKind.OBLIGATION_DUE_CHANGED: _l("due date changed"),
    ChangeKind.OBLIGATION_CANCELLED: _l("obligation cancelled"),
    ChangeKind.PAYMENT_NEW: _l("new payment"),
    ChangeKind.PAYMENT_CANCELLED: _l("payment cancelled"),
    ChangeKind.APPOINTMENT_NEW: _l("new appointment"),
    ChangeKind.APPOINTMENT_CHANGED: _l("appointment changed"),
    ChangeKind.APPOINTMENT_CANCELLED: _l("appointment cancelled"),
}
CHANNEL_LABELS = {Channel.SMS: _l("phone (SMS)"), Channel.EMAIL: _l("email")}


def label(labels: dict, value: Any) -> str:
    """The translated label of a coded value, or the code itself when unknown."""
    return str(labels.get(value, value or ""))


@dataclass
class ObligationLine:
    """An obligation with what was paid and what remains."""

    obligation: Obligation
    paid: Decimal
    remaining: Decimal
    state: str


@dataclass
class BalanceLine:
    """The balance in one unit (`unit` None: payments not tied to a unit)."""

    unit: Unit | None
    balance: Decimal


def _obligation_state(obligation: Obligation, remaining: Decimal, today: date) -> str:
    if obligation.status != RecordStatus.ACTIVE:
        return str(label(STATUS_LABELS, obligation.status))
    if remaining <= ZERO:
        return str(_l("paid"))
    if obligation.due_on and obligation.due_on < today:
        return str(_l("overdue"))
    return str(_l("to be paid"))


def obligation_lines(contractor_id: int) -> list[ObligationLine]:
    """The contractor's obligations, latest due first, with paid and remaining amounts."""
    obligations = db.session.scalars(
        select(Obligation)
        .where(Obligation.contractor_id == contractor_id)
        .order_by(Obligation.due_on.desc().nulls_last(), Obligation.id.desc())
    ).all()
    paid = paid_amounts([o.id for o in obligations])
    today = today_warsaw()
    lines = []
    for obligation in obligations:
        done = paid.get(obligation.id, ZERO)
        remaining = obligation.amount - done if obligation.status == RecordStatus.ACTIVE else ZERO
        lines.append(
            ObligationLine(obligation, done, remaining, _obligation_state(obligation, remaining, today))
        )
    return lines


def balance_lines(contractor_id: int) -> list[BalanceLine]:
    """Balance per unit, named, units in name order and unassigned payments last."""
    balances = balances_by_unit(contractor_id)
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(balances)))}
    lines = [BalanceLine(units.get(uid), amount) for uid, amount in balances.items()]
    return sorted(lines, key=lambda line: (line.unit is None, line.unit.name if line.unit else ""))


def contractor_details(contractor: Contractor) -> dict[str, Any]:
    """Everything the details page shows about one contractor."""
    cid = contractor.id
    definitions = {d.code: d for d in db.session.scalars(select(AttributeDefinition))}
    units = {u.id: u for u in db.session.scalars(select(Unit))}
    return {
        "contractor": contractor,
        "kind_label": label(KIND_LABELS, contractor.kind),
        "status_label": label(STATUS_LABELS, contractor.status),
        "attributes": [(a, definitions.get(a.code)) for a in contractor.attributes],
        "contacts": [
            (cp, format_phone(cp.value) if cp.channel == Channel.SMS else cp.value)
            for cp in sorted(contractor.contact_points, key=lambda c: (c.channel, c.value))
        ],
        "consents": sorted(contractor.consents, key=lambda c: c.recorded_at, reverse=True),
        "units": units,
        "obligations": obligation_lines(cid),
        "payments": db.session.scalars(
            select(Payment).where(Payment.contractor_id == cid).order_by(Payment.paid_on.desc())
        ).all(),
        "appointments": db.session.scalars(
            select(Appointment)
            .where(Appointment.contractor_id == cid)
            .order_by(Appointment.starts_at.desc())
        ).all(),
        "balances": balance_lines(cid),
        "total": contractor_balance(cid),
        "changes": db.session.scalars(
            select(ChangeEvent)
            .where(ChangeEvent.contractor_id == cid)
            .order_by(ChangeEvent.created_at.desc(), ChangeEvent.id.desc())
            .limit(20)
        ).all(),
        "labels": {
            "kind": OBLIGATION_KIND_LABELS,
            "method": METHOD_LABELS,
            "channel": CHANNEL_LABELS,
            "status": STATUS_LABELS,
            "change": CHANGE_LABELS,
        },
        "label": label,
    }


def _district_options() -> list[tuple[str, str]]:
    rows = db.session.scalars(
        select(Contractor.district).where(Contractor.district.is_not(None)).distinct()
    )
    return [(d, d) for d in sorted(rows)]


class ContractorView(SecureModelView):
    """Contractors from the legacy system (read-only: the legacy system is the source)."""

    required_roles = ALL_ROLES
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    can_export = True
    export_types = ["csv"]
    details_template = "admin/accounts/contractor_details.html"
    column_list = ("legacy_id", "name", "nip", "kind", "district", "pkd", "status")
    column_export_list = ("legacy_id", "name", "nip", "regon", "kind", "district", "pkd", "status")
    column_default_sort = "name"
    column_searchable_list = ("legacy_id", "name", "nip")
    column_labels = {
        "legacy_id": _l("Legacy id"),
        "name": _l("Name"),
        "nip": _l("NIP"),
        "regon": _l("REGON"),
        "kind": _l("Kind"),
        "district": _l("District"),
        "pkd": _l("PKD"),
        "status": _l("Status"),
    }
    column_formatters = {
        "name": lambda v, c, m, n: Markup('<a href="{}">{}</a>').format(
            v.get_url(".details_view", id=m.id), m.name
        ),
        "kind": lambda v, c, m, n: label(KIND_LABELS, m.kind),
        "status": lambda v, c, m, n: label(STATUS_LABELS, m.status),
    }
    column_filters = (
        FilterEqual(Contractor.district, _l("District"), options=live_options(_district_options)),
        FilterEqual(Contractor.kind, _l("Kind"), options=label_options(KIND_LABELS)),
        FilterEqual(Contractor.status, _l("Status"), options=label_options(STATUS_LABELS)),
        FilterLike(Contractor.pkd, _l("PKD")),
    )

    @expose("/details/")
    def details_view(self):
        """The contractor's identity, contacts, consents, obligations, payments and balance."""
        contractor = db.session.get(Contractor, request.args.get("id", type=int) or 0)
        if contractor is None:
            abort(404)
        return_url = get_redirect_target() or self.get_url(".index_view")
        return self.render(self.details_template, return_url=return_url, **contractor_details(contractor))


def dashboard_counts() -> dict[str, Any]:
    """Numbers for the start page: contractors, active obligations and latest changes."""
    return {
        "contractor_count": db.session.scalar(
            select(func.count()).select_from(Contractor).where(Contractor.status == RecordStatus.ACTIVE)
        ),
        "obligation_count": db.session.scalar(
            select(func.count()).select_from(Obligation).where(Obligation.status == RecordStatus.ACTIVE)
        ),
        "changes": db.session.scalars(
            select(ChangeEvent).order_by(ChangeEvent.created_at.desc(), ChangeEvent.id.desc()).limit(10)
        ).all(),
        "change_labels": CHANGE_LABELS,
        "label": label,
    }
