"""The gateways' status notifications: `/hooks/przelewy24/status` (CSRF-exempt, JSON).

The answer is 200 once the payment is booked (or was booked before: a repeat books nothing),
400 when the notification is refused (wrong sign, unknown session, other amount, failed verify;
logged and audited), 404 when Przelewy24 is not configured.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from app.billing_view.gateways import GatewayUnavailable, gateway_named
from app.billing_view.online_payments import Outcome, handle_notification
from app.core.extensions import csrf

bp = Blueprint("payment_hooks", __name__, url_prefix="/hooks/przelewy24")
csrf.exempt(bp)

MAX_BODY = 64 * 1024  # bytes


@bp.post("/status")
def przelewy24_status():
    """Take Przelewy24's status notification: check, verify, book once."""
    try:
        gateway = gateway_named("przelewy24")
    except GatewayUnavailable:
        abort(404)
    if (request.content_length or 0) > MAX_BODY:
        abort(413)
    payload = request.get_json(force=True, silent=True)
    result = handle_notification(gateway, payload)
    if result.outcome == Outcome.REFUSED:
        return jsonify(status="refused"), 400
    return jsonify(status="ok")
