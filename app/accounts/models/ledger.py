"""Obligations, payments, their allocation, and appointments: the contractor's account."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models.contractors import Contractor, RecordStatus
from app.accounts.models.units import Unit
from app.core.clock import utcnow
from app.core.db import Base


class ObligationKind(StrEnum):
    """Kinds of obligation as the legacy system codes them (RODZAJ)."""

    PROPERTY_TAX = "PON"
    TRANSPORT_TAX = "PST"
    ALCOHOL_LICENCE = "ALK"
    PERPETUAL_USUFRUCT = "UW"
    LEASE_RENT = "DZR"
    REMINDER_COST = "KU"
    INTEREST = "ODS"
    OTHER_FEE = "OPL"


class PaymentMethod(StrEnum):
    """How a payment reached the office (SPOSOB)."""

    TRANSFER = "P"
    CASH = "K"
    ONLINE = "O"


class Obligation(Base):
    """An amount a contractor owes a unit (przypis), with its basis and due date."""

    __tablename__ = "obligations"
    __table_args__ = (
        # A balance (sum of a business's obligations in a unit) is read from the index alone.
        Index("ix_obligations_contractor_unit", "contractor_id", "unit_id", postgresql_include=["amount", "status"]),
        # A business's obligations by due date: the dashboard reads them until the first unpaid ones,
        # the obligations list chooses its page from the index alone (it carries what the filters test).
        Index("ix_obligations_contractor_due", "contractor_id", "due_on", "id",
              postgresql_include=["unit_id", "status", "kind", "amount", "paid_amount"]),
        Index("ix_obligations_due_on", "due_on"),
        Index("ix_obligations_document_no", "document_no"),  # bank statement titles name documents
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    legacy_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[str] = mapped_column(String(4))
    description: Mapped[str] = mapped_column(String(255))
    basis: Mapped[str | None] = mapped_column(Text)
    document_no: Mapped[str | None] = mapped_column(String(80))
    period: Mapped[str | None] = mapped_column(String(40))
    due_on: Mapped[date | None] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    assessed_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default=RecordStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: What active payments allocated to it. Database triggers keep it (migration 0021) whenever
    #: allocations or a payment's status change: read it in SQL after a flush, never set it.
    paid_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), server_default=text("0"))

    contractor: Mapped[Contractor] = relationship()
    unit: Mapped[Unit] = relationship()
    allocations: Mapped[list[Allocation]] = relationship(back_populates="obligation")

    def __str__(self) -> str:
        return f"{self.description} ({self.legacy_id or self.id})"


class Payment(Base):
    """Money received from a contractor; allocated to obligations or not yet."""

    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_contractor_unit", "contractor_id", "unit_id", postgresql_include=["amount", "status"]),
        Index("ix_payments_paid_on", "paid_on"),
        # Which payments count: sums of allocations probe it without reading the payment rows.
        Index("ix_payments_active", "id", postgresql_where=text("status = 'active'"),
              sqlite_where=text("status = 'active'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    legacy_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"))
    # The unit paid; taken from the obligation paid when the source does not say.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    paid_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    method: Mapped[str] = mapped_column(String(2))
    description: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(20), default="legacy")  # legacy, online, statement
    status: Mapped[str] = mapped_column(String(12), default=RecordStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    contractor: Mapped[Contractor] = relationship()
    unit: Mapped[Unit | None] = relationship()
    allocations: Mapped[list[Allocation]] = relationship(
        back_populates="payment", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return f"{self.paid_on} {self.amount} ({self.legacy_id or self.id})"


class Allocation(Base):
    """The part of a payment that settles one obligation."""

    __tablename__ = "allocations"
    # Carries what an obligation's paid sum needs, so the portal's lists read only the index.
    __table_args__ = (Index("ix_allocations_obligation", "obligation_id",
                            postgresql_include=["payment_id", "amount"]),)

    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payments.id", ondelete="CASCADE"), primary_key=True
    )
    obligation_id: Mapped[int] = mapped_column(ForeignKey("obligations.id"), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))

    payment: Mapped[Payment] = relationship(back_populates="allocations")
    obligation: Mapped[Obligation] = relationship(back_populates="allocations")


class Appointment(Base):
    """A meeting of a contractor with office staff, shown among upcoming payments."""

    __tablename__ = "appointments"
    __table_args__ = (Index("ix_appointments_contractor_starts", "contractor_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    legacy_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    starts_at: Mapped[datetime]
    description: Mapped[str | None] = mapped_column(String(255))
    place: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(12), default=RecordStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    contractor: Mapped[Contractor] = relationship()
    unit: Mapped[Unit] = relationship()
