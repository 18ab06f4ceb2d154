"""Notifications to office staff (an approval waiting, a failed import) through the outbox."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence

from flask import current_app
from sqlalchemy import select

from app.accounts.contacts import ContactError, normalise_email, normalise_phone
from app.accounts.models import StaffUser
from app.channels.models import Purpose
from app.channels.outbox import NewMessage, create_messages
from app.core.extensions import db
from app.core.roles import Role

log = logging.getLogger(__name__)


def notify_staff(
    role: str,
    subject: str,
    body: str,
    *,
    key: str,
    channels: Sequence[str] = ("email",),
    urgent: bool = False,
) -> list[int]:
    """Send a notice to every active staff user holding `role`; returns the message ids.

    Users who hold the role themselves get it; when nobody does, the administrators do, so a
    notice never goes nowhere. `key` names the notice: the same key twice sends nothing new.
    Not transactional: the messages join the caller's transaction and are queued after it
    commits. An SMS goes only to users with a phone; an unusable address is skipped (logged).
    """
    role = Role(role)
    users = _active_staff()
    holders = [u for u in users if role in u.role_set] or [u for u in users if Role.ADMIN in u.role_set]
    notice = key if len(key) <= 120 else hashlib.sha256(key.encode()).hexdigest()[:32]
    items = []
    for user in holders:
        for channel in channels:
            recipient = _address(user, channel)
            if recipient is None:
                continue
            items.append(NewMessage(
                channel=channel, recipient=recipient, purpose=Purpose.STAFF,
                subject=subject if channel == "email" else None,
                body=body if channel == "email" else f"{subject}: {body}",
                idempotency_key=f"staff:{notice}:{user.id}:{channel}", origin=f"staff:{notice}"[:60],
                urgent=urgent,
            ))
    return create_messages(items)


def _active_staff() -> list[StaffUser]:
    return list(
        db.session.scalars(select(StaffUser).where(StaffUser.is_active.is_(True)).order_by(StaffUser.id))
    )


def _address(user: StaffUser, channel: str) -> str | None:
    try:
        if channel == "email":
            return normalise_email(user.email)
        if channel == "sms":
            if not user.phone:
                return None
            return normalise_phone(user.phone, region=current_app.config["DEFAULT_PHONE_REGION"])
    except ContactError as error:
        log.warning("staff user %s: no usable %s address (%s)", user.id, channel, error)
        return None
    raise ValueError(f"unknown channel {channel!r}")
