"""The office's side of payments: FK export batches and imported bank statements."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, Date, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Contractor, Payment, Unit
from app.core.clock import utcnow
from app.core.db import Base


class FkExportBatch(Base):
    """One hand-over of payments to the accounting (FK) system; its files can be downloaded again."""

    __tablename__ = "fk_export_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(255))  # staff email or API key name
    created_via: Mapped[str] = mapped_column(String(10), default="admin")  # admin, api, cli
    payment_count: Mapped[int] = mapped_column(default=0)
    total_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0.00"))
    first_paid_on: Mapped[date | None] = mapped_column(Date)
    last_paid_on: Mapped[date | None] = mapped_column(Date)
    download_count: Mapped[int] = mapped_column(default=0)
    last_downloaded_at: Mapped[datetime | None]

    payments: Mapped[list[FkExportedPayment]] = relationship(
        back_populates="batch", order_by="FkExportedPayment.payment_id")

    @property
    def number(self) -> str:
        """The batch's number as the accounting staff see it: `FK/2026/000012`."""
        return f"FK/{self.created_at:%Y}/{self.id:06d}"

    def __str__(self) -> str:
        return self.number


class FkExportedPayment(Base):
    """A payment handed to FK; unique per payment, so no payment is exported twice."""

    __tablename__ = "fk_exported_payments"
    __table_args__ = (Index("ix_fk_exported_payments_batch", "batch_id"),)

    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("fk_export_batches.id"))

    batch: Mapped[FkExportBatch] = relationship(back_populates="payments")
    payment: Mapped[Payment] = relationship()


class LineStatus(StrEnum):
    """What became of a statement line."""

    BOOKED = "booked"  # matched to a business and booked as a payment
    UNMATCHED = "unmatched"  # a credit nobody could be matched to: waits for a person
    DUPLICATE = "duplicate"  # the same bank entry came in an earlier statement
    DEBIT = "debit"  # money going out: not a payment of a business
    IGNORED = "ignored"  # a person decided it is not a business's payment


class BankStatement(Base):
    """An imported MT940 file; the same file (by SHA-256) is imported once."""

    __tablename__ = "bank_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    account: Mapped[str | None] = mapped_column(String(34))
    statement_no: Mapped[str | None] = mapped_column(String(40))
    opening_balance: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    closing_balance: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by: Mapped[str | None] = mapped_column(String(255))
    line_count: Mapped[int] = mapped_column(default=0)
    booked_count: Mapped[int] = mapped_column(default=0)
    unmatched_count: Mapped[int] = mapped_column(default=0)
    # Lines of the file that could not be read: [{"line": 12, "field": ":61:", "value": ..., "reason": ...}]
    errors: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)

    unit: Mapped[Unit | None] = relationship()
    lines: Mapped[list[StatementLine]] = relationship(back_populates="statement", order_by="StatementLine.line_no")

    def __str__(self) -> str:
        return f"{self.filename} ({self.statement_no or self.id})"


class StatementLine(Base):
    """One entry (`:61:` with its `:86:`) of a bank statement and how it was matched."""

    __tablename__ = "statement_lines"
    __table_args__ = (
        Index("ix_statement_lines_statement", "statement_id", "line_no"),
        Index("ix_statement_lines_status", "status"),
        Index("ix_statement_lines_fingerprint", "fingerprint"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("bank_statements.id", ondelete="CASCADE"))
    line_no: Mapped[int]  # line of the file where the entry's :61: starts
    booked_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # credits positive, debits negative
    currency: Mapped[str] = mapped_column(String(3), default="PLN")
    bank_reference: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str | None] = mapped_column(Text)
    counterparty_name: Mapped[str | None] = mapped_column(String(255))
    counterparty_account: Mapped[str | None] = mapped_column(String(34))
    virtual_account: Mapped[str | None] = mapped_column(String(26))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))
    matched_by: Mapped[str | None] = mapped_column(String(20))  # virtual_account, nip, legacy_id, document, staff
    contractor_id: Mapped[int | None] = mapped_column(ForeignKey("contractors.id"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), unique=True)
    resolved_by: Mapped[str | None] = mapped_column(String(255))
    resolved_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(String(255))

    statement: Mapped[BankStatement] = relationship(back_populates="lines")
    contractor: Mapped[Contractor | None] = relationship()
    payment: Mapped[Payment | None] = relationship()

    def __str__(self) -> str:
        return f"{self.booked_on} {self.amount} {self.title or ''}"[:80]
