"""Parsing a large snapshot in worker processes while PostgreSQL loads what is ready.

Each worker (a fresh interpreter) parses one file into PostgreSQL's COPY text format in a spool file; the import's
own connection streams every finished spool into its staging table, so parsing (Python) and
loading (the database) run side by side on separate cores and memory stays flat.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Connection

from app.legacy import rows, staging
from app.legacy.parsing import AttributeStats, parse_file
from app.legacy.reader import Snapshot, SnapshotError

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


def parse_to_spool(snapshot_path: str, file_name: str, folder: str) -> dict:
    """Parse one file into `<name>.rows` and `<name>.rejects` spools; returns rows and stats."""
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
    return {"rows": n, "stats": stats.as_dict() if stats else None}


def _copy_spool(conn: Connection, table, path: Path) -> None:
    columns = [c.name for c in table.columns if not c.info.get("derived")]
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor, open(path, "rb") as spool:
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            while chunk := spool.read(CHUNK):
                copy.write(chunk)


def _start(snapshot: Snapshot, file_name: str, folder: str) -> subprocess.Popen:
    # A fresh interpreter per file: nothing of this process (threads, connections) is inherited.
    return subprocess.Popen(
        [sys.executable, "-m", "app.legacy.parallel", str(snapshot.path), file_name, folder],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )


def _result(process: subprocess.Popen, file_name: str, folder: str) -> dict:
    stderr = process.stderr.read() if process.stderr else ""
    result_path = Path(folder) / f"{file_name}.result.json"
    if not result_path.exists():
        raise RuntimeError(f"parsing {file_name} failed (exit {process.returncode}): {stderr[-2000:]}")
    result = json.loads(result_path.read_text(encoding="utf-8"))
    if "error" in result:
        raise SnapshotError(result["error"])
    return result


def stage_in_workers(conn: Connection, snapshot: Snapshot, *, workers: int,
                     row_counts: dict[str, int], attribute_stats: AttributeStats) -> None:
    """Parse the snapshot's files in `workers` processes and load each into staging when done."""
    waiting = sorted((s.name for s in rows.FILES), key=snapshot.size_of, reverse=True)
    running: dict[str, subprocess.Popen] = {}
    with tempfile.TemporaryDirectory(prefix="legacy-import-") as folder:
        try:
            while waiting or running:
                while waiting and len(running) < workers:
                    name = waiting.pop(0)
                    running[name] = _start(snapshot, name, folder)
                finished = [name for name, process in running.items() if process.poll() is not None]
                if not finished:
                    time.sleep(0.05)
                    continue
                for name in finished:
                    result = _result(running.pop(name), name, folder)
                    _load(conn, name, folder)
                    row_counts[name] = result["rows"]
                    if result["stats"]:
                        attribute_stats.merge(AttributeStats.from_dict(result["stats"]))
        finally:
            for process in running.values():
                process.kill()
                process.wait()


def _load(conn: Connection, name: str, folder: str) -> None:
    spec = next(s for s in rows.FILES if s.name == name)
    base = Path(folder) / name
    _copy_spool(conn, spec.table, Path(f"{base}.rows"))
    _copy_spool(conn, staging.rejects, Path(f"{base}.rejects"))
    Path(f"{base}.rows").unlink()
    staging.index_and_analyze(conn, spec.table)


def main(argv: list[str]) -> int:
    """Worker entry: `python -m app.legacy.parallel SNAPSHOT FILE FOLDER`."""
    snapshot_path, file_name, folder = argv
    result_path = Path(folder) / f"{file_name}.result.json"
    try:
        result = parse_to_spool(snapshot_path, file_name, folder)
    except SnapshotError as exc:
        result_path.write_text(json.dumps({"error": str(exc)}), encoding="utf-8")
        return 2
    result_path.write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
