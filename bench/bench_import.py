"""Benchmark of the legacy import on PostgreSQL: first import, identical re-import, peak memory.

    make bench-import                       # 100,000 contractors (about 2 million obligations)
    BENCH_CONTRACTORS=20000 make bench-import

The snapshot is written by the demo generator (cached under bench/.cache by size), imported
into a fresh database by `flask legacy import --json` in a child process, then imported again.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from app.core.databases import create_scratch_database

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"


def _snapshot(contractors: int) -> Path:
    folder = CACHE / f"snapshot-{contractors}"
    if not (folder / "terminy.csv").exists():
        from app.demo.generator import write_snapshot

        started = time.perf_counter()
        counts = write_snapshot(folder, contractors=contractors)
        print(f"generated snapshot in {time.perf_counter() - started:.1f} s: {counts}")
    return folder


def _flask(env: dict, *args: str) -> tuple[float, int, str]:
    """Run a flask command; return (seconds, peak RSS of the child in MB, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "flask", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"flask {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before) // 1024, done.stdout


def main() -> None:
    """Run the benchmark and print its figures."""
    contractors = int(os.environ.get("BENCH_CONTRACTORS", "100000"))
    base = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    folder = _snapshot(contractors)
    sizes = {p.name: sum(1 for _ in p.open("rb")) - 1 for p in sorted(folder.glob("*.csv"))}
    url, drop = create_scratch_database(base, prefix="pw_bench")
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "app:create_app",
           "EMBEDDED_WORKER": "0", "EMBEDDED_SCHEDULER": "0"}
    env.pop("REDIS_URL", None)
    try:
        _flask(env, "db", "upgrade")
        first_s, first_mb, first_out = _flask(env, "legacy", "import", "--json", str(folder))
        again_s, again_mb, again_out = _flask(env, "legacy", "import", "--json", str(folder))
    finally:
        drop()
    first, again = json.loads(first_out), json.loads(again_out)
    print(f"legacy import benchmark on PostgreSQL, {contractors:,} contractors")
    print("  snapshot rows: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
    print(f"  first import:   {first_s:7.1f} s  ({first['rows_written']:,} rows written, "
          f"{first['changes']:,} change events, {first['rejected']} rejected)  target < 60 s")
    print(f"  re-import:      {again_s:7.1f} s  ({again['rows_written']:,} rows written, "
          f"{again['changes']} change events)  target < 30 s, 0 rows")
    for label, report in (("first", first), ("again", again)):
        phases = report["files"].get("seconds", {})
        print(f"    {label} by phase: " + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items()))
    print(f"  peak memory:    {max(first_mb, again_mb):7d} MB (RSS of the import process)  "
          f"target < 300 MB")


if __name__ == "__main__":
    main()
