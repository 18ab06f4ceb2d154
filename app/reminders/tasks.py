"""Actors of the staff payment notices, the digest job, and the signals that bring payments to them.

Imported payments arrive through `snapshot_imported` (sent after a legacy import run commits),
online ones through `payment_booked` (sent after the payment is committed); both only enqueue.
"""

from __future__ import annotations

import dramatiq

from app import broker  # noqa: F401  (first: sets the dramatiq broker)
from app.broker import QUEUE_DEFAULT
from app.core.scheduler import periodic
from app.core.signals import payment_booked, snapshot_imported

DIGEST_MINUTES = 15


@dramatiq.actor(actor_name="reminders.payment_notices", queue_name=QUEUE_DEFAULT, max_retries=3)
def send_payment_notices(payment_ids: list[int]) -> None:
    """Tell the staff lists about these arrived payments (idempotent)."""
    from app.reminders.staff_notices import payments_arrived

    payments_arrived(payment_ids)


@dramatiq.actor(actor_name="reminders.imported_payment_notices", queue_name=QUEUE_DEFAULT, max_retries=3,
                time_limit=600_000)
def send_imported_payment_notices(import_run_id: int) -> None:
    """Tell the staff lists about the payments a legacy import run brought (idempotent)."""
    from app.reminders.staff_notices import notify_import_run

    notify_import_run(import_run_id)


@dramatiq.actor(actor_name="reminders.payment_digests", queue_name=QUEUE_DEFAULT, max_retries=3)
def send_payment_digests() -> None:
    """Send the daily payment digests that are due (idempotent: once per list and day)."""
    from app.reminders.staff_notices import send_digests

    send_digests()


@periodic("reminders-payment-digests", "interval", minutes=DIGEST_MINUTES)
def enqueue_payment_digests() -> None:
    """Scheduler job: enqueue one round of payment digests."""
    send_payment_digests.send()


@snapshot_imported.connect
def _imported(_sender, import_run_id: int, **_kwargs) -> None:
    """A legacy import run committed: its new payments may concern the staff lists."""
    send_imported_payment_notices.send(import_run_id)


@payment_booked.connect
def _booked(_sender, payment_id: int, **_kwargs) -> None:
    """An online payment was committed."""
    send_payment_notices.send([payment_id])
