"""A business's whole way through the portal, in Polish, in a real browser.

Register, confirm the email, sign in, link two businesses, consent to two office units, read
the dashboard and step through businesses and units, open the obligations, pay one online
(the built-in sandbox gateway), download the transfer form and the payment history. Every
step leaves a screenshot in test-artifacts/.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import Allocation, Obligation, Payment
from app.accounts.portal_links import link_code
from app.channels.models import Message
from app.core.clock import today_warsaw
from tests.factories import create_contractor, create_obligation, create_payment, create_unit

EMAIL = "ksiegowa@piekarnia-elk.pl"
PASSWORD = "Chleb-z-pieca-2026"


def pl(msgid: str, **values) -> str:
    """The Polish text the user sees for an English msgid."""
    with force_locale("pl"):
        return gettext(msgid, **values)


@pytest.fixture
def office(db):
    """Two units, two businesses of the same owner, obligations overdue, due and paid."""
    today = today_warsaw()
    town = create_unit(code="UM", name="Urząd Miasta Ełku")
    estate = create_unit(code="ZM", name="Zarząd Mienia Komunalnego", account_nrb="83102059030000190201234567")
    bakery = create_contractor(name="Piekarnia Pod Lipą", nip="7900712840")
    shop = create_contractor(name="Sklep Przy Rynku", nip="8481000123")
    overdue = create_obligation(contractor=bakery, unit=town, kind="PON", description="Podatek od nieruchomości, rata 10",
                                document_no="PN/2026/1010", due_on=today - timedelta(days=20),
                                amount=Decimal("412.00"))
    create_obligation(contractor=bakery, unit=town, kind="PON", description="Podatek od nieruchomości, rata 12",
                      document_no="PN/2026/1012", due_on=today + timedelta(days=25), amount=Decimal("412.00"))
    create_obligation(contractor=bakery, unit=estate, kind="UW", description="Opłata za użytkowanie wieczyste",
                      document_no="UW/2027/33", due_on=today + timedelta(days=40), amount=Decimal("1250.00"))
    create_obligation(contractor=bakery, unit=town, kind="KU", description="Koszty upomnienia", due_on=None,
                      amount=Decimal("16.00"))
    paid = create_obligation(contractor=bakery, unit=town, kind="PON", description="Podatek od nieruchomości, rata 9",
                             document_no="PN/2026/1009", due_on=today - timedelta(days=50), amount=Decimal("412.00"))
    payment = create_payment(contractor=bakery, unit=town, amount=Decimal("412.00"), paid_on=today - timedelta(days=52))
    db.session.add(Allocation(payment_id=payment.id, obligation_id=paid.id, amount=Decimal("412.00")))
    create_obligation(contractor=shop, unit=town, kind="PST", description="Podatek od środków transportowych",
                      due_on=today + timedelta(days=10), amount=Decimal("980.00"))
    db.session.commit()
    return {"town": town, "estate": estate, "bakery": bakery, "shop": shop, "overdue": overdue}


def _verification_link(db) -> str:
    db.session.rollback()
    message = db.session.scalars(select(Message).where(Message.recipient == EMAIL)).one()
    return re.search(r"https?://\S+", message.body).group(0)


@pytest.mark.browser
def test_a_business_registers_links_consents_sees_its_account_pays_and_downloads(
        live_server, browser_page, screenshot, app, db, office):
    page = browser_page
    app.config["PUBLIC_URL"] = live_server

    # Register and confirm the email address.
    page.goto(f"{live_server}/portal/rejestracja")
    page.get_by_label(pl("Email")).fill(EMAIL)
    page.get_by_label(pl("Password"), exact=True).fill(PASSWORD)
    page.get_by_label(pl("Password again")).fill(PASSWORD)
    screenshot("journey-01-register")
    page.get_by_role("button", name=pl("Create an account")).click()
    page.goto(_verification_link(db))
    screenshot("journey-02-email-confirmed")

    # Sign in; link both businesses with the office's codes.
    page.goto(f"{live_server}/portal/logowanie")
    page.get_by_label(pl("Email")).fill(EMAIL)
    page.get_by_label(pl("Password")).fill(PASSWORD)
    page.get_by_role("button", name=pl("Sign in")).click()
    for business in (office["bakery"], office["shop"]):
        page.goto(f"{live_server}/portal/dodaj-firme")
        page.get_by_label(pl("NIP")).fill(business.nip)
        page.get_by_label(pl("Code from the office (optional)")).fill(link_code(business.id))
        page.get_by_role("button", name=pl("Link the business")).click()
        page.get_by_text(pl("The business is linked to your account.")).wait_for()
    screenshot("journey-03-linked")

    # The portal asks for consent before it shows any account data.
    page.goto(f"{live_server}/portal/")
    expect(page.get_by_role("heading", name=pl("Consent to data processing"))).to_be_visible()
    page.get_by_role("button", name=pl("Save consents")).click()
    expect(page.get_by_role("alert")).to_contain_text(pl(
        "Choose at least one office unit: without consent to at least one unit the portal cannot show your "
        "account. To stop using the portal, contact the office."))
    page.get_by_label(re.compile("Urząd Miasta Ełku")).check()
    page.get_by_label(re.compile("Zarząd Mienia Komunalnego")).check()
    screenshot("journey-04-consents")
    page.get_by_role("button", name=pl("Save consents")).click()

    # Dashboard: the first business (by name) in the first unit (by name); overdue in red and in words.
    page.goto(f"{live_server}/portal/")
    expect(page.get_by_role("heading", name=pl("Dashboard"))).to_be_visible()
    expect(page.locator("#context-title").locator("..")).to_contain_text("Piekarnia Pod Lipą")
    expect(page.locator("#balance")).to_contain_text("840,00")  # UM: 412 overdue, 412 due, 16 reminder cost
    nearest = page.locator("#nearest li")
    expect(nearest).to_have_count(4)
    expect(nearest.nth(0)).to_contain_text("Koszty upomnienia")
    expect(nearest.nth(1)).to_contain_text(pl("overdue"))
    color = nearest.nth(1).evaluate("li => getComputedStyle(li).color")
    assert color not in ("rgb(27, 27, 27)", "rgb(0, 0, 0)"), f"an overdue item is not marked in colour: {color}"
    screenshot("journey-05-dashboard")

    page.get_by_role("link", name=re.compile(pl("Next office unit"))).click()
    expect(page.locator("#balance")).to_contain_text("1\u00a0250,00")
    page.get_by_role("link", name=re.compile(pl("Next business"))).click()
    expect(page.locator("#context-title").locator("..")).to_contain_text("Sklep Przy Rynku")
    screenshot("journey-06-second-business")
    page.get_by_role("link", name=re.compile(pl("Previous business"))).click()
    expect(page.locator("#context-title").locator("..")).to_contain_text("Piekarnia Pod Lipą")

    # Obligations: the full list with the basis; pay the overdue instalment online.
    page.locator("main").get_by_role("link", name=re.compile(pl("Liabilities"))).click()
    expect(page.locator("#obligations")).to_contain_text("PN/2026/1010")
    screenshot("journey-07-obligations")
    page.get_by_label(pl("Pay: %(name)s", name="Podatek od nieruchomości, rata 10")).check()
    page.get_by_role("button", name=pl("Pay the chosen obligations")).click()
    expect(page.locator("main")).to_contain_text("412,00")
    screenshot("journey-08-choose")

    with page.expect_download() as form:
        page.get_by_role("link", name=re.compile("formularz|przelew", re.IGNORECASE)).first.click()
    assert form.value.suggested_filename.endswith(".pdf")
    assert form.value.path().read_bytes().startswith(b"%PDF")

    page.get_by_role("button", name=re.compile("Zapłać online")).click()
    screenshot("journey-09-sandbox-gateway")
    page.get_by_role("button", name=re.compile("^Zapłać")).click()
    expect(page.locator("main")).to_contain_text("Płatność przyjęta")
    screenshot("journey-10-paid")

    db.session.rollback()
    booked = db.session.scalars(select(Payment).where(Payment.source == "online")).one()
    assert booked.amount == Decimal("412.00") and booked.contractor_id == office["bakery"].id
    assert db.session.get(Obligation, office["overdue"].id).allocations[0].amount == Decimal("412.00")

    page.goto(f"{live_server}/portal/zobowiazania/{office['bakery'].id}?status=unpaid")
    expect(page.locator("#obligations")).not_to_contain_text("PN/2026/1010")

    # Payment history, on the page and as CSV and PDF.
    page.goto(f"{live_server}/portal/historia/{office['bakery'].id}")
    expect(page.locator("main")).to_contain_text("PN/2026/1009")
    screenshot("journey-11-history")
    with page.expect_download() as csv_file:
        page.get_by_role("link", name=pl("CSV (Excel)")).click()
    assert "PN/2026/1010" in csv_file.value.path().read_text(encoding="utf-8-sig")
    with page.expect_download() as pdf_file:
        page.get_by_role("link", name="PDF", exact=True).click()
    assert pdf_file.value.path().read_bytes().startswith(b"%PDF")

    # On a phone the dashboard fits the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/portal/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot("journey-12-phone")
