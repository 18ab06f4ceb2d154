"""Actors of the campaigns: thin, idempotent, taking ids; and the periodic job that keeps them going."""

from __future__ import annotations

import dramatiq

from app import broker  # noqa: F401  (first: sets the dramatiq broker)
from app.broker import QUEUE_DEFAULT, QUEUE_URGENT
from app.core.scheduler import periodic
from app.core.signals import batch_sent

#: Priority of normal campaign work in a worker's own queue: urgent work (priority 0) goes first.
NORMAL_PRIORITY = 10
LONG = 3_600_000  # a fan-out of a large audience may take minutes


@dramatiq.actor(actor_name="campaigns.start", queue_name=QUEUE_DEFAULT, max_retries=3,
                time_limit=LONG, priority=NORMAL_PRIORITY)
def start_campaign(campaign_id: int) -> None:
    """Start a due campaign: freeze its audience and create its messages."""
    from app.campaigns.fanout import start

    start(campaign_id)


@dramatiq.actor(actor_name="campaigns.start_urgent", queue_name=QUEUE_URGENT, max_retries=3,
                time_limit=LONG, priority=0)
def start_urgent_campaign(campaign_id: int) -> None:
    """Start an urgent campaign (disaster alert) from the urgent queue."""
    from app.campaigns.fanout import start

    start(campaign_id)


@dramatiq.actor(actor_name="campaigns.fan_out", queue_name=QUEUE_DEFAULT, max_retries=3,
                time_limit=LONG, priority=NORMAL_PRIORITY)
def fan_out(campaign_id: int) -> None:
    """Go on creating a started campaign's messages (after a pause or a crash)."""
    from app.campaigns.fanout import fan_out as run

    run(campaign_id)


@dramatiq.actor(actor_name="campaigns.fan_out_urgent", queue_name=QUEUE_URGENT, max_retries=3,
                time_limit=LONG, priority=0)
def fan_out_urgent(campaign_id: int) -> None:
    """Go on creating an urgent campaign's messages."""
    from app.campaigns.fanout import fan_out as run

    run(campaign_id)


@dramatiq.actor(actor_name="campaigns.fan_out_lane", queue_name=QUEUE_DEFAULT, max_retries=3,
                time_limit=LONG, priority=NORMAL_PRIORITY)
def fan_out_lane(campaign_id: int, lane: int) -> None:
    """Create the messages of one lane of a started campaign's members."""
    from app.campaigns.fanout import fan_out as run

    run(campaign_id, lane=lane)


@dramatiq.actor(actor_name="campaigns.fan_out_lane_urgent", queue_name=QUEUE_URGENT, max_retries=3,
                time_limit=LONG, priority=0)
def fan_out_lane_urgent(campaign_id: int, lane: int) -> None:
    """Create the messages of one lane of a started urgent campaign."""
    from app.campaigns.fanout import fan_out as run

    run(campaign_id, lane=lane)


def enqueue_lane(campaign_id: int, lane: int, *, urgent: bool) -> None:
    """Hand one lane of a campaign's fan-out to a worker."""
    (fan_out_lane_urgent if urgent else fan_out_lane).send(campaign_id, lane)


@dramatiq.actor(actor_name="campaigns.tend", queue_name=QUEUE_DEFAULT, max_retries=0)
def tend() -> None:
    """Start due campaigns, restart stalled fan-outs, finish campaigns whose messages are settled."""
    from app.campaigns.fanout import due_work, settle

    work = due_work()
    for campaign_id, urgent in work["due"]:
        (start_urgent_campaign if urgent else start_campaign).send(campaign_id)
    for campaign_id, urgent in work["stalled"]:
        (fan_out_urgent if urgent else fan_out).send(campaign_id)
    for campaign_id in work["settling"]:
        settle(campaign_id)


@periodic("campaigns-tend", "interval", minutes=1)
def enqueue_tend() -> None:
    """Scheduler job: enqueue one round of campaign upkeep."""
    tend.send()


@batch_sent.connect
def _settle_campaigns(_sender, message_ids: list[int], **_kwargs) -> None:
    """A send batch finished: its campaigns may be done."""
    from app.campaigns.fanout import settle_after_batch

    settle_after_batch(message_ids)
