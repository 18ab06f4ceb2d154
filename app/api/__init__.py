"""REST API at /api/v1 for the office's other systems (legacy system, tender system, accounting).

Every operation is declared with `app.api.operations.operation`; the OpenAPI document at
`/api/v1/openapi.json` and the page at `/api/v1/docs` are built from those declarations.
Keys and scopes: `app.api.auth`; errors: `app.api.errors`; idempotent writes: `app.api.idempotency`.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, request

bp = Blueprint("api", __name__, url_prefix="/api/v1", template_folder=str(Path(__file__).parent / "templates"))


def _conditional(response):
    """Reads carry an ETag; a matching If-None-Match gets 304 without the body."""
    if request.method == "GET" and response.status_code == 200 and response.is_json:
        response.add_etag()
        response.make_conditional(request)
    return response


def _setup() -> None:
    from app.api import (  # noqa: F401  (each module declares its operations on `bp`)
        account,
        accounting,
        campaigns,
        contractors,
        ledger,
        messages,
        preferences,
        segments,
    )
    from app.api.errors import register_error_handlers
    from app.api.openapi import docs_page, openapi_json
    from app.core.extensions import csrf

    register_error_handlers(bp)
    bp.add_url_rule("/openapi.json", "openapi_json", openapi_json)
    bp.add_url_rule("/docs", "docs", docs_page)
    bp.after_request(_conditional)
    bp.after_request(_audited)
    csrf.exempt(bp)


def _audited(response):
    """Every call of an operation (refusals too) is written to the audit log."""
    from app.api.auth import record_call

    if request.endpoint not in ("api.openapi_json", "api.docs"):
        record_call(response)
    return response


_setup()
