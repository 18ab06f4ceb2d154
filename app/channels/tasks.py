"""Actors of the channels: thin, idempotent, taking ids."""

from __future__ import annotations

import dramatiq

from app import broker  # noqa: F401  (first: sets the dramatiq broker)
from app.broker import QUEUE_DEFAULT, QUEUE_MESSAGES, QUEUE_URGENT

#: Priority of normal batches in a worker's own queue: urgent work (priority 0) goes first.
NORMAL_PRIORITY = 10


@dramatiq.actor(actor_name="channels.send_batch", queue_name=QUEUE_MESSAGES, max_retries=5,
                time_limit=900_000, priority=NORMAL_PRIORITY)
def send_batch(message_ids: list[int]) -> None:
    """Send the still waiting messages among `message_ids`."""
    from app.channels.sending import send_batch as send

    send(message_ids)


@dramatiq.actor(actor_name="channels.send_urgent_batch", queue_name=QUEUE_URGENT, max_retries=5,
                time_limit=900_000)
def send_urgent_batch(message_ids: list[int]) -> None:
    """Send urgent messages (disaster alerts) from their own queue."""
    from app.channels.sending import send_batch as send

    send(message_ids)


@dramatiq.actor(actor_name="channels.reconcile", queue_name=QUEUE_DEFAULT, max_retries=0)
def reconcile() -> None:
    """Queue due messages, settle stuck ones, expire late ones, process left-over events."""
    from app.channels.reconcile import reconcile as run

    run()


@dramatiq.actor(actor_name="channels.process_events", queue_name=QUEUE_DEFAULT, max_retries=5)
def process_events(event_ids: list[int]) -> None:
    """Apply delivery reports, email events and inbound SMS stored by the webhooks."""
    from app.channels.events import process_events as run

    run(event_ids)
