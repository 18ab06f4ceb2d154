"""Campaigns and their reusable templates."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import CampaignCategory, StaffUser, Unit
from app.audiences.models import AudienceSnapshot, Segment
from app.core.clock import utcnow
from app.core.db import Base


class CampaignStatus(StrEnum):
    """Where a campaign stands; `approved` is recorded in the audit log on the way to `scheduled`."""

    DRAFT = "draft"  # being composed; only drafts can be edited
    SUBMITTED = "submitted"  # waiting for an approver who is not the author
    SCHEDULED = "scheduled"  # approved, waiting for its time (or for a worker, when "now")
    SENDING = "sending"  # audience frozen, messages being created and sent
    PAUSED = "paused"  # messages not yet handed to a provider are held
    FINISHED = "finished"  # every message reached a final status
    CANCELLED = "cancelled"  # stopped: messages not yet handed to a provider were cancelled


#: Statuses in which a campaign's text and audience may be changed.
EDITABLE = (CampaignStatus.DRAFT,)
#: Statuses after which nothing more happens.
CLOSED = (CampaignStatus.FINISHED, CampaignStatus.CANCELLED)


class ChannelMode(StrEnum):
    """Which channels a campaign uses."""

    SMS = "sms"
    EMAIL = "email"
    BOTH = "both"
    PREFERRED = "preferred"  # each recipient's preferred channel, the other when it cannot be used

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels whose addresses the audience snapshot needs."""
        if self is ChannelMode.SMS:
            return ("sms",)
        if self is ChannelMode.EMAIL:
            return ("email",)
        return ("sms", "email")


class _Content:
    """The text of a campaign or template: SMS and email, all Jinja templates with placeholders."""

    channel_mode: Mapped[str] = mapped_column(String(10), default=ChannelMode.SMS)
    sms_text: Mapped[str | None] = mapped_column(Text)
    email_subject: Mapped[str | None] = mapped_column(String(200))
    email_text: Mapped[str | None] = mapped_column(Text)  # plain text; the HTML is made from it if empty
    email_html: Mapped[str | None] = mapped_column(Text)


class CampaignTemplate(_Content, Base):
    """Reusable campaign content per category; a template an approver released can be started by API."""

    __tablename__ = "campaign_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    category: Mapped[str] = mapped_column(String(30), default=CampaignCategory.OTHER)
    description: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(default=True)
    # Integrations (the legacy system, the tender system) may start campaigns from it unapproved.
    api_released_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    api_released_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __str__(self) -> str:
        return self.name


class Campaign(_Content, Base):
    """A message to an audience, through approval, scheduling and sending to its results."""

    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_status_scheduled", "status", "scheduled_for"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    category: Mapped[str] = mapped_column(String(30), default=CampaignCategory.OTHER)
    status: Mapped[str] = mapped_column(String(12), default=CampaignStatus.DRAFT)
    # Urgent (disaster alerts): its own queue, no quiet hours, no category opt-outs, no consent check.
    urgent: Mapped[bool] = mapped_column(default=False)
    # The unit in whose name it goes: its SMS sender name, transliteration and STOP policy.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    sms_transliterate: Mapped[bool] = mapped_column(default=False)
    # The audience: a segment (with its lists) plus further lists, minus excluded lists.
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id", ondelete="SET NULL"))
    include_list_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    exclude_list_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("campaign_templates.id", ondelete="SET NULL"))
    # When to send: NULL = as soon as it is approved. Messages are not sent after `expires_at`.
    send_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    scheduled_for: Mapped[datetime | None]
    # Figures shown to the approver, worked out at submission.
    estimate: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    test_sent_at: Mapped[datetime | None]
    test_sent_digest: Mapped[str | None] = mapped_column(String(64))  # the content the test showed
    review_note: Mapped[str | None] = mapped_column(Text)  # an approver's reason to send it back
    source: Mapped[str] = mapped_column(String(20), default="admin")  # admin, api
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    # Every member's messages exist once this is set; the campaign finishes when they are final.
    fanned_out_at: Mapped[datetime | None]
    paused_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("audience_snapshots.id"))

    segment: Mapped[Segment | None] = relationship()
    template: Mapped[CampaignTemplate | None] = relationship()
    unit: Mapped[Unit | None] = relationship()
    snapshot: Mapped[AudienceSnapshot | None] = relationship()
    created_by: Mapped[StaffUser | None] = relationship(foreign_keys=[created_by_id])
    submitted_by: Mapped[StaffUser | None] = relationship(foreign_keys=[submitted_by_id])
    approved_by: Mapped[StaffUser | None] = relationship(foreign_keys=[approved_by_id])

    @property
    def origin(self) -> str:
        """The `origin` of this campaign's messages in the outbox."""
        return origin_of(self.id)

    @property
    def mode(self) -> ChannelMode:
        """The channel mode as an enum."""
        return ChannelMode(self.channel_mode)

    def __str__(self) -> str:
        return f"#{self.id} {self.name}"


class FanOutLane(Base):
    """A contiguous range of a started campaign's members whose messages one worker creates.

    A large audience is split into lanes that workers fan out side by side; the campaign is
    fanned out once every lane is done (or a fan-out over all members finished).
    """

    __tablename__ = "campaign_fanout_lanes"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    lane: Mapped[int] = mapped_column(primary_key=True)
    first_member: Mapped[int]  # contractor ids, both ends included
    last_member: Mapped[int]
    done_at: Mapped[datetime | None]


def origin_of(campaign_id: int) -> str:
    """The outbox origin of a campaign's messages."""
    return f"campaign:{campaign_id}"
