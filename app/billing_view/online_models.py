"""Online payments: one row per attempt through a gateway."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Contractor, Payment, PortalUser, Unit
from app.core.clock import utcnow
from app.core.db import Base


class OnlinePaymentStatus(StrEnum):
    """Life of an attempt: created -> registered (at the gateway) -> paid | failed | cancelled."""

    CREATED = "created"
    REGISTERED = "registered"
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"


#: Statuses a gateway's (verified) notification of payment may still book from.
BOOKABLE = (OnlinePaymentStatus.CREATED, OnlinePaymentStatus.REGISTERED, OnlinePaymentStatus.CANCELLED,
            OnlinePaymentStatus.FAILED)


class OnlinePayment(Base):
    """A business's payment through a gateway to one unit; booked as a Payment once verified.

    `shares` holds the chosen obligations and what was still owed on each when the payment
    started (`{"<obligation id>": "123.45"}`); empty when the business paid an amount.
    """

    __tablename__ = "online_payments"
    __table_args__ = (
        Index("ix_online_payments_status_created", "status", "created_at"),
        Index("ix_online_payments_contractor", "contractor_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64), unique=True)
    portal_user_id: Mapped[int | None] = mapped_column(ForeignKey("portal_users.id", ondelete="SET NULL"))
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3), default="PLN")
    description: Mapped[str] = mapped_column(String(255))
    shares: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    gateway: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default=OnlinePaymentStatus.CREATED)
    gateway_token: Mapped[str | None] = mapped_column(String(100), index=True)
    order_id: Mapped[str | None] = mapped_column(String(40))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), unique=True)
    failure_reason: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    registered_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    portal_user: Mapped[PortalUser | None] = relationship()
    contractor: Mapped[Contractor] = relationship()
    unit: Mapped[Unit] = relationship()
    payment: Mapped[Payment | None] = relationship()

    @property
    def amount_grosze(self) -> int:
        """The amount in grosze, as gateways take it."""
        return int(self.amount * 100)

    def __str__(self) -> str:
        return f"{self.session_id} {self.amount} {self.status}"
