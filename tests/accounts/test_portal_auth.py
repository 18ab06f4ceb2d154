"""Business portal accounts: register, confirm the email, sign in; link businesses by NIP and code."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.accounts.models import LinkStatus, PortalLink, PortalUser
from app.accounts.portal_links import clean_code, link_code
from app.channels.models import Message, Purpose
from app.core.audit import AuditEntry
from app.core.clock import utcnow
from tests.admin_support import csrf_from
from tests.factories import create_contractor, create_portal_user

PASSWORD = "bardzo-dlugie-haslo"


def _post(client, url: str, **data):
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def sign_in_portal(client, email: str, password: str = "haslo-firmy-1"):
    """Post the portal sign-in form; returns the response."""
    return _post(client, "/portal/logowanie?lang=en", email=email, password=password)


def portal_user(db, **overrides) -> PortalUser:
    """A verified, active portal user (password `haslo-firmy-1`)."""
    user = create_portal_user(email_verified_at=utcnow(), **overrides)
    db.session.commit()
    return user


def test_register_verify_and_sign_in(client, db):
    response = _post(client, "/portal/rejestracja?lang=en", email="Biuro@Piekarnia.pl", password=PASSWORD,
                     password_again=PASSWORD)
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    user = db.session.scalar(select(PortalUser).where(PortalUser.email == "biuro@piekarnia.pl"))
    assert user.email_verified_at is None

    message = db.session.scalar(select(Message).where(Message.purpose == Purpose.VERIFICATION))
    assert message.recipient == "biuro@piekarnia.pl" and message.channel == "email"
    link = re.search(r"https?://\S+/portal/potwierdz-email/\S+", message.body).group(0)

    refused = sign_in_portal(client, "biuro@piekarnia.pl", PASSWORD)
    assert refused.status_code == 401
    assert "not confirmed yet" in refused.get_data(as_text=True)

    landing = client.get("/" + link.split("/", 3)[3] + "?lang=en")
    assert landing.status_code == 200
    assert "Email address confirmed" in landing.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PortalUser, user.id).email_verified_at is not None

    response = sign_in_portal(client, "biuro@piekarnia.pl", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/portal/")
    home = client.get("/portal/?lang=en").get_data(as_text=True)
    assert "Your businesses" in home and "No business is linked" in home
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "portal.login")) == "portal.login"


def test_registration_refuses_a_short_password_and_different_repeat(client, db):
    response = _post(client, "/portal/rejestracja?lang=en", email="a@firma.pl", password="krotkie",
                     password_again="inne")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "at least 12 characters" in page and "not the same" in page
    assert 'aria-describedby="password-hint password-error"' in page
    assert db.session.scalar(select(PortalUser)) is None


def test_a_bad_or_tampered_verification_link_is_refused(client, db):
    response = client.get("/portal/potwierdz-email/nonsense?lang=en")
    assert response.status_code == 400
    assert "The link does not work" in response.get_data(as_text=True)


def test_wrong_password_gets_the_generic_error_and_is_audited(client, db):
    user = portal_user(db)
    for email, password in ((user.email, "zle-haslo-123"), ("nikt@firma.pl", "zle-haslo-123")):
        response = sign_in_portal(client, email, password)
        assert response.status_code == 401
        assert "Wrong email or password, or the account is disabled." in response.get_data(as_text=True)
    reasons = db.session.scalars(select(AuditEntry.details).where(AuditEntry.action == "portal.login_failed")).all()
    assert sorted(d["reason"] for d in reasons) == ["unknown_email", "wrong_password"]
    assert client.get("/portal/").status_code == 302


def test_a_disabled_account_cannot_sign_in_and_its_session_ends(client, db):
    user = portal_user(db)
    assert sign_in_portal(client, user.email).status_code == 302
    assert client.get("/portal/").status_code == 200
    user.is_active = False
    db.session.commit()
    response = client.get("/portal/")
    assert response.status_code == 302 and "/portal/logowanie" in response.headers["Location"]
    assert sign_in_portal(client, user.email).status_code == 401


def test_staff_session_does_not_open_the_portal(staff_client):
    response = staff_client.get("/portal/")
    assert response.status_code == 302 and "/portal/logowanie" in response.headers["Location"]


def test_the_office_code_is_short_stable_and_forgiving(app):
    code = link_code(42)
    assert len(code) == 8 and code == link_code(42) and code != link_code(43)
    assert not set(code) & set("ILOU")
    assert clean_code(f" {code[:4].lower()}-{code[4:]} ") == code


def _signed_in(client, db) -> PortalUser:
    user = portal_user(db)
    assert sign_in_portal(client, user.email).status_code == 302
    return user


def test_nip_and_the_right_code_link_at_once(client, db):
    user = _signed_in(client, db)
    business = create_contractor(name="Piekarnia Pod Lipą", nip="7900712840")
    db.session.commit()
    response = _post(client, "/portal/dodaj-firme?lang=en", nip="790-071-28-40", code=link_code(business.id).lower())
    assert response.status_code == 302
    link = db.session.scalar(select(PortalLink).where(PortalLink.portal_user_id == user.id))
    assert (link.contractor_id, link.status, link.method) == (business.id, LinkStatus.CONFIRMED, "code")
    home = client.get("/portal/?lang=en").get_data(as_text=True)
    assert "Piekarnia Pod Lipą" in home and "The business is linked to your account." in home


def test_a_wrong_code_links_nothing(client, db):
    user = _signed_in(client, db)
    create_contractor(nip="7900712840")
    db.session.commit()
    response = _post(client, "/portal/dodaj-firme?lang=en", nip="7900712840", code="ABCD2345")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This code does not match this NIP" in page and 'id="code-error"' in page
    assert db.session.scalar(select(PortalLink).where(PortalLink.portal_user_id == user.id)) is None
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "portal_link.wrong_code"))


def test_wrong_codes_are_rate_limited(client, db, app):
    app.config["PORTAL_LINK_RATE_LIMIT"] = "2 per hour"
    _signed_in(client, db)
    create_contractor(nip="7900712840")
    db.session.commit()
    statuses = [_post(client, "/portal/dodaj-firme?lang=en", nip="7900712840", code="ABCD2345").status_code
                for _ in range(3)]
    assert statuses == [400, 400, 429]


def test_nip_alone_waits_for_the_office(client, db):
    user = _signed_in(client, db)
    business = create_contractor(name="Warsztat Auto", nip="7900712840")
    db.session.commit()
    response = _post(client, "/portal/dodaj-firme?lang=en", nip="7900712840", code="")
    assert response.status_code == 302
    link = db.session.scalar(select(PortalLink).where(PortalLink.portal_user_id == user.id))
    assert (link.contractor_id, link.status, link.method) == (business.id, LinkStatus.REQUESTED, "office")
    home = client.get("/portal/?lang=en").get_data(as_text=True)
    assert "Waiting for the office" in home and "No business is linked to your account yet." in home


def test_an_invalid_or_unknown_nip_is_named(client, db):
    _signed_in(client, db)
    bad = _post(client, "/portal/dodaj-firme?lang=en", nip="1234567890", code="")
    assert bad.status_code == 400 and "This is not a valid NIP" in bad.get_data(as_text=True)
    unknown = _post(client, "/portal/dodaj-firme?lang=en", nip="7900712840", code="")
    assert unknown.status_code == 400 and "No business with this NIP" in unknown.get_data(as_text=True)
    assert db.session.scalar(select(PortalLink)) is None
