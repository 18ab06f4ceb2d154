"""Idempotent writes: an `Idempotency-Key` sent again with the same request gets the first answer.

The key is remembered per API key for `API_IDEMPOTENCY_HOURS` (24 by default) together with a
hash of the method, path and body (JSON compared in canonical form). The same key with the same
request returns the stored answer (header `Idempotent-Replayed: true`) without doing anything;
the same key with another request is refused (422 `idempotency_key_reused`); a request still
running under the key is refused with 409. Only successful answers are stored: a refused write
changed nothing, so it may be corrected and sent again under the same key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from flask import Response, current_app, jsonify, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.api.errors import ApiError
from app.api.models import ApiKey, IdempotencyRecord
from app.core.clock import as_utc, utcnow
from app.core.db import transactional
from app.core.extensions import db

HEADER = "Idempotency-Key"
MAX_LENGTH = 255


def request_hash() -> str:
    """SHA-256 of the method, path, query and body (JSON in canonical form)."""
    raw = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode() if raw else b""
    except (ValueError, UnicodeDecodeError):
        body = raw
    head = f"{request.method} {request.full_path}\n".encode()
    return hashlib.sha256(head + body).hexdigest()


def _ttl() -> timedelta:
    return timedelta(hours=current_app.config.get("API_IDEMPOTENCY_HOURS", 24))


def run_write(key: ApiKey, handler: Callable[[], Response]) -> Response:
    """Run a write in one transaction, once per idempotency key when the caller sent one."""
    token = request.headers.get(HEADER)
    if token is None:
        return transactional(handler)()
    token = token.strip()
    if not token or len(token) > MAX_LENGTH or not token.isprintable():
        raise ApiError(400, "invalid_idempotency_key",
                       f"{HEADER} must be 1 to {MAX_LENGTH} printable characters.", {HEADER: ["invalid"]})
    fingerprint = request_hash()
    found = db.session.scalar(select(IdempotencyRecord).where(
        IdempotencyRecord.api_key_id == key.id, IdempotencyRecord.idempotency_key == token))
    if found is not None and as_utc(found.created_at) > utcnow() - _ttl():
        if found.request_hash != fingerprint:
            raise ApiError(422, "idempotency_key_reused",
                           f"This {HEADER} was used for another request; use a new key for a new request.",
                           {HEADER: ["used for another request"]})
        if found.status is None:
            raise ApiError(409, "idempotency_key_in_use", "A request with this key is still being handled.")
        replay = jsonify(found.body) if found.body is not None else Response(status=found.status)
        replay.status_code = found.status
        replay.headers["Idempotent-Replayed"] = "true"
        return replay
    return _first_time(key.id, token, fingerprint, handler)


@transactional
def _first_time(key_id: int, token: str, fingerprint: str, handler: Callable[[], Response]) -> Response:
    now = utcnow()
    db.session.execute(delete(IdempotencyRecord).where(
        IdempotencyRecord.api_key_id == key_id, IdempotencyRecord.created_at <= now - _ttl()))
    record = IdempotencyRecord(api_key_id=key_id, idempotency_key=token, request_hash=fingerprint,
                               created_at=now)
    db.session.add(record)
    try:
        db.session.flush()
    except IntegrityError:
        raise ApiError(409, "idempotency_key_in_use", "A request with this key is being handled.") from None
    response = handler()
    if response.status_code < 300:
        record.status = response.status_code
        record.body = response.get_json(silent=True)
    else:
        db.session.delete(record)
    return response
