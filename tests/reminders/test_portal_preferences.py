"""A business sets its reminders, news and contacts in the portal; the sweep's rules follow."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accounts.models import (
    CategoryPreference,
    ContactPoint,
    LinkStatus,
    PortalLink,
    PortalUnitConsent,
)
from app.channels.models import Message, Purpose
from app.core.clock import utcnow
from app.reminders.models import ReminderPreference, ReminderRule
from app.reminders.preferences import ensure_plans
from tests.admin_support import csrf_from
from tests.factories import create_contractor, create_portal_user, create_unit


def _rules(contractor_id: int, topic: str = "PON") -> set[tuple[int, int, str]]:
    from app.core.extensions import db

    return {(r.offset_days, r.hour, r.channel) for r in db.session.scalars(select(ReminderRule).where(
        ReminderRule.contractor_id == contractor_id, ReminderRule.topic == topic))}


@pytest.fixture
def portal(client, db):
    """A client signed in as a portal user with a confirmed link to one business (`portal.business`)."""
    ensure_plans()
    user = create_portal_user(email_verified_at=utcnow())
    business = create_contractor(name="Piekarnia Pod Lipą")
    db.session.add(PortalLink(user=user, contractor=business, status=LinkStatus.CONFIRMED, method="code"))
    db.session.add(PortalUnitConsent(portal_user_id=user.id, unit_id=create_unit().id))  # the portal asks first
    db.session.commit()
    token = csrf_from(client.get("/portal/logowanie").get_data(as_text=True))
    response = client.post("/portal/logowanie", data={"email": user.email, "password": "haslo-firmy-1",
                                                       "csrf_token": token})
    assert response.status_code == 302
    client.user, client.business = user, business
    client.url = f"/portal/powiadomienia/{business.id}"
    return client


def _post(client, path: str, data: dict):
    token = csrf_from(client.get(client.url + "?lang=en").get_data(as_text=True))
    return client.post(client.url + path, data={"csrf_token": token, **data})


def test_the_page_shows_the_office_plan_from_home(portal):
    home = portal.get("/portal/?lang=en").get_data(as_text=True)
    assert f'href="{portal.url}"' in home
    page = portal.get(portal.url + "?lang=en").get_data(as_text=True)
    assert "Piekarnia Pod Lipą" in page and "Property tax" in page
    assert page.count("the office’s plan") >= 7
    assert "Natural disaster alerts" in page and "cannot be switched off" in page


def test_own_days_channels_and_hour_become_the_rules(portal, db):
    response = _post(portal, "/przypomnienia/PON", {"mode": "own", "days_before": ["3", "14"],
                                                    "days_other": "21", "days_after": "5",
                                                    "channels": ["email", "sms"], "hour": "8"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#topic-PON")
    rules = _rules(portal.business.id)
    assert rules == {(d, 8, c) for d in (21, 14, 3, -5) for c in ("sms", "email")}
    page = portal.get(portal.url + "?lang=en").get_data(as_text=True)
    assert "Your choice for property tax was saved." in page
    assert 'data-source="PON">your choice' in page


def test_bad_input_is_marked_and_nothing_is_saved(portal, db):
    response = _post(portal, "/przypomnienia/PST", {"mode": "own", "days_before": ["3"], "days_other": "45, x",
                                                    "days_after": "", "hour": "8"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="PST-days_before-error"' in page and "whole numbers from 0 to 30" in page
    assert 'id="PST-channels-error"' in page and "at least one channel" in page
    assert 'value="45, x"' in page  # the typed values come back
    assert re.search(r'value="3" id="PST-days_before-3"\s+checked', page)
    assert '<option value="8" selected>' in page
    assert db.session.scalar(select(ReminderPreference)) is None
    assert _rules(portal.business.id, "PST") == set()


def test_off_and_back_to_the_plan(portal, db):
    assert _post(portal, "/przypomnienia/ALK", {"mode": "off"}).status_code == 302
    preference = db.session.scalar(select(ReminderPreference).where(ReminderPreference.topic == "ALK"))
    assert preference.enabled is False and _rules(portal.business.id, "ALK") == set()
    assert "No notices of this kind." in portal.get(portal.url + "?lang=en").get_data(as_text=True)

    assert _post(portal, "/przypomnienia/ALK", {"mode": "plan"}).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(ReminderPreference)) is None


def test_account_change_notices_on_channels_and_off(portal, db):
    _post(portal, "/przypomnienia/changes", {"mode": "own", "channels": ["sms"]})
    preference = db.session.scalar(select(ReminderPreference).where(ReminderPreference.topic == "changes"))
    assert preference.channels == "sms" and preference.enabled
    _post(portal, "/przypomnienia/changes", {"mode": "off"})
    db.session.expire_all()
    assert db.session.get(ReminderPreference, preference.id).enabled is False


def test_news_categories_per_channel(portal, db):
    wanted = ["regional_event:sms", "regional_event:email", "cultural_event:email", "economic:sms",
              "economic:email", "obligations:sms", "obligations:email"]
    assert _post(portal, "/kategorie", {"wanted": wanted}).status_code == 302
    choice = db.session.scalar(select(CategoryPreference))
    assert (choice.category, choice.sms, choice.email) == ("cultural_event", False, True)


def test_another_business_is_a_404(portal, db):
    other = create_contractor(name="Obca Firma")
    db.session.commit()
    assert portal.get(f"/portal/powiadomienia/{other.id}").status_code == 404
    token = csrf_from(portal.get(portal.url).get_data(as_text=True))
    response = portal.post(f"/portal/powiadomienia/{other.id}/przypomnienia/PON",
                           data={"csrf_token": token, "mode": "off"})
    assert response.status_code == 404 and _rules(other.id) == set()


def test_an_unconfirmed_link_awaits_the_office(portal, db):
    waiting = create_contractor(name="Firma Czeka")
    db.session.add(PortalLink(user=portal.user, contractor=waiting, status=LinkStatus.REQUESTED))
    db.session.commit()
    response = portal.get(f"/portal/powiadomienia/{waiting.id}?lang=en")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "has not confirmed your link" in page and "Firma Czeka" not in page


def test_a_signed_out_visitor_goes_to_sign_in(client, db):
    response = client.get("/portal/powiadomienia/1")
    assert response.status_code == 302 and "/portal/logowanie" in response.headers["Location"]


def _sent_code(db) -> str:
    message = db.session.scalars(select(Message).where(Message.purpose == Purpose.VERIFICATION)
                                 .order_by(Message.id.desc())).first()
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def test_a_phone_is_added_only_with_the_right_code(portal, db):
    response = _post(portal, "/kontakt", {"channel": "sms", "value": "600 100 200"})
    assert response.status_code == 302
    message = db.session.scalar(select(Message).where(Message.purpose == Purpose.VERIFICATION))
    assert message.recipient == "+48600100200" and message.contractor_id == portal.business.id
    code = _sent_code(db)
    assert db.session.scalar(select(ContactPoint)) is None

    wrong = f"{(int(code) + 1) % 10**6:06d}"
    response = _post(portal, "/kontakt/kod", {"code": wrong})
    assert response.status_code == 400 and "Attempts left: 4" in response.get_data(as_text=True)
    assert db.session.scalar(select(ContactPoint)) is None

    assert _post(portal, "/kontakt/kod", {"code": code}).status_code == 302
    point = db.session.scalar(select(ContactPoint))
    assert (point.channel, point.value, point.source) == ("sms", "+48600100200", "portal")
    assert point.verified_at is not None and point.number_class == "mobile"
    assert "+48 600 100 200" in portal.get(portal.url + "?lang=en").get_data(as_text=True)


def test_five_wrong_codes_end_the_code(portal, db):
    _post(portal, "/kontakt", {"channel": "email", "value": "biuro@piekarnia.pl"})
    code = _sent_code(db)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        response = _post(portal, "/kontakt/kod", {"code": wrong})
    assert "no attempts are left" in response.get_data(as_text=True)
    response = _post(portal, "/kontakt/kod", {"code": code})
    assert response.status_code == 400 and "no code waiting" in response.get_data(as_text=True)
    assert db.session.scalar(select(ContactPoint)) is None


def test_a_landline_or_nonsense_gets_no_code(portal, db):
    response = _post(portal, "/kontakt", {"channel": "sms", "value": "87 621 61 00"})
    assert response.status_code == 400 and "Polish mobile number" in response.get_data(as_text=True)
    response = _post(portal, "/kontakt", {"channel": "email", "value": "nie-adres"})
    assert response.status_code == 400 and 'id="contact-value-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(Message)) is None


def test_sending_codes_is_rate_limited(portal, app):
    app.config["PORTAL_CODE_RATE_LIMIT"] = "2 per hour"
    statuses = [_post(portal, "/kontakt", {"channel": "sms", "value": "600100200"}).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]


def test_wrong_codes_are_limited_on_the_server_too(portal, db, app):
    app.config["PORTAL_CODE_ENTRY_RATE_LIMIT"] = "3 per hour"
    _post(portal, "/kontakt", {"channel": "sms", "value": "600100200"})
    statuses = [_post(portal, "/kontakt/kod", {"code": "000000" if _sent_code(db) != "000000" else "111111"}
                      ).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]


def test_the_page_lists_unpaid_deadlines_moved_off_days_off(portal, db):
    from datetime import timedelta

    from app.accounts.models import Allocation
    from app.core.clock import today_warsaw
    from app.reminders.calendar import effective_due
    from tests.factories import create_obligation, create_payment

    today = today_warsaw()
    sunday = today + timedelta(days=(6 - today.weekday()) % 7 + 7)
    create_obligation(contractor=portal.business, kind="PON", due_on=sunday, description="Rata podatku 11/2026")
    create_obligation(contractor=portal.business, kind="PST", due_on=today + timedelta(days=90),
                      description="Podatek od środków transportowych za daleko")
    paid = create_obligation(contractor=portal.business, kind="UW", due_on=today + timedelta(days=10),
                             description="Opłata już zapłacona")
    payment = create_payment(contractor=portal.business, amount=paid.amount)
    db.session.add(Allocation(payment_id=payment.id, obligation_id=paid.id, amount=paid.amount))
    create_obligation(kind="PON", due_on=today + timedelta(days=3), description="Cudza rata")
    db.session.commit()
    page = portal.get(portal.url + "?lang=en").get_data(as_text=True)
    section = page.split('data-section="upcoming"')[1].split("</section>")[0]
    assert "Rata podatku 11/2026" in section
    assert effective_due("PON", sunday).strftime("%d.%m.%Y") in section
    assert f"moved from {sunday:%d.%m.%Y}, a day off" in section
    for absent in ("za daleko", "już zapłacona", "Cudza rata"):
        assert absent not in section
