"""Audit log: who did what, when and from where, for sign-ins and every sensitive action."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import JSON, DateTime, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.db import Base


class AuditEntry(Base):
    """One audited action."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"), Index("ix_audit_log_action", "action"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_type: Mapped[str] = mapped_column(String(20))  # staff, portal, api, system
    actor_id: Mapped[int | None]
    actor_label: Mapped[str | None] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(255))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<AuditEntry {self.action} by {self.actor_label}>"


def record(
    action: str,
    *,
    actor_type: str = "system",
    actor_id: int | None = None,
    actor_label: str | None = None,
    target: str | None = None,
    **details: Any,
) -> AuditEntry:
    """Add an audit entry to the current session (the caller's transaction commits it)."""
    from app.core.extensions import db

    entry = AuditEntry(
        action=action,
        actor_type=actor_type,
        actor_id=actor_id,
        actor_label=actor_label,
        target=target,
        details=details or None,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry
