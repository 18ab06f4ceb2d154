"""Fixtures of the staff pages (compiled catalogues, a signed-in admin client)."""

from tests.admin_support import (  # noqa: F401
    staff_client,
)
