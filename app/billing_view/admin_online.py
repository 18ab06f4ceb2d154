"""Admin view of online payment attempts: read-only, for finance staff and admins."""

from __future__ import annotations

from decimal import Decimal

from flask_admin import Admin
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.billing_view.online_models import OnlinePayment, OnlinePaymentStatus
from app.channels.admin_filters import WarsawDayFrom, WarsawDayUntil
from app.core.admin import SecureModelView, label_options
from app.core.extensions import db
from app.core.money import format_pln
from app.core.roles import Role
from app.core.templating import format_instant

STATUS_LABELS = {
    OnlinePaymentStatus.CREATED: _l("Created"),
    OnlinePaymentStatus.REGISTERED: _l("Waiting for the payer"),
    OnlinePaymentStatus.PAID: _l("Paid and booked"),
    OnlinePaymentStatus.FAILED: _l("Failed"),
    OnlinePaymentStatus.CANCELLED: _l("Cancelled"),
}


def _status(view, context, model, name) -> str:
    label = STATUS_LABELS.get(model.status)
    return str(label) if label is not None else model.status


def _instant(view, context, model, name) -> str:
    return format_instant(getattr(model, name))


def _amount(view, context, model, name) -> str:
    return format_pln(model.amount)


def _shares(view, context, model, name) -> Markup:
    items = [Markup("<li>{}: {}</li>").format(oid, format_pln(Decimal(share)))
             for oid, share in (model.shares or {}).items()]
    return Markup("<ul class='mb-0'>{}</ul>").format(Markup("").join(items)) if items else Markup("—")


class OnlinePaymentView(SecureModelView):
    """Every online payment attempt with its gateway, status and the payment it booked."""

    required_roles = (Role.ADMIN, Role.FINANCE)
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    column_list = ("created_at", "contractor", "unit", "amount", "gateway", "status", "order_id",
                   "payment_id", "failure_reason")
    column_details_list = ("session_id", "created_at", "registered_at", "paid_at", "portal_user", "contractor",
                           "unit", "amount", "currency", "description", "shares", "gateway", "status",
                           "gateway_token", "order_id", "payment_id", "failure_reason")
    column_default_sort = ("created_at", True)
    column_searchable_list = ("session_id", "order_id")
    column_filters = (
        FilterEqual(OnlinePayment.status, _l("Status"), options=label_options(STATUS_LABELS)),
        WarsawDayFrom(OnlinePayment.created_at, _l("Started")),
        WarsawDayUntil(OnlinePayment.created_at, _l("Started")),
        FilterEqual(OnlinePayment.gateway, _l("Gateway"),
                    options=label_options({"sandbox": "sandbox", "przelewy24": "Przelewy24"})),
    )
    column_labels = {
        "session_id": _l("Session"), "created_at": _l("Started"), "registered_at": _l("Registered"),
        "paid_at": _l("Paid"), "portal_user": _l("Portal user"), "contractor": _l("Business"),
        "unit": _l("Office unit"), "amount": _l("Amount"), "currency": _l("Currency"),
        "description": _l("Title"), "shares": _l("Obligations and shares"), "gateway": _l("Gateway"),
        "status": _l("Status"), "gateway_token": _l("Gateway token"), "order_id": _l("Gateway order"),
        "payment_id": _l("Booked payment"), "failure_reason": _l("Why it was refused"),
    }
    column_formatters = {"status": _status, "created_at": _instant, "amount": _amount}
    column_formatters_detail = {
        "status": _status, "created_at": _instant, "registered_at": _instant, "paid_at": _instant,
        "amount": _amount, "shares": _shares,
    }


def register(admin: Admin) -> None:
    """Add the online payments view to the admin."""
    admin.add_view(OnlinePaymentView(OnlinePayment, db, name=_l("Online payments"), endpoint="online_payments",
                                     category=_l("Finance")))
