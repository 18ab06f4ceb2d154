"""Processing of stored provider events (delivery reports, email events, inbound SMS)."""

from __future__ import annotations

from collections.abc import Sequence


def process_events(event_ids: Sequence[int]) -> None:
    """Apply the stored provider events with these ids (placeholder until webhooks land)."""
    raise NotImplementedError
