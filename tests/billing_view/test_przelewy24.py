"""Online payment through Przelewy24 over real HTTP: the app served on a port, the fake gateway on another.

The fake computes and checks signs on its own, posts the status notification to the app's hook, and
answers the app's verify; nothing is booked unless everything matches, and never twice.
"""

from __future__ import annotations

import re
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app.accounts.models import Allocation, Payment
from app.billing_view.online_models import OnlinePayment
from app.core.audit import AuditEntry
from tests.billing_view.portal_support import portal_world
from tests.factories import create_obligation, create_payment
from tests.fakes.przelewy24 import FakePrzelewy24


@pytest.fixture
def gateway(app):
    """The fake Przelewy24 and the app configured for it, served over HTTP."""
    fake = FakePrzelewy24(merchant_id=123456, api_key="klucz-api", crc="klucz-crc").start()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    saved = {k: app.config.get(k) for k in ("PAYMENT_GATEWAY", "P24_URL", "P24_MERCHANT_ID", "P24_POS_ID",
                                            "P24_API_KEY", "P24_CRC", "PUBLIC_URL")}
    app.config.update(PAYMENT_GATEWAY="przelewy24", P24_URL=fake.url, P24_MERCHANT_ID=123456, P24_POS_ID=123456,
                      P24_API_KEY="klucz-api", P24_CRC="klucz-crc",
                      PUBLIC_URL=f"http://127.0.0.1:{server.server_port}")
    yield fake
    app.config.update(saved)
    server.shutdown()
    thread.join()
    fake.stop()


def _started(client, db, fake):
    """A business with two obligations (one partly paid) that started paying both online."""
    world = portal_world(client, db)
    business, unit = world.businesses[0], world.units[0]
    first = create_obligation(contractor=business, unit=unit, document_no="DW/7/2026", amount=Decimal("300.00"))
    second = create_obligation(contractor=business, unit=unit, kind="UW", period="2026", amount=Decimal("120.50"))
    part = create_payment(contractor=business, unit=unit, amount=Decimal("100.00"))
    db.session.add(Allocation(payment_id=part.id, obligation_id=first.id, amount=Decimal("100.00")))
    db.session.commit()
    page = client.get(f"/portal/platnosc?contractor_id={business.id}&obligation_id={first.id}"
                      f"&obligation_id={second.id}").get_data(as_text=True)
    form = page.split('action="/portal/platnosc"')[1].split("</form>")[0]
    data = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    data["obligation_id"] = re.findall(r'name="obligation_id" value="(\d+)"', form)
    response = client.post("/portal/platnosc", data=data)
    db.session.rollback()
    record = db.session.scalar(select(OnlinePayment))
    return world, first, second, response, record


def _online_payments(db) -> list[Payment]:
    db.session.rollback()  # see what the server's thread committed
    return list(db.session.scalars(select(Payment).where(Payment.source == "online")))


def _refusals(db) -> list[AuditEntry]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "online_payment.notification_refused")))


def test_happy_path_registers_redirects_verifies_and_books(client, db, gateway):
    world, first, second, response, record = _started(client, db, gateway)
    token = record.gateway_token
    assert response.status_code == 303 and response.location == f"{gateway.url}/trnRequest/{token}"
    registered = gateway.transactions[token]
    assert registered.amount == 32050 and registered.currency == "PLN" and registered.email == world.user.email
    assert registered.url_status.endswith("/hooks/przelewy24/status")
    assert registered.url_return.endswith(f"/portal/platnosc/{record.session_id}")
    assert "DW/7/2026" in registered.description and "UW 2026" in registered.description
    waiting = client.get(f"/portal/platnosc/{record.session_id}?lang=en").get_data(as_text=True)
    assert "We are waiting for the confirmation" in waiting

    status, _ = gateway.pay(token)
    assert status == 200
    assert len(gateway.verifications) == 1 and gateway.verifications[0]["orderId"] == registered.order_id
    payments = _online_payments(db)
    assert len(payments) == 1
    assert payments[0].amount == Decimal("320.50") and payments[0].method == "O"
    assert {a.obligation_id: a.amount for a in payments[0].allocations} == {
        first.id: Decimal("200.00"), second.id: Decimal("120.50")}
    record = db.session.get(OnlinePayment, record.id)
    assert record.status == "paid" and record.order_id == str(registered.order_id)
    accepted = client.get(f"/portal/platnosc/{record.session_id}?lang=en").get_data(as_text=True)
    assert "Payment accepted." in accepted


def test_forged_sign_books_nothing_and_is_audited(client, db, gateway):
    *_, record = _started(client, db, gateway)
    status, _ = gateway.pay(record.gateway_token, crc="not-the-shop-key")
    assert status == 400
    assert _online_payments(db) == [] and gateway.verifications == []
    assert [e.details["reason"] for e in _refusals(db)] == ["wrong sign"]


def test_replayed_notification_books_once(client, db, gateway):
    *_, record = _started(client, db, gateway)
    assert gateway.pay(record.gateway_token)[0] == 200
    assert gateway.replay(record.gateway_token)[0] == 200
    assert gateway.replay(record.gateway_token)[0] == 200
    assert len(_online_payments(db)) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "online_payment.booked")) == 1


def test_wrong_amount_with_a_right_sign_books_nothing(client, db, gateway):
    *_, record = _started(client, db, gateway)
    status, _ = gateway.pay(record.gateway_token, amount=100, originAmount=100)
    assert status == 400 and _online_payments(db) == [] and gateway.verifications == []
    assert "amount 100 differs" in _refusals(db)[0].details["reason"]


def test_unknown_session_and_other_merchant_book_nothing(client, db, gateway):
    *_, record = _started(client, db, gateway)
    assert gateway.pay(record.gateway_token, sessionId="nie-nasza-sesja")[0] == 400
    assert gateway.pay(record.gateway_token, merchantId=999, posId=999)[0] == 400
    assert gateway.send({"sessionId": record.session_id}, gateway.transactions[record.gateway_token].url_status)[0] == 400
    assert _online_payments(db) == []
    reasons = [e.details["reason"] for e in _refusals(db)]
    assert reasons[0] == "unknown session" and "is not ours" in reasons[1] and "missing" in reasons[2]


def test_failed_verify_books_nothing_until_the_gateway_confirms(client, db, gateway):
    *_, record = _started(client, db, gateway)
    gateway.fail_next("http500")  # the app's verify call gets an error
    assert gateway.pay(record.gateway_token)[0] == 400
    assert _online_payments(db) == []
    assert "verify failed" in _refusals(db)[0].details["reason"]
    assert db.session.get(OnlinePayment, record.id).status == "registered"
    assert gateway.replay(record.gateway_token)[0] == 200  # P24 retries; now verify succeeds
    assert len(_online_payments(db)) == 1


def test_verify_refused_by_the_gateway_books_nothing(client, db, gateway):
    *_, record = _started(client, db, gateway)
    # A notification signed with the shop's key for an order the gateway never notified itself.
    fake_order = gateway.notification(record.gateway_token, orderId=42)
    with gateway.lock:
        gateway.transactions[record.gateway_token].order_id = 7  # the gateway knows another order
    assert gateway.send(fake_order, gateway.transactions[record.gateway_token].url_status)[0] == 400
    assert len(gateway.refused_verifications) == 1 and _online_payments(db) == []


def test_concurrent_notifications_book_one_payment(client, db, gateway):
    *_, record = _started(client, db, gateway)
    payload = gateway.notification(record.gateway_token)
    url = gateway.transactions[record.gateway_token].url_status
    answers: list[int] = []
    threads = [threading.Thread(target=lambda: answers.append(gateway.send(payload, url)[0])) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers.count(200) >= 1
    assert len(_online_payments(db)) == 1


def test_gateway_refusing_to_register_charges_nothing(client, db, gateway, app):
    app.config["P24_API_KEY"] = "zly-klucz"
    world, *_, response, record = _started(client, db, gateway)
    assert response.status_code == 302
    assert response.location.endswith(f"/portal/zobowiazania/{world.businesses[0].id}")
    assert record.status == "failed" and "401" in record.failure_reason
    assert gateway.transactions == {}


def test_the_hook_is_404_without_przelewy24_settings(client, db, app):
    app.config.update(P24_MERCHANT_ID=0, P24_API_KEY="", P24_CRC="")
    assert client.post("/hooks/przelewy24/status", json={}).status_code == 404
