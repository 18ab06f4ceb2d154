"""Finance staff's admin: incoming payments, FK export, bank statement import."""

from __future__ import annotations

from flask_admin import Admin


def register(admin: Admin) -> None:
    """Add the finance views to the admin."""
