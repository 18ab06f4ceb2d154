"""Signing a business user in to the portal for the billing pages' tests."""

from __future__ import annotations

from types import SimpleNamespace

from app.accounts.models import LinkStatus, PortalLink, PortalUnitConsent
from app.core.clock import utcnow
from tests.admin_support import csrf_from
from tests.factories import create_contractor, create_portal_user, create_unit


def portal_sign_in(client, email: str, password: str = "haslo-firmy-1"):
    """Post the portal sign-in form; returns the response."""
    token = csrf_from(client.get("/portal/logowanie").get_data(as_text=True))
    return client.post("/portal/logowanie", data={"email": email, "password": password, "csrf_token": token})


def portal_world(client, db, *, businesses=("Piekarnia Pod Lipą",), units=("Urząd Miasta Ełku",),
                 consented=None) -> SimpleNamespace:
    """A signed-in portal user with confirmed businesses and units (consent to `consented`, default all)."""
    user = create_portal_user(email_verified_at=utcnow())
    made_businesses = [create_contractor(name=name) for name in businesses]
    made_units = [create_unit(name=name) for name in units]
    for business in made_businesses:
        db.session.add(PortalLink(user=user, contractor=business, status=LinkStatus.CONFIRMED, method="code"))
    chosen = made_units if consented is None else [u for u in made_units if u.name in consented]
    for unit in chosen:
        db.session.add(PortalUnitConsent(portal_user_id=user.id, unit_id=unit.id))
    db.session.commit()
    assert portal_sign_in(client, user.email).status_code == 302
    return SimpleNamespace(client=client, user=user, businesses=made_businesses, units=made_units)
