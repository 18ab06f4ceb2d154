"""JSON errors of the API: `{"code", "message", "fields"}` for every refusal and failure.

Views raise `ApiError` (or let marshmallow's ValidationError through); HTTP errors raised by
Flask, Werkzeug or Flask-Limiter under /api/ get the same shape instead of an HTML page.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

#: The stable `code` of each HTTP status when a view gave none.
STATUS_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 412: "precondition_failed", 413: "too_large",
    415: "unsupported_media_type", 422: "validation_error", 429: "rate_limited",
    500: "server_error",
}


class ApiError(Exception):
    """A refusal with its HTTP status, stable code, message and the fields at fault."""

    def __init__(self, status: int, code: str, message: str, fields: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = headers or {}


def error_response(status: int, code: str, message: str, fields: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None):
    """The JSON response of an error."""
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def not_found(what: str, key: Any) -> ApiError:
    """The error of a record that does not exist."""
    return ApiError(404, "not_found", f"No {what} {key!s:.80}.")


def _api_error(error: ApiError):
    return error_response(error.status, error.code, error.message, error.fields, error.headers)


def _validation_error(error: ValidationError):
    messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    return error_response(422, "validation_error", "The request has invalid fields.", messages)


def _http_error(error: HTTPException):
    status = error.code or 500
    headers = {k: v for k, v in error.get_headers() if k.lower() not in ("content-type", "content-length")}
    if status == 429:
        message = f"Too many requests ({error.description}); try again later."
    else:
        message = error.description or error.name
    return error_response(status, STATUS_CODES.get(status, "error"), message, None, headers)


def _server_error(error: Exception):
    log.exception("API request failed: %s %s", request.method, request.path)
    return error_response(500, "server_error", "The request failed on the server; it was logged.")


def _under_api() -> bool:
    return request.path.startswith("/api/")


def register_error_handlers(bp: Blueprint) -> None:
    """JSON errors for the blueprint's views, and for unknown addresses and methods under /api/."""
    bp.register_error_handler(ApiError, _api_error)
    bp.register_error_handler(ValidationError, _validation_error)
    bp.register_error_handler(HTTPException, _http_error)
    for status in STATUS_CODES:  # before the app's pages of a status (403, 429)
        if status != 500:
            bp.register_error_handler(status, _http_error)
    bp.register_error_handler(Exception, _server_error)

    @bp.record_once
    def _outside_views(state) -> None:
        app: Flask = state.app

        def routing_error(error: HTTPException):
            """A URL under /api/ no view matched: JSON; elsewhere the page it was."""
            return _http_error(error) if _under_api() else error

        app.register_error_handler(404, routing_error)
        app.register_error_handler(405, routing_error)
