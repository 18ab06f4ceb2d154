"""The sending engine: claim a batch of messages, hand them to providers, record every outcome.

A message is claimed with `UPDATE ... WHERE status='created'` and that claim is committed
before any provider sees it, so two workers holding the same ids never both send. Outcomes are
written per message as each request returns; a crash leaves at most one request's messages in
`sending`, which reconciliation settles (`app.channels.reconcile`).
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import and_, bindparam, exists, or_, select, text, update

from app.channels.models import (
    ChannelPolicy,
    Message,
    MessageContent,
    MessageStatus,
    OptOut,
    Purpose,
    status_among,
)
from app.channels.outbox import policies_for, quiet_hours
from app.channels.providers import Outcome, OutcomeUnknown, Outgoing, ProviderUnavailable, Request
from app.channels.ratelimit import acquire, bucket_for
from app.channels.registry import provider_for, provider_rate
from app.channels.sms_text import measure
from app.core.clock import utcnow
from app.core.db import among, commit_without_waiting_for_disk
from app.core.extensions import db
from app.core.signals import batch_sent

log = logging.getLogger(__name__)

#: Columns a provider needs, read by `_load`.
_OUTGOING_COLUMNS = (
    Message.id, Message.channel, Message.recipient, Message.body, Message.subject, MessageContent.html,
    Message.headers, MessageContent.template, Message.params, Message.unit_id,
)


@dataclass
class BatchResult:
    """What one batch did, for logs, tests and benchmarks."""

    claimed: int = 0
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    unknown: int = 0
    skipped: int = 0
    requests: int = 0
    retry_ids: list[int] = field(default_factory=list)
    retry_delay: float = 0.0


def send_batch(message_ids: Sequence[int]) -> BatchResult:
    """Send the messages among `message_ids` that are still waiting; idempotent."""
    result = BatchResult()
    ids = sorted(set(message_ids))
    if not ids:
        return result
    now = utcnow()
    quiet = quiet_hours()
    if quiet.contains(now):
        _wait_for_morning(ids, quiet.release_at(now))
    waiting = _load(ids, now)
    if len(waiting) < len(ids):
        _withhold(sorted(set(ids) - {m.id for m in waiting}), now)
    by_channel: dict[str, list[Outgoing]] = defaultdict(list)
    for message in waiting:
        by_channel[message.channel].append(message)
    for channel, messages in by_channel.items():
        _send_channel(channel, messages, result)
    result.skipped = len(ids) - result.claimed
    if result.retry_ids:
        _requeue_later(result.retry_ids, result.retry_delay)
    batch_sent.send(None, message_ids=ids)
    return result


def _blocked_by_opt_out():
    """The recipient said STOP (or unsubscribed), and neither an answer to them nor an urgent
    message that the unit's policy lets through."""
    opted_out = exists().where(OptOut.channel == Message.channel, OptOut.address == Message.recipient)
    urgent_passes = and_(
        Message.urgent.is_(True),
        exists().where(ChannelPolicy.unit_id == Message.unit_id, ChannelPolicy.urgent_ignores_stop.is_(True)),
    )
    return and_(opted_out, ~urgent_passes, Message.purpose != Purpose.REPLY)


def _wait_for_morning(ids: list[int], release) -> None:
    """In quiet hours, move non-urgent waiting messages to the end of them."""
    db.session.execute(
        update(Message)
        .where(among(Message.id, ids), status_among(MessageStatus.CREATED), Message.urgent.is_(False))
        .values(send_after=release, queued_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _withhold(ids: list[int], now) -> None:
    """Settle waiting messages the claim left: expire the late ones, cancel the opted-out ones."""
    waiting = and_(among(Message.id, ids), status_among(MessageStatus.CREATED))
    session = db.session
    session.execute(
        update(Message)
        .where(waiting, Message.expires_at.is_not(None), Message.expires_at <= now)
        .values(status=MessageStatus.EXPIRED, finished_at=now, error="expired before it could be sent")
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Message)
        .where(waiting, _blocked_by_opt_out())
        .values(status=MessageStatus.CANCELLED, finished_at=now, error="the recipient opted out")
        .execution_options(synchronize_session=False)
    )
    session.commit()


def _sendable(ids: Sequence[int], now):
    """Messages among ids that may go now: waiting, due, not expired, not blocked by an opt-out."""
    return and_(
        among(Message.id, ids),
        status_among(MessageStatus.CREATED),
        or_(Message.send_after.is_(None), Message.send_after <= now),
        or_(Message.expires_at.is_(None), Message.expires_at > now),
        ~_blocked_by_opt_out(),
    )


def _claim(ids: Sequence[int], now) -> set[int]:
    """Take messages for this worker just before their request (committed at once).

    Claiming per provider request, not per batch, keeps the messages whose fate a crash leaves
    unknown down to the requests in flight.
    """
    claimed = db.session.execute(
        update(Message)
        .where(_sendable(ids, now))
        .values(status=MessageStatus.SENDING, claimed_at=now, attempts=Message.attempts + 1)
        .returning(Message.id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    db.session.commit()
    return set(claimed)


def _load(ids: list[int], now) -> list[Outgoing]:
    """Read what the providers need of the sendable messages among ids (nothing is claimed yet)."""
    rows = db.session.execute(
        select(*_OUTGOING_COLUMNS).outerjoin(MessageContent, MessageContent.id == Message.content_id)
        .where(_sendable(ids, now))).all()
    db.session.commit()
    config = current_app.config
    policies = policies_for(row.unit_id for row in rows)
    outgoing = []
    for row in rows:
        policy = policies.get(row.unit_id)
        sender = (policy.sms_sender if policy and policy.sms_sender else config["SMS_SENDER"]) or None
        max_parts = (policy.sms_max_parts if policy and policy.sms_max_parts else config["SMS_MAX_PARTS"])
        outgoing.append(
            Outgoing(
                id=row.id, channel=row.channel, recipient=row.recipient, body=row.body,
                subject=row.subject, html=row.html, headers=row.headers, template=row.template,
                params=row.params, sender=sender if row.channel == "sms" else None,
                max_parts=max_parts if row.channel == "sms" else None,
            )
        )
    return outgoing


def _refused(message: Outgoing) -> str | None:
    """Why we will not hand this SMS to any provider (number or length), or None."""
    if not E164.fullmatch(message.recipient):
        return "number refused: not in E.164 form"
    parts = _parts(message.body)
    if message.max_parts and parts > message.max_parts:
        return f"text needs {parts} parts, at most {message.max_parts} allowed"
    if parts == 0:
        return "empty text"
    return None


#: The form every SMS recipient has after `create_messages`; the full check happened there.
E164 = re.compile(r"\+[1-9]\d{6,14}")


@lru_cache(maxsize=4096)
def _parts(text: str) -> int:
    return measure(text).parts


def _send_channel(channel: str, messages: list[Outgoing], result: BatchResult) -> None:
    provider = provider_for(channel)
    outcomes: list[Outcome] = []
    if channel == "sms":
        ready = []
        for message in messages:
            reason = _refused(message)
            if reason:
                outcomes.append(Outcome(message.id, "failed", error=reason))
            else:
                ready.append(message)
        messages = ready
    if outcomes:
        claimed = _claim([o.message_id for o in outcomes], utcnow())
        result.claimed += len(claimed)
        _record([o for o in outcomes if o.message_id in claimed], provider.name, result)
    rate = provider_rate(provider.name)
    bucket = bucket_for(provider.name, rate, current_app.config["REDIS_URL"] or None) if rate else None
    requests = provider.plan(messages)
    for number, request in enumerate(requests):
        if bucket is not None and not acquire(bucket):
            _postpone([m.id for r in requests[number:] for m in r.messages], "rate limit wait too long", result)
            return
        claimed = _claim([m.id for m in request.messages], utcnow())
        if not claimed:
            continue
        result.claimed += len(claimed)
        if len(claimed) < len(request.messages):
            request = Request([m for m in request.messages if m.id in claimed])
        result.requests += 1
        try:
            outcomes = provider.send(request)
        except ProviderUnavailable as error:
            log.warning("%s unavailable: %s", provider.name, error.reason)
            _defer([m.id for m in request.messages], error.reason, error.retry_after, result)
            _postpone([m.id for r in requests[number + 1 :] for m in r.messages], error.reason, result,
                      result.retry_delay)
            return
        except OutcomeUnknown as error:
            log.warning("%s outcome unknown: %s", provider.name, error)
            _mark_unknown([m.id for m in request.messages], str(error), provider.name)
            result.unknown += len(request.messages)
            continue
        _record(outcomes, provider.name, result)


def _record(outcomes: list[Outcome], provider: str, result: BatchResult) -> None:
    """Write each message's outcome; only rows still `sending` change."""
    if not outcomes:
        return
    now = utcnow()
    sent = [o for o in outcomes if o.status == "sent"]
    failed = [o for o in outcomes if o.status != "sent"]
    table = Message.__table__
    # An outcome lost with a database crash leaves its messages `sending`: reconciliation settles them.
    commit_without_waiting_for_disk()
    if sent:
        _record_sent(sent, provider, now)
    if failed:
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"), status_among(MessageStatus.SENDING))
            .values(status=MessageStatus.FAILED, provider=provider, error=bindparam("b_error"), finished_at=now)
        )
        db.session.execute(statement, [{"b_id": o.message_id, "b_error": (o.error or "")[:500]} for o in failed])
    db.session.commit()
    result.sent += len(sent)
    result.failed += len(failed)


def _record_sent(sent: list[Outcome], provider: str, now) -> None:
    """Mark messages sent with their references; one statement on PostgreSQL."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text(
                "UPDATE messages AS m SET status = 'sent', provider = :provider, provider_ref = v.ref,"
                " parts = v.parts, cost = v.cost, error = v.error, sent_at = :now"
                " FROM unnest(CAST(:ids AS bigint[]), CAST(:refs AS text[]), CAST(:parts AS int[]),"
                " CAST(:costs AS numeric[]), CAST(:errors AS text[])) AS v(id, ref, parts, cost, error)"
                " WHERE m.id = v.id AND (m.status = 'sending') IS TRUE"  # see status_among
            ),
            {
                "provider": provider, "now": now,
                "ids": [o.message_id for o in sent], "refs": [o.provider_ref for o in sent],
                "parts": [o.parts for o in sent], "costs": [o.cost for o in sent],
                "errors": [o.error for o in sent],
            },
        )
        return
    table = Message.__table__
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"), status_among(MessageStatus.SENDING))
        .values(
            status=MessageStatus.SENT, provider=provider, provider_ref=bindparam("b_ref"),
            parts=bindparam("b_parts"), cost=bindparam("b_cost"), error=bindparam("b_error"), sent_at=now,
        )
    )
    session.execute(
        statement,
        [{"b_id": o.message_id, "b_ref": o.provider_ref, "b_parts": o.parts, "b_cost": o.cost,
          "b_error": o.error} for o in sent],
    )


def _defer(ids: list[int], reason: str, retry_after: float | None, result: BatchResult) -> None:
    """Put messages back to `created` for a later try, or fail those out of attempts."""
    if not ids:
        return
    config = current_app.config
    now = utcnow()
    attempts = dict(
        db.session.execute(select(Message.id, Message.attempts).where(among(Message.id, ids))).all()
    )
    worst = max(attempts.values(), default=1)
    delay = retry_after if retry_after is not None else config["RETRY_BASE_SECONDS"] * 2 ** (worst - 1)
    delay = min(max(delay, 1.0), 3600.0)
    exhausted = [i for i, n in attempts.items() if n >= config["MESSAGE_MAX_ATTEMPTS"]]
    again = [i for i in ids if i not in set(exhausted)]
    if exhausted:
        db.session.execute(
            update(Message)
            .where(among(Message.id, exhausted), status_among(MessageStatus.SENDING))
            .values(status=MessageStatus.FAILED, finished_at=now, error=f"gave up after retries: {reason}"[:500])
        )
    if again:
        db.session.execute(
            update(Message)
            .where(among(Message.id, again), status_among(MessageStatus.SENDING))
            .values(status=MessageStatus.CREATED, send_after=now + timedelta(seconds=delay),
                    error=f"will retry: {reason}"[:500], queued_at=now)
        )
    db.session.commit()
    result.failed += len(exhausted)
    result.retrying += len(again)
    result.retry_ids.extend(again)
    result.retry_delay = max(result.retry_delay, delay)


def _postpone(ids: list[int], reason: str, result: BatchResult, delay: float | None = None) -> None:
    """Leave messages not yet claimed waiting a little longer (the provider is busy or down)."""
    if not ids:
        return
    delay = delay or current_app.config["RETRY_BASE_SECONDS"]
    db.session.execute(
        update(Message)
        .where(among(Message.id, ids), status_among(MessageStatus.CREATED))
        .values(send_after=utcnow() + timedelta(seconds=delay), error=f"will retry: {reason}"[:500])
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    result.retrying += len(ids)
    result.retry_ids.extend(ids)
    result.retry_delay = max(result.retry_delay, delay)


def _mark_unknown(ids: list[int], reason: str, provider: str) -> None:
    db.session.execute(
        update(Message)
        .where(among(Message.id, ids), status_among(MessageStatus.SENDING))
        .values(provider=provider, error=f"outcome unknown: {reason}"[:500])
    )
    db.session.commit()


def _requeue_later(ids: list[int], delay: float) -> None:
    from app.channels.tasks import send_batch as send_batch_actor

    size = current_app.config["MESSAGE_BATCH"]
    for start in range(0, len(ids), size):
        send_batch_actor.send_with_options(args=(ids[start : start + size],), delay=int(delay * 1000) + 50)

