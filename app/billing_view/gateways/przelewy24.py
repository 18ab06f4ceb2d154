"""The Przelewy24 gateway (REST API v1): register, send the payer to /trnRequest, verify.

Basic auth is the point of sale id and the API key; every call is signed with the CRC key
(see `p24_wire`). Nothing is booked before `transaction/verify` answers success.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import requests

from app.billing_view.gateways import Gateway, GatewayError, PaymentRequest, Registration
from app.billing_view.gateways.p24_wire import Notification, register_sign, verify_sign

log = logging.getLogger(__name__)


class Przelewy24Gateway(Gateway):
    """Przelewy24 at `base_url` (production `https://secure.przelewy24.pl`)."""

    name = "przelewy24"

    def __init__(self, *, base_url: str, merchant_id: int, pos_id: int, api_key: str, crc: str,
                 timeout: float = 30.0):
        super().__init__(merchant_id=merchant_id, pos_id=pos_id, crc=crc)
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Przelewy24Gateway:
        """Built from the P24_* settings."""
        return cls(base_url=config["P24_URL"], merchant_id=int(config["P24_MERCHANT_ID"]),
                   pos_id=int(config.get("P24_POS_ID") or config["P24_MERCHANT_ID"]),
                   api_key=config["P24_API_KEY"], crc=config["P24_CRC"],
                   timeout=float(config.get("PROVIDER_TIMEOUT", 30)))

    def _call(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.base_url}/api/v1{path}"
        try:
            response = requests.request(method, url, json=body, timeout=self.timeout,
                                        auth=(str(self.pos_id), self.api_key))
        except requests.RequestException as exc:
            raise GatewayError(f"Przelewy24 {path} did not answer: {exc.__class__.__name__}") from exc
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code != 200 or not isinstance(answer, dict) or answer.get("responseCode") != 0:
            error = answer.get("error") if isinstance(answer, dict) else None
            raise GatewayError(f"Przelewy24 {path} answered HTTP {response.status_code}: {error or 'no details'}"[:250])
        return answer

    def register(self, request: PaymentRequest) -> Registration:
        """`POST /transaction/register`; the payer then goes to `/trnRequest/<token>`."""
        body = {
            "merchantId": self.merchant_id, "posId": self.pos_id, "sessionId": request.session_id,
            "amount": request.amount, "currency": request.currency, "description": request.description,
            "email": request.email, "country": "PL", "language": "pl",
            "urlReturn": request.url_return, "urlStatus": request.url_status,
            "sign": register_sign(session_id=request.session_id, merchant_id=self.merchant_id,
                                  amount=request.amount, currency=request.currency, crc=self.crc),
        }
        answer = self._call("POST", "/transaction/register", body)
        token = (answer.get("data") or {}).get("token") if isinstance(answer.get("data"), dict) else None
        if not isinstance(token, str) or not token or len(token) > 100:
            raise GatewayError("Przelewy24 register answered without a token")
        return Registration(token=token, redirect_url=f"{self.base_url}/trnRequest/{token}")

    def verify(self, note: Notification, *, amount: int, currency: str) -> None:
        """`PUT /transaction/verify` with our own amount and currency; success or GatewayError."""
        body = {
            "merchantId": self.merchant_id, "posId": self.pos_id, "sessionId": note.session_id,
            "amount": amount, "currency": currency, "orderId": note.order_id,
            "sign": verify_sign(session_id=note.session_id, order_id=note.order_id, amount=amount,
                                currency=currency, crc=self.crc),
        }
        answer = self._call("PUT", "/transaction/verify", body)
        data = answer.get("data")
        if not isinstance(data, dict) or data.get("status") != "success":
            raise GatewayError("Przelewy24 verify did not answer success")
