"""A demo business user of the portal: two businesses with the most obligations, every unit consented."""

from __future__ import annotations

from sqlalchemy import func, select

from app.accounts.models import (
    LinkStatus,
    Obligation,
    PortalLink,
    PortalUnitConsent,
    PortalUser,
    RecordStatus,
    Unit,
)
from app.core.clock import utcnow
from app.core.extensions import db

EMAIL = "firma@demo.elk.pl"
PASSWORD = "demo-firma-2026"
#: Bank settlement number and the office's client code of the town hall's virtual accounts.
VIRTUAL_PREFIX = "102059032026"


def ensure_demo_portal_user() -> PortalUser:
    """Create (or restore) the demo portal user, linked and consented; the town hall gets virtual accounts."""
    user = db.session.scalar(select(PortalUser).where(func.lower(PortalUser.email) == EMAIL))
    if user is None:
        user = PortalUser(email=EMAIL, name="Demo – biuro rachunkowe")
        db.session.add(user)
    user.set_password(PASSWORD)
    user.is_active, user.email_verified_at = True, user.email_verified_at or utcnow()
    db.session.flush()
    busiest = db.session.scalars(
        select(Obligation.contractor_id).where(Obligation.status == RecordStatus.ACTIVE)
        .group_by(Obligation.contractor_id)
        .order_by(func.count(func.distinct(Obligation.unit_id)).desc(), func.count().desc(),
                  Obligation.contractor_id)
        .limit(2)).all()
    linked = {link.contractor_id for link in user.links}
    for contractor_id in busiest:
        if contractor_id not in linked:
            db.session.add(PortalLink(user=user, contractor_id=contractor_id, status=LinkStatus.CONFIRMED,
                                      method="office", decided_at=utcnow()))
    consented = set(db.session.scalars(select(PortalUnitConsent.unit_id).where(
        PortalUnitConsent.portal_user_id == user.id, PortalUnitConsent.withdrawn_at.is_(None))))
    for unit in db.session.scalars(select(Unit).where(Unit.is_active.is_(True))):
        if unit.id not in consented:
            db.session.add(PortalUnitConsent(portal_user_id=user.id, unit_id=unit.id))
        if unit.code == "UM" and not unit.virtual_account_prefix:
            unit.virtual_account_prefix = VIRTUAL_PREFIX
    db.session.flush()
    return user
