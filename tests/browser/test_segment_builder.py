"""A communicator builds a segment by clicking, watches the live count follow, saves it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import ContactPoint, Contractor
from app.audiences.models import Segment
from tests.factories import create_contractor, create_staff_user


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/admin/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Hasło").fill("haslo-testowe-1")
    page.get_by_role("button", name="Zaloguj się").click()


def _seed(db) -> None:
    """Five contractors in Centrum or Zatorze (three with a phone), two elsewhere with phones."""
    phones = iter(f"+4860010020{n}" for n in range(10))
    for name, district, phone in [
        ("Apteka Centralna", "Centrum", True),
        ("Bar Mleczny", "Centrum", True),
        ("Cukiernia Róża", "Centrum", False),
        ("Drukarnia Zatorze", "Zatorze", True),
        ("Elektryk Nowak", "Zatorze", False),
        ("Fryzjer Jeziorna", "Jeziorna", True),
        ("Galeria Jeziorna", "Jeziorna", True),
    ]:
        contractor = create_contractor(name=name, district=district)
        if phone:
            db.session.add(ContactPoint(contractor=contractor, channel="sms", value=next(phones)))
    db.session.commit()


def _legacy_id(db, name: str) -> str:
    return db.session.scalar(select(Contractor.legacy_id).where(Contractor.name == name))


@pytest.mark.browser
def test_communicator_builds_a_segment_by_clicking(live_server, browser_page, screenshot, db):
    communicator = create_staff_user(name="Anna Nowak", roles=("communicator",))
    _seed(db)
    page = browser_page

    _sign_in(page, live_server, communicator.email)
    page.get_by_role("heading", name="Witaj, Anna Nowak").wait_for()
    # The audiences pages await their Polish translations: the journey runs in English.
    page.goto(f"{live_server}/admin/?lang=en")
    page.get_by_role("link", name="Audiences").click()
    page.get_by_role("link", name="Segments", exact=True).click()
    page.get_by_role("link", name="Create").click()
    page.get_by_label("Name", exact=True).fill("Centrum i Zatorze z telefonem")

    count = page.locator("#live-count [data-stat=members]")
    page.get_by_role("button", name="Add condition").click()
    district = page.locator(".rb-condition").nth(0)
    district.get_by_label("Field").select_option(label="District")
    district.get_by_label("Operator").select_option(label="is one of")
    values = district.get_by_label("Values")
    values.fill("Centrum")
    values.press("Enter")
    values.fill("Zatorze")
    values.press("Enter")
    expect(district.locator("[data-tag]")).to_have_count(2)
    expect(count).to_have_text("5")

    page.get_by_role("button", name="Add condition").click()
    phone = page.locator(".rb-condition").nth(1)
    phone.get_by_label("Field").select_option(label="Has a phone")
    expect(phone.get_by_label("Operator")).to_have_value("is_true")
    expect(count).to_have_text("3")
    reasons = page.locator("#live-count [data-section=reasons]")
    expect(reasons).to_contain_text("no consent to SMS: 3")
    expect(page.locator("#live-count [data-section=sample]")).to_contain_text("Drukarnia Zatorze")
    screenshot("segments-01-builder")

    phone.get_by_label("not").check()
    expect(count).to_have_text("2")
    phone.get_by_label("not").uncheck()
    expect(count).to_have_text("3")

    page.get_by_role("button", name="Save segment").click()
    page.get_by_text("Segment “Centrum i Zatorze z telefonem” saved: 3 members.").wait_for()
    row = page.locator("tr", has_text="Centrum i Zatorze z telefonem")
    expect(row.locator("[data-count]")).to_have_text("3")
    screenshot("segments-02-list")

    row.get_by_role("link", name="Centrum i Zatorze z telefonem").click()
    expect(page.locator("[data-section=figures] [data-stat=members]")).to_have_text("3")
    page.get_by_label("Legacy id or NIP").fill(_legacy_id(db, "Cukiernia Róża"))
    page.get_by_role("button", name="Explain").click()
    explanation = page.locator("[data-section=explanation]")
    expect(explanation).to_contain_text("✗ Is not a member of this segment.")
    expect(explanation.locator(".explain-line.fails")).to_contain_text(["all of", "Has a phone: yes"])
    expect(explanation.locator(".explain-line.holds")).to_contain_text(["District is one of Centrum, Zatorze"])
    screenshot("segments-03-details")

    db.session.expire_all()
    segment = db.session.scalar(select(Segment))
    assert segment.rule == {"all": [
        {"field": "district", "op": "in", "value": ["Centrum", "Zatorze"]},
        {"field": "has_phone", "op": "is_true"},
    ]}
    assert segment.last_count == 3


@pytest.mark.browser
def test_rule_json_import_and_errors_shown_at_their_condition(live_server, browser_page, screenshot, db):
    communicator = create_staff_user(name="Anna Nowak", roles=("communicator",))
    _seed(db)
    page = browser_page
    _sign_in(page, live_server, communicator.email)
    page.get_by_role("heading", name="Witaj, Anna Nowak").wait_for()
    page.goto(f"{live_server}/admin/segments/new/?lang=en")
    count = page.locator("#live-count [data-stat=members]")
    expect(count).to_have_text("0")  # no condition and no list: nobody

    page.get_by_text("The rule as JSON (export and import)").click()
    box = page.get_by_label("Import: paste a rule as JSON")
    box.fill('{"all": [')
    page.get_by_role("button", name="Import the pasted rule").click()
    expect(page.locator("[data-import-error]")).to_contain_text("This is not valid JSON")
    box.fill('{"all": [42]}')
    page.get_by_role("button", name="Import the pasted rule").click()
    expect(page.locator("[data-import-error]")).to_contain_text("rule.all[0]")

    box.fill('{"all": [{"field": "district", "op": "eq", "value": "Jeziorna"},'
             ' {"not": {"any": [{"field": "days_overdue", "op": "gt", "value": "2.5"}]}}]}')
    page.get_by_role("button", name="Import the pasted rule").click()
    expect(page.locator(".rb-condition")).to_have_count(2)
    overdue = page.locator(".rb-condition[data-field=days_overdue]")
    expect(overdue.locator(".rb-error")).to_contain_text("2.5")
    expect(overdue.locator("[data-role=value]")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".rb-group .rb-group > .rb-head [data-role=not]")).to_be_checked()
    screenshot("segments-04-import-error")

    value = overdue.locator("[data-role=value]")
    value.fill("2")
    expect(overdue.locator(".rb-error")).to_be_empty()
    expect(count).to_have_text("2")
    expect(page.locator("[data-rule-json]")).to_contain_text('"days_overdue"')
    with page.expect_download() as download:
        page.get_by_role("button", name="Download as .json").click()
    assert download.value.suggested_filename == "segment.json"
