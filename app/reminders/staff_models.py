"""Lists of office staff told when payments arrive, and what each list was told.

A list covers one unit (or all) and some obligation kinds (or all); its members get a notice on
the list's channel, either as soon as payments arrive or once a day in a digest at the list's
hour (Europe/Warsaw). `PaymentNotice` holds one row per list and payment, so nothing is told
twice: written with `notified_at` at once for an immediate list, without it (waiting for the
digest) for a digest list.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import StaffUser, Unit
from app.core.clock import utcnow
from app.core.db import Base


class NoticeChannel(StrEnum):
    """How a list's members are told."""

    EMAIL = "email"
    SMS = "sms"


class NoticeMode(StrEnum):
    """When a list's members are told."""

    IMMEDIATE = "immediate"  # as payments arrive, one notice per batch
    DIGEST = "digest"  # once a day at `digest_hour`, listing the day's payments


payment_notice_members = Table(
    "payment_notice_members",
    Base.metadata,
    Column("list_id", ForeignKey("payment_notice_lists.id", ondelete="CASCADE"), primary_key=True),
    Column("staff_user_id", ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True),
)


class PaymentNoticeList(Base):
    """Staff told about payments to a unit (NULL: any unit) for some kinds (empty: any kind)."""

    __tablename__ = "payment_notice_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)  # ObligationKind values
    channel: Mapped[str] = mapped_column(String(10), default=NoticeChannel.EMAIL)
    mode: Mapped[str] = mapped_column(String(10), default=NoticeMode.IMMEDIATE)
    digest_hour: Mapped[int] = mapped_column(default=8)  # Europe/Warsaw
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit | None] = relationship()
    members: Mapped[list[StaffUser]] = relationship(secondary=payment_notice_members,
                                                    order_by=StaffUser.name)

    def covers(self, unit_ids: Iterable[int], kinds: Iterable[str]) -> bool:
        """True when a payment to these units for these obligation kinds concerns the list."""
        if self.unit_id is not None and self.unit_id not in set(unit_ids):
            return False
        return not self.kinds or bool(set(self.kinds) & set(kinds))

    def __str__(self) -> str:
        return self.name


class PaymentNotice(Base):
    """A payment a list was told about (`notified_at` set) or will be in its digest (not yet)."""

    __tablename__ = "payment_notices"
    __table_args__ = (
        UniqueConstraint("list_id", "payment_id"),
        Index("ix_payment_notices_waiting", "list_id", "notified_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("payment_notice_lists.id", ondelete="CASCADE"))
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    notified_at: Mapped[datetime | None]
    # The notice that told it: `payments:<list>:<batch>` or `payments-digest:<list>:<day>`.
    message_key: Mapped[str | None] = mapped_column(String(120))
