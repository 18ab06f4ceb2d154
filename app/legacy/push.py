"""Records the legacy system pushes as they change (through the API), merged as a partial import.

The pushed rows take the snapshot's way: staging tables, duplicate and reference checks, and
`service.merge_staged` with `partial=True`. So a pushed obligation becomes the same change
events as one found in a file, the run has the same report (rejected items as its issues), and
`snapshot_imported` reaches the same receivers (account-change notices, staff payment notices,
the reminder sweep) once the transaction commits. Records not pushed stay as they are; only the
keys named in `Push.cancel` are cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, exists, literal, or_, select, text

from app.accounts.models import Contractor, Obligation, Unit
from app.core import audit
from app.core.db import after_commit, transactional
from app.core.extensions import db
from app.core.signals import snapshot_imported
from app.legacy import checks, rows, staging
from app.legacy import fields as F
from app.legacy.models import ImportRun
from app.legacy.parsing import AttributeStats
from app.legacy.service import IMPORT_LOCK_KEY, FileCounts, merge_staged

#: Entities whose records a push may cancel by legacy id.
CANCELLABLE = ("obligation", "payment")


class ImportBusy(RuntimeError):
    """Another import holds the import lock; the push may be sent again shortly."""


@dataclass
class Push:
    """Rows keyed by staging column names, each with its `line` (the item's number in the request).

    `attributes` rows name `contractor_legacy_id`, `code` and `value`; `rejects` are items refused
    before staging: dicts with file, line, key, field, value and reason.
    """

    contractors: list[dict[str, Any]] = field(default_factory=list)
    attributes: list[dict[str, Any]] = field(default_factory=list)
    obligations: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    cancel: dict[str, list[str]] = field(default_factory=dict)
    rejects: list[dict[str, Any]] = field(default_factory=list)


@transactional
def push(rows_pushed: Push, *, source: str, started_by: str | None) -> ImportRun:
    """Merge pushed records as one partial import run; ImportBusy while another import runs."""
    run = ImportRun(source=source[:255], started_by=started_by, status="running")
    db.session.add(run)
    db.session.flush()
    conn = db.session.connection().execution_options(preserve_rowcount=True)
    if not _try_lock(conn):
        raise ImportBusy("another import is running")
    staging.create_tables(conn)
    counts = {spec.name: FileCounts() for spec in rows.FILES}
    stats = AttributeStats()
    attributes = [{**a, "code": a["code"].upper(), "value_number": F.attribute_number(a["value"]),
                   "value_date": F.attribute_date(a["value"])} for a in rows_pushed.attributes]
    for spec, items in ((rows.CONTRACTORS, rows_pushed.contractors), (rows.ATTRIBUTES, attributes),
                        (rows.OBLIGATIONS, rows_pushed.obligations), (rows.PAYMENTS, rows_pushed.payments)):
        _stage(conn, spec.table, items, stats if spec is rows.ATTRIBUTES else None)
        counts[spec.name].rows = len(items) + sum(1 for r in rows_pushed.rejects if r["file"] == spec.name)
    _stage(conn, staging.rejects, [{"severity": "error", **r} for r in rows_pushed.rejects])
    cancelled = [{"entity": entity, "legacy_id": key}
                 for entity, keys in rows_pushed.cancel.items() if entity in CANCELLABLE for key in keys]
    if cancelled:
        conn.execute(staging.cancelled.insert(), cancelled)
    _check(conn)
    merge_staged(conn, run, counts, stats.types(), source="api", partial=True)
    staging.drop_tables(conn)
    audit.record("legacy.pushed", actor_type="api", actor_label=started_by, target=f"import:{run.id}",
                 changes=run.change_count, rejected=run.rejected_count)
    run_id = run.id
    after_commit(lambda: snapshot_imported.send(None, import_run_id=run_id))
    return run


def _try_lock(conn: Connection) -> bool:
    """Take the import lock for this transaction, without waiting for a running import."""
    if conn.dialect.name != "postgresql":
        return True
    return bool(conn.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": IMPORT_LOCK_KEY}))


def _stage(conn: Connection, table, items: list[dict[str, Any]], stats: AttributeStats | None = None) -> None:
    loader = staging.BulkLoader(conn, table)
    for item in items:
        row = tuple(item.get(column) for column in loader.columns)
        if stats is not None:
            stats.add(row)
        loader.add(row)
    loader.flush()
    if table in staging.BULK_LOADED:
        staging.index_and_analyze(conn, table)


def _check(conn: Connection) -> None:
    """Duplicates within the push, then references to records pushed or already known."""
    for spec in (rows.CONTRACTORS, rows.ATTRIBUTES, rows.OBLIGATIONS, rows.PAYMENTS):
        checks.reject_duplicates(conn, spec.table, spec.key, file=spec.name,
                                 field="CECHA" if spec is rows.ATTRIBUTES else spec.columns[0])
    sc, c, u = staging.contractors, Contractor.__table__, Unit.__table__
    for spec in (rows.OBLIGATIONS, rows.PAYMENTS):
        t = spec.table
        known = _found_in_any(
            select(literal(1)).where(sc.c.legacy_id == t.c.contractor_legacy_id),
            select(literal(1)).where(c.c.legacy_id == t.c.contractor_legacy_id),
        )
        checks.reject_where(conn, t, ~known, file=spec.name, field="ID_KONTRAHENTA",
                            value_col="contractor_legacy_id", reason="unknown contractor")
    o = staging.obligations
    unit_known = exists(select(literal(1)).where(u.c.code == o.c.unit_code, u.c.is_active.is_(True)))
    checks.reject_where(conn, o, ~unit_known, file=rows.OBLIGATIONS.name, field="JEDNOSTKA",
                        value_col="unit_code", reason="unknown unit")
    p, ob = staging.payments, Obligation.__table__
    same_contractor = _found_in_any(
        select(literal(1)).where(o.c.legacy_id == p.c.obligation_legacy_id,
                                 o.c.contractor_legacy_id == p.c.contractor_legacy_id),
        select(literal(1)).select_from(ob.join(c, c.c.id == ob.c.contractor_id)).where(
            ob.c.legacy_id == p.c.obligation_legacy_id, c.c.legacy_id == p.c.contractor_legacy_id,
            ~exists(select(literal(1)).where(o.c.legacy_id == ob.c.legacy_id))),
    )
    checks.reject_where(conn, p, and_(p.c.obligation_legacy_id.is_not(None), ~same_contractor),
                        file=rows.PAYMENTS.name, field="ID_NALEZNOSCI", value_col="obligation_legacy_id",
                        reason="unknown obligation or another contractor's")


def _found_in_any(*queries):
    """True where any of the queries finds a row."""
    return or_(*(exists(q) for q in queries))
