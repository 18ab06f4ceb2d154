"""Paying online from the portal with the sandbox gateway: choose, pay at the test bank, booked once."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import func, select

from app.accounts.balance import contractor_balance
from app.accounts.models import Allocation, Payment
from app.billing_view.online_models import OnlinePayment
from app.core.audit import AuditEntry
from tests.admin_support import csrf_from
from tests.billing_view.portal_support import portal_world
from tests.factories import create_contractor, create_obligation, create_payment


def _world(client, db, units=("Urząd Miasta Ełku",)):
    world = portal_world(client, db, units=units)
    business = world.businesses[0]
    world.first = create_obligation(contractor=business, unit=world.units[0], kind="PON", description="Rata 1",
                                    document_no="DW/1/2026", period="2026/01", amount=Decimal("300.00"))
    world.second = create_obligation(contractor=business, unit=world.units[-1], kind="UW",
                                     description="Opłata roczna", amount=Decimal("120.50"))
    part = create_payment(contractor=business, unit=world.units[0], amount=Decimal("100.00"))
    db.session.add(Allocation(payment_id=part.id, obligation_id=world.first.id, amount=Decimal("100.00")))
    db.session.commit()
    return world


def _choose(client, world, *obligations):
    query = "&".join(f"obligation_id={o.id}" for o in obligations)
    return client.get(f"/portal/platnosc?contractor_id={world.businesses[0].id}&{query}&lang=en")


def _pay_online(client, page: str, unit_id: int):
    form = page.split(f'id="payment-{unit_id}"')[1].split("</form>")[0]
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    ids = re.findall(r'name="obligation_id" value="(\d+)"', form)
    data = {**fields, "obligation_id": ids}
    return client.post("/portal/platnosc", data=data)


def test_choose_shows_remaining_amounts_total_and_both_ways(client, db):
    world = _world(client, db)
    response = _choose(client, world, world.first, world.second)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "200,00" in page and "120,50" in page and "320,50" in page  # remaining 300-100, total
    assert "Pay online" in page and "Download the transfer form (PDF)" in page
    unit = world.units[0].id
    assert (f"/portal/przelew/{world.businesses[0].id}.pdf?unit_id={unit}&amp;obligation_id={world.first.id}"
            f"&amp;obligation_id={world.second.id}") in page
    assert "several-units" not in page


def test_sandbox_payment_is_booked_once_with_the_right_allocations(client, db):
    world = _world(client, db)
    business = world.businesses[0]
    before = contractor_balance(business.id)
    page = _choose(client, world, world.first, world.second).get_data(as_text=True)
    started = _pay_online(client, page, world.units[0].id)
    assert started.status_code == 303 and "/portal/platnosc/bank/" in started.location
    bank = client.get(started.location + "?lang=en").get_data(as_text=True)
    assert "Test bank" in bank and "320,50" in bank
    paid = client.post(started.location, data={"csrf_token": csrf_from(bank), "decision": "pay"})
    assert paid.status_code == 303 and "/portal/platnosc/" in paid.location
    status = client.get(paid.location + "?lang=en").get_data(as_text=True)
    assert "Payment accepted." in status and 'http-equiv="refresh"' not in status
    assert "Płatność przyjęta." in client.get(paid.location + "?lang=pl").get_data(as_text=True)

    payments = db.session.scalars(select(Payment).where(Payment.source == "online")).all()
    assert len(payments) == 1
    payment = payments[0]
    assert payment.amount == Decimal("320.50") and payment.method == "O" and payment.unit_id == world.units[0].id
    assert {a.obligation_id: a.amount for a in payment.allocations} == {
        world.first.id: Decimal("200.00"), world.second.id: Decimal("120.50")}
    record = db.session.scalar(select(OnlinePayment))
    assert record.status == "paid" and record.payment_id == payment.id and record.order_id
    assert contractor_balance(business.id) == before - Decimal("320.50")
    # The obligations list shows them paid at once.
    listing = client.get(f"/portal/zobowiazania/{business.id}?lang=en").get_data(as_text=True)
    assert "No obligations match the filters." in listing

    # Pressing "Pay" again (back button) books nothing new.
    again = client.post(started.location, data={"csrf_token": csrf_from(bank), "decision": "pay"})
    assert again.status_code == 200 and "See the payment" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 2  # the earlier one and ours
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "online_payment.booked")) == 1


def test_a_replayed_sandbox_notification_books_nothing_new(client, db, app):
    from app.billing_view.gateways import gateway_named
    from app.billing_view.online_payments import Outcome, handle_notification

    world = _world(client, db)
    page = _choose(client, world, world.second).get_data(as_text=True)
    started = _pay_online(client, page, world.units[0].id)
    record = db.session.scalar(select(OnlinePayment))
    gateway = gateway_named("sandbox")
    note = gateway.pay(session_id=record.session_id, amount=record.amount_grosze, currency="PLN")
    assert handle_notification(gateway, note).outcome == Outcome.BOOKED
    assert handle_notification(gateway, note).outcome == Outcome.ALREADY_BOOKED
    assert db.session.scalar(select(func.count()).select_from(Payment).where(Payment.source == "online")) == 1
    forged = {**note, "amount": note["amount"] - 1}
    assert handle_notification(gateway, forged).outcome == Outcome.REFUSED
    assert started.status_code == 303


def test_cancel_at_the_bank_books_nothing(client, db):
    world = _world(client, db)
    page = _choose(client, world, world.second).get_data(as_text=True)
    started = _pay_online(client, page, world.units[0].id)
    bank = client.get(started.location).get_data(as_text=True)
    cancelled = client.post(started.location, data={"csrf_token": csrf_from(bank), "decision": "cancel"})
    status = client.get(cancelled.location + "?lang=en").get_data(as_text=True)
    assert "The payment was cancelled." in status
    assert db.session.scalar(select(func.count()).select_from(Payment).where(Payment.source == "online")) == 0


def test_waiting_page_refreshes_until_booked(client, db):
    world = _world(client, db)
    page = _choose(client, world, world.second).get_data(as_text=True)
    _pay_online(client, page, world.units[0].id)
    record = db.session.scalar(select(OnlinePayment))
    status = client.get(f"/portal/platnosc/{record.session_id}?lang=en").get_data(as_text=True)
    assert "We are waiting for the confirmation of the payment." in status and 'http-equiv="refresh"' in status


def test_obligations_of_two_units_are_offered_as_two_payments(client, db):
    world = _world(client, db, units=("Urząd Miasta Ełku", "Zarząd Mienia"))
    page = _choose(client, world, world.first, world.second).get_data(as_text=True)
    assert "The chosen obligations belong to 2 office units." in page
    assert "Payment 1 of 2:" in page and "Payment 2 of 2:" in page
    assert page.count('action="/portal/platnosc"') == 2
    # A start form that mixes the units is refused: one payment goes to one unit.
    token = csrf_from(page)
    mixed = client.post("/portal/platnosc", data={
        "csrf_token": token, "contractor_id": world.businesses[0].id, "unit_id": world.units[0].id,
        "obligation_id": [world.first.id, world.second.id]})
    assert mixed.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(OnlinePayment)) == 0


def test_pay_an_amount_with_a_unit_goes_oldest_first(client, db):
    world = _world(client, db)
    business = world.businesses[0]
    form = client.get(f"/portal/platnosc?contractor_id={business.id}&lang=en").get_data(as_text=True)
    assert 'name="amount"' in form and f'value="{world.units[0].id}"' in form
    bad = client.get(f"/portal/platnosc?contractor_id={business.id}&unit_id={world.units[0].id}&amount=abc&lang=en")
    assert bad.status_code == 400 and "Enter the amount in złoty, like 123,45." in bad.get_data(as_text=True)
    page = client.get(f"/portal/platnosc?contractor_id={business.id}&unit_id={world.units[0].id}"
                      f"&amount=250,00&lang=en").get_data(as_text=True)
    assert "250,00" in page
    started = _pay_online(client, page, world.units[0].id)
    bank = client.get(started.location).get_data(as_text=True)
    client.post(started.location, data={"csrf_token": csrf_from(bank), "decision": "pay"})
    payment = db.session.scalar(select(Payment).where(Payment.source == "online"))
    assert payment.amount == Decimal("250.00")
    assert sum(a.amount for a in payment.allocations) == Decimal("250.00")


def test_others_businesses_and_obligations_are_404(client, db):
    world = _world(client, db)
    stranger = create_contractor(name="Obca firma")
    foreign = create_obligation(contractor=stranger, unit=world.units[0])
    db.session.commit()
    assert client.get(f"/portal/platnosc?contractor_id={stranger.id}").status_code == 404
    assert _choose(client, world, foreign).status_code == 404
    assert client.get(f"/portal/platnosc?contractor_id={world.businesses[0].id}&obligation_id=x").status_code == 404
    assert client.get("/portal/platnosc/nieznana-sesja").status_code == 404


def test_sandbox_bank_is_closed_when_a_real_gateway_is_configured(client, db, app):
    world = _world(client, db)
    page = _choose(client, world, world.second).get_data(as_text=True)
    started = _pay_online(client, page, world.units[0].id)
    app.config["PAYMENT_GATEWAY"] = "przelewy24"
    try:
        assert client.get(started.location).status_code == 404
    finally:
        app.config["PAYMENT_GATEWAY"] = "sandbox"


def _table(page: str) -> str:
    return page.split("model-list")[1].split("</table>")[0]


def test_staff_list_of_attempts_for_finance_only(client, db, app):
    from tests.admin_support import signed_in

    world = _world(client, db)
    page = _choose(client, world, world.second).get_data(as_text=True)
    started = _pay_online(client, page, world.units[0].id)
    bank = client.get(started.location).get_data(as_text=True)
    client.post(started.location, data={"csrf_token": csrf_from(bank), "decision": "pay"})
    page = _choose(client, world, world.first).get_data(as_text=True)
    _pay_online(client, page, world.units[0].id)  # a second attempt, left waiting

    staff = app.test_client()
    signed_in(staff, db, "finance")
    listing = _table(staff.get("/admin/online_payments/?lang=en").get_data(as_text=True))
    assert "Paid and booked" in listing and "Waiting for the payer" in listing and "120,50" in listing
    paid_only = _table(staff.get("/admin/online_payments/?flt0_0=paid&lang=en").get_data(as_text=True))
    assert "Paid and booked" in paid_only and "Waiting for the payer" not in paid_only
    assert staff.get("/admin/online_payments/new/").status_code in (302, 403, 404)
    other = app.test_client()
    signed_in(other, db, "communicator", name="Jan Nowak")
    assert other.get("/admin/online_payments/").status_code == 403
