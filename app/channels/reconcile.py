"""Reconciliation: every minute, make sure no message waits forever and none goes twice.

- `created` messages that are due and were never queued (quiet hours over, schedule reached) or
  were queued long ago (the broker lost the task, e.g. a Redis restart) are queued again;
- `sending` messages claimed long ago (a worker died mid-request) go back to `created` when
  the provider deduplicates by our id (SMSAPI `check_idx`, the outbox); for SendGrid, which does
  not, only after twice that time: SendGrid reports every accepted email with a `processed`
  event within seconds, which settles it as `sent` (even when it went back to `created`);
- messages past their expiry are expired; provider events not yet processed are processed.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update

from app.channels.models import Message, MessageStatus, ProviderEvent
from app.channels.outbox import enqueue_batches
from app.channels.registry import provider_for
from app.core.clock import utcnow
from app.core.extensions import db
from app.core.scheduler import periodic

log = logging.getLogger(__name__)


@periodic("channels-reconcile", "interval", minutes=1)
def enqueue_reconcile() -> None:
    """Scheduler job: enqueue one reconciliation."""
    from app.channels.tasks import reconcile

    reconcile.send()


def reconcile() -> dict[str, int]:
    """Run one reconciliation pass and return what it did."""
    counts = {
        "expired": expire_late(),
        "recovered": recover_stuck(),
        "queued": queue_waiting(),
        "events": process_left_over_events(),
    }
    if any(counts.values()):
        log.info("channels reconciliation: %s", counts)
    return counts


def expire_late() -> int:
    """Expire waiting messages whose expiry has passed."""
    now = utcnow()
    result = db.session.execute(
        update(Message)
        .where(Message.status == MessageStatus.CREATED, Message.expires_at.is_not(None), Message.expires_at <= now)
        .values(status=MessageStatus.EXPIRED, finished_at=now, error="expired before it could be sent")
    )
    db.session.commit()
    return result.rowcount or 0


def recover_stuck() -> int:
    """Return long-`sending` messages to `created` where sending again cannot duplicate them."""
    config = current_app.config
    now = utcnow()
    cutoff = now - timedelta(seconds=config["STUCK_SENDING_SECONDS"])
    recovered = 0
    for channel in ("sms", "email"):
        provider = provider_for(channel)
        stuck = and_(Message.channel == channel, Message.status == MessageStatus.SENDING,
                     Message.claimed_at < cutoff)
        if not provider.deduplicates:
            # Without deduplication, wait twice as long for an event before trying again.
            stuck = and_(stuck, Message.claimed_at < now - timedelta(seconds=2 * config["STUCK_SENDING_SECONDS"]))
        result = db.session.execute(
            update(Message).where(stuck).values(status=MessageStatus.CREATED, queued_at=None,
                                                 error="recovered after an interrupted send")
        )
        recovered += result.rowcount or 0
    db.session.commit()
    return recovered


def queue_waiting(limit: int = 1_000_000, chunk: int = 10_000) -> int:
    """Queue due `created` messages that were never queued or were queued too long ago.

    Works in chunks, each committed and enqueued before the next, so workers start at once.
    """
    config = current_app.config
    queued, after = 0, 0
    while queued < limit:
        now = utcnow()
        stale = now - timedelta(seconds=config["STALE_QUEUED_SECONDS"])
        candidates = (
            select(Message.id)
            .where(
                Message.id > after,
                Message.status == MessageStatus.CREATED,
                or_(Message.send_after.is_(None), Message.send_after <= now),
                or_(Message.queued_at.is_(None), Message.queued_at < stale),
            )
            .order_by(Message.id)
            .limit(min(chunk, limit - queued))
            # Rows a worker is claiming right now are its business: skip them, never deadlock.
            .with_for_update(skip_locked=True)
        )
        due = db.session.execute(
            update(Message.__table__)
            .where(Message.id.in_(candidates.scalar_subquery()), Message.status == MessageStatus.CREATED)
            .values(queued_at=now)
            .returning(Message.id, Message.urgent)
        ).all()
        db.session.commit()
        if not due:
            break
        enqueue_batches(due)
        queued += len(due)
        after = max(message_id for message_id, _ in due)
    return queued


def process_left_over_events(limit: int = 10_000) -> int:
    """Process provider events whose worker task was lost."""
    from app.channels.events import process_events

    cutoff = utcnow() - timedelta(minutes=1)
    ids = list(
        db.session.scalars(
            select(ProviderEvent.id)
            .where(ProviderEvent.processed_at.is_(None), ProviderEvent.received_at < cutoff)
            .order_by(ProviderEvent.id)
            .limit(limit)
        )
    )
    if ids:
        process_events(ids)
    return len(ids)
