"""Bulk upserts and cancellations of the legacy system's records, through `app.legacy.push`.

Each item is validated on its own: bad items are refused with their position, field, value
and reason, the good ones are merged as one partial import run (same change events and report
as a snapshot file). References the items make (contractor, unit, obligation) are checked by
the import itself, against the records pushed together and those already known.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, ValidationError
from sqlalchemy import select

from app.api.errors import ApiError
from app.api.models import ApiKey
from app.legacy import rows
from app.legacy.models import ImportIssue, ImportRun
from app.legacy.push import ImportBusy, Push, push

MAX_ITEMS = 1000

#: The API's name of each snapshot column a check may name, per file.
FIELD_NAMES = {
    rows.CONTRACTORS.name: {"ID_KONTRAHENTA": "legacy_id"},
    rows.ATTRIBUTES.name: {"CECHA": "attributes", "ID_KONTRAHENTA": "legacy_id"},
    rows.OBLIGATIONS.name: {"ID_NALEZNOSCI": "legacy_id", "ID_KONTRAHENTA": "contractor_legacy_id",
                            "JEDNOSTKA": "unit_code"},
    rows.PAYMENTS.name: {"ID_WPLATY": "legacy_id", "ID_KONTRAHENTA": "contractor_legacy_id",
                         "ID_NALEZNOSCI": "obligation_legacy_id"},
}


@dataclass(frozen=True)
class Resource:
    """How the items of one bulk operation become staged rows.

    `stage(push, line, item)` adds the loaded item's rows (its `line` is its position + 1).
    """

    file: str
    schema: type[Schema]
    stage: Callable[[Push, int, dict[str, Any]], None]


def source_of(key: ApiKey, what: str) -> str:
    """The import run's source: which key pushed what."""
    return f"API: {key.name} ({key.prefix}), {what}"


def bulk_upsert(resource: Resource, items: list[Any], key: ApiKey, what: str) -> dict[str, Any]:
    """Validate every item, merge the good ones as one partial import, report per item."""
    pushed = Push()
    loader = resource.schema()
    for index, item in enumerate(items):
        line = index + 1
        if not isinstance(item, dict):
            pushed.rejects.append(_reject(resource.file, line, None, None, item, "not an object"))
            continue
        try:
            loaded = loader.load(item)
        except ValidationError as error:
            for name, messages in _flat(error.messages):
                pushed.rejects.append(_reject(resource.file, line, item.get("legacy_id"), name,
                                              _value_at(item, name), messages))
            continue
        resource.stage(pushed, line, loaded)
    run = _push(pushed, key, what)
    return result_of(run, resource.file, items)


def cancel(entity: str, legacy_id: str, key: ApiKey) -> ImportRun:
    """Cancel one obligation or payment by legacy id as a partial import (change event included)."""
    return _push(Push(cancel={entity: [legacy_id]}), key, f"{entity} {legacy_id} cancelled")


def _push(pushed: Push, key: ApiKey, what: str) -> ImportRun:
    try:
        return push(pushed, source=source_of(key, what), started_by=str(key))
    except ImportBusy:
        raise ApiError(409, "import_running", "A legacy import is running; send the request again shortly.",
                       headers={"Retry-After": "60"}) from None


def result_of(run: ImportRun, file: str, items: list[Any]) -> dict[str, Any]:
    """The bulk answer: the run's counts of the file and every refused item."""
    counts = (run.counts or {}).get(file, {})
    issues = select(ImportIssue).where(ImportIssue.import_run_id == run.id, ImportIssue.severity == "error")
    from app.core.extensions import db

    errors = []
    for issue in db.session.scalars(issues.order_by(ImportIssue.line, ImportIssue.id)):
        index = issue.line - 1
        item = items[index] if 0 <= index < len(items) and isinstance(items[index], dict) else {}
        legacy_id = item.get("legacy_id")
        errors.append({"index": index, "legacy_id": legacy_id if isinstance(legacy_id, str) else None,
                       "field": FIELD_NAMES.get(issue.file, {}).get(issue.field or "", issue.field),
                       "value": issue.value, "reason": issue.reason})
    return {"import_run_id": run.id, "received": len(items), "inserted": counts.get("inserted", 0),
            "updated": counts.get("updated", 0), "unchanged": counts.get("unchanged", 0),
            "rejected": counts.get("rejected", 0), "changes": run.change_count, "errors": errors}


def _reject(file: str, line: int, key: Any, field: str | None, value: Any, reason: str) -> dict[str, Any]:
    shown = value if isinstance(value, str) else (None if value is None else repr(value))
    return {"file": file, "line": line, "key": _storable(key, 255) if isinstance(key, str) else None,
            "field": _storable(field, 40), "value": _storable(shown, 255), "reason": _storable(reason, 255)}


def _storable(text: str | None, limit: int) -> str | None:
    """Text as the report can keep it: NUL bytes and lone surrogates written out, cut to `limit`."""
    if not text:
        return text
    safe = text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")
    return safe[:limit]


def _flat(messages: Any, prefix: str = "") -> list[tuple[str | None, str]]:
    """marshmallow's nested messages as (dotted field, joined text) pairs."""
    if isinstance(messages, dict):
        found: list[tuple[str | None, str]] = []
        for name, inner in messages.items():
            path = f"{prefix}.{name}" if prefix else str(name)
            found.extend(_flat(inner, "" if path == "_schema" else path))
        return found
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [(prefix or None, " ".join(messages))]
    if isinstance(messages, list):
        return [pair for inner in messages for pair in _flat(inner, prefix)]
    return [(prefix or None, str(messages))]


def _value_at(item: dict[str, Any], dotted: str | None) -> Any:
    if not dotted:
        return None
    value: Any = item
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value
