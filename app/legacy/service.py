"""Import of a legacy snapshot: stream, validate, stage, check, merge, report.

The whole import is one transaction: either every good row lands together with the report
of the bad ones, or (when the snapshot as a whole is unusable) nothing but a failed report.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, func, insert, select, text

from app.accounts.models import ChangeEvent, Contractor
from app.core import audit
from app.core.clock import utcnow
from app.core.extensions import db
from app.core.signals import snapshot_imported
from app.legacy import checks, merge_accounts, merge_ledger, rows, staging
from app.legacy.events import ImportContext
from app.legacy.models import ImportIssue, ImportRun
from app.legacy.parallel import stage_in_workers
from app.legacy.parsing import AttributeStats, parse_file
from app.legacy.reader import Snapshot, SnapshotError

log = logging.getLogger(__name__)

#: PostgreSQL advisory lock key held while an import runs (imports never overlap).
IMPORT_LOCK_KEY = 7_314_160
#: Snapshots at least this large are parsed in worker processes on PostgreSQL.
PARALLEL_MIN_BYTES = 20 * 1024 * 1024
#: Rejected rows kept per file in the report; beyond this only the count grows.
MAX_ISSUES_PER_FILE = 10_000


@dataclass
class FileCounts:
    """Per-file figures of one import."""

    rows: int = 0
    rejected: int = 0
    warnings: int = 0
    inserted: int = 0
    updated: int = 0
    cancelled: int = 0

    @property
    def unchanged(self) -> int:
        """Rows that were accepted and needed no write."""
        return max(self.rows - self.rejected - self.inserted - self.updated, 0)

    def as_dict(self) -> dict[str, int]:
        """The figures as a plain dict (stored in the report)."""
        return {"rows": self.rows, "inserted": self.inserted, "updated": self.updated,
                "unchanged": self.unchanged, "cancelled": self.cancelled,
                "rejected": self.rejected, "warnings": self.warnings}


def import_snapshot(path: str | Path, *, started_by: str | None = None,
                    workers: int | None = None) -> ImportRun:
    """Import a snapshot folder or .zip; returns the committed ImportRun (its report).

    `workers`: processes that parse in parallel on PostgreSQL (None: two for large snapshots).
    """
    started = time.monotonic()
    run = ImportRun(source=Path(path).name, started_by=started_by, status="running")
    db.session.add(run)
    db.session.flush()
    try:
        snapshot = Snapshot(path)
        try:
            _import(run, snapshot, workers)
        finally:
            snapshot.close()
    except SnapshotError as exc:
        db.session.rollback()
        run = ImportRun(source=Path(path).name, started_by=started_by, status="failed",
                        error=str(exc), finished_at=utcnow())
        db.session.add(run)
        audit.record("legacy.import_failed", actor_label=started_by, target=run.source,
                     error=str(exc))
        db.session.commit()
        log.warning("legacy import of %s failed: %s", run.source, exc)
        return run
    except BaseException:
        db.session.rollback()
        raise
    audit.record("legacy.imported", actor_label=started_by, target=f"import:{run.id}",
                 changes=run.change_count, rejected=run.rejected_count)
    db.session.commit()
    log.info("legacy import #%s of %s done in %.1fs", run.id, run.source, time.monotonic() - started)
    snapshot_imported.send(None, import_run_id=run.id)
    return run


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": IMPORT_LOCK_KEY})


def _import(run: ImportRun, snapshot: Snapshot, workers: int | None) -> None:
    # INSERT ... SELECT row counts are only reported when asked for.
    conn = db.session.connection().execution_options(preserve_rowcount=True)
    _lock(conn)
    missing = [spec.name for spec in rows.FILES if not snapshot.has(spec.name)]
    if missing:
        raise SnapshotError(f"missing from snapshot {snapshot.name}: {', '.join(missing)}")
    staging.create_tables(conn)
    clock = _PhaseClock()
    counts = {spec.name: FileCounts() for spec in rows.FILES}
    attribute_stats = AttributeStats()
    workers = _worker_count(conn, snapshot, workers)
    if workers:
        row_counts: dict[str, int] = {}
        stage_in_workers(conn, snapshot, workers=workers, row_counts=row_counts,
                         attribute_stats=attribute_stats)
        for name, n in row_counts.items():
            counts[name].rows = n
    else:
        _stage_sequentially(conn, snapshot, counts, attribute_stats)
    clock.lap("staging")
    _run_checks(conn)
    clock.lap("checks")

    merge_staged(conn, run, counts, attribute_stats.types(), clock)
    staging.drop_tables(conn)


def merge_staged(conn: Connection, run: ImportRun, counts: dict[str, FileCounts],
                 attribute_types: dict[str, str], clock: _PhaseClock | None = None, *,
                 source: str = "legacy", partial: bool = False) -> None:
    """Merge the checked staging tables into the account model and fill the run's report.

    Shared by snapshot imports and the rows the legacy system pushes through the API
    (`partial`: records missing from the staged rows stay as they are).
    """
    clock = clock or _PhaseClock()
    ctx = ImportContext(
        conn=conn, run_id=run.id, now=utcnow(),
        existing_contractor_max_id=conn.scalar(select(func.coalesce(func.max(Contractor.id), 0))),
        source=source, partial=partial,
    )
    protected = {name: _protected_keys(name) for name in counts}
    results = {
        rows.UNITS.name: merge_accounts.merge_units(ctx),
        rows.CONTRACTORS.name: merge_accounts.merge_contractors(ctx, protected[rows.CONTRACTORS.name]),
    }
    merge_accounts.link_staged_contractors(ctx)
    contacts = merge_accounts.merge_contact_points(ctx)
    consents = merge_accounts.merge_consents(ctx)
    clock.lap("contractors")
    results[rows.ATTRIBUTES.name] = merge_accounts.merge_attributes(ctx, attribute_types)
    clock.lap("attributes")
    results[rows.OBLIGATIONS.name] = merge_ledger.merge_obligations(ctx, protected[rows.OBLIGATIONS.name])
    clock.lap("obligations")
    results[rows.PAYMENTS.name] = merge_ledger.merge_payments(ctx, protected[rows.PAYMENTS.name])
    clock.lap("payments")
    results[rows.APPOINTMENTS.name] = merge_ledger.merge_appointments(
        ctx, protected[rows.APPOINTMENTS.name])

    _collect_issues(conn, run, counts)
    for name, result in results.items():
        for key, value in result.items():
            setattr(counts[name], key, value)
    written = sum(sum(r.values()) for r in results.values())
    written += sum(contacts.values()) + sum(consents.values())
    run.change_count = conn.scalar(
        select(func.count()).select_from(ChangeEvent).where(ChangeEvent.import_run_id == run.id))
    run.counts = {name: c.as_dict() for name, c in counts.items()}
    run.counts["contacts"] = contacts
    run.counts["consents"] = consents
    clock.lap("report")
    run.counts["seconds"] = clock.laps
    run.rows_written = written + run.change_count
    run.rejected_count = sum(c.rejected for c in counts.values())
    run.warning_count = sum(c.warnings for c in counts.values())
    run.status = "done"
    run.finished_at = utcnow()


class _PhaseClock:
    """Seconds spent per phase of an import, kept in its report."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.monotonic()

    def lap(self, phase: str) -> None:
        now = time.monotonic()
        self.laps[phase] = round(now - self._last, 2)
        self._last = now
        log.info("legacy import: %s took %.1f s", phase, self.laps[phase])


def _stage_sequentially(conn, snapshot, counts: dict[str, FileCounts],
                        attribute_stats: AttributeStats) -> None:
    """Parse and load the files one after the other in this process."""
    rejects = staging.BulkLoader(conn, staging.rejects, batch_size=5_000)
    for spec in rows.FILES:
        loader = staging.BulkLoader(conn, spec.table)
        counts[spec.name].rows = parse_file(
            snapshot, spec, loader.add, rejects.add,
            attribute_stats if spec is rows.ATTRIBUTES else None)
        loader.flush()
        staging.index_and_analyze(conn, spec.table)
    rejects.flush()


def _worker_count(conn: Connection, snapshot: Snapshot, requested: int | None) -> int:
    """Parse in worker processes on PostgreSQL when the snapshot is large enough to gain."""
    if conn.dialect.name != "postgresql":
        return 0
    if requested is not None:
        return requested
    size = sum(snapshot.size_of(spec.name) for spec in rows.FILES)
    return min(2, os.cpu_count() or 1) if size >= PARALLEL_MIN_BYTES else 0


def _run_checks(conn: Connection) -> None:
    """Checks across rows, in dependency order (a rejected contractor takes its rows along)."""
    for spec in rows.FILES:
        checks.reject_duplicates(conn, spec.table, spec.key, file=spec.name,
                                 field=spec.columns[0] if spec is not rows.ATTRIBUTES else "CECHA")
    c, u = staging.contractors, staging.units
    for spec, has_unit in ((rows.ATTRIBUTES, False), (rows.OBLIGATIONS, True),
                           (rows.PAYMENTS, False), (rows.APPOINTMENTS, True)):
        checks.reject_unknown(conn, spec.table, "contractor_legacy_id", c, "legacy_id",
                              file=spec.name, field="ID_KONTRAHENTA", reason="unknown contractor")
        if has_unit:
            checks.reject_unknown(conn, spec.table, "unit_code", u, "code",
                                  file=spec.name, field="JEDNOSTKA", reason="unknown unit")
    checks.detach_unknown_obligations(conn, file=rows.PAYMENTS.name)


def _protected_keys(file_name: str):
    """Keys of tonight's rejected rows of a file: their records stay as they were."""
    r = staging.rejects
    return select(r.c.key).where(r.c.file == file_name, r.c.severity == "error",
                                 r.c.key.is_not(None))


def _collect_issues(conn: Connection, run: ImportRun, counts: dict[str, FileCounts]) -> None:
    r = staging.rejects
    for name, severity, n in conn.execute(
        select(r.c.file, r.c.severity, func.count()).group_by(r.c.file, r.c.severity)
    ):
        if severity == "error":
            counts[name].rejected = n
        else:
            counts[name].warnings = n
    numbered = select(
        r.c.severity, r.c.file, r.c.line, r.c.field, r.c.value, r.c.reason,
        func.row_number().over(partition_by=r.c.file, order_by=r.c.line).label("n"),
    ).subquery()
    conn.execute(
        insert(ImportIssue.__table__).from_select(
            ["import_run_id", "severity", "file", "line", "field", "value", "reason"],
            select(text(str(int(run.id))), numbered.c.severity, numbered.c.file, numbered.c.line,
                   numbered.c.field, numbered.c.value, numbered.c.reason)
            .where(numbered.c.n <= MAX_ISSUES_PER_FILE)
            .order_by(numbered.c.file, numbered.c.line),
        )
    )
