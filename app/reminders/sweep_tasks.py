"""The reminder sweep's actor and the scheduler job that enqueues it every few minutes."""

from __future__ import annotations

import dramatiq

from app import broker  # noqa: F401  (first: sets the dramatiq broker)
from app.broker import QUEUE_DEFAULT
from app.core.scheduler import periodic
from app.core.signals import payment_booked, snapshot_imported

SWEEP_MINUTES = 5


@dramatiq.actor(actor_name="reminders.sweep", queue_name=QUEUE_DEFAULT, max_retries=3, time_limit=600_000)
def sweep_reminders() -> None:
    """Send the reminders whose moment came since the last sweep (idempotent; one sweep at a time)."""
    from app.reminders.sweep import sweep

    sweep()


@periodic("reminders-sweep", "interval", minutes=SWEEP_MINUTES)
def enqueue_sweep() -> None:
    """Scheduler job: enqueue one reminder sweep."""
    sweep_reminders.send()


@snapshot_imported.connect
@payment_booked.connect
def _paid(_sender, **_kwargs) -> None:
    """Payments arrived (an import committed, or an online payment): a sweep now cancels the
    reminders of what they paid that still wait, instead of at the next scheduled sweep."""
    sweep_reminders.send()
