"""The portal dashboard: balance of the chosen business and unit, the five nearest items."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import event

from app.accounts.models import Allocation, LinkStatus, PortalLink
from app.core.clock import today_warsaw
from tests.billing_view.portal_support import portal_world
from tests.factories import create_appointment, create_contractor, create_obligation, create_payment


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _nearest(html: str) -> list[str]:
    section = html.split('id="nearest"')[1].split("</ol>")[0]
    return [_text(li) for li in section.split("<li")[1:]]


def test_balance_and_the_five_nearest_in_order(client, db):
    world = portal_world(client, db, units=("Urząd Miasta Ełku", "Zarząd Mienia"))
    business, (town, estate) = world.businesses[0], world.units
    today = today_warsaw()
    create_obligation(contractor=business, unit=town, kind="PON", description="Rata zaległa",
                      due_on=today - timedelta(days=40), amount=Decimal("300.00"))
    create_obligation(contractor=business, unit=estate, kind="KU", description="Koszty upomnienia",
                      due_on=None, amount=Decimal("16.00"))
    create_obligation(contractor=business, unit=town, kind="PON", description="Rata bieżąca",
                      due_on=today + timedelta(days=20), amount=Decimal("200.00"))
    create_obligation(contractor=business, unit=estate, kind="UW", description="Użytkowanie wieczyste",
                      due_on=today + timedelta(days=60), amount=Decimal("900.00"))
    create_obligation(contractor=business, unit=town, kind="PON", description="Rata późniejsza",
                      due_on=today + timedelta(days=90), amount=Decimal("200.00"))
    paid = create_obligation(contractor=business, unit=town, kind="PON", description="Rata zapłacona",
                             due_on=today - timedelta(days=70), amount=Decimal("50.00"))
    payment = create_payment(contractor=business, unit=town, amount=Decimal("50.00"))
    db.session.add(Allocation(payment_id=payment.id, obligation_id=paid.id, amount=Decimal("50.00")))
    create_appointment(contractor=business, unit=town, description="Spotkanie w sprawie podatku",
                       starts_at=datetime.combine(today + timedelta(days=30), datetime.min.time(), UTC)
                       + timedelta(hours=9))
    other = create_contractor(name="Cudza Firma")
    create_obligation(contractor=other, unit=town, description="Cudza rata", due_on=today - timedelta(days=1))
    db.session.commit()

    page = client.get("/portal/?lang=en").get_data(as_text=True)
    assert "Piekarnia Pod Lipą" in page
    # Town unit first (by name): 300 + 200 + 200 + 50 owed, 50 paid.
    assert "To pay 700,00" in _text(page)
    items = _nearest(page)
    assert len(items) == 5
    assert "Koszty upomnienia" in items[0] and "no due date" in items[0]
    assert "Rata zaległa" in items[1] and "overdue" in items[1]
    assert "Rata bieżąca" in items[2] and "overdue" not in items[2]
    assert "Spotkanie w sprawie podatku" in items[3] and "Appointment" in items[3]
    assert "Użytkowanie wieczyste" in items[4]
    assert "Rata późniejsza" not in page and "Rata zapłacona" not in page and "Cudza rata" not in page
    overdue_li = page.split('id="nearest"')[1].split("<li")[2]
    assert 'class="mb-2 overdue"' in overdue_li  # red, not only the word


def test_overpayment_is_said_in_words_and_arrows_switch_the_context(client, db):
    world = portal_world(client, db, businesses=("Alfa Sp. z o.o.", "Beta S.A."),
                         units=("Urząd Miasta Ełku", "Zarząd Mienia"))
    beta, estate = world.businesses[1], world.units[1]
    create_obligation(contractor=beta, unit=estate, amount=Decimal("100.00"))
    create_payment(contractor=beta, unit=estate, amount=Decimal("220.00"))
    db.session.commit()

    first = client.get("/portal/?lang=en").get_data(as_text=True)
    assert "Alfa Sp. z o.o." in first and "nothing to pay" in first
    next_business = re.search(r'href="([^"]+)" aria-label="Next business: Beta S.A."', first).group(1)
    second = client.get(next_business.replace("&amp;", "&") + "&lang=en").get_data(as_text=True)
    assert 'aria-label="Previous business: Alfa Sp. z o.o."' in second
    next_unit = re.search(r'href="([^"]+)" aria-label="Next office unit: Zarząd Mienia"', second).group(1)
    third = client.get(next_unit.replace("&amp;", "&") + "&lang=en").get_data(as_text=True)
    assert "Overpayment 120,00" in _text(third)
    # The choice is remembered in the session.
    assert "Overpayment 120,00" in _text(client.get("/portal/?lang=en").get_data(as_text=True))
    polish = _text(client.get("/portal/?lang=pl").get_data(as_text=True))
    assert "Nadpłata 120,00" in polish


def test_another_business_or_unit_in_the_query_is_a_404(client, db):
    world = portal_world(client, db, units=("Urząd Miasta Ełku", "Zarząd Mienia"), consented=("Urząd Miasta Ełku",))
    stranger = create_contractor(name="Cudza Firma")
    db.session.commit()
    assert client.get(f"/portal/?contractor_id={stranger.id}").status_code == 404
    assert client.get(f"/portal/?unit_id={world.units[1].id}").status_code == 404  # no consent
    assert client.get(f"/portal/?contractor_id={world.businesses[0].id}").status_code == 200


def test_without_a_confirmed_business_the_page_says_so(client, db):
    world = portal_world(client, db, businesses=())
    waiting = create_contractor(name="Czeka Sp. z o.o.")
    db.session.add(PortalLink(user=world.user, contractor=waiting, status=LinkStatus.REQUESTED))
    db.session.commit()
    page = _text(client.get("/portal/?lang=en").get_data(as_text=True))
    assert "No business linked to your account is confirmed by the office yet" in page
    assert "Waiting for the office" in page and "Czeka Sp. z o.o." in page
    assert "To pay" not in page


def test_nothing_to_show_is_said(client, db):
    portal_world(client, db)
    page = _text(client.get("/portal/?lang=en").get_data(as_text=True))
    assert "Nothing to pay and no events coming" in page


def test_the_menu_and_the_settings_link(client, db):
    world = portal_world(client, db)
    business = world.businesses[0]
    page = client.get("/portal/?lang=en").get_data(as_text=True)
    menu = page.split('aria-label="Portal menu"')[1].split("</nav>")[0]
    for label, href in (("Dashboard", "/portal/"), ("Liabilities", f"/portal/zobowiazania/{business.id}"),
                        ("Payment history", f"/portal/historia/{business.id}"),
                        ("Notifications", f"/portal/powiadomienia/{business.id}"),
                        ("Consents", "/portal/zgody"), ("Link a business", "/portal/dodaj-firme")):
        assert f'href="{href}"' in menu and label in menu
    assert f'href="/portal/powiadomienia/{business.id}"' in page.split("</nav>", 2)[-1]  # settings per business


def test_the_query_count_does_not_grow_with_the_obligations(client, db, app):
    world = portal_world(client, db, units=("Urząd Miasta Ełku", "Zarząd Mienia"))
    business = world.businesses[0]
    today = today_warsaw()

    def count_queries() -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/portal/").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    for n in range(3):
        create_obligation(contractor=business, unit=world.units[n % 2], due_on=today + timedelta(days=n))
    db.session.commit()
    few = count_queries()
    for n in range(40):
        create_obligation(contractor=business, unit=world.units[n % 2], due_on=today + timedelta(days=n))
        create_appointment(contractor=business, unit=world.units[n % 2],
                           starts_at=datetime.now(UTC) + timedelta(days=n + 1))
    db.session.commit()
    assert count_queries() == few
