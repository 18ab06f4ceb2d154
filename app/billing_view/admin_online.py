"""Admin view of online payment attempts."""

from __future__ import annotations

from flask_admin import Admin


def register(admin: Admin) -> None:
    """Add the online payments view to the admin."""
