"""Parsing a large snapshot in worker processes while PostgreSQL loads what is ready.

Each worker parses one file into PostgreSQL's COPY text format in a spool file; the import's
own connection streams every finished spool into its staging table, so parsing (Python) and
loading (the database) run side by side on separate cores and memory stays flat.
"""

from __future__ import annotations

import multiprocessing
import tempfile
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Connection

from app.legacy import rows, staging
from app.legacy.parsing import AttributeStats, parse_file
from app.legacy.reader import Snapshot

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
CHUNK = 1 << 20


def copy_value(value) -> str:
    """One value in COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def copy_line(values: tuple) -> str:
    """One row in COPY text format, with its line end."""
    return "\t".join([copy_value(v) for v in values]) + "\n"


def _parse_to_spool(snapshot_path: str, file_name: str, folder: str) -> tuple[str, int, AttributeStats | None]:
    """Worker: parse one file into `<name>.rows` and `<name>.rejects` spool files."""
    spec = next(s for s in rows.FILES if s.name == file_name)
    snapshot = Snapshot(snapshot_path)
    stats = AttributeStats() if spec is rows.ATTRIBUTES else None
    base = Path(folder) / file_name
    try:
        with open(f"{base}.rows", "w", encoding="utf-8", buffering=CHUNK) as out, \
                open(f"{base}.rejects", "w", encoding="utf-8", buffering=CHUNK) as rejects:
            n = parse_file(snapshot, spec, lambda r: out.write(copy_line(r)),
                           lambda r: rejects.write(copy_line(r)), stats)
    finally:
        snapshot.close()
    return file_name, n, stats


def _copy_spool(conn: Connection, table, path: Path) -> None:
    columns = [c.name for c in table.columns if not c.info.get("derived")]
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor, open(path, "rb") as spool:
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            while chunk := spool.read(CHUNK):
                copy.write(chunk)


def stage_in_workers(conn: Connection, snapshot: Snapshot, *, workers: int,
                     row_counts: dict[str, int], attribute_stats: AttributeStats) -> None:
    """Parse the snapshot's files in `workers` processes and load them into staging."""
    by_size = sorted(rows.FILES, key=lambda s: snapshot.size_of(s.name), reverse=True)
    with tempfile.TemporaryDirectory(prefix="legacy-import-") as folder, ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn")
    ) as pool:
        pending: set[Future] = {
            pool.submit(_parse_to_spool, str(snapshot.path), spec.name, folder) for spec in by_size
        }
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                name, n, stats = future.result()
                spec = next(s for s in rows.FILES if s.name == name)
                base = Path(folder) / name
                _copy_spool(conn, spec.table, Path(f"{base}.rows"))
                _copy_spool(conn, staging.rejects, Path(f"{base}.rejects"))
                Path(f"{base}.rows").unlink()
                row_counts[name] = n
                if stats is not None:
                    attribute_stats.merge(stats)
                staging.index_and_analyze(conn, spec.table)
