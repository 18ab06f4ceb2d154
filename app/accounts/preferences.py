"""Changing what a business wants to hear about: campaign categories per channel."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import OPTIONAL_CATEGORIES, CategoryPreference
from app.core import audit
from app.core.db import transactional
from app.core.extensions import db


def category_choice(contractor_id: int, category: str) -> CategoryPreference | None:
    """The business's choice for a category, None when it never made one (= everything)."""
    return db.session.scalars(select(CategoryPreference).where(
        CategoryPreference.contractor_id == contractor_id, CategoryPreference.category == category)).first()


@transactional
def choose_category(contractor_id: int, category: str, channel: str, wanted: bool, *, source: str,
                    actor_label: str | None = None) -> bool:
    """Record whether a business wants a category on a channel; True when that changed anything."""
    if category not in OPTIONAL_CATEGORIES:
        raise ValueError(f"category {category!r} cannot be switched off")
    if channel not in ("sms", "email"):
        raise ValueError(f"unknown channel {channel!r}")
    choice = category_choice(contractor_id, category)
    if choice is None:
        if wanted:
            return False
        choice = CategoryPreference(contractor_id=contractor_id, category=category, sms=True, email=True,
                                    source=source)
        db.session.add(choice)
    if choice.wants(channel) == wanted:
        return False
    setattr(choice, channel, wanted)
    choice.source = source[:20]
    audit.record("accounts.category_choice", actor_type="recipient", actor_label=actor_label,
                 target=f"contractor:{contractor_id}", category=category, channel=channel, wanted=wanted,
                 source=source)
    return True
