"""Actors of the legacy import."""

from __future__ import annotations

from pathlib import Path

import dramatiq

from app import broker  # noqa: F401  (first: sets the dramatiq broker)
from app.broker import QUEUE_IMPORTS


@dramatiq.actor(actor_name="legacy.import_snapshot", queue_name=QUEUE_IMPORTS, max_retries=0,
                time_limit=3_600_000)
def import_snapshot_task(path: str, started_by: str | None = None) -> None:
    """Import the snapshot at `path` (folder or .zip) in the worker, then file it away."""
    from app.legacy.inbox import file_away
    from app.legacy.service import import_snapshot

    run = import_snapshot(path, started_by=started_by)
    file_away(Path(path), succeeded=run.status == "done")
