"""Provider events: stored raw by the webhooks, applied here by the worker.

Each event is claimed (`processed_at` set where it was NULL) in the same transaction that
applies it, so a repeated task or two workers never apply one event twice. An event that
cannot be applied keeps the reason in `error` and does not stop the others.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import case, func, select, update

from app.accounts.contacts import ContactError, normalise_email
from app.accounts.models import ContactPoint
from app.channels.inbound import receive_sms
from app.channels.models import FINAL_STATUSES, Message, MessageStatus, ProviderEvent, status_among
from app.channels.optouts import opt_out
from app.core.clock import utcnow
from app.core.db import after_commit, insert_ignoring_duplicates, transactional
from app.core.extensions import db

log = logging.getLogger(__name__)

#: Event ids per worker task.
EVENT_BATCH = 500
#: SMSAPI report codes: the status they settle a message in (None: only noted) and their name.
SMSAPI_STATUSES: dict[str, tuple[str | None, str]] = {
    "401": (None, "NOT_FOUND"),
    "402": (MessageStatus.EXPIRED, "EXPIRED"),
    "403": (MessageStatus.SENT, "SENT"),
    "404": (MessageStatus.DELIVERED, "DELIVERED"),
    "405": (MessageStatus.FAILED, "UNDELIVERED"),
    "406": (MessageStatus.FAILED, "FAILED"),
    "407": (MessageStatus.FAILED, "REJECTED"),
    "408": (None, "UNKNOWN"),
    "409": (MessageStatus.SENT, "QUEUED"),
    "410": (MessageStatus.SENT, "ACCEPTED"),
}
#: SendGrid events that count against an email address, and the reason it becomes unusable.
EMAIL_FAILURES = {"bounce": "bounced", "dropped": "dropped", "spamreport": "spam-report"}
#: SendGrid events that opt an address out of email, and the opt-out's source.
EMAIL_OPT_OUTS = {
    "spamreport": "spam-report", "unsubscribe": "sendgrid", "group_unsubscribe": "sendgrid",
}
EMAIL_EVENTS = {
    "processed", "deferred", "delivered", "bounce", "dropped", "open", "click", *EMAIL_OPT_OUTS,
}
_DELIVERY_STATUSES = (
    MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.FAILED, MessageStatus.EXPIRED,
)


@transactional
def store_events(provider: str, kind: str, items: Sequence[tuple[str, dict[str, Any]]]) -> list[int]:
    """Store raw events by their key (a repeated key is dropped) and queue them after commit.

    Returns the ids of the stored events still waiting to be processed.
    """
    if not items:
        return []
    now = utcnow()
    rows = {key: {"provider": provider, "kind": kind, "event_key": key, "payload": payload,
                  "received_at": now} for key, payload in items}
    insert = insert_ignoring_duplicates(ProviderEvent.__table__, ["event_key"])
    db.session.execute(insert, list(rows.values()))
    ids = list(db.session.scalars(
        select(ProviderEvent.id)
        .where(ProviderEvent.event_key.in_(list(rows)), ProviderEvent.processed_at.is_(None))
        .order_by(ProviderEvent.id)
    ))
    if ids:
        after_commit(lambda: _enqueue(ids))
    return ids


def _clean(text: str) -> str:
    """Text fit for an `error` column: no NUL characters (PostgreSQL refuses them), 500 at most."""
    return text.replace("\x00", "")[:500]


def _enqueue(ids: list[int]) -> None:
    from app.channels.tasks import process_events as process_events_actor

    for start in range(0, len(ids), EVENT_BATCH):
        process_events_actor.send(ids[start : start + EVENT_BATCH])


def process_events(event_ids: Sequence[int]) -> int:
    """Apply the stored provider events with these ids that are not processed yet; idempotent.

    Each event commits on its own, so call this outside any transaction (the actor and
    reconciliation do). Returns how many were processed (successfully or with an error).
    """
    done = 0
    for event_id in sorted(set(event_ids)):
        try:
            done += _process_one(event_id)
        except Exception as error:  # one bad event must not stop the others
            log.exception("provider event %s failed", event_id)
            done += _record_failure(event_id, f"{type(error).__name__}: {error}")
    return done


@transactional
def _process_one(event_id: int) -> bool:
    claimed = db.session.execute(
        update(ProviderEvent)
        .where(ProviderEvent.id == event_id, ProviderEvent.processed_at.is_(None))
        .values(processed_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return False
    provider, kind, payload = db.session.execute(
        select(ProviderEvent.provider, ProviderEvent.kind, ProviderEvent.payload)
        .where(ProviderEvent.id == event_id)
    ).one()
    handler = _HANDLERS.get((provider, kind))
    note = handler(payload) if handler else f"no handler for {provider} {kind} events"
    if note:
        db.session.execute(
            update(ProviderEvent).where(ProviderEvent.id == event_id).values(error=_clean(note))
            .execution_options(synchronize_session=False)
        )
    return True


@transactional
def _record_failure(event_id: int, error: str) -> bool:
    result = db.session.execute(
        update(ProviderEvent)
        .where(ProviderEvent.id == event_id, ProviderEvent.processed_at.is_(None))
        .values(processed_at=utcnow(), error=_clean(error))
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


@transactional
def record_delivery(
    message_id: int, status: str, *, reason: str | None = None, at: datetime | None = None
) -> bool:
    """Apply a delivery outcome to a message; True when the message changed.

    `sent` only moves a `created` or `sending` message on (an unknown outcome is settled);
    `delivered`, `failed` and `expired` finish any message not yet final. A final status is
    never overwritten by a late or repeated report.
    """
    if status not in _DELIVERY_STATUSES:
        raise ValueError(f"not a delivery status: {status!r}")
    at = at or utcnow()
    statement = update(Message).where(Message.id == message_id)
    if status == MessageStatus.SENT:
        statement = statement.where(
            status_among(MessageStatus.CREATED, MessageStatus.SENDING)
        ).values(status=MessageStatus.SENT, sent_at=func.coalesce(Message.sent_at, at))
    else:
        values: dict[str, Any] = {"status": status, "finished_at": at}
        if status == MessageStatus.DELIVERED:
            values.update(sent_at=func.coalesce(Message.sent_at, at), error=None)
        else:
            values["error"] = _clean(reason or status)
        statement = statement.where(Message.status.not_in(FINAL_STATUSES)).values(**values)
    result = db.session.execute(statement.execution_options(synchronize_session=False))
    return bool(result.rowcount)


def _note(message_id: int, text: str) -> None:
    """Write a remark into the message's `error` column without changing its status."""
    db.session.execute(
        update(Message).where(Message.id == message_id).values(error=_clean(text))
        .execution_options(synchronize_session=False)
    )


def _instant(value: Any) -> datetime | None:
    """A provider's unix time as an aware instant; None when absent or implausible."""
    try:
        seconds = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    instant = datetime.fromtimestamp(seconds, UTC) if 946_684_800 <= seconds < 4_102_444_800 else None
    if instant is None or instant > utcnow() + timedelta(days=1):
        return None
    return instant


# --- SMSAPI delivery reports ---------------------------------------------------------------


def apply_sms_report(payload: dict[str, Any]) -> str | None:
    """Apply one SMSAPI delivery report; returns a note when it could not be applied fully."""
    provider_ref = str(payload.get("MsgId") or "")
    code = str(payload.get("status") or "")
    message_id = _sms_message_id(str(payload.get("idx") or ""), provider_ref)
    if message_id is None:
        return f"no SMS message with idx {payload.get('idx')!r} or MsgId {provider_ref!r}"
    if provider_ref:
        db.session.execute(
            update(Message)
            .where(Message.id == message_id, Message.provider_ref.is_(None))
            .values(provider_ref=provider_ref, provider=func.coalesce(Message.provider, "smsapi"))
            .execution_options(synchronize_session=False)
        )
    if code not in SMSAPI_STATUSES:
        return f"unknown SMSAPI status {code!r}"
    status, name = SMSAPI_STATUSES[code]
    reason = f"SMSAPI {code} {name}"
    if status is None:
        current = db.session.scalar(select(Message.status).where(Message.id == message_id))
        if current not in FINAL_STATUSES:
            _note(message_id, reason)
        return None
    record_delivery(message_id, status, reason=reason, at=_instant(payload.get("donedate")))
    return None


def _sms_message_id(idx: str, provider_ref: str) -> int | None:
    if idx.isdigit() and len(idx) < 19:
        found = db.session.scalar(
            select(Message.id).where(Message.id == int(idx), Message.channel == "sms")
        )
        if found is not None:
            return found
    if not provider_ref:
        return None
    return db.session.scalar(
        select(Message.id).where(Message.provider_ref == provider_ref, Message.channel == "sms")
        .order_by(Message.id).limit(1)
    )


# --- SendGrid events ------------------------------------------------------------------------


def apply_email_event(payload: dict[str, Any]) -> str | None:
    """Apply one SendGrid event; returns a note when it could not be applied fully."""
    kind = payload.get("event")
    if not isinstance(kind, str) or kind not in EMAIL_EVENTS:
        return f"unknown SendGrid event {str(kind)[:40]!r}"
    address = _address(payload.get("email"))
    message = _email_message(payload, address)
    notes = []
    if message is not None:
        _apply_to_message(message.id, kind, payload)
    elif kind not in ("open", "click"):
        notes.append(f"no email message for this {kind} event")
    target = message.recipient if message else address
    if target is None and (kind in EMAIL_FAILURES or kind in EMAIL_OPT_OUTS):
        notes.append("the event names no usable email address")
    elif target is not None:
        if kind in EMAIL_OPT_OUTS:
            opt_out("email", target, EMAIL_OPT_OUTS[kind])
        if kind in EMAIL_FAILURES:
            count_email_failure(target, EMAIL_FAILURES[kind])
    return "; ".join(notes) or None


def _apply_to_message(message_id: int, kind: str, payload: dict[str, Any]) -> None:
    at = _instant(payload.get("timestamp"))
    if kind in ("processed", "deferred"):
        record_delivery(message_id, MessageStatus.SENT, at=at)
    elif kind == "delivered":
        record_delivery(message_id, MessageStatus.DELIVERED, at=at)
    elif kind in ("bounce", "dropped"):
        detail = ": ".join(str(payload[k])[:200] for k in ("type", "reason") if payload.get(k))
        reason = f"SendGrid {kind}: {detail}" if detail else f"SendGrid {kind}"
        record_delivery(message_id, MessageStatus.FAILED, reason=reason, at=at)
    elif kind == "spamreport":
        _note(message_id, "the recipient reported it as spam")
    elif kind in EMAIL_OPT_OUTS:
        _note(message_id, "the recipient unsubscribed")


def _address(value: Any) -> str | None:
    if not isinstance(value, str) or not value or len(value) > 255:
        return None
    try:
        return normalise_email(value)
    except ContactError:
        return None


def _email_message(payload: dict[str, Any], address: str | None) -> Message | None:
    """The message of an event: our id from custom_args, else SendGrid's message id and address.

    One SendGrid message id covers a whole request, so it is matched with the address.
    """
    ours = str(payload.get("message_id") or "")
    message = None
    if ours.isdigit() and len(ours) < 19:
        message = db.session.get(Message, int(ours))
    if message is None:
        reference = str(payload.get("sg_message_id") or "").split(".", 1)[0]
        if reference and address:
            message = db.session.scalar(
                select(Message).where(Message.provider_ref == reference, Message.channel == "email",
                                      func.lower(Message.recipient) == address.lower())
                .order_by(Message.id).limit(1)
            )
    if message is None or message.channel != "email":
        return None
    if address and message.recipient.lower() != address.lower():
        return None  # not ours (another system's id, or a forwarded address): trust the address only
    return message


def count_email_failure(address: str, reason: str) -> int:
    """Count a bounce, drop or spam report against every contact point with this address.

    Once the count reaches EMAIL_FAILURES_BEFORE_UNUSABLE the address gets `reason` as its
    `unusable_reason` (an earlier reason stays). Returns the number of contact points.
    """
    limit = current_app.config["EMAIL_FAILURES_BEFORE_UNUSABLE"]
    values = {address, address.lower()}
    result = db.session.execute(
        update(ContactPoint)
        .where(ContactPoint.channel == "email", ContactPoint.value.in_(values))
        .values(
            failure_count=ContactPoint.failure_count + 1,
            unusable_reason=case(
                (
                    ContactPoint.unusable_reason.is_(None)
                    & (ContactPoint.failure_count + 1 >= limit),
                    reason,
                ),
                else_=ContactPoint.unusable_reason,
            ),
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


# --- Inbound SMS ------------------------------------------------------------------------------


def apply_inbound_sms(payload: dict[str, Any]) -> str | None:
    """Put one inbound SMS into the office inbox (or answer its keyword)."""
    receive_sms(
        str(payload.get("sms_from") or ""),
        str(payload.get("sms_text") or ""),
        recipient=str(payload.get("sms_to") or "") or None,
        provider_ref=str(payload.get("MsgId") or "") or None,
        received_at=_instant(payload.get("sms_date")),
    )
    return None


_HANDLERS = {
    ("smsapi", "report"): apply_sms_report,
    ("smsapi", "inbound"): apply_inbound_sms,
    ("sendgrid", "email-event"): apply_email_event,
}
