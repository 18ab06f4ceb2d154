"""Time helpers: instants are UTC in the database and shown in Europe/Warsaw."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

WARSAW = ZoneInfo("Europe/Warsaw")


def utcnow() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(UTC)


def as_utc(instant: datetime) -> datetime:
    """A stored instant as aware UTC (SQLite gives them back without their zone)."""
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def to_warsaw(instant: datetime | None) -> datetime | None:
    """Convert a stored instant to Warsaw local time (naive values are taken as UTC)."""
    if instant is None:
        return None
    return as_utc(instant).astimezone(WARSAW)


def warsaw_to_utc(local: datetime) -> datetime:
    """Read a naive Warsaw wall-clock time as an aware UTC instant."""
    return local.replace(tzinfo=WARSAW).astimezone(UTC)


def today_warsaw() -> date:
    """Today's date in Warsaw, the date deadlines are compared with."""
    return datetime.now(WARSAW).date()
