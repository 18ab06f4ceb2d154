"""Admin views of the billing module."""

from __future__ import annotations

from flask_admin import Admin

from app.billing_view import admin_finance, admin_online


def register(admin: Admin) -> None:
    """Add the finance and online payment views."""
    admin_finance.register(admin)
    admin_online.register(admin)
