"""Putting messages into the outbox and handing their ids to the workers.

Every feature sends through here: `create_messages` writes one row per recipient, channel and
purpose (a repeated idempotency key is a no-op) inside the caller's transaction, and the ids
are queued in batches once that transaction commits. Rows that are due later (quiet hours,
schedules) are queued by the dispatcher when their time comes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from flask import current_app
from sqlalchemy import select, text, update

from app.accounts.contacts import ContactError, normalise_email, normalise_phone
from app.channels.models import (
    ChannelPolicy,
    Message,
    MessageContent,
    MessageStatus,
    content_digest,
    status_among,
)
from app.channels.numbers import refusal_reason
from app.channels.quiet_hours import QuietHours
from app.channels.registry import number_policy
from app.channels.sms_text import transliterate
from app.core.clock import utcnow
from app.core.db import after_commit, among, insert_ignoring_duplicates, on_postgresql
from app.core.extensions import db


@dataclass
class NewMessage:
    """A message a feature wants sent; `idempotency_key` makes asking twice harmless."""

    channel: str
    recipient: str
    body: str
    purpose: str
    idempotency_key: str
    subject: str | None = None
    html: str | None = None
    headers: dict[str, str] | None = None
    template: str | None = None
    params: list[str] | None = None
    contractor_id: int | None = None
    unit_id: int | None = None
    origin: str | None = None
    urgent: bool = False
    send_after: datetime | None = None
    expires_at: datetime | None = None
    # Why the message is written `cancelled` instead of being sent (e.g. the recipient opted out):
    # the caller's results then show every recipient and what became of them.
    withheld: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def quiet_hours() -> QuietHours:
    """The configured quiet hours."""
    return QuietHours.parse(current_app.config["QUIET_HOURS"])


def policies_for(unit_ids: Iterable[int | None]) -> dict[int, ChannelPolicy]:
    """The channel policies of the given units, by unit id."""
    wanted = {u for u in unit_ids if u is not None}
    if not wanted:
        return {}
    rows = db.session.scalars(select(ChannelPolicy).where(ChannelPolicy.unit_id.in_(wanted)))
    return {p.unit_id: p for p in rows}


def _row(item: NewMessage, policy: ChannelPolicy | None, release_at: Callable[[datetime], datetime],
         now: datetime, checked: bool) -> dict:
    if item.channel not in ("sms", "email"):
        raise ContactError(f"unknown channel {item.channel!r}")
    if checked:
        recipient = item.recipient
    elif item.channel == "sms":
        recipient = normalise_phone(item.recipient, region=current_app.config["DEFAULT_PHONE_REGION"])
    else:
        recipient = normalise_email(item.recipient)
    body, template, params = item.body, item.template, item.params
    if item.channel == "sms" and policy is not None and policy.sms_transliterate:
        body = transliterate(body)
        template = transliterate(template) if template else None
        params = [transliterate(p) for p in params] if params else params
    status, error, finished_at = MessageStatus.CREATED.value, None, None
    if item.channel == "sms" and not checked:
        reason = refusal_reason(recipient, number_policy())
        if reason:
            status, error, finished_at = MessageStatus.FAILED.value, f"number refused: {reason}", now
    if item.withheld:
        status, error, finished_at = MessageStatus.CANCELLED.value, item.withheld[:500], now
    send_after = item.send_after
    if not item.urgent:
        send_after = release_at(max(send_after or now, now))
        if send_after <= now:
            send_after = item.send_after
    return {
        "idempotency_key": item.idempotency_key,
        "channel": item.channel,
        "purpose": item.purpose,
        "origin": item.origin,
        "urgent": item.urgent,
        "contractor_id": item.contractor_id,
        "unit_id": item.unit_id,
        "recipient": recipient,
        "subject": item.subject,
        "body": body,
        "html": item.html,
        "headers": item.headers,
        "template": template,
        "params": params,
        "status": status,
        "error": error,
        "finished_at": finished_at,
        "send_after": send_after,
        "expires_at": item.expires_at,
        "attempts": 0,
        "created_at": now,
    }


def create_messages(items: Sequence[NewMessage], *, checked_addresses: bool = False) -> list[int]:
    """Write messages into the outbox in the caller's transaction and queue the due ones after commit.

    A recipient that is not a valid phone or email raises ContactError naming it, before anything
    is written. A valid number the office may not text (landline, premium, foreign) is written as
    `failed` with the reason, so the caller's results show it. Returns the ids of the messages,
    including ones that existed under the same key.

    `checked_addresses` says the recipients are contact points already normalised and passing
    `numbers.refusal_reason` (the audiences' reachable contact points are): the per-message
    check, too costly for a campaign of a hundred thousand, is then skipped. At send time only
    the E.164 form is checked.
    """
    if not items:
        return []
    now = utcnow()
    release_at = functools.cache(quiet_hours().release_at)  # most rows of a call share one instant
    policies = policies_for(item.unit_id for item in items)
    rows = [_row(item, policies.get(item.unit_id), release_at, now, checked_addresses) for item in items]
    for row in rows:  # due now: queued as the row is written (what queue_due does for existing ones)
        due = row["status"] == MessageStatus.CREATED.value and (row["send_after"] is None or row["send_after"] <= now)
        row["queued_at"] = now if due else None
    _share_contents(rows)
    created = _insert(rows)
    queued = [(message_id, urgent) for message_id, urgent, queued_at, _key in created if queued_at is not None]
    if queued:
        after_commit(lambda: enqueue_batches(queued))
    ids = [message_id for message_id, *_rest in created]
    if len(created) < len(rows):  # some keys existed: those messages are the answer for them
        new_keys = {key for *_rest, key in created}
        existing = [row["idempotency_key"] for row in rows if row["idempotency_key"] not in new_keys]
        old: list[int] = []
        for start in range(0, len(existing), 1000):
            old.extend(db.session.scalars(select(Message.id).where(among(Message.idempotency_key,
                                                                         existing[start : start + 1000]))))
        queue_due(old)
        ids.extend(old)
    return ids


#: The columns `create_messages` writes, with their PostgreSQL types.
_COLUMNS = {
    "idempotency_key": "text", "channel": "text", "purpose": "text", "origin": "text", "urgent": "boolean",
    "contractor_id": "bigint", "unit_id": "bigint", "recipient": "text", "subject": "text", "body": "text",
    "headers": "json", "content_id": "bigint", "params": "json", "status": "text", "error": "text",
    "finished_at": "timestamptz", "send_after": "timestamptz", "expires_at": "timestamptz", "attempts": "integer",
    "created_at": "timestamptz", "queued_at": "timestamptz",
}
_INSERT_ROWS = (
    f"INSERT INTO messages ({', '.join(_COLUMNS)}) SELECT * FROM json_to_recordset(CAST(:rows AS json)) "
    f"AS incoming({', '.join(f'{name} {kind}' for name, kind in _COLUMNS.items())}) "
    "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, urgent, queued_at, idempotency_key"
)


def _share_contents(rows: list[dict]) -> None:
    """Replace each row's text with markers and HTML by the id of their content, written once.

    The messages of a campaign share one content; rows of their own each get theirs.
    """
    digests: dict[tuple[str | None, str | None], str] = {}
    for row in rows:
        shared = (row.pop("template"), row.pop("html"))
        if shared == (None, None):
            row["content_id"] = None
            continue
        digest = digests.get(shared)
        if digest is None:
            digest = digests[shared] = content_digest(*shared)
        row["content_id"] = digest
    if not digests:
        return
    ids = _store_contents([{"digest": digest, "template": template, "html": html}
                           for (template, html), digest in digests.items()])
    for row in rows:
        if row["content_id"] is not None:
            row["content_id"] = ids[row["content_id"]]


def _store_contents(contents: list[dict]) -> dict[str, int]:
    """Write the contents whose digest is new; the id of every content by its digest.

    Known contents are only read: writing one again would wait for the transaction that wrote
    it (fan-out lanes would queue behind each other on their campaign's content).
    """
    found = _content_ids([content["digest"] for content in contents])
    missing = [content for content in contents if content["digest"] not in found]
    if not missing:
        return found
    if on_postgresql():
        db.session.execute(text(
            "INSERT INTO message_contents (digest, template, html) SELECT * FROM json_to_recordset(CAST(:rows AS json))"
            " AS incoming(digest text, template text, html text) ON CONFLICT (digest) DO NOTHING"),
            {"rows": orjson.dumps(missing).decode()})
    else:
        db.session.execute(insert_ignoring_duplicates(MessageContent.__table__, ["digest"]), missing)
    return found | _content_ids([content["digest"] for content in missing])


def _content_ids(digests: list[str]) -> dict[str, int]:
    """The ids of the stored contents among `digests`."""
    table = MessageContent.__table__
    found: dict[str, int] = {}
    for start in range(0, len(digests), 1000):
        found.update((digest, content_id) for content_id, digest in db.session.execute(
            select(table.c.id, table.c.digest).where(among(table.c.digest, digests[start:start + 1000]))))
    return found


def _insert(rows: list[dict]) -> list[tuple[int, bool, datetime | None, str]]:
    """Insert the rows, skipping existing keys; (id, urgent, queued_at, key) of each row written.

    On PostgreSQL the rows travel as one JSON document that `json_to_recordset` unpacks: one
    parameter however many rows, instead of a parameter per value (slow to send and to parse).
    """
    table = Message.__table__
    if not on_postgresql():
        returning = (table.c.id, table.c.urgent, table.c.queued_at, table.c.idempotency_key)
        return [tuple(r) for r in db.session.execute(
            insert_ignoring_duplicates(table, ["idempotency_key"]).returning(*returning), rows)]
    found: list[tuple[int, bool, datetime | None, str]] = []
    for start in range(0, len(rows), 5000):
        # The rows hold exactly the `_COLUMNS` (json_to_recordset would ignore any other key).
        document = orjson.dumps(rows[start : start + 5000]).decode()
        found.extend(tuple(r) for r in db.session.execute(text(_INSERT_ROWS), {"rows": document}))
    return found


def queue_due(ids: Sequence[int]) -> int:
    """Mark the due, still `created` messages among `ids` as queued and queue them after commit."""
    if not ids:
        return 0
    now = utcnow()
    due: list[tuple[int, bool]] = []
    for start in range(0, len(ids), 1000):
        chunk = list(ids[start : start + 1000])
        due.extend(
            db.session.execute(
                update(Message)
                .where(
                    among(Message.id, chunk),
                    status_among(MessageStatus.CREATED),
                    (Message.send_after.is_(None)) | (Message.send_after <= now),
                )
                .values(queued_at=now)
                .returning(Message.id, Message.urgent)
            ).all()
        )
    if due:
        after_commit(lambda: enqueue_batches(due))
    return len(due)


def enqueue_batches(due: Sequence[tuple[int, bool]]) -> None:
    """Send the worker one task per batch of ids; urgent messages go to their own queue first."""
    from app.channels.tasks import send_batch, send_urgent_batch

    size = current_app.config["MESSAGE_BATCH"]
    urgent = sorted(message_id for message_id, is_urgent in due if is_urgent)
    normal = sorted(message_id for message_id, is_urgent in due if not is_urgent)
    for start in range(0, len(urgent), size):
        send_urgent_batch.send(urgent[start : start + size])
    for start in range(0, len(normal), size):
        send_batch.send(normal[start : start + size])
