"""Actors of the legacy import."""

from __future__ import annotations

import dramatiq

from app import broker  # noqa: F401  (first: sets the dramatiq broker)
from app.broker import QUEUE_IMPORTS


@dramatiq.actor(actor_name="legacy.import_snapshot", queue_name=QUEUE_IMPORTS, max_retries=0,
                time_limit=3_600_000)
def import_snapshot_task(path: str, started_by: str | None = None) -> None:
    """Import the snapshot at `path` (folder or .zip) in the worker."""
    from app.legacy.service import import_snapshot

    import_snapshot(path, started_by=started_by)
