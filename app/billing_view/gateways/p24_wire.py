"""The Przelewy24 wire format (REST API v1): signs and the status notification.

`sign` is the SHA-384 hex digest of compact JSON (`separators=(',', ':')`, `ensure_ascii=False`)
of a fixed set of fields in a fixed order, the last of them the shop's CRC key. The sandbox gateway
speaks the same format, so one notification path serves both.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

NOTIFICATION_FIELDS = {
    "merchantId": int, "posId": int, "sessionId": str, "amount": int, "originAmount": int,
    "currency": str, "orderId": int, "methodId": int, "statement": str, "sign": str,
}
MAX_SESSION_ID = 100


class NotificationRefused(ValueError):
    """A status notification that is not taken; the message says why (for the log and audit)."""


def sign(fields: dict[str, Any]) -> str:
    """SHA-384 hex of the compact JSON of `fields` (in the given order, `crc` included)."""
    text = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha384(text.encode("utf-8")).hexdigest()


def register_sign(*, session_id: str, merchant_id: int, amount: int, currency: str, crc: str) -> str:
    """The sign of `transaction/register`."""
    return sign({"sessionId": session_id, "merchantId": merchant_id, "amount": amount,
                 "currency": currency, "crc": crc})


def verify_sign(*, session_id: str, order_id: int, amount: int, currency: str, crc: str) -> str:
    """The sign of `transaction/verify`."""
    return sign({"sessionId": session_id, "orderId": order_id, "amount": amount,
                 "currency": currency, "crc": crc})


def notification_sign(payload: dict[str, Any], crc: str) -> str:
    """The sign of a status notification (`payload` holds its fields; its own sign is ignored)."""
    fields = {name: payload[name] for name in NOTIFICATION_FIELDS if name != "sign"}
    return sign({**fields, "crc": crc})


@dataclass(frozen=True)
class Notification:
    """A status notification whose fields were checked and whose sign is right."""

    merchant_id: int
    pos_id: int
    session_id: str
    amount: int
    origin_amount: int
    currency: str
    order_id: int
    method_id: int
    statement: str


def read_notification(payload: Any, crc: str) -> Notification:
    """Check a notification's fields and sign; NotificationRefused names what was wrong."""
    if not isinstance(payload, dict):
        raise NotificationRefused("the notification is not a JSON object")
    for name, kind in NOTIFICATION_FIELDS.items():
        value = payload.get(name)
        if value is None:
            raise NotificationRefused(f"field {name} is missing")
        if not isinstance(value, kind) or isinstance(value, bool):
            raise NotificationRefused(f"field {name} is not {'a number' if kind is int else 'text'}: {value!r}"[:200])
    if not 0 < len(payload["sessionId"]) <= MAX_SESSION_ID:
        raise NotificationRefused("field sessionId has a wrong length")
    if not hmac.compare_digest(str(payload["sign"]), notification_sign(payload, crc)):
        raise NotificationRefused("wrong sign")
    return Notification(
        merchant_id=payload["merchantId"], pos_id=payload["posId"], session_id=payload["sessionId"],
        amount=payload["amount"], origin_amount=payload["originAmount"], currency=payload["currency"],
        order_id=payload["orderId"], method_id=payload["methodId"], statement=payload["statement"][:255])


def signed_notification(*, merchant_id: int, pos_id: int, session_id: str, amount: int, currency: str,
                        order_id: int, method_id: int, statement: str, crc: str) -> dict[str, Any]:
    """A notification as the gateway sends it, signed with `crc` (the sandbox bank and the tests)."""
    payload = {"merchantId": merchant_id, "posId": pos_id, "sessionId": session_id, "amount": amount,
               "originAmount": amount, "currency": currency, "orderId": order_id,
               "methodId": method_id, "statement": statement}
    return {**payload, "sign": notification_sign(payload, crc)}
