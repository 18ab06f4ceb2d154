"""Reminder plans of the office, preferences of businesses, the rules the sweep reads, and what was sent.

A plan (office) or a preference (business, overriding the plan for one topic) is kept as the
person wrote it; saving either rewrites its `ReminderRule` rows, one per (offset, channel), which
is what the sweep joins to obligations. A topic is an obligation kind (`PON`, `PST`, ...) or
`changes` (notices of account changes, which have channels but no offsets or hour).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.db import Base

#: The topic of account-change notices (the other topics are obligation kinds).
ACCOUNT_CHANGES = "changes"
#: Offsets are whole days: 0..30 before the deadline, 1..MAX_DAYS_AFTER after it (overdue notices).
MAX_DAYS_BEFORE = 30
MAX_DAYS_AFTER = 60


class _Schedule:
    """Offsets, channels and hour: what plans and preferences share."""

    days_before: Mapped[list[int]] = mapped_column(JSON, default=list)
    days_after: Mapped[list[int]] = mapped_column(JSON, default=list)
    channels: Mapped[str] = mapped_column(String(20), default="sms")  # "sms", "email" or "sms email"
    hour: Mapped[int] = mapped_column(default=9)  # Europe/Warsaw

    @property
    def channel_list(self) -> list[str]:
        """The channels, in a stable order."""
        return [c for c in ("sms", "email") if c in (self.channels or "").split()]


class ReminderPlan(_Schedule, Base):
    """The office's default reminders for one topic (an obligation kind, or account changes)."""

    __tablename__ = "reminder_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(8), unique=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))


class ReminderPreference(_Schedule, Base):
    """A business's own reminders for one topic; replaces the office's plan for it (`enabled=False`: off)."""

    __tablename__ = "reminder_preferences"
    __table_args__ = (UniqueConstraint("contractor_id", "topic"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(8))
    enabled: Mapped[bool] = mapped_column(default=True)
    source: Mapped[str] = mapped_column(String(20), default="portal")  # portal, admin, api
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReminderRule(Base):
    """One (offset, channel, hour) of a plan (`contractor_id` NULL) or of a business's preference.

    `offset_days` is positive before the deadline, negative after it (an overdue notice).
    """

    __tablename__ = "reminder_rules"
    __table_args__ = (
        Index("ix_reminder_rules_moment", "hour", "offset_days", "topic"),
        Index("ix_reminder_rules_contractor", "contractor_id", "topic"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contractor_id: Mapped[int | None] = mapped_column(ForeignKey("contractors.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(8))
    offset_days: Mapped[int]
    hour: Mapped[int]
    channel: Mapped[str] = mapped_column(String(10))


class ReminderDelivery(Base):
    """One obligation's reminder at one offset on one channel: written once, so never sent twice."""

    __tablename__ = "reminder_deliveries"
    __table_args__ = (UniqueConstraint("obligation_id", "offset_days", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_id: Mapped[int] = mapped_column(ForeignKey("obligations.id", ondelete="CASCADE"))
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id", ondelete="CASCADE"), index=True)
    offset_days: Mapped[int]
    channel: Mapped[str] = mapped_column(String(10))
    due_on: Mapped[date] = mapped_column(Date)  # the effective deadline it reminded of
    message_key: Mapped[str] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SweepMark(Base):
    """How far the reminder sweep has looked: moments up to `swept_until` are done."""

    __tablename__ = "reminder_sweep_marks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    swept_until: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReminderText(Base):
    """The office's wording of reminders for one message kind and channel (none: the built-in text)."""

    __tablename__ = "reminder_texts"
    __table_args__ = (UniqueConstraint("purpose", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))  # due, overdue, changes
    channel: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(String(4000))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))


class ReminderUnitSetting(Base):
    """A unit's choices about reminder content: tax secrecy keeps amounts out unless it allows them."""

    __tablename__ = "reminder_unit_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), unique=True)
    amounts_in_email: Mapped[bool] = mapped_column(default=False)
