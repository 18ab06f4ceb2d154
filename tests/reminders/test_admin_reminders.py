"""The reminder pages of the office: plans, a business's own choices, texts and unit settings."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.core.audit import AuditEntry
from app.reminders.models import (
    ReminderPlan,
    ReminderPreference,
    ReminderRule,
    ReminderText,
    ReminderUnitSetting,
)
from tests.admin_support import csrf_from, signed_in
from tests.factories import create_contractor, create_unit

PLANS, CHOICES, TEXTS = "/admin/reminder_plans/", "/admin/reminder_preferences/", "/admin/reminder_texts/"


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def post(client, url: str, page_url: str, data: dict | None = None):
    """Post a form with the CSRF token of the page it is on."""
    return client.post(url, data={"csrf_token": csrf_from(page(client, page_url)), **(data or {})})


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def row(html: str, topic: str) -> str:
    """The text of the table row of a topic."""
    match = re.search(rf'<tr data-topic="{topic}">(.*?)</tr>', html, re.S)
    assert match, f"no row of {topic}"
    return text_of(match.group(1))


def errors_at(html: str, field_id: str) -> str:
    match = re.search(rf'<div id="{field_id}-error"[^>]*>(.*?)</div>\s*(?=<|$)', html, re.S)
    assert match, f"no error box for {field_id}"
    return text_of(match.group(1))


def staff(client, db, *roles):
    signed_in(client, db, *roles)
    client.get("/admin/?lang=en")
    return client


def plan_data(topic: str = "PON", **overrides) -> dict:
    data = {"days_before": "14, 3", "days_after": "5", "channels": ["sms", "email"], "hour": "10", "enabled": "y"}
    data.update(overrides)
    return {f"{topic}-{k}": v for k, v in data.items() if v is not None}


def rules(db, contractor_id=None, topic="PON") -> set[tuple]:
    owner = ReminderRule.contractor_id.is_(None) if contractor_id is None else (
        ReminderRule.contractor_id == contractor_id)
    return {(r.offset_days, r.channel, r.hour) for r in db.session.scalars(
        select(ReminderRule).where(owner, ReminderRule.topic == topic))}


def audit_of(db, action: str) -> AuditEntry:
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id.desc()))
    assert entry is not None, f"no audit entry {action}"
    return entry


@pytest.mark.parametrize("roles, status", [
    (("finance",), 200), (("approver",), 200), (("communicator",), 200), (("inbox",), 403),
])
def test_who_may_open_the_reminder_pages(client, db, roles, status):
    staff(client, db, *roles)
    for url in (PLANS, CHOICES, TEXTS):
        assert client.get(url).status_code == status, url


def test_a_communicator_changes_a_plan_and_the_sweep_rules_follow(client, db):
    staff(client, db, "communicator")
    html = page(client, PLANS)
    assert "7, 1" in row(html, "PON") and "built-in plan" in row(html, "PON")
    response = post(client, f"{PLANS}PON/", PLANS, plan_data())
    assert response.status_code == 302
    assert rules(db) == {(14, "sms", 10), (14, "email", 10), (3, "sms", 10), (3, "email", 10),
                         (-5, "sms", 10), (-5, "email", 10)}
    html = page(client, response.headers["Location"])
    assert "The plan for property tax was saved." in html
    assert row(html, "PON").startswith("property tax 14, 3 5 phone (SMS), email 10:00 on changed")
    entry = audit_of(db, "reminders.plan_saved")
    assert (entry.actor_type, entry.actor_label, entry.target) == ("staff", client.user.email, "plan:PON")


def test_switching_a_plan_off_removes_its_rules(client, db):
    staff(client, db, "admin")
    post(client, f"{PLANS}PST/", PLANS, plan_data("PST"))
    assert rules(db, topic="PST")
    post(client, f"{PLANS}PST/", PLANS, plan_data("PST", enabled=None, channels=None))
    assert rules(db, topic="PST") == set()
    assert "off" in row(page(client, PLANS), "PST")


@pytest.mark.parametrize("overrides, field, message", [
    ({"days_before": "31"}, "days_before", "Days before the deadline must be whole numbers from 0 to 30."),
    ({"days_before": "7, abc"}, "days_before", "Days before the deadline must be whole numbers from 0 to 30."),
    ({"days_after": "0"}, "days_after", "Days after the deadline must be whole numbers from 1 to 60."),
    ({"channels": None}, "channels", "Choose at least one channel, or switch the reminders off."),
])
def test_a_wrong_value_is_marked_at_its_field_and_nothing_is_saved(client, db, overrides, field, message):
    staff(client, db, "communicator")
    response = post(client, f"{PLANS}PON/", PLANS, plan_data(**overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in errors_at(html, f"PON-{field}")
    assert "The plan for property tax was not saved" in html
    if field != "channels":
        assert f'value="{overrides[field]}"' in html and 'aria-invalid="true"' in html
    assert db.session.scalar(select(ReminderPlan)) is None and rules(db) == set()
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "reminders.plan_saved")) is None


def test_finance_sees_the_plans_but_cannot_change_them(client, db):
    staff(client, db, "finance")
    html = page(client, PLANS)
    assert "property tax" in html and "data-plan-form" not in html
    assert "Administrators and communicators change the plans." in html
    assert post(client, f"{PLANS}PON/", PLANS, plan_data()).status_code == 403
    assert db.session.scalar(select(ReminderPlan)) is None


@pytest.mark.parametrize("query", ["526-025-02-74", "pod lipą", "T-LIPA"])
def test_a_business_is_found_by_nip_name_or_legacy_id(client, db, query):
    bakery = create_contractor(name="Piekarnia Pod Lipą", nip="5260250274", legacy_id="T-LIPA")
    create_contractor(name="Kwiaciarnia Róża")
    staff(client, db, "communicator")
    html = page(client, f"{CHOICES}?q={query}")
    assert f'href="{CHOICES}{bakery.id}/"' in html and "Kwiaciarnia" not in html


def test_staff_set_a_business_own_choice_and_reset_it(client, db):
    bakery = create_contractor(name="Piekarnia Pod Lipą")
    staff(client, db, "communicator")
    url = f"{CHOICES}{bakery.id}/"
    html = page(client, url)
    assert row(html, "PON").startswith("property tax office plan 7, 1 3 phone (SMS)")
    assert 'href="/admin/contractors/details/?id=' in html

    response = post(client, f"{url}PON/", url, plan_data(days_before="2", days_after="", channels="email",
                                                           hour="8"))
    assert response.status_code == 302
    choice = db.session.scalar(select(ReminderPreference))
    assert (choice.contractor_id, choice.topic, choice.source) == (bakery.id, "PON", "admin")
    assert rules(db, bakery.id) == {(2, "email", 8)}
    html = page(client, response.headers["Location"])
    assert row(html, "PON").startswith("property tax its own choice set through office staff")
    assert "2 — email 08:00 on" in row(html, "PON")
    assert audit_of(db, "reminders.preference_saved").actor_label == client.user.email

    response = post(client, f"{url}PON/reset/", url)
    assert response.status_code == 302
    assert db.session.scalar(select(ReminderPreference)) is None and rules(db, bakery.id) == set()
    html = page(client, response.headers["Location"])
    assert row(html, "PON").startswith("property tax office plan 7, 1")
    entry = audit_of(db, "reminders.preference_reset")
    assert (entry.actor_type, entry.target) == ("staff", f"contractor:{bakery.id}")


def test_a_wrong_choice_for_a_business_is_marked_and_not_saved(client, db):
    bakery = create_contractor()
    staff(client, db, "admin")
    url = f"{CHOICES}{bakery.id}/"
    response = post(client, f"{url}PON/", url, plan_data(days_before="abc", days_after=""))
    assert "whole numbers from 0 to 30" in errors_at(response.get_data(as_text=True), "PON-days_before")
    assert db.session.scalar(select(ReminderPreference)) is None


def test_finance_cannot_change_a_business_choice(client, db):
    bakery = create_contractor()
    staff(client, db, "finance")
    url = f"{CHOICES}{bakery.id}/"
    assert "data-choice-form" not in page(client, url)
    assert post(client, f"{url}PON/", url, plan_data()).status_code == 403


def test_a_text_with_an_unknown_placeholder_is_refused_by_name(client, db):
    staff(client, db, "communicator")
    body = "{{ nazwa }}: zapłać {{ kwota }} do {{ termin }}"
    response = post(client, f"{TEXTS}due/sms/", TEXTS, {"due-sms-body": body})
    html = response.get_data(as_text=True)
    assert "Unknown placeholder {{ kwota }}." in errors_at(html, "due-sms-body")
    assert body in html
    response = post(client, f"{TEXTS}changes/email/", TEXTS, {"changes-email-body": "{{ terminy }}"})
    assert "Unknown placeholder {{ terminy }}." in errors_at(response.get_data(as_text=True), "changes-email-body")
    response = post(client, f"{TEXTS}due/sms/", TEXTS, {"due-sms-body": "{{ nazwa "})
    assert "This is not a valid template" in errors_at(response.get_data(as_text=True), "due-sms-body")
    assert db.session.scalar(select(ReminderText)) is None


def test_a_valid_text_is_saved_and_restoring_removes_it(client, db):
    staff(client, db, "communicator")
    data = {"overdue-email-subject": "Minął termin {{ termin }}",
            "overdue-email-body": "{{ nazwa }}, minął termin płatności: {{ terminy }}. {{ link }} {{ jednostka }}"}
    response = post(client, f"{TEXTS}overdue/email/", TEXTS, data)
    assert response.status_code == 302
    text = db.session.scalar(select(ReminderText))
    assert (text.purpose, text.channel, text.subject) == ("overdue", "email", "Minął termin {{ termin }}")
    assert text.updated_by_id == client.user.id
    html = page(client, response.headers["Location"])
    assert "Restore the built-in text" in html and "{{ nazwa }}, minął termin płatności" in html
    assert audit_of(db, "reminders.text_saved").actor_label == client.user.email

    response = post(client, f"{TEXTS}overdue/email/restore/", TEXTS)
    assert response.status_code == 302
    assert db.session.scalar(select(ReminderText)) is None
    assert "The built-in text “Overdue notice” (email) is used again." in page(client, response.headers["Location"])
    assert audit_of(db, "reminders.text_restored").target == "text:overdue:email"


def test_an_admin_lets_a_unit_name_amounts_in_emails(client, db):
    unit, other = create_unit(name="Wydział Podatków"), create_unit(name="Wydział Mienia")
    staff(client, db, "admin")
    html = page(client, TEXTS)
    assert "tajemnica skarbowa" in html and "an SMS never carries an amount" in html
    response = post(client, f"{TEXTS}units/", TEXTS, {f"amounts-{unit.id}": "y"})
    assert response.status_code == 302
    assert [(s.unit_id, s.amounts_in_email) for s in db.session.scalars(select(ReminderUnitSetting))] == [
        (unit.id, True)]
    assert f'id="amounts-{unit.id}" name="amounts-{unit.id}" value="y" checked' in page(client, TEXTS)
    assert audit_of(db, "reminders.unit_setting_saved").target == f"unit:{unit.id}"
    assert other.id


def test_only_an_admin_changes_the_unit_settings(client, db):
    unit = create_unit()
    staff(client, db, "communicator")
    assert "Administrators change these settings." in page(client, TEXTS)
    assert post(client, f"{TEXTS}units/", TEXTS, {f"amounts-{unit.id}": "y"}).status_code == 403
    assert db.session.scalar(select(ReminderUnitSetting)) is None
