"""The snapshot inbox: the legacy system drops a snapshot (folder or .zip) there every night.

A periodic job claims each new entry by moving it to `processing/` and enqueues its import;
the import moves it to `done/` or `failed/`. A folder is taken once it holds every file of
the format, so a snapshot still being written is left for the next run.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from flask import current_app

from app.core.scheduler import periodic
from app.legacy.rows import FILES

log = logging.getLogger(__name__)

PROCESSING, DONE, FAILED = "processing", "done", "failed"


def inbox_path() -> Path:
    """The configured inbox folder."""
    return Path(current_app.config["LEGACY_INBOX"])


def _ready(entry: Path) -> bool:
    if entry.name.startswith(".") or entry.name in (PROCESSING, DONE, FAILED):
        return False
    if entry.is_dir():
        return all((entry / spec.name).is_file() for spec in FILES)
    return entry.suffix.lower() == ".zip"


def claim_new_snapshots(inbox: Path) -> list[Path]:
    """Move every complete new snapshot to `processing/`, oldest first; return their paths."""
    if not inbox.is_dir():
        return []
    processing = inbox / PROCESSING
    processing.mkdir(exist_ok=True)
    claimed = []
    for entry in sorted((e for e in inbox.iterdir() if _ready(e)), key=lambda e: e.stat().st_mtime):
        target = processing / entry.name
        if target.exists():
            log.warning("snapshot %s is already being imported; left in the inbox", entry.name)
            continue
        entry.rename(target)
        claimed.append(target)
    return claimed


def file_away(path: Path, *, succeeded: bool) -> Path | None:
    """Move an imported snapshot out of `processing/` into `done/` or `failed/`."""
    if path.parent.name != PROCESSING or not path.exists():
        return None
    folder = path.parent.parent / (DONE if succeeded else FAILED)
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    if target.exists():
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    return Path(shutil.move(str(path), str(target)))


@periodic("legacy-inbox", "interval", minutes=10)
def enqueue_inbox_imports() -> None:
    """Enqueue the import of every new snapshot in the inbox."""
    from app.legacy.tasks import import_snapshot_task

    for path in claim_new_snapshots(inbox_path()):
        import_snapshot_task.send(str(path), started_by="inbox")
        log.info("queued import of %s", path.name)
