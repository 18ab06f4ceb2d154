"""Import reports in the admin: runs, per-file counts, rejected rows, snapshot upload."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from app.core.audit import AuditEntry
from app.legacy.models import ImportIssue, ImportRun
from tests.admin_support import csrf_from, sign_in
from tests.factories import create_staff_user


@pytest.fixture
def admin_client(client, db):
    """A client signed in as an office admin."""
    user = create_staff_user(roles=("admin",))
    db.session.commit()
    assert sign_in(client, user.email).status_code == 302
    client.user = user
    return client


def _run_with_issues(db) -> ImportRun:
    run = ImportRun(source="eksport-2026-03-01.zip", status="done", rejected_count=1, warning_count=1,
                    counts={"naleznosci.csv": {"rows": 10, "inserted": 7, "updated": 1, "unchanged": 1,
                                               "cancelled": 0, "rejected": 1}})
    run.issues = [
        ImportIssue(severity="error", file="naleznosci.csv", line=7, field="KWOTA", value="12,3x",
                    reason="kwota nie jest liczbą"),
        ImportIssue(severity="warning", file="kontrahenci.csv", line=3, field="TELEFON", value="123",
                    reason="nieprawidłowy numer telefonu"),
    ]
    db.session.add(run)
    db.session.commit()
    return run


def test_report_lists_rejected_rows_with_file_line_field_value_reason(admin_client, db):
    run = _run_with_issues(db)
    listing = admin_client.get("/admin/imports/").get_data(as_text=True)
    assert "eksport-2026-03-01.zip" in listing and "zakończony" in listing
    page = admin_client.get(f"/admin/imports/details/?id={run.id}").get_data(as_text=True)
    for text in ("naleznosci.csv", "KWOTA", "12,3x", "kwota nie jest liczbą", "TELEFON"):
        assert text in page
    assert "<td class=\"text-right\">7</td>" in page  # line 7 and 7 inserted rows


def test_report_filters_by_severity(admin_client, db):
    run = _run_with_issues(db)
    page = admin_client.get(f"/admin/imports/details/?id={run.id}&severity=error").get_data(as_text=True)
    assert "kwota nie jest liczbą" in page
    assert "nieprawidłowy numer telefonu" not in page


def test_dashboard_shows_the_last_import(admin_client, db):
    _run_with_issues(db)
    page = admin_client.get("/admin/").get_data(as_text=True)
    assert "Ostatni import z systemu dziedzinowego" in page
    assert "eksport-2026-03-01.zip" in page


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("kontrahenci.csv", "ID;NAZWA\n")
    return buffer.getvalue()


def test_upload_saves_the_zip_and_queues_the_import(admin_client, db, app, monkeypatch):
    from app.legacy import tasks

    sent = []
    monkeypatch.setattr(tasks.import_snapshot_task, "send", lambda *a, **kw: sent.append((a, kw)))
    token = csrf_from(admin_client.get("/admin/imports/").get_data(as_text=True))
    response = admin_client.post("/admin/imports/upload/", data={
        "snapshot": (io.BytesIO(_zip_bytes()), "eksport.zip"), "csrf_token": token,
    }, content_type="multipart/form-data", follow_redirects=True)
    assert "Przyjęto eksport eksport.zip" in response.get_data(as_text=True)
    (path,), kwargs = sent[0]
    saved = Path(path)
    assert saved.parent == Path(app.config["LEGACY_INBOX"]) / "processing"
    assert saved.name.startswith("upload-") and saved.suffix == ".zip" and saved.exists()
    assert kwargs == {"started_by": admin_client.user.email}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "legacy.snapshot_uploaded"))
    assert entry.target == saved.name


def test_upload_of_a_non_zip_is_refused(admin_client, db, monkeypatch):
    from app.legacy import tasks

    sent = []
    monkeypatch.setattr(tasks.import_snapshot_task, "send", lambda *a, **kw: sent.append(a))
    token = csrf_from(admin_client.get("/admin/imports/").get_data(as_text=True))
    response = admin_client.post("/admin/imports/upload/", data={
        "snapshot": (io.BytesIO(b"not a zip"), "eksport.zip"), "csrf_token": token,
    }, content_type="multipart/form-data", follow_redirects=True)
    assert "nie jest poprawnym archiwum .zip" in response.get_data(as_text=True)
    assert sent == []


def test_communicator_reads_reports_but_cannot_upload(client, db):
    user = create_staff_user(roles=("communicator",))
    db.session.commit()
    sign_in(client, user.email)
    page = client.get("/admin/imports/").get_data(as_text=True)
    assert "Importuj eksport" not in page
    token = csrf_from(page)
    response = client.post("/admin/imports/upload/", data={"csrf_token": token})
    assert response.status_code == 403
