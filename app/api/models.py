"""API keys of the office's other systems, and the answers kept for idempotent writes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.db import Base


class ApiKey(Base):
    """One integration's key: a public prefix and the SHA-256 of its 32-byte random secret.

    The secret is shown once, when the key is created; only its hash is kept. A revoked key
    stays (its audit entries name it) but is refused.
    """

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Requests allowed, e.g. "600 per minute"; NULL = the platform's API_RATE_LIMIT.
    rate_limit: Mapped[str | None] = mapped_column(String(40))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    @property
    def is_active(self) -> bool:
        """True until the key is revoked."""
        return self.revoked_at is None

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"


class IdempotencyRecord(Base):
    """The first answer to a write sent with an `Idempotency-Key`, per API key and that key."""

    __tablename__ = "api_idempotency_records"
    __table_args__ = (
        UniqueConstraint("api_key_id", "idempotency_key"),
        Index("ix_api_idempotency_records_key_created", "api_key_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))  # method, path and canonical body
    status: Mapped[int | None]
    body: Mapped[Any | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
