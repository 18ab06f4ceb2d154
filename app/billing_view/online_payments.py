"""Online payment services: start, register at the gateway, and book on a verified notification.

A notification is taken only when its sign is right, it names our merchant and point of sale, a
session we know, our amount and currency, and the gateway's verify confirms it. The booking then
claims the attempt with one conditional UPDATE, so a repeated or concurrent notification books
nothing new: at most one Payment per session.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update

from app.accounts.models import PaymentMethod, PortalUser
from app.accounts.payments import BookingError, book_payment, oldest_first, remaining_amounts
from app.billing_view.gateways import Gateway, GatewayError, NotificationRefused, PaymentRequest
from app.billing_view.online_models import BOOKABLE, OnlinePayment, OnlinePaymentStatus
from app.core import audit
from app.core.clock import today_warsaw, utcnow
from app.core.db import transactional
from app.core.extensions import db
from app.core.money import quantize

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    """What became of a status notification."""

    BOOKED = "booked"
    ALREADY_BOOKED = "already_booked"
    REFUSED = "refused"


@dataclass(frozen=True)
class NotificationResult:
    """The outcome of a notification and, when refused, why."""

    outcome: Outcome
    reason: str = ""
    online_payment_id: int | None = None


def _actor(user: PortalUser) -> dict[str, Any]:
    return {"actor_type": "portal", "actor_id": user.id, "actor_label": user.email}


@transactional
def create_online_payment(*, user: PortalUser, contractor_id: int, unit_id: int, amount: Decimal,
                          shares: dict[int, Decimal], description: str, gateway: str) -> OnlinePayment:
    """A new attempt (status created) with a random, unique session id."""
    record = OnlinePayment(
        session_id=secrets.token_hex(16), portal_user_id=user.id, contractor_id=contractor_id,
        unit_id=unit_id, amount=quantize(amount), currency="PLN", description=description[:255],
        shares={str(oid): str(quantize(share)) for oid, share in shares.items()}, gateway=gateway,
        status=OnlinePaymentStatus.CREATED)
    db.session.add(record)
    db.session.flush()
    audit.record("online_payment.started", **_actor(user), target=f"online_payment:{record.id}",
                 contractor_id=contractor_id, unit_id=unit_id, amount=str(record.amount), gateway=gateway)
    return record


@transactional
def _mark_registered(record_id: int, token: str) -> None:
    record = db.session.get(OnlinePayment, record_id)
    if record.status == OnlinePaymentStatus.CREATED:
        record.status = OnlinePaymentStatus.REGISTERED
    record.gateway_token, record.registered_at = token, utcnow()


@transactional
def _mark_failed(record_id: int, reason: str) -> None:
    record = db.session.get(OnlinePayment, record_id)
    if record.status in (OnlinePaymentStatus.CREATED, OnlinePaymentStatus.REGISTERED):
        record.status = OnlinePaymentStatus.FAILED
    record.failure_reason = reason[:255]
    audit.record("online_payment.register_failed", actor_type="system", actor_label=record.gateway,
                 target=f"online_payment:{record.id}", reason=reason[:255])


def register_online_payment(record: OnlinePayment, gateway: Gateway, *, email: str, url_return: str,
                            url_status: str) -> str | None:
    """Register the attempt at the gateway: the payer's next address, or None when it failed."""
    request = PaymentRequest(session_id=record.session_id, amount=record.amount_grosze,
                             currency=record.currency, description=record.description[:140], email=email,
                             url_return=url_return, url_status=url_status)
    record_id = record.id
    try:
        registration = gateway.register(request)
    except GatewayError as exc:
        log.warning("online payment %s: register failed: %s", record_id, exc)
        _mark_failed(record_id, str(exc))
        return None
    _mark_registered(record_id, registration.token)
    return registration.redirect_url


@transactional
def cancel_online_payment(record_id: int, user: PortalUser) -> bool:
    """The payer gave up at the (sandbox) bank; False when it was no longer waiting."""
    record = db.session.get(OnlinePayment, record_id)
    if record is None or record.status not in (OnlinePaymentStatus.CREATED, OnlinePaymentStatus.REGISTERED):
        return False
    record.status = OnlinePaymentStatus.CANCELLED
    audit.record("online_payment.cancelled", **_actor(user), target=f"online_payment:{record.id}")
    return True


@transactional
def _refuse(gateway: str, reason: str, *, session_id: str | None = None,
            record_id: int | None = None, **details: Any) -> NotificationResult:
    log.warning("%s notification refused (session %s): %s", gateway, session_id, reason)
    if record_id is not None:
        db.session.execute(update(OnlinePayment).where(OnlinePayment.id == record_id)
                           .values(failure_reason=reason[:255], updated_at=utcnow()))
    audit.record("online_payment.notification_refused", actor_type="system", actor_label=gateway,
                 target=f"online_payment:{record_id}" if record_id else None, reason=reason[:255],
                 session_id=(session_id or "")[:100], **details)
    return NotificationResult(Outcome.REFUSED, reason, record_id)


def handle_notification(gateway: Gateway, payload: Any) -> NotificationResult:
    """Check a status notification, verify it with the gateway, and book the payment once."""
    try:
        note = gateway.read_notification(payload)
    except NotificationRefused as exc:
        session_id = payload.get("sessionId") if isinstance(payload, dict) else None
        return _refuse(gateway.name, str(exc), session_id=session_id if isinstance(session_id, str) else None)
    record = db.session.scalar(select(OnlinePayment).where(OnlinePayment.session_id == note.session_id))
    if record is None:
        return _refuse(gateway.name, "unknown session", session_id=note.session_id)
    mismatch = _mismatch(record, gateway, note.amount, note.currency)
    if mismatch:
        return _refuse(gateway.name, mismatch, session_id=note.session_id, record_id=record.id,
                       notified_amount=note.amount, order_id=note.order_id)
    if record.status == OnlinePaymentStatus.PAID:
        return NotificationResult(Outcome.ALREADY_BOOKED, online_payment_id=record.id)
    amount, currency, record_id = record.amount_grosze, record.currency, record.id
    db.session.rollback()  # no transaction stays open across the gateway call
    try:
        gateway.verify(note, amount=amount, currency=currency)
    except GatewayError as exc:
        return _refuse(gateway.name, f"verify failed: {exc}", session_id=note.session_id, record_id=record_id,
                       order_id=note.order_id)
    try:
        booked = book_online_payment(record_id, order_id=str(note.order_id))
    except BookingError as exc:
        log.error("online payment %s verified but not booked: %s", record_id, exc)
        return _refuse(gateway.name, f"booking failed: {exc}", session_id=note.session_id, record_id=record_id)
    return NotificationResult(Outcome.BOOKED if booked else Outcome.ALREADY_BOOKED, online_payment_id=record_id)


def _mismatch(record: OnlinePayment, gateway: Gateway, amount: int, currency: str) -> str:
    if record.gateway != gateway.name:
        return f"the session belongs to gateway {record.gateway}"
    if amount != record.amount_grosze:
        return f"amount {amount} differs from ours {record.amount_grosze}"
    if currency != record.currency:
        return f"currency {currency} differs from ours {record.currency}"
    return ""


def _allocation(record: OnlinePayment) -> dict[int, Decimal]:
    """The chosen obligations' shares, cut to what is still owed now; oldest first for an amount."""
    if not record.shares:
        return oldest_first(record.contractor_id, record.amount, record.unit_id)
    wanted = {int(oid): Decimal(share) for oid, share in record.shares.items()}
    now_owed = remaining_amounts(list(wanted))
    shares = {oid: min(share, now_owed.get(oid, Decimal("0.00"))) for oid, share in wanted.items()}
    return {oid: share for oid, share in shares.items() if share > 0}


@transactional
def book_online_payment(record_id: int, *, order_id: str) -> bool:
    """Claim the attempt and book its Payment; False when another notification booked it already."""
    now = utcnow()
    claimed = db.session.execute(
        update(OnlinePayment)
        .where(OnlinePayment.id == record_id, OnlinePayment.status.in_([str(s) for s in BOOKABLE]))
        .values(status=OnlinePaymentStatus.PAID, order_id=order_id, paid_at=now, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        return False
    record = db.session.get(OnlinePayment, record_id, populate_existing=True)
    payment = book_payment(
        contractor_id=record.contractor_id, amount=record.amount, paid_on=today_warsaw(),
        method=PaymentMethod.ONLINE, source="online", unit_id=record.unit_id,
        description=f"{record.gateway} {order_id}: {record.description}"[:255],
        allocations=_allocation(record))
    record.payment_id = payment.id
    record.failure_reason = None
    audit.record("online_payment.booked", actor_type="system", actor_label=record.gateway,
                 target=f"online_payment:{record.id}", payment_id=payment.id, order_id=order_id,
                 amount=str(record.amount))
    return True
