"""Simulated delivery reports and SMS replies for messages of the outbox provider.

The embedded default has no real provider: staff try the whole flow by pretending to be the
operator (a delivery report) or the recipient (an SMS reply). Each simulation is audited.
"""

from __future__ import annotations

import secrets

from app.channels.events import record_delivery
from app.channels.inbound import receive_sms
from app.channels.models import InboundSms, Message
from app.core import audit
from app.core.admin import staff_id, staff_label
from app.core.db import transactional

OUTBOX = "outbox"
OUTCOMES = ("delivered", "failed")
SIMULATED_REASON = "simulated non-delivery (admin)"


class NotSimulable(ValueError):
    """The message did not go through the outbox provider, so nothing may be simulated."""


def check_simulable(message: Message, *, sms_only: bool = False) -> None:
    """Refuse messages a real provider carries, messages not sent yet and (for replies) emails."""
    if message.provider != OUTBOX:
        raise NotSimulable(message.provider or "")
    if sms_only and message.channel != "sms":
        raise NotSimulable(message.channel)


@transactional
def simulate_delivery(message: Message, outcome: str) -> bool:
    """Record a simulated delivery report; False when the status did not change."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    check_simulable(message)
    reason = SIMULATED_REASON if outcome == "failed" else None
    changed = record_delivery(message.id, outcome, reason=reason)
    audit.record(
        "message.simulated_report",
        actor_type="staff",
        actor_id=staff_id(),
        actor_label=staff_label(),
        target=f"message:{message.id}",
        outcome=outcome,
        changed=changed,
    )
    return changed


@transactional
def simulate_reply(message: Message, text: str) -> InboundSms:
    """Let the message's recipient answer it by SMS, as if the operator forwarded the reply."""
    check_simulable(message, sms_only=True)
    inbound = receive_sms(
        message.recipient, text, provider_ref=f"simulated-{message.id}-{secrets.token_hex(6)}"
    )
    audit.record(
        "message.simulated_reply",
        actor_type="staff",
        actor_id=staff_id(),
        actor_label=staff_label(),
        target=f"message:{message.id}",
        inbound_id=inbound.id,
    )
    return inbound
