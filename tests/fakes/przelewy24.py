"""A fake Przelewy24 (REST API v1) speaking the wire format of /work/shared/PROVIDERS.md.

- `POST /api/v1/transaction/register` (basic auth posId:apiKey, sign checked) -> `{"data":{"token":T},
  "responseCode":0}`;
- `GET /trnRequest/<token>`: the payment page, with "Zapłać" / "Anuluj" buttons for manual use
  (`POST /trnRequest/<token>`: paying sends the status notification, then 303 to urlReturn);
- `PUT /api/v1/transaction/verify` (auth and sign checked, the order must have been notified)
  -> `{"data":{"status":"success"},"responseCode":0}`;
- control: `pay(token, **overrides)` (or `POST /_fake/pay {"token": ..}`) POSTs the signed
  notification to urlStatus; overrides send forged or mismatched ones; `replay(token)` repeats the
  last one (as P24 does until the shop verifies).

Signs are computed here, independently of the application's code. Choices where the provider's
behaviour is unconfirmed: error bodies are `{"error": "...", "code": N}` with that HTTP status; a
repeated sessionId is refused at register with 400.
"""

from __future__ import annotations

import hashlib
import html
import json
import secrets
import urllib.request
from dataclasses import dataclass
from itertools import count
from typing import Any

from tests.fakes.http import FakeRequest, FakeResponse, FakeServer, callback

REGISTER_FIELDS = ("merchantId", "posId", "sessionId", "amount", "currency", "description", "email",
                   "country", "language", "urlReturn", "urlStatus", "sign")
VERIFY_FIELDS = ("merchantId", "posId", "sessionId", "amount", "currency", "orderId", "sign")


def p24_sign(fields: dict[str, Any]) -> str:
    """SHA-384 hex of the compact JSON of the fields, in order."""
    text = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha384(text.encode("utf-8")).hexdigest()


@dataclass
class Transaction:
    """A registered transaction and what happened to it."""

    token: str
    session_id: str
    amount: int
    currency: str
    description: str
    email: str
    url_return: str
    url_status: str
    order_id: int | None = None
    status: str = "registered"  # registered, paid, verified, cancelled
    last_notification: dict | None = None


class FakePrzelewy24(FakeServer):
    """The fake gateway; see the module docstring."""

    def __init__(self, merchant_id: int = 111111, api_key: str = "p24-test-key", crc: str = "p24-test-crc",
                 latency: float = 0.0, *, pos_id: int | None = None, port: int = 0, timeout_seconds: float = 5.0):
        super().__init__(latency=latency, port=port, timeout_seconds=timeout_seconds)
        self.merchant_id = merchant_id
        self.pos_id = pos_id or merchant_id
        self.api_key = api_key
        self.crc = crc
        self.transactions: dict[str, Transaction] = {}
        self.verifications: list[dict] = []
        self.refused_verifications: list[dict] = []
        self.notifications: list[tuple[dict, int, str]] = []
        self._orders = count(300_000_001)

    def reset(self) -> None:
        """Forget every transaction, notification and verification."""
        with self.lock:
            super().reset()
            self.transactions.clear()
            self.verifications.clear()
            self.refused_verifications.clear()
            self.notifications.clear()

    def stats(self) -> dict:
        """Counters: registered, notifications sent, verified."""
        with self.lock:
            return {**super().stats(), "registered": len(self.transactions),
                    "notifications": len(self.notifications), "verified": len(self.verifications)}

    def is_provider_path(self, path: str) -> bool:
        """The REST API and the payer's pages."""
        return path.startswith("/api/v1/") or path.startswith("/trnRequest/")

    def by_session(self, session_id: str) -> Transaction | None:
        """The transaction registered with this sessionId."""
        with self.lock:
            return next((t for t in self.transactions.values() if t.session_id == session_id), None)

    # --- the provider's endpoints -------------------------------------------------------------

    def handle(self, request: FakeRequest) -> FakeResponse:
        """Route to register, verify, testAccess or the payer's page."""
        if request.path == "/api/v1/transaction/register" and request.method == "POST":
            return self._register(request)
        if request.path == "/api/v1/transaction/verify" and request.method == "PUT":
            return self._verify(request)
        if request.path == "/api/v1/testAccess" and request.method == "GET":
            return self._authorised(request) or FakeResponse.json({"data": True, "error": ""})
        if request.path.startswith("/trnRequest/"):
            return self._payer_page(request)
        return _error(404, "Not found")

    def _authorised(self, request: FakeRequest) -> FakeResponse | None:
        import base64

        expected = base64.b64encode(f"{self.pos_id}:{self.api_key}".encode()).decode()
        if request.header("authorization") != f"Basic {expected}":
            return _error(401, "Incorrect authentication")
        return None

    def _body(self, request: FakeRequest, fields: tuple[str, ...]) -> dict | FakeResponse:
        try:
            body = request.json()
        except ValueError:
            return _error(400, "Invalid input data")
        missing = [name for name in fields if name not in body] if isinstance(body, dict) else list(fields)
        if missing:
            return _error(400, f"Missing fields: {', '.join(missing)}")
        if body["merchantId"] != self.merchant_id or body["posId"] != self.pos_id:
            return _error(400, "Incorrect merchantId or posId")
        return body

    def _register(self, request: FakeRequest) -> FakeResponse:
        refused = self._authorised(request)
        if refused:
            return refused
        body = self._body(request, REGISTER_FIELDS)
        if isinstance(body, FakeResponse):
            return body
        expected = p24_sign({"sessionId": body["sessionId"], "merchantId": body["merchantId"],
                             "amount": body["amount"], "currency": body["currency"], "crc": self.crc})
        if body["sign"] != expected:
            return _error(400, "Incorrect sign")
        if not isinstance(body["amount"], int) or body["amount"] <= 0:
            return _error(400, "Incorrect amount")
        with self.lock:
            if any(t.session_id == body["sessionId"] for t in self.transactions.values()):
                return _error(400, "sessionId already used")
            token = secrets.token_hex(16).upper()
            self.transactions[token] = Transaction(
                token=token, session_id=body["sessionId"], amount=body["amount"], currency=body["currency"],
                description=body["description"], email=body["email"], url_return=body["urlReturn"],
                url_status=body["urlStatus"])
        return FakeResponse.json({"data": {"token": token}, "responseCode": 0})

    def _verify(self, request: FakeRequest) -> FakeResponse:
        refused = self._authorised(request)
        if refused:
            return refused
        body = self._body(request, VERIFY_FIELDS)
        if isinstance(body, FakeResponse):
            return body
        expected = p24_sign({"sessionId": body["sessionId"], "orderId": body["orderId"],
                             "amount": body["amount"], "currency": body["currency"], "crc": self.crc})
        transaction = self.by_session(body["sessionId"])
        problem = None
        if body["sign"] != expected:
            problem = "Incorrect sign"
        elif transaction is None or transaction.order_id != body["orderId"]:
            problem = "Transaction not found"
        elif transaction.amount != body["amount"] or transaction.currency != body["currency"]:
            problem = "Incorrect amount"
        with self.lock:
            if problem:
                self.refused_verifications.append(body)
                return _error(400, problem)
            self.verifications.append(body)
            transaction.status = "verified"
        return FakeResponse.json({"data": {"status": "success"}, "responseCode": 0})

    def _payer_page(self, request: FakeRequest) -> FakeResponse:
        token = request.path.removeprefix("/trnRequest/").strip("/")
        transaction = self.transactions.get(token)
        if transaction is None:
            return FakeResponse(404, {"Content-Type": "text/plain; charset=utf-8"}, b"Nieznana transakcja")
        if request.method == "POST":
            if b"decision=pay" in request.body and transaction.status == "registered":
                self.pay(token)
            elif transaction.status == "registered":
                transaction.status = "cancelled"
            return FakeResponse(303, {"Location": transaction.url_return}, b"")
        page = (f"<!doctype html><html lang='pl'><meta charset='utf-8'><title>Przelewy24 (fake)</title>"
                f"<h1>Przelewy24 – płatność testowa</h1><p>{html.escape(transaction.description)}</p>"
                f"<p>Kwota: {transaction.amount / 100:.2f} {transaction.currency}</p>"
                f"<form method='post'><button name='decision' value='pay'>Zapłać</button> "
                f"<button name='decision' value='cancel'>Anuluj</button></form></html>")
        return FakeResponse(200, {"Content-Type": "text/html; charset=utf-8"}, page.encode("utf-8"))

    # --- control: notifications -------------------------------------------------------------------

    def notification(self, token: str, **overrides: Any) -> dict:
        """The signed notification of a payment of the transaction; overrides change fields.

        `crc=` signs with another key (a forged sign); `sign=` sets the sign as given; other keys
        (`amount`, `sessionId`, `merchantId`, ...) replace fields before signing.
        """
        transaction = self.transactions[token]
        with self.lock:
            if transaction.order_id is None:
                transaction.order_id = next(self._orders)
        fields = {"merchantId": self.merchant_id, "posId": self.pos_id, "sessionId": transaction.session_id,
                  "amount": transaction.amount, "originAmount": transaction.amount,
                  "currency": transaction.currency, "orderId": transaction.order_id, "methodId": 25,
                  "statement": f"p24-{transaction.order_id}"}
        crc = overrides.pop("crc", self.crc)
        sign = overrides.pop("sign", None)
        fields.update(overrides)
        return {**fields, "sign": sign or p24_sign({**fields, "crc": crc})}

    def pay(self, token: str, *, url: str | None = None, **overrides: Any) -> tuple[int, str]:
        """The payer paid: POST the (possibly altered) notification to urlStatus; returns our answer."""
        payload = self.notification(token, **overrides)
        transaction = self.transactions[token]
        if not overrides and transaction.status == "registered":
            transaction.status = "paid"
        return self.send(payload, url or transaction.url_status, token)

    def replay(self, token: str) -> tuple[int, str]:
        """Send the last notification of the transaction again, as P24's retries do."""
        transaction = self.transactions[token]
        return self.send(transaction.last_notification, transaction.url_status, token)

    def send(self, payload: dict, url: str, token: str | None = None) -> tuple[int, str]:
        """POST a notification as JSON; record it with the answer."""
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        status, text = callback(request)
        with self.lock:
            self.notifications.append((payload, status, text))
            if token and token in self.transactions:
                self.transactions[token].last_notification = payload
        return status, text

    def control(self, name: str, payload: dict) -> FakeResponse | None:
        """`POST /_fake/pay {"token", ...overrides}` and `POST /_fake/replay {"token"}`."""
        token = payload.pop("token", None)
        if name not in ("pay", "replay"):
            return None
        if token not in self.transactions:
            return FakeResponse.json({"error": "unknown token"}, 404)
        status, text = self.pay(token, **payload) if name == "pay" else self.replay(token)
        return FakeResponse.json({"status": status, "answer": text})


def _error(code: int, message: str) -> FakeResponse:
    return FakeResponse.json({"error": message, "code": code}, code)
