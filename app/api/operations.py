"""Declaring an API operation once: its route, scope, inputs, answer and documentation.

`@operation(...)` registers the view on the blueprint, checks the key and scope, loads the
query and the JSON body with their marshmallow schemas, runs writes once per idempotency key in
one transaction, and dumps the answer with the response schema; the OpenAPI document is built
from the same declarations (`OPERATIONS`), so the document and the behaviour cannot drift.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Response, jsonify, request
from marshmallow import Schema

from app.api.auth import authenticate, rate_limit_key, rate_limit_value
from app.api.errors import ApiError
from app.api.idempotency import run_write
from app.core.extensions import limiter


@dataclass
class Operation:
    """One documented operation of the API."""

    rule: str
    method: str
    endpoint: str
    scope: str | None
    tag: str
    summary: str
    description: str
    query: type[Schema] | None = None
    body: type[Schema] | None = None
    response: type[Schema] | None = None
    status: int = 200
    write: bool = False
    path_params: dict[str, dict[str, Any]] = field(default_factory=dict)


#: Every declared operation, in declaration order.
OPERATIONS: list[Operation] = []


def operation(bp, rule: str, method: str, *, scope: str | None, tag: str, query: type[Schema] | None = None,
              body: type[Schema] | None = None, response: type[Schema] | None = None, status: int = 200,
              write: bool | None = None, raw_body: bool = False,
              path_params: dict[str, dict[str, Any]] | None = None) -> Callable:
    """Declare a view as an API operation (see the module's docstring).

    The view gets the path values, `args` (the loaded query) and `body` (the loaded body, or
    the raw JSON when `raw_body`), and returns the object to dump, or (object, status).
    """
    is_write = method != "GET" if write is None else write

    def decorate(func: Callable) -> Callable:
        doc = (func.__doc__ or "").strip()
        summary, _, description = doc.partition("\n")
        op = Operation(rule=rule, method=method, endpoint=func.__name__, scope=scope, tag=tag,
                       summary=summary.strip(), description=" ".join(description.split()), query=query,
                       body=body, response=response, status=status, write=is_write,
                       path_params=path_params or {})

        @functools.wraps(func)
        def view(**path: Any) -> Response:
            key = authenticate(scope)
            for name, value in path.items():
                if isinstance(value, str) and not _plain(value):
                    raise ApiError(404, "not_found", f"No such {name}.")
            kwargs = dict(path)
            if query is not None:
                kwargs["args"] = query().load(_query_values(query))
            if body is not None:
                data = _json_body()
                kwargs["body"] = data if raw_body else body().load(data)

            def handle() -> Response:
                return _answer(op, func(**kwargs))

            return run_write(key, handle) if is_write else handle()

        limited = limiter.shared_limit(rate_limit_value, scope="api", key_func=rate_limit_key)(view)
        bp.add_url_rule(rule, endpoint=func.__name__, view_func=limited, methods=[method])
        OPERATIONS.append(op)
        return limited

    return decorate


def _plain(text: str) -> bool:
    """True for text without control characters or lone surrogates (no key of ours has them)."""
    return all(unicodedata.category(ch) not in ("Cc", "Cs") for ch in text)


def _query_values(schema: type[Schema]) -> dict[str, Any]:
    """The query string as a dict: repeated names of list fields as lists, others their first value."""
    from marshmallow import fields as mf

    declared = schema().fields
    values: dict[str, Any] = {}
    for name in request.args:
        f = declared.get(name)
        values[name] = request.args.getlist(name) if isinstance(f, mf.List) else request.args.get(name)
    return values


def _json_body() -> Any:
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(400, "invalid_json", "Send a JSON body with 'Content-Type: application/json'.")
    return data


def _answer(op: Operation, result: Any) -> Response:
    status = op.status
    if isinstance(result, tuple):
        result, status = result
    if isinstance(result, Response):
        return result
    if op.response is None or result is None:
        return Response(status=204 if status == 200 else status)
    response = jsonify(op.response().dump(result))
    response.status_code = status
    return response
