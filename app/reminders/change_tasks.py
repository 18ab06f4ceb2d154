"""The account-change notices' actor, the job that enqueues it every few minutes, and the signals that bring changes.

A committed legacy import run (`snapshot_imported`) and changes committed by the API or the portal
(`account_changed`) only enqueue the actor, so notices go out right after them; the periodic job
picks up anything those missed.
"""

from __future__ import annotations

import dramatiq

from app import broker  # noqa: F401  (first: sets the dramatiq broker)
from app.broker import QUEUE_DEFAULT
from app.core.scheduler import periodic
from app.core.signals import account_changed, snapshot_imported

NOTICE_MINUTES = 5


@dramatiq.actor(actor_name="reminders.change_notices", queue_name=QUEUE_DEFAULT, max_retries=3, time_limit=600_000)
def send_change_notices() -> None:
    """Tell businesses of the account changes not yet notified (idempotent; one run at a time)."""
    from app.reminders.change_notices import notify_pending

    notify_pending()


@periodic("reminders-change-notices", "interval", minutes=NOTICE_MINUTES)
def enqueue_change_notices() -> None:
    """Scheduler job: enqueue one round of account-change notices."""
    send_change_notices.send()


@snapshot_imported.connect
def _imported(_sender, **_kwargs) -> None:
    """A legacy import run committed: its changes may concern the businesses."""
    send_change_notices.send()


@account_changed.connect
def _changed(_sender, **_kwargs) -> None:
    """Change events were committed by the API or the portal."""
    send_change_notices.send()
