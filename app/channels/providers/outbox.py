"""The outbox provider of the embedded default: nothing leaves the machine.

Every message stays visible in the admin's outbox, where staff can simulate a delivery report
or an inbound reply, so the whole flow can be tried without accounts at SMSAPI or SendGrid.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from app.channels.providers import Outcome, Outgoing, Request, chunked
from app.channels.sms_text import measure


class OutboxProvider:
    """Accepts every message at once and keeps it in the outbox."""

    deduplicates = True

    def __init__(self, channel: str, price_per_part: Decimal = Decimal("0")) -> None:
        self.name = "outbox"
        self.channel = channel
        self.price_per_part = price_per_part

    def plan(self, messages: Sequence[Outgoing]) -> list[Request]:
        """One request per thousand messages."""
        return [Request(chunk) for chunk in chunked(messages, 1000)]

    def send(self, request: Request) -> list[Outcome]:
        """Accept every message; an SMS is measured and priced like a real one."""
        outcomes = []
        for message in request.messages:
            parts = cost = None
            if self.channel == "sms":
                parts = measure(message.body).parts
                cost = self.price_per_part * parts
            outcomes.append(Outcome(message.id, "sent", f"outbox-{message.id}", parts, cost))
        return outcomes
