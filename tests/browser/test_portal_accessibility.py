"""The portal meets WCAG 2.1 AA as axe-core checks it in a real browser, and works by keyboard alone."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from app.accounts.models import LinkStatus, PortalLink, PortalUnitConsent
from app.core.clock import today_warsaw, utcnow
from tests.factories import (
    create_appointment,
    create_contractor,
    create_obligation,
    create_portal_user,
    create_unit,
)

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture
def signed_in(live_server, browser_page, db):
    """A business user with two businesses, two units, obligations overdue and due, signed in."""
    today = today_warsaw()
    user = create_portal_user(email="biuro@piekarnia.pl", email_verified_at=utcnow())
    units = [create_unit(name="Urząd Miasta Ełku"), create_unit(name="Zarząd Mienia Komunalnego")]
    businesses = [create_contractor(name="Piekarnia Pod Lipą"), create_contractor(name="Sklep Przy Rynku")]
    for business in businesses:
        db.session.add(PortalLink(user=user, contractor=business, status=LinkStatus.CONFIRMED, method="code"))
    for unit in units:
        db.session.add(PortalUnitConsent(portal_user_id=user.id, unit_id=unit.id))
    create_obligation(contractor=businesses[0], unit=units[0], description="Rata zaległa", document_no="PN/1",
                      due_on=today - timedelta(days=10), amount=Decimal("300.00"))
    create_obligation(contractor=businesses[0], unit=units[1], kind="KU", description="Koszty upomnienia",
                      due_on=None, amount=Decimal("16.00"))
    create_appointment(contractor=businesses[0], unit=units[0], description="Spotkanie w sprawie podatku")
    db.session.commit()
    page = browser_page
    page.goto(f"{live_server}/portal/logowanie")
    page.locator("#email").fill("biuro@piekarnia.pl")
    page.locator("#password").fill("haslo-firmy-1")
    page.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/portal/$"))
    return page, businesses[0]


def _violations(page) -> list[str]:
    results = Axe().run(page, options=WCAG_AA)
    return [f"{v['id']} ({v['impact']}): {v['help']} – {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]]


@pytest.mark.browser
def test_the_public_portal_pages_have_no_wcag_violations(live_server, browser_page):
    found = {}
    for path in ("/portal/logowanie", "/portal/rejestracja", "/portal/logowanie?lang=en"):
        browser_page.goto(live_server + path)
        found[path] = _violations(browser_page)
    assert found == {path: [] for path in found}


@pytest.mark.browser
def test_the_signed_in_portal_pages_have_no_wcag_violations_on_a_desktop_and_a_phone(live_server, signed_in):
    page, business = signed_in
    paths = ["/portal/", f"/portal/zobowiazania/{business.id}", f"/portal/historia/{business.id}",
             "/portal/zgody", "/portal/dodaj-firme", f"/portal/powiadomienia/{business.id}",
             f"/portal/platnosc?contractor_id={business.id}"]
    found = {}
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        for path in paths:
            response = page.goto(live_server + path)
            assert response.status == 200, f"{path}: HTTP {response.status}"
            found[f"{path} at {width}px"] = _violations(page)
            if width < 500:
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), \
                    f"{path} scrolls sideways on a phone"
    assert found == {key: [] for key in found}


@pytest.mark.browser
def test_the_dashboard_works_with_the_keyboard_alone(live_server, signed_in):
    page, business = signed_in
    page.goto(f"{live_server}/portal/")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_attribute("href", "#content")  # the skip link comes first
    page.keyboard.press("Enter")
    for _ in range(12):  # from the content, forward to the obligations button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('btn-primary')"):
            break
    focused = page.locator(":focus")
    expect(focused).to_have_attribute("href", f"/portal/zobowiazania/{business.id}")
    outline = focused.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none", "the focused link shows no focus outline"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/portal/zobowiazania/{business.id}"))
    expect(page.locator("#obligations")).to_contain_text("PN/1")
