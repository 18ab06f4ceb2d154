"""Quiet hours: non-urgent messages due at night wait for the morning (Europe/Warsaw)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from app.core.clock import WARSAW


@dataclass(frozen=True)
class QuietHours:
    """A daily window, e.g. 20:00-08:00, that may cross midnight; equal ends = no window."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """Read `HH:MM-HH:MM`; a clear error names the malformed value."""
        try:
            start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
        except ValueError:
            raise ValueError(f"QUIET_HOURS must look like 20:00-08:00, not {text!r}") from None
        return cls(start, end)

    def contains(self, instant: datetime) -> bool:
        """Whether the instant falls in the window, read on the Warsaw clock."""
        if self.start == self.end:
            return False
        local = instant.astimezone(WARSAW).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def release_at(self, instant: datetime) -> datetime:
        """When a message due at `instant` may go: the instant itself, or the window's end (UTC)."""
        if not self.contains(instant):
            return instant
        local = instant.astimezone(WARSAW)
        day = local.date()
        if local.time() >= self.end and self.start > self.end:  # evening: tomorrow morning
            day += timedelta(days=1)
        release = datetime.combine(day, self.end, tzinfo=WARSAW)
        return release.astimezone(UTC)
