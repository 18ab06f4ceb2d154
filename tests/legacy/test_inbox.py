"""The nightly snapshot inbox: complete snapshots are claimed once and imported by the worker."""

from __future__ import annotations

import shutil

from sqlalchemy import func, select

from app.accounts.models import Contractor
from app.broker import QUEUE_IMPORTS, broker
from app.legacy.inbox import claim_new_snapshots, enqueue_inbox_imports
from app.legacy.models import ImportRun


def test_incomplete_folder_waits_and_complete_one_is_claimed_once(tmp_path, sample):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    partial = shutil.copytree(sample, inbox / "2026-11-22")
    (partial / "wplaty.csv").unlink()
    shutil.copytree(sample, inbox / "2026-11-23")

    claimed = claim_new_snapshots(inbox)
    assert [p.name for p in claimed] == ["2026-11-23"]
    assert claimed[0].parent.name == "processing"
    assert (inbox / "2026-11-22").exists()
    assert claim_new_snapshots(inbox) == []


def test_inbox_job_enqueues_and_worker_imports_and_files_away(app, db, sample, stub_worker):
    inbox = tmp = sample.parent / "inbox"
    inbox.mkdir()
    shutil.copytree(sample, inbox / "snapshot-2026-11-23")
    app.config["LEGACY_INBOX"] = str(tmp)

    enqueue_inbox_imports()
    broker.join(QUEUE_IMPORTS)
    stub_worker.join()

    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Contractor)) == 12
    run = db.session.scalars(select(ImportRun)).one()
    assert (run.status, run.started_by) == ("done", "inbox")
    assert (inbox / "done" / "snapshot-2026-11-23").is_dir()
    assert not any((inbox / "processing").iterdir())
