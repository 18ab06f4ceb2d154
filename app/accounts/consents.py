"""Whether a business's consent to be contacted by a channel stands, as SQL every feature shares."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, literal, not_, select

from app.accounts.models import Consent, Contractor

K = Consent.__table__


def consent_given(channel: str, contractor_id=None) -> ColumnElement[bool]:
    """The office-wide consent for the channel stands: granted, and not withdrawn since.

    `contractor_id` is the column (or value) naming the business; `contractors.id` by default.
    """
    contractor_id = Contractor.__table__.c.id if contractor_id is None else contractor_id
    granted = K.alias("granted")
    withdrawn = K.alias("withdrawn")
    later_withdrawal = exists(select(literal(1)).where(
        withdrawn.c.contractor_id == granted.c.contractor_id, withdrawn.c.channel == channel,
        withdrawn.c.unit_id.is_(None), withdrawn.c.granted.is_(False),
        withdrawn.c.recorded_at >= granted.c.recorded_at))
    return exists(select(literal(1)).where(
        granted.c.contractor_id == contractor_id, granted.c.channel == channel,
        granted.c.unit_id.is_(None), granted.c.granted.is_(True), not_(later_withdrawal)))
