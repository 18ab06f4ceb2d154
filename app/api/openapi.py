"""The OpenAPI 3 document of the API, built from the declared operations, and its HTML page.

`/api/v1/openapi.json` is the machine-readable document (apispec with the marshmallow plugin);
`/api/v1/docs` renders the same document as a plain page of our own (no outside scripts).
"""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app, jsonify, render_template

from app.api.auth import SCOPES
from app.api.idempotency import HEADER
from app.api.operations import OPERATIONS, Operation
from app.api.schemas import MAX_ID, Amount, ErrorSchema, Instant, SignedAmount, Text

TITLE = "Powiadomienia API"
VERSION = "1.0.0"
_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def build_spec() -> dict[str, Any]:
    """The OpenAPI document as a dict."""
    plugin = MarshmallowPlugin()
    spec = APISpec(title=TITLE, version=VERSION, openapi_version="3.0.3", plugins=[plugin], info={
        "description": ("REST API of the platform for the office's other systems. Authenticate with "
                        "`Authorization: Bearer <API key>`; each operation names the scope it needs. "
                        f"Writes accept an `{HEADER}` header. Errors are JSON: `code`, `message`, `fields`."),
    }, servers=[{"url": "/api/v1"}])
    plugin.map_to_openapi_type(Amount, "string", None)
    plugin.map_to_openapi_type(SignedAmount, "string", None)
    plugin.map_to_openapi_type(Instant, "string", "date-time")
    plugin.map_to_openapi_type(Text, "string", None)
    spec.components.security_scheme("apiKey", {"type": "http", "scheme": "bearer",
                                               "description": "An API key issued in the admin."})
    spec.components.schema("Error", schema=ErrorSchema)
    for path, operations in _by_path().items():
        spec.path(path=path, operations={op.method.lower(): _operation(op) for op in operations})
    return spec.to_dict()


def _by_path() -> dict[str, list[Operation]]:
    paths: dict[str, list[Operation]] = {}
    for op in OPERATIONS:
        paths.setdefault(_PARAM.sub(r"{\2}", op.rule), []).append(op)
    return paths


def _operation(op: Operation) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = []
    for converter, name in _PARAM.findall(op.rule):
        schema = ({"type": "integer", "minimum": 1, "maximum": MAX_ID} if converter == "int"
                  else {"type": "string", "minLength": 1, "maxLength": 40, "example": "K000001"})
        parameters.append({"in": "path", "name": name, "required": True,
                           "schema": {**schema, **op.path_params.get(name, {})}})
    if op.query is not None:
        parameters.append({"in": "query", "schema": op.query})
    if op.write:
        parameters.append({"in": "header", "name": HEADER, "required": False,
                           "description": "Send the same key again to get the first answer, without a second write.",
                           "schema": {"type": "string", "minLength": 1, "maxLength": 255}})
    responses: dict[str, Any] = {}
    if op.response is not None:
        responses[str(op.status)] = {"description": "Done.",
                                     "content": {"application/json": {"schema": op.response}}}
    else:
        responses["204" if op.status == 200 else str(op.status)] = {"description": "Done."}
    if op.method == "GET":
        parameters.append({"in": "header", "name": "If-None-Match", "required": False,
                           "schema": {"type": "string", "maxLength": 200},
                           "description": "The ETag of an earlier answer: 304 when nothing changed."})
        responses["304"] = {"description": "Not modified since the answer with this ETag."}
    responses["default"] = {"description": "An error (`code`, `message`, `fields`).",
                            "content": {"application/json": {"schema": "Error"}}}
    scope = f"Scope: `{op.scope}` ({SCOPES[op.scope]})." if op.scope else "No scope needed."
    document: dict[str, Any] = {
        "operationId": op.endpoint, "tags": [op.tag], "summary": op.summary,
        "description": " ".join(p for p in (op.description, scope) if p),
        "parameters": parameters, "responses": responses, "security": [{"apiKey": []}],
    }
    if op.body is not None:
        document["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.body}}}
    return document


def spec_of_app() -> dict[str, Any]:
    """The document of the running app (built once)."""
    cache = current_app.extensions.setdefault("api_openapi", {})
    if "spec" not in cache:
        cache["spec"] = build_spec()
    return cache["spec"]


def openapi_json():
    """The OpenAPI 3 document of this API."""
    return jsonify(spec_of_app())


def docs_page():
    """The API's reference as a readable page: operations, parameters, bodies, answers, schemas."""
    spec = spec_of_app()
    operations = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            operations.append({"path": path, "method": method.upper(), **op})
    tags: dict[str, list[dict[str, Any]]] = {}
    for op in operations:
        tags.setdefault(op["tags"][0], []).append(op)
    return render_template("api/docs.html", spec=spec, tags=tags, schemas=spec["components"]["schemas"],
                           scopes=SCOPES, ref_name=_ref_name)


def _ref_name(schema: Any) -> str:
    """The component name a `$ref` (or an allOf of one) points to, else a short type."""
    if not isinstance(schema, dict):
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "allOf" in schema and schema["allOf"]:
        return _ref_name(schema["allOf"][0])
    if schema.get("type") == "array":
        return f"[{_ref_name(schema.get('items', {}))}]"
    kind = schema.get("type", "object")
    return f"{kind} ({schema['format']})" if schema.get("format") else kind
