"""Fixtures of the staff pages (compiled catalogues, a signed-in admin client)."""

from tests.admin_support import compiled_catalogues, staff_client  # noqa: F401
