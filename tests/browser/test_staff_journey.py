"""A member of staff signs in, reads a contractor's balance, switches to English, signs out."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import (
    create_contractor,
    create_obligation,
    create_payment,
    create_staff_user,
    create_unit,
)


@pytest.mark.browser
def test_staff_journey(live_server, browser_page, screenshot, db):
    user = create_staff_user(name="Anna Nowak", roles=("communicator",))
    contractor = create_contractor(name="Hotel Pod Ełkiem")
    unit = create_unit(name="Wydział Podatków i Opłat")
    create_obligation(contractor=contractor, unit=unit, amount=Decimal("1250.00"))
    create_payment(contractor=contractor, unit=unit, amount=Decimal("1300.00"))
    db.session.commit()
    page = browser_page

    page.goto(f"{live_server}/admin/")
    assert page.get_attribute("html", "lang") == "pl"
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Hasło").fill("haslo-testowe-1")
    screenshot("01-login")
    page.get_by_role("button", name="Zaloguj się").click()

    page.get_by_role("heading", name="Witaj, Anna Nowak").wait_for()
    assert page.locator("[data-stat=contractors]").inner_text() == "1"
    screenshot("02-dashboard")

    page.get_by_role("link", name="Kontrahenci").first.click()
    page.get_by_role("link", name="Hotel Pod Ełkiem").click()
    page.get_by_role("heading", name="Saldo").wait_for()
    balance = page.locator("[data-section=balance]")
    assert "Wydział Podatków i Opłat" in balance.inner_text()
    total = page.locator("[data-total]").inner_text()
    assert "50,00" in total and "nadpłata" in total
    screenshot("03-contractor")

    page.get_by_role("link", name="EN", exact=True).click()
    page.get_by_role("heading", name="Balance").wait_for()
    assert page.get_attribute("html", "lang") == "en"
    assert "overpayment" in page.locator("[data-total]").inner_text()
    screenshot("04-contractor-en")

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    assert "You have signed out." in page.content()
    page.goto(f"{live_server}/admin/")
    assert "/admin/login" in page.url
