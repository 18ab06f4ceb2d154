"""The message outbox, SMS opt-outs, inbound SMS, raw provider events and unit channel policies."""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.ext.associationproxy import AssociationProxy, association_proxy
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from app.core.clock import utcnow
from app.core.db import Base

#: A 64-bit key on PostgreSQL that is still SQLite's auto-incrementing rowid.
BigId = BigInteger().with_variant(Integer, "sqlite")


class MessageStatus(StrEnum):
    """Life of a message in the outbox."""

    CREATED = "created"  # waiting to be sent (possibly until `send_after`)
    SENDING = "sending"  # claimed by a worker; the provider may or may not have it
    SENT = "sent"  # accepted by the provider
    DELIVERED = "delivered"  # the provider reported delivery to the handset or mailbox
    FAILED = "failed"  # refused by the provider or undeliverable; `error` says why
    EXPIRED = "expired"  # not sent (or not delivered) before it stopped being useful
    CANCELLED = "cancelled"  # withdrawn before reaching a provider (opt-out, campaign cancelled)


#: Statuses a message never leaves.
FINAL_STATUSES = (
    MessageStatus.DELIVERED, MessageStatus.FAILED, MessageStatus.EXPIRED, MessageStatus.CANCELLED,
)


def status_among(*statuses: str) -> ColumnElement[bool]:
    """`status IN statuses` for messages found by id or key, checked on each row found.

    Written so that no status index can answer it: the statistics of an outbox that a campaign
    or a reminder run has just filled say no message is `created` or `sending`, and the planner
    would then scan every waiting message of a status index instead of probing the ids.
    """
    test = Message.status == statuses[0] if len(statuses) == 1 else Message.status.in_(statuses)
    return test.is_(True)


class Purpose(StrEnum):
    """Why a message is sent; campaigns and reminders name their own origin besides."""

    CAMPAIGN = "campaign"
    REMINDER = "reminder"
    NOTICE = "notice"  # account-change notices
    STAFF = "staff"  # notifications to office staff
    REPLY = "reply"  # automatic or staff answers to inbound SMS
    VERIFICATION = "verification"  # one-time codes
    TEST = "test"


class MessageContent(Base):
    """What a message's recipients share: the HTML and the text with `[%N%]` markers.

    A campaign's hundred thousand emails point at one row instead of carrying a copy each.
    `digest` names a shared content (`content_digest`); content written for one message has none.
    """

    __tablename__ = "message_contents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    template: Mapped[str | None] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)


def content_digest(template: str | None, html: str | None) -> str:
    """The key of a shared content: a hash of its text and HTML."""
    return hashlib.sha256(f"{template is None}{template or ''}\x00{html is None}{html or ''}".encode()).hexdigest()


class Message(Base):
    """One message to one recipient on one channel: the outbox row is the truth about it."""

    __tablename__ = "messages"
    __table_args__ = (
        # Only messages still waiting or being sent: the dispatcher's and reconciliation's work, not
        # the whole history (a message leaves it when sent, without another entry).
        Index("ix_messages_status_send_after", "status", "send_after",
              postgresql_where=text("status IN ('created', 'sending')"),
              sqlite_where=text("status IN ('created', 'sending')")),
        # Provider events name messages by reference; those not yet sent have none to index.
        Index("ix_messages_provider_ref", "provider_ref", postgresql_where=text("provider_ref IS NOT NULL"),
              sqlite_where=text("provider_ref IS NOT NULL")),
        # Conversations with a phone number (replies, the inbox thread, the API): SMS only.
        Index("ix_messages_recipient", "recipient", "created_at", postgresql_where=text("channel = 'sms'"),
              sqlite_where=text("channel = 'sms'")),
        Index("ix_messages_origin", "origin", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Unique per recipient, channel and purpose, chosen by the caller: a second create is a no-op.
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(10))
    purpose: Mapped[str] = mapped_column(String(20))
    # Who asked for it, e.g. `campaign:12`, `reminder:2026-11-23`, `inbound:7`.
    origin: Mapped[str | None] = mapped_column(String(60))
    urgent: Mapped[bool] = mapped_column(default=False)
    contractor_id: Mapped[int | None] = mapped_column(
        ForeignKey("contractors.id", ondelete="SET NULL"), index=True
    )
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    recipient: Mapped[str] = mapped_column(String(255))  # E.164 phone or email address
    subject: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)  # the SMS text or the plain-text email
    headers: Mapped[dict[str, str] | None] = mapped_column(JSON)
    # The HTML and the text shared by many recipients with `[%1%]`.. markers (`content`), and
    # this recipient's values for them.
    content_id: Mapped[int | None] = mapped_column(ForeignKey("message_contents.id"))
    params: Mapped[list[str] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default=MessageStatus.CREATED)
    send_after: Mapped[datetime | None]  # quiet hours, schedules and retry backoff
    expires_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    provider: Mapped[str | None] = mapped_column(String(20))
    provider_ref: Mapped[str | None] = mapped_column(String(120))
    parts: Mapped[int | None]
    cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    queued_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    content: Mapped[MessageContent | None] = relationship()
    html: AssociationProxy[str | None] = association_proxy(
        "content", "html", creator=lambda html: MessageContent(html=html) if html is not None else None)
    template: AssociationProxy[str | None] = association_proxy(
        "content", "template", creator=lambda shared: MessageContent(template=shared) if shared is not None else None)

    @property
    def personal_html(self) -> str | None:
        """The HTML this recipient gets: a shared HTML's `[%N%]` markers filled with `params`."""
        if self.html and self.template and self.params:
            return fill_markers(self.html, self.params)
        return self.html

    def __str__(self) -> str:
        return f"#{self.id} {self.channel} → {self.recipient} ({self.status})"


def fill_markers(text: str, params: list[str]) -> str:
    """Put per-recipient values into a shared text's `[%1%]`, `[%2%]`, ... markers."""
    for number, value in enumerate(params, start=1):
        text = text.replace(f"[%{number}%]", value)
    return text


class OptOut(Base):
    """An address that asked not to receive non-urgent messages (SMS `STOP`, email unsubscribe)."""

    __tablename__ = "opt_outs"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(20))  # sms, email-link, staff, portal
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboundStatus(StrEnum):
    """Where an inbound SMS stands in the office inbox."""

    AUTOMATIC = "automatic"  # a keyword (STOP, START, POMOC) answered by the platform
    NEW = "new"
    ANSWERED = "answered"
    CLOSED = "closed"


class InboundSms(Base):
    """An SMS a recipient sent to the office number."""

    __tablename__ = "inbound_sms"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    sender: Mapped[str] = mapped_column(String(20), index=True)  # E.164
    recipient: Mapped[str | None] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    keyword: Mapped[str | None] = mapped_column(String(10))  # stop, start, help
    status: Mapped[str] = mapped_column(String(12), default=InboundStatus.NEW)
    contractor_id: Mapped[int | None] = mapped_column(ForeignKey("contractors.id", ondelete="SET NULL"))
    in_reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    handled_at: Mapped[datetime | None]

    in_reply_to: Mapped[Message | None] = relationship(foreign_keys=[in_reply_to_id])

    def __str__(self) -> str:
        return f"{self.sender}: {self.text[:40]}"


class ProviderEvent(Base):
    """A delivery report, inbound SMS or email event as a webhook received it, until processed."""

    __tablename__ = "provider_events"
    __table_args__ = (Index("ix_provider_events_pending", "processed_at", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))  # report, inbound, email-event
    # The provider's own identity of the event (SendGrid `sg_event_id`): a repeat is dropped.
    event_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(500))


class ChannelPolicy(Base):
    """A unit's own SMS settings; units without one use the office defaults from configuration."""

    __tablename__ = "channel_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), unique=True)
    sms_sender: Mapped[str | None] = mapped_column(String(11))
    sms_transliterate: Mapped[bool] = mapped_column(default=False)
    sms_max_parts: Mapped[int | None]
    # Whether urgent messages (disaster alerts) still reach numbers that sent `STOP`.
    urgent_ignores_stop: Mapped[bool] = mapped_column(default=False)
    help_text: Mapped[str | None] = mapped_column(String(480))
