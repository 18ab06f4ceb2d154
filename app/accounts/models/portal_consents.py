"""A portal user's consent to data processing by each office unit, with its history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models.units import Unit
from app.core.clock import utcnow
from app.core.db import Base


class PortalUnitConsent(Base):
    """One grant of consent to a unit; withdrawing stamps `withdrawn_at`, a new grant is a new row.

    A consent stands while `withdrawn_at` is NULL; the rows together are the history.
    """

    __tablename__ = "portal_unit_consents"
    __table_args__ = (Index("ix_portal_unit_consents_user_unit", "portal_user_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_user_id: Mapped[int] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]

    unit: Mapped[Unit] = relationship()

    @property
    def is_standing(self) -> bool:
        """True while the consent has not been withdrawn."""
        return self.withdrawn_at is None
