"""API keys: issued and revoked by admins, sent as `Authorization: Bearer pw_<prefix>_<secret>`.

A key carries scopes; each operation names the scope it needs. Keys are looked up by their
public prefix and checked against the SHA-256 of the secret (32 random bytes, so a fast hash
is enough; nothing guessable is hashed). Every call, refused or not, is written to the audit
log, and each key has its own request budget (Flask-Limiter keyed on the prefix).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass

from flask import current_app, g, request
from sqlalchemy import select, update

from app.api.errors import ApiError
from app.api.models import ApiKey
from app.core import audit
from app.core.clock import utcnow
from app.core.db import transactional
from app.core.extensions import db

log = logging.getLogger(__name__)

#: What a key may be allowed to do.
SCOPES = {
    "accounts:read": "read contractors, their ledger, balance, upcoming deadlines and preferences",
    "accounts:write": "upsert contractors, obligations and payments; change reminder preferences",
    "campaigns": "preview segments, create, start and follow campaigns",
    "payments": "payments for the accounting system (FK): read and mark exported",
    "messages": "status of messages, search by phone",
}
DEFAULT_RATE_LIMIT = "600 per minute"
KEY_PREFIX = "pw"


@dataclass(frozen=True)
class IssuedKey:
    """A new key and its full secret, shown to the admin once."""

    key: ApiKey
    token: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transactional
def issue_key(name: str, scopes: list[str], *, created_by_id: int | None = None,
              created_by: str | None = None, rate_limit: str | None = None) -> IssuedKey:
    """Create a key; the returned token is the only copy of its secret."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise ValueError(f"unknown scopes: {', '.join(unknown)}" if unknown else "choose at least one scope")
    if not name.strip():
        raise ValueError("a key needs a name")
    prefix, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
    key = ApiKey(name=name.strip()[:120], prefix=prefix, secret_hash=_digest(secret),
                 scopes=sorted(set(scopes)), rate_limit=(rate_limit or None), created_by_id=created_by_id)
    db.session.add(key)
    db.session.flush()
    audit.record("api.key_created", actor_type="staff", actor_id=created_by_id, actor_label=created_by,
                 target=f"api_key:{key.id}", name=key.name, prefix=prefix, scopes=key.scopes)
    return IssuedKey(key, f"{KEY_PREFIX}_{prefix}_{secret}")


@transactional
def revoke_key(key_id: int, *, revoked_by_id: int | None = None, revoked_by: str | None = None) -> ApiKey | None:
    """Refuse the key from now on (kept for the audit trail); None when there is no such key."""
    key = db.session.get(ApiKey, key_id)
    if key is None:
        return None
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.record("api.key_revoked", actor_type="staff", actor_id=revoked_by_id, actor_label=revoked_by,
                     target=f"api_key:{key.id}", name=key.name, prefix=key.prefix)
    return key


def _presented_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _lookup(token: str) -> ApiKey | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 8:
        return None
    key = db.session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    if key is None or not hmac.compare_digest(key.secret_hash, _digest(parts[2])):
        return None
    return key


def current_key() -> ApiKey | None:
    """The request's key when it is genuine (revoked or not); looked up once per request."""
    if "api_key_checked" not in g:
        token = _presented_token()
        g.api_key = _lookup(token) if token else None
        g.api_key_checked = True
    return g.api_key


def authenticate(scope: str | None) -> ApiKey:
    """The request's active key holding `scope`; ApiError 401/403 otherwise."""
    g.api_scope = scope
    key = current_key()
    if key is None:
        reason = "no API key" if _presented_token() is None else "unknown API key"
        raise ApiError(401, "unauthorized", f"Send a valid API key as 'Authorization: Bearer <key>' ({reason}).",
                       headers={"WWW-Authenticate": 'Bearer realm="api"'})
    if key.revoked_at is not None:
        raise ApiError(401, "key_revoked", "This API key was revoked.",
                       headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'})
    if scope is not None and scope not in (key.scopes or []):
        raise ApiError(403, "missing_scope", f"This API key lacks the scope {scope!r}.")
    return key


def rate_limit_key() -> str:
    """Flask-Limiter's key: the genuine key's prefix, else the caller's address."""
    key = current_key()
    return f"api-key:{key.prefix}" if key is not None else f"api-ip:{request.remote_addr}"


def rate_limit_value() -> str:
    """The request budget of the calling key (its own, else the platform's)."""
    key = current_key()
    if key is not None and key.rate_limit:
        return key.rate_limit
    return current_app.config.get("API_RATE_LIMIT", DEFAULT_RATE_LIMIT)


def record_call(response) -> None:
    """Audit one API call (refusals as `api.refused`) and note the key's last use."""
    try:
        if response.status_code >= 500:
            db.session.rollback()
        _record(response.status_code)
    except Exception:  # the answer must not be lost because its audit entry failed
        db.session.rollback()
        log.exception("could not audit the API call %s %s", request.method, request.path)


def _printable(text: str) -> str:
    """Text any database keeps: NUL bytes and lone surrogates written out."""
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


@transactional
def _record(status: int) -> None:
    key = g.get("api_key")
    refused = status in (401, 403)
    details = {"method": request.method, "status": status}
    if g.get("api_scope"):
        details["scope"] = g.api_scope
    if request.headers.get("Idempotency-Key"):
        details["idempotency_key"] = request.headers["Idempotency-Key"][:255]
    audit.record("api.refused" if refused else "api.call", actor_type="api",
                 actor_id=key.id if key is not None else None,
                 actor_label=str(key) if key is not None else None,
                 target=_printable(f"{request.method} {request.full_path.rstrip('?')}")[:255], **details)
    if key is not None and not refused:
        db.session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=utcnow()))
