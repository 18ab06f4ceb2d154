"""A business signs in to the portal and asks for property tax reminders 3 days before, at 8:00, by email."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import LinkStatus, PortalLink
from app.core.clock import utcnow
from app.reminders.models import ReminderRule
from app.reminders.preferences import ensure_plans
from tests.factories import create_contractor, create_portal_user


@pytest.mark.browser
def test_a_business_sets_its_property_tax_reminders(live_server, browser_page, screenshot, app, db):
    ensure_plans()  # the office's plan: 7 and 1 day before, 3 days after, 9:00, SMS
    user = create_portal_user(email="biuro@piekarnia.pl", email_verified_at=utcnow())
    business = create_contractor(name="Piekarnia Pod Lipą")
    db.session.add(PortalLink(user=user, contractor=business, status=LinkStatus.CONFIRMED, method="code"))
    db.session.commit()
    page = browser_page

    page.goto(f"{live_server}/portal/logowanie?lang=en")
    page.get_by_label("Email").fill("biuro@piekarnia.pl")
    page.get_by_label("Password").fill("haslo-firmy-1")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Your businesses").wait_for()
    page.get_by_role("link", name=re.compile("Notification settings")).click()
    page.get_by_role("heading", name="Notification settings").wait_for()

    tax = page.locator("#topic-PON")
    expect(tax.locator("[data-source=PON]")).to_have_text("the office’s plan")
    tax.get_by_label("My own settings").check()
    tax.get_by_label("7 days", exact=True).uncheck()
    tax.get_by_label("1 day", exact=True).uncheck()
    tax.get_by_label("3 days", exact=True).check()
    tax.get_by_label("Phone (SMS)").uncheck()
    tax.get_by_label("Email").check()
    tax.get_by_label("Hour (Polish time)").select_option(label="08:00")
    screenshot("portal-01-property-tax-own")
    tax.get_by_role("button", name=re.compile("^Save")).click()

    page.get_by_text("Your choice for property tax was saved.").wait_for()
    tax = page.locator("#topic-PON")
    expect(tax.locator("[data-source=PON]")).to_have_text("your choice")
    current = tax.locator("[data-current=PON]")
    expect(current).to_contain_text("08:00")
    expect(current).to_contain_text("email")
    expect(current).not_to_contain_text("SMS")
    expect(tax.get_by_label("3 days", exact=True)).to_be_checked()
    screenshot("portal-02-property-tax-saved")

    db.session.rollback()  # see what the server committed
    rules = {(r.offset_days, r.hour, r.channel) for r in db.session.scalars(
        select(ReminderRule).where(ReminderRule.contractor_id == business.id, ReminderRule.topic == "PON"))}
    assert rules == {(3, 8, "email"), (-3, 8, "email")}  # the overdue notice after 3 days stays

    page.set_viewport_size({"width": 390, "height": 844})  # on a phone
    page.reload()
    screenshot("portal-03-phone")
