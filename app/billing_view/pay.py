"""Paying from the portal: online through a gateway, or with a printed transfer form.

`choose` shows what will be paid (the chosen obligations with what is still owed, one payment per
unit, or an amount to a unit), `start` registers an online payment and sends the payer to the
gateway, `status` is where the payer comes back, `transfer_form` is the filled paper form (PDF).
The sandbox bank pages stand in for the gateway in the embedded default.
"""

from __future__ import annotations

import logging
import re
from decimal import Decimal

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.portal_auth import portal_login_required
from app.billing_view.context import contractor_or_404, unit_or_404, visible_unit_ids, visible_units
from app.billing_view.gateways import GatewayUnavailable, configured_gateway, gateway_named
from app.billing_view.gateways.sandbox import SandboxGateway
from app.billing_view.kinds import kind_name
from app.billing_view.online_models import OnlinePayment, OnlinePaymentStatus
from app.billing_view.online_payments import (
    cancel_online_payment,
    create_online_payment,
    handle_notification,
    register_online_payment,
)
from app.billing_view.pay_choice import (
    UnitPayment,
    by_unit,
    chosen_obligations,
    parse_id,
    parse_ids,
    payment_titles,
    read_amount,
    recipient_account,
)
from app.billing_view.transfer_form import TransferForm, transfer_form_pdf
from app.core.extensions import db

log = logging.getLogger(__name__)

bp = Blueprint("billing_pay", __name__, url_prefix="/portal")

REFRESH_SECONDS = 5


def _amount_errors() -> dict[str, str]:
    return {
        "missing": _("Enter the amount to pay."),
        "malformed": _("Enter the amount in złoty, like 123,45."),
        "not_positive": _("The amount must be more than zero."),
        "too_large": _("The amount is too large for one payment."),
        "unit": _("Choose the office unit you pay."),
    }


@bp.get("/platnosc")
@portal_login_required
def choose():
    """What to pay and how (query: contractor_id, obligation_id… or none for an amount)."""
    business = contractor_or_404(parse_id(request.args.get("contractor_id")))
    ids = parse_ids(request.args.getlist("obligation_id"))
    if ids:
        parts, paid = by_unit(chosen_obligations(business.id, ids, visible_unit_ids()))
        return render_template("portal/pay/choose.html", business=business, parts=parts, paid=paid,
                               amount_mode=False, kind_name=kind_name,
                               account_of=lambda unit: recipient_account(unit, business.id))
    units = visible_units()
    if "amount" not in request.args:
        return render_template("portal/pay/amount.html", business=business, units=units, errors={}, values={})
    errors: dict[str, str] = {}
    amount, problem = read_amount(request.args.get("amount"))
    if problem:
        errors["amount"] = _amount_errors()[problem]
    raw_unit = request.args.get("unit_id", "")
    unit = next((u for u in units if str(u.id) == raw_unit), None)
    if unit is None:
        errors["unit_id"] = _amount_errors()["unit"]
    if errors:
        return render_template("portal/pay/amount.html", business=business, units=units, errors=errors,
                               values=request.args), 400
    return render_template("portal/pay/choose.html", business=business, amount_mode=True, paid=[],
                           parts=[UnitPayment(unit=unit, amount=amount)], kind_name=kind_name,
                           account_of=lambda unit: recipient_account(unit, business.id))


def _payment_from_form(business) -> tuple[UnitPayment, list]:
    """The one-unit payment a `start` form asks for, recomputed from the database."""
    unit = unit_or_404(parse_id(request.form.get("unit_id")))
    ids = parse_ids(request.form.getlist("obligation_id"))
    if ids:
        obligations = chosen_obligations(business.id, ids, visible_unit_ids())
        if any(o.unit_id != unit.id for o in obligations):
            abort(404)
        parts, _paid = by_unit(obligations)
        return (parts[0] if parts else UnitPayment(unit=unit, amount=Decimal("0.00"))), obligations
    amount, problem = read_amount(request.form.get("amount"))
    if problem:
        abort(400, _amount_errors()[problem])
    return UnitPayment(unit=unit, amount=amount), []


@bp.post("/platnosc")
@portal_login_required
def start():
    """Start an online payment of what `choose` offered."""
    business = contractor_or_404(parse_id(request.form.get("contractor_id")))
    part, obligations = _payment_from_form(business)
    back = url_for("billing.obligations", contractor_id=business.id)
    if part.amount <= 0:
        flash(_("The chosen obligations are already paid."), "info")
        return redirect(back)
    try:
        gateway = configured_gateway()
    except GatewayUnavailable as exc:
        log.error("online payments are not configured: %s", exc)
        flash(_("The payment service is not available now; nothing was charged. Try again later or "
                "pay with the transfer form."), "error")
        return redirect(back)
    title, _qr_title = payment_titles(business, obligations)
    user = current_user._get_current_object()
    record = create_online_payment(user=user, contractor_id=business.id, unit_id=part.unit.id,
                                   amount=part.amount, shares=part.shares, description=title,
                                   gateway=gateway.name)
    public = current_app.config["PUBLIC_URL"].rstrip("/")
    next_url = register_online_payment(
        record, gateway, email=user.email,
        url_return=public + url_for("billing_pay.status", session_id=record.session_id),
        url_status=public + url_for("payment_hooks.przelewy24_status"))
    if next_url is None:
        flash(_("The payment service is not available now; nothing was charged. Try again later or "
                "pay with the transfer form."), "error")
        return redirect(back)
    return redirect(next_url, 303)


def _own_payment(session_id: str) -> OnlinePayment:
    """The attempt of this session when the user may see its business and unit; else 404."""
    record = db.session.query(OnlinePayment).filter_by(session_id=session_id[:64]).one_or_none()
    if record is None or record.unit_id not in visible_unit_ids():
        abort(404)
    contractor_or_404(record.contractor_id)
    return record


@bp.get("/platnosc/<session_id>")
@portal_login_required
def status(session_id: str):
    """Where the payer lands after the gateway: accepted once booked, otherwise waiting (refreshes)."""
    record = _own_payment(session_id)
    waiting = record.status in (OnlinePaymentStatus.CREATED, OnlinePaymentStatus.REGISTERED)
    return render_template("portal/pay/status.html", record=record, waiting=waiting,
                           refresh=REFRESH_SECONDS if waiting else None)


def _sandbox_record(token: str) -> tuple[SandboxGateway, OnlinePayment]:
    """The sandbox bank works only while the sandbox is the configured gateway, for the payer only."""
    if current_app.config.get("PAYMENT_GATEWAY", "sandbox") != "sandbox":
        abort(404)
    record = db.session.query(OnlinePayment).filter_by(gateway_token=token[:100], gateway="sandbox").one_or_none()
    if record is None or record.portal_user_id != current_user.id:
        abort(404)
    return gateway_named("sandbox"), record


@bp.route("/platnosc/bank/<token>", methods=["GET", "POST"])
@portal_login_required
def sandbox_bank(token: str):
    """The sandbox bank: "Pay" sends the gateway's signed notification, "Cancel" gives up."""
    gateway, record = _sandbox_record(token)
    waiting = record.status in (OnlinePaymentStatus.CREATED, OnlinePaymentStatus.REGISTERED)
    if request.method == "GET" or not waiting:
        return render_template("portal/pay/sandbox_bank.html", record=record, waiting=waiting,
                               account=recipient_account(record.unit, record.contractor_id))
    session_id = record.session_id
    if request.form.get("decision") == "pay":
        payload = gateway.pay(session_id=session_id, amount=record.amount_grosze, currency=record.currency)
        handle_notification(gateway, payload)
    else:
        cancel_online_payment(record.id, current_user._get_current_object())
    return redirect(url_for("billing_pay.status", session_id=session_id), 303)


@bp.get("/przelew/<int:contractor_id>.pdf")
@portal_login_required
def transfer_form(contractor_id: int):
    """The transfer form PDF (query: unit_id, obligation_id… or amount)."""
    business = contractor_or_404(contractor_id)
    unit = unit_or_404(parse_id(request.args.get("unit_id")))
    account = recipient_account(unit, business.id)
    if not account:
        abort(404)
    ids = parse_ids(request.args.getlist("obligation_id"))
    obligations = chosen_obligations(business.id, ids, visible_unit_ids())
    if any(o.unit_id != unit.id for o in obligations):
        abort(404)
    amount = None
    if obligations:
        parts, _paid = by_unit(obligations)
        amount = parts[0].amount if parts else None
    elif request.args.get("amount"):
        amount, problem = read_amount(request.args.get("amount"))
        if problem:
            abort(400, _amount_errors()[problem])
    title, qr_title = payment_titles(business, obligations)
    form = TransferForm(recipient_name=unit.name, recipient_nip=unit.nip, account=account, amount=amount,
                        title=title, qr_title=qr_title, payer_name=business.name, payer_address=business.address)
    response = current_app.response_class(transfer_form_pdf(form), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{_file_name(business.legacy_id, unit.code)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response




def _file_name(*parts: str) -> str:
    """`przelew-<parts>.pdf` with only safe characters."""
    return "przelew-" + "-".join(re.sub(r"[^A-Za-z0-9_]+", "_", p) for p in parts) + ".pdf"
