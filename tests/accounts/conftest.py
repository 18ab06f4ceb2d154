"""Fixtures of the staff pages (compiled catalogues, a signed-in admin client)."""

from tests.admin_support import (  # noqa: F401
    compiled_catalogues,
    fresh_request_globals,
    staff_client,
)
