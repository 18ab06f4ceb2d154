"""The sandbox gateway of the embedded default: a page of our own plays the bank.

It speaks Przelewy24's wire format with a CRC key derived from SECRET_KEY: paying on its page
produces the same signed notification and goes through the same check, verify and booking.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any

from flask import url_for

from app.billing_view.gateways import Gateway, GatewayError, PaymentRequest, Registration
from app.billing_view.gateways.p24_wire import Notification, signed_notification

SANDBOX_MERCHANT = 1


class SandboxGateway(Gateway):
    """Registers locally; the bank page (`billing_pay.sandbox_bank`) sends the notification."""

    name = "sandbox"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SandboxGateway:
        """A sandbox whose CRC key is derived from the application's secret key."""
        crc = hmac.new(str(config["SECRET_KEY"]).encode(), b"sandbox-gateway-crc", hashlib.sha256).hexdigest()
        return cls(merchant_id=SANDBOX_MERCHANT, pos_id=SANDBOX_MERCHANT, crc=crc[:32])

    def register(self, request: PaymentRequest) -> Registration:
        """A new token; the payer goes to the sandbox bank page."""
        token = secrets.token_urlsafe(24)
        return Registration(token=token, redirect_url=url_for("billing_pay.sandbox_bank", token=token))

    def pay(self, *, session_id: str, amount: int, currency: str) -> dict[str, Any]:
        """The signed notification the bank sends when the payer pays."""
        return signed_notification(
            merchant_id=self.merchant_id, pos_id=self.pos_id, session_id=session_id, amount=amount,
            currency=currency, order_id=secrets.randbelow(10**9) + 1, method_id=0,
            statement=f"sandbox {session_id[:16]}", crc=self.crc)

    def verify(self, note: Notification, *, amount: int, currency: str) -> None:
        """The sandbox bank confirms what it notified, for the same amount and currency."""
        if note.amount != amount or note.currency != currency:
            raise GatewayError("sandbox verify: amount or currency differ")
