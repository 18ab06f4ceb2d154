"""Change events: what changed on a contractor's account, for notifications to pick up."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models.contractors import Contractor
from app.core.clock import utcnow
from app.core.db import Base


class ChangeKind(StrEnum):
    """What changed."""

    CONTRACTOR_NEW = "contractor_new"
    CONTRACTOR_CHANGED = "contractor_changed"
    CONTRACTOR_CANCELLED = "contractor_cancelled"
    CONTACT_CHANGED = "contact_changed"
    ATTRIBUTE_CHANGED = "attribute_changed"
    OBLIGATION_NEW = "obligation_new"
    OBLIGATION_AMOUNT_CHANGED = "obligation_amount_changed"
    OBLIGATION_DUE_CHANGED = "obligation_due_changed"
    OBLIGATION_CANCELLED = "obligation_cancelled"
    PAYMENT_NEW = "payment_new"
    PAYMENT_CANCELLED = "payment_cancelled"
    APPOINTMENT_NEW = "appointment_new"
    APPOINTMENT_CHANGED = "appointment_changed"
    APPOINTMENT_CANCELLED = "appointment_cancelled"


class ChangeEvent(Base):
    """One change on a contractor's account; `processed_at` is set once notified."""

    __tablename__ = "change_events"
    __table_args__ = (
        Index("ix_change_events_contractor", "contractor_id", "created_at"),
        Index("ix_change_events_unprocessed", "processed_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str | None] = mapped_column(String(60))  # e.g. "obligation:N00000001"
    old_value: Mapped[str | None] = mapped_column(String(255))
    new_value: Mapped[str | None] = mapped_column(String(255))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(20), default="legacy")  # legacy, api, online
    # The legacy import run that found the change (none for API or online changes).
    import_run_id: Mapped[int | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]

    contractor: Mapped[Contractor] = relationship()
