"""What a business wants to hear about: campaign categories per channel, and its preferred channel."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.db import Base


class CampaignCategory(StrEnum):
    """What a campaign is about; businesses choose the categories they want, per channel."""

    REGIONAL_EVENT = "regional_event"
    CULTURAL_EVENT = "cultural_event"
    ECONOMIC = "economic"  # economic news and tenders
    OBLIGATIONS = "obligations"  # newly assessed obligations
    DISASTER = "disaster"  # natural-disaster alerts: cannot be switched off
    OTHER = "other"


#: Categories a business may switch off (per channel); the others reach everyone reachable.
OPTIONAL_CATEGORIES = (
    CampaignCategory.REGIONAL_EVENT,
    CampaignCategory.CULTURAL_EVENT,
    CampaignCategory.ECONOMIC,
    CampaignCategory.OBLIGATIONS,
)


class CategoryPreference(Base):
    """A business's choice for one campaign category: which channels it wants (no row = all)."""

    __tablename__ = "category_preferences"
    __table_args__ = (UniqueConstraint("contractor_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(30))
    sms: Mapped[bool] = mapped_column(default=True)
    email: Mapped[bool] = mapped_column(default=True)
    source: Mapped[str] = mapped_column(String(20), default="portal")  # portal, email-link, staff, api
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def wants(self, channel: str) -> bool:
        """True when the business wants this category on `channel`."""
        return bool(getattr(self, channel, True))

    def __str__(self) -> str:
        return f"{self.category}: sms={self.sms} email={self.email}"
