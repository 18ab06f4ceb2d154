"""Consent of a portal user to data processing by office units (at least one is required).

The portal shows a unit's data only while the user's consent to that unit stands. Every grant
and withdrawal is kept (rows of `PortalUnitConsent`) and audited.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Select, bindparam, select

from app.accounts.models import PortalUnitConsent, PortalUser, Unit
from app.core import audit
from app.core.clock import utcnow
from app.core.db import transactional
from app.core.extensions import db


class ConsentError(ValueError):
    """A consent change the portal refuses (the message is shown to the user)."""


@cache
def _consented_units_statement() -> Select:
    """Built once (every portal page asks): the active units :portal_user_id's consent stands for."""
    return (select(Unit).join(PortalUnitConsent, PortalUnitConsent.unit_id == Unit.id)
            .where(PortalUnitConsent.portal_user_id == bindparam("portal_user_id"),
                   PortalUnitConsent.withdrawn_at.is_(None), Unit.is_active.is_(True))
            .order_by(Unit.name, Unit.id))


def consented_units(portal_user_id: int) -> list[Unit]:
    """The active units the user's consent stands for, by name (empty: the portal must ask first)."""
    return list(db.session.scalars(_consented_units_statement(), {"portal_user_id": portal_user_id}).unique())


def consented_unit_ids(portal_user_id: int) -> set[int]:
    """Ids of the active units the user's consent stands for (empty: the portal must ask first)."""
    return {unit.id for unit in consented_units(portal_user_id)}


def active_units() -> list[Unit]:
    """The units a user may consent to, by name."""
    return list(db.session.scalars(select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.name, Unit.id)))


def consent_history(portal_user_id: int) -> list[PortalUnitConsent]:
    """Every grant (and its withdrawal) of the user, newest first."""
    return list(db.session.scalars(
        select(PortalUnitConsent).where(PortalUnitConsent.portal_user_id == portal_user_id)
        .order_by(PortalUnitConsent.granted_at.desc(), PortalUnitConsent.id.desc())))


def _standing(portal_user_id: int) -> dict[int, PortalUnitConsent]:
    rows = db.session.scalars(select(PortalUnitConsent).where(
        PortalUnitConsent.portal_user_id == portal_user_id, PortalUnitConsent.withdrawn_at.is_(None)))
    return {row.unit_id: row for row in rows}


def _audit(user: PortalUser, action: str, unit_id: int) -> None:
    audit.record(action, actor_type="portal", actor_id=user.id, actor_label=user.email,
                 target=f"unit:{unit_id}", portal_user_id=user.id)


def _active_unit_ids(unit_ids: set[int]) -> set[int]:
    if not unit_ids:
        return set()
    return set(db.session.scalars(select(Unit.id).where(Unit.id.in_(unit_ids), Unit.is_active.is_(True))))


@transactional
def grant_consent(user: PortalUser, unit_id: int) -> bool:
    """Consent to the unit's processing of the user's data; False when it already stood."""
    if not _active_unit_ids({unit_id}):
        raise ConsentError("unknown_unit")
    if unit_id in _standing(user.id):
        return False
    db.session.add(PortalUnitConsent(portal_user_id=user.id, unit_id=unit_id, granted_at=utcnow()))
    _audit(user, "portal.unit_consent_granted", unit_id)
    return True


@transactional
def withdraw_consent(user: PortalUser, unit_id: int) -> bool:
    """Withdraw the consent to the unit; refused (ConsentError "last_consent") for the last one."""
    standing = _standing(user.id)
    if unit_id not in standing:
        return False
    if not (consented_unit_ids(user.id) - {unit_id}):
        raise ConsentError("last_consent")
    standing[unit_id].withdrawn_at = utcnow()
    _audit(user, "portal.unit_consent_withdrawn", unit_id)
    return True


@transactional
def set_consents(user: PortalUser, unit_ids: set[int]) -> tuple[set[int], set[int]]:
    """Make exactly `unit_ids` (active units) the consented ones; returns (granted, withdrawn).

    Refuses (ConsentError "none_chosen") to leave no unit consented; nothing changes then.
    """
    wanted = _active_unit_ids(set(unit_ids))
    if not wanted:
        raise ConsentError("none_chosen")
    standing = _standing(user.id)
    now = utcnow()
    granted = wanted - set(standing)
    withdrawn = set(standing) - wanted
    for unit_id in sorted(granted):
        db.session.add(PortalUnitConsent(portal_user_id=user.id, unit_id=unit_id, granted_at=now))
        _audit(user, "portal.unit_consent_granted", unit_id)
    for unit_id in sorted(withdrawn):
        standing[unit_id].withdrawn_at = now
        _audit(user, "portal.unit_consent_withdrawn", unit_id)
    return granted, withdrawn
