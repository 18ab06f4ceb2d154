"""Consent per office unit, session end on disabling, re-authentication before contact changes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import LinkStatus, PortalLink, PortalUnitConsent
from app.accounts.portal_consents import ConsentError, consented_unit_ids, withdraw_consent
from app.accounts.portal_signin import AUTH_AT_KEY
from app.core.audit import AuditEntry
from app.core.clock import utcnow
from tests.admin_support import csrf_from
from tests.factories import create_contractor, create_portal_user, create_unit


def _sign_in(client, db, *units):
    user = create_portal_user(email_verified_at=utcnow())
    db.session.commit()
    token = csrf_from(client.get("/portal/logowanie").get_data(as_text=True))
    response = client.post("/portal/logowanie", data={"email": user.email, "password": "haslo-firmy-1",
                                                       "csrf_token": token})
    assert response.status_code == 302
    return user


def _save(client, unit_ids, next_url=None):
    page = client.get("/portal/zgody?lang=en").get_data(as_text=True)
    url = "/portal/zgody?lang=en" + (f"&next={next_url}" if next_url else "")
    return client.post(url, data={"csrf_token": csrf_from(page), "unit_id": [str(i) for i in unit_ids]})


def test_the_portal_asks_for_consent_before_any_account_data(client, db):
    town, estate = create_unit(name="Urząd Miasta Ełku"), create_unit(name="Zarząd Mienia")
    user = _sign_in(client, db)
    response = client.get("/portal/?lang=en")
    assert response.status_code == 302 and "/portal/zgody" in response.headers["Location"]
    page = client.get("/portal/zgody?lang=en").get_data(as_text=True)
    assert "Urząd Miasta Ełku" in page and "Zarząd Mienia" in page and 'type="checkbox"' in page

    refused = _save(client, [])
    assert refused.status_code == 400 and "Choose at least one office unit" in refused.get_data(as_text=True)
    assert consented_unit_ids(user.id) == set()

    saved = _save(client, [town.id, estate.id], next_url="/portal/")
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/portal/")
    assert consented_unit_ids(user.id) == {town.id, estate.id}
    assert client.get("/portal/?lang=en").status_code == 200

    assert _save(client, [estate.id]).status_code == 302  # withdraw the town's consent
    assert consented_unit_ids(user.id) == {estate.id}
    rows = db.session.scalars(select(PortalUnitConsent).where(PortalUnitConsent.portal_user_id == user.id)).all()
    assert len(rows) == 2 and any(r.unit_id == town.id and r.withdrawn_at is not None for r in rows)
    history = client.get("/portal/zgody?lang=en").get_data(as_text=True)
    assert "History of your consents" in history and "still given" in history
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("portal.unit_consent%")))
    assert sorted(actions) == ["portal.unit_consent_granted", "portal.unit_consent_granted",
                               "portal.unit_consent_withdrawn"]


def test_the_last_consent_cannot_be_withdrawn(client, db):
    town = create_unit(name="Urząd Miasta Ełku")
    user = _sign_in(client, db)
    assert _save(client, [town.id]).status_code == 302
    with pytest.raises(ConsentError):
        withdraw_consent(user, town.id)
    assert consented_unit_ids(user.id) == {town.id}


def test_a_unit_without_consent_shows_nothing_of_its_data(client, db):
    from tests.factories import create_obligation

    town, estate = create_unit(name="Urząd Miasta Ełku"), create_unit(name="Zarząd Mienia")
    user = _sign_in(client, db)
    business = create_contractor(name="Piekarnia")
    db.session.add(PortalLink(user=user, contractor=business, status=LinkStatus.CONFIRMED, method="code"))
    create_obligation(contractor=business, unit=estate, description="Czynsz za lokal", due_on=None)
    create_obligation(contractor=business, unit=town, description="Rata podatku", due_on=None)
    db.session.commit()
    _save(client, [town.id])
    page = client.get("/portal/?lang=en").get_data(as_text=True)
    assert "Rata podatku" in page and "Czynsz za lokal" not in page and "Zarząd Mienia" not in page


def test_a_disabled_account_is_signed_out_at_once(client, db):
    town = create_unit(name="Urząd Miasta Ełku")
    user = _sign_in(client, db)
    _save(client, [town.id])
    assert client.get("/portal/zgody").status_code == 200
    user.is_active = False
    db.session.commit()
    for path in ("/portal/", "/portal/zgody", "/portal/potwierdz-haslo"):
        response = client.get(path)
        assert response.status_code == 302 and "/portal/logowanie" in response.headers["Location"]


def test_changing_contacts_needs_the_password_typed_recently(client, db, app):
    town = create_unit(name="Urząd Miasta Ełku")
    user = _sign_in(client, db)
    business = create_contractor(name="Piekarnia")
    db.session.add(PortalLink(user=user, contractor=business, status=LinkStatus.CONFIRMED, method="code"))
    db.session.commit()
    _save(client, [town.id])
    settings = f"/portal/powiadomienia/{business.id}"
    token = csrf_from(client.get(settings + "?lang=en").get_data(as_text=True))
    with client.session_transaction() as session:
        session[AUTH_AT_KEY] -= 16 * 60  # signed in 16 minutes ago
    response = client.post(settings + "/kontakt", data={"csrf_token": token, "channel": "sms",
                                                        "value": "501 234 567"},
                           headers={"Referer": f"http://localhost{settings}"})
    assert response.status_code == 302 and "/portal/potwierdz-haslo" in response.headers["Location"]
    reauth = client.get(response.headers["Location"] + "&lang=en")
    assert "Confirm your password" in reauth.get_data(as_text=True)
    wrong = client.post(response.headers["Location"], data={"csrf_token": csrf_from(reauth.get_data(as_text=True)),
                                                            "password": "nie-to-haslo"})
    assert wrong.status_code == 401
    right = client.post(response.headers["Location"], data={"csrf_token": csrf_from(reauth.get_data(as_text=True)),
                                                             "password": "haslo-firmy-1"})
    assert right.status_code == 302 and right.headers["Location"].endswith(settings)
    again = client.post(settings + "/kontakt", data={"csrf_token": token, "channel": "sms", "value": "501 234 567"})
    assert again.status_code == 302 and "/portal/potwierdz-haslo" not in again.headers["Location"]
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "portal.reauthenticated")) is not None
