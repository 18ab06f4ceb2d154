"""Payment gateways: one interface, chosen by the `PAYMENT_GATEWAY` setting.

- `sandbox` (default, embedded): a built-in page plays the bank; its notification is signed and
  verified like Przelewy24's, so booking goes the same way;
- `przelewy24`: the real gateway (REST API v1).

A gateway registers a payment (and says where the payer goes), reads a status notification
(fields, sign, merchant and point of sale) and verifies the transaction before anything is booked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app

from app.billing_view.gateways.p24_wire import Notification, NotificationRefused, read_notification


class GatewayError(RuntimeError):
    """The gateway refused a call or did not answer; the message says what happened."""


class GatewayUnavailable(LookupError):
    """The named gateway is not configured."""


@dataclass(frozen=True)
class Registration:
    """A payment registered at the gateway: its token and where the payer goes to pay."""

    token: str
    redirect_url: str


@dataclass(frozen=True)
class PaymentRequest:
    """What a gateway needs to register a payment."""

    session_id: str
    amount: int  # grosze
    currency: str
    description: str
    email: str
    url_return: str
    url_status: str


class Gateway:
    """Base of the gateways: the signed-notification check they share."""

    name = ""

    def __init__(self, *, merchant_id: int, pos_id: int, crc: str):
        self.merchant_id = merchant_id
        self.pos_id = pos_id
        self.crc = crc

    def register(self, request: PaymentRequest) -> Registration:
        """Register a payment; GatewayError when the gateway refuses or does not answer."""
        raise NotImplementedError

    def verify(self, note: Notification, *, amount: int, currency: str) -> None:
        """Confirm a notified transaction with the gateway; GatewayError when it is not confirmed."""
        raise NotImplementedError

    def read_notification(self, payload: Any) -> Notification:
        """A notification with a right sign for this shop; NotificationRefused otherwise."""
        note = read_notification(payload, self.crc)
        if note.merchant_id != self.merchant_id or note.pos_id != self.pos_id:
            raise NotificationRefused(f"merchant {note.merchant_id}/pos {note.pos_id} is not ours")
        return note


def gateway_named(name: str) -> Gateway:
    """The gateway of this name built from the configuration; GatewayUnavailable when not set up."""
    config = current_app.config
    if name == "sandbox":
        from app.billing_view.gateways.sandbox import SandboxGateway

        return SandboxGateway.from_config(config)
    if name == "przelewy24":
        from app.billing_view.gateways.przelewy24 import Przelewy24Gateway

        if not (config.get("P24_MERCHANT_ID") and config.get("P24_API_KEY") and config.get("P24_CRC")):
            raise GatewayUnavailable("Przelewy24 needs P24_MERCHANT_ID, P24_API_KEY and P24_CRC")
        return Przelewy24Gateway.from_config(config)
    raise GatewayUnavailable(f"unknown payment gateway {name!r}")


def configured_gateway() -> Gateway:
    """The gateway new payments go through (`PAYMENT_GATEWAY`)."""
    return gateway_named(current_app.config.get("PAYMENT_GATEWAY") or "sandbox")


__all__ = ["Gateway", "GatewayError", "GatewayUnavailable", "Notification", "NotificationRefused",
           "PaymentRequest", "Registration", "configured_gateway", "gateway_named"]
