"""Providers behind one small interface: plan requests for a batch, send one request.

A provider never touches the database. The sending engine (`app.channels.sending`) claims
messages, asks the provider how to split them into requests (`plan`), sends each request
(`send`) under the provider's rate limit and records the outcome of every message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class Outgoing:
    """What a provider needs to know of one claimed message."""

    id: int
    channel: str
    recipient: str
    body: str
    subject: str | None = None
    html: str | None = None
    headers: dict[str, str] | None = None
    template: str | None = None
    params: list[str] | None = None
    sender: str | None = None
    max_parts: int | None = None


@dataclass(frozen=True)
class Outcome:
    """What became of one message in a request: `sent` or `failed` (with the provider's reason)."""

    message_id: int
    status: str
    provider_ref: str | None = None
    parts: int | None = None
    cost: Decimal | None = None
    error: str | None = None


class ProviderUnavailable(Exception):
    """The provider took nothing from this request (rate limit, outage, refused connection).

    The messages go back to the outbox and are tried again after `retry_after` seconds
    (or the engine's backoff when the provider did not say).
    """

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class OutcomeUnknown(Exception):
    """The request may or may not have reached the provider (a read timeout).

    The messages stay `sending`; reconciliation settles them without sending any twice.
    """


@dataclass
class Request:
    """One provider request: the messages it carries, in order."""

    messages: list[Outgoing] = field(default_factory=list)


class Provider(Protocol):
    """A way to hand messages of one channel to the outside world."""

    name: str
    channel: str
    #: Whether sending a message again after an unknown outcome is refused by the provider
    #: itself (SMSAPI's `check_idx`), so reconciliation may simply try again.
    deduplicates: bool

    def plan(self, messages: Sequence[Outgoing]) -> list[Request]:
        """Split messages into the requests this provider accepts."""

    def send(self, request: Request) -> list[Outcome]:
        """Send one request; raise ProviderUnavailable or OutcomeUnknown when nothing is known."""


def chunked(items: Sequence, size: int) -> list[list]:
    """Split a sequence into lists of at most `size` items."""
    return [list(items[i : i + size]) for i in range(0, len(items), size)]
