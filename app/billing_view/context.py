"""Who may see what on the portal's account pages: one check shared by every billing page.

A contractor id in a URL answers 404 unless the signed-in portal user has a CONFIRMED link to it;
a unit's data is shown only while the user's consent to that unit stands.
"""

from __future__ import annotations

from flask import abort, g

from app.accounts.models import Contractor, Unit
from app.accounts.portal_auth import current_contractors, current_unit_ids, current_units
from app.core.extensions import db


def confirmed_contractors() -> list[Contractor]:
    """The businesses the signed-in user may see (confirmed links), by name; cached per request."""
    if "portal_contractors" not in g:
        g.portal_contractors = current_contractors()
    return g.portal_contractors


def contractor_or_404(contractor_id: int) -> Contractor:
    """The business with this id when the signed-in user's link to it is confirmed; else 404."""
    for contractor in confirmed_contractors():
        if contractor.id == contractor_id:
            return contractor
    abort(404)


def visible_unit_ids() -> set[int]:
    """Ids of the active units the signed-in user consented to (empty when not signed in)."""
    return current_unit_ids()


def visible_units() -> list[Unit]:
    """The consented units, by name."""
    return current_units()


def unit_or_404(unit_id: int) -> Unit:
    """The unit when the signed-in user consented to it; else 404."""
    if unit_id not in visible_unit_ids():
        abort(404)
    return db.session.get(Unit, unit_id)

