"""Admin views of import reports, and the upload of a legacy snapshot to import."""

from __future__ import annotations

import secrets
import zipfile
from pathlib import Path
from typing import Any

from flask import abort, flash, redirect, request
from flask_admin import Admin, expose
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select

from app.core import audit
from app.core.admin import DashboardPanel, SecureModelView, label_options, staff_id, staff_label
from app.core.clock import utcnow
from app.core.db import transactional
from app.core.extensions import db
from app.core.roles import Role
from app.core.templating import format_instant
from app.legacy.inbox import PROCESSING, inbox_path
from app.legacy.models import ImportIssue, ImportRun

RUN_STATUS_LABELS = {"running": _l("running"), "done": _l("done"), "failed": _l("failed")}
SEVERITY_LABELS = {"error": _l("rejected row"), "warning": _l("warning")}
COUNT_KEYS = ("rows", "inserted", "updated", "unchanged", "cancelled", "rejected")


class SnapshotUploadForm(FlaskForm):
    """A .zip snapshot exported by the legacy system."""

    snapshot = FileField(
        _l("Snapshot (.zip)"), validators=[FileRequired(message=_l("Choose a .zip file."))]
    )


def _instant(view, context, model, name):
    return format_instant(getattr(model, name))


def inbox_dir() -> Path:
    """Where uploaded snapshots wait for the worker: the inbox's `processing/`, already claimed,
    so the inbox job never queues them a second time."""
    path = inbox_path() / PROCESSING
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_upload(storage: Any) -> Path:
    """Store an uploaded .zip under a generated name; ValueError when it is not a zip."""
    original = storage.filename or ""
    if not original.lower().endswith(".zip"):
        raise ValueError(_("The file %(name)s is not a .zip archive.", name=original))
    target = inbox_dir() / f"upload-{utcnow():%Y%m%d-%H%M%S}-{secrets.token_hex(4)}.zip"
    storage.save(target)
    if not zipfile.is_zipfile(target):
        target.unlink(missing_ok=True)
        raise ValueError(_("The file %(name)s is not a valid .zip archive.", name=original))
    return target


@transactional
def record_upload(path: Path, original: str) -> None:
    """Audit the upload of a snapshot."""
    audit.record(
        "legacy.snapshot_uploaded", actor_type="staff", actor_id=staff_id(),
        actor_label=staff_label(), target=path.name, original_name=original[:255],
    )


def run_details(run: ImportRun, severity: str | None) -> dict[str, Any]:
    """Per-file counts and the issues of one run, optionally of one severity."""
    query = select(ImportIssue).where(ImportIssue.import_run_id == run.id)
    if severity in SEVERITY_LABELS:
        query = query.where(ImportIssue.severity == severity)
    issues = db.session.scalars(
        query.order_by(ImportIssue.file, ImportIssue.line, ImportIssue.id).limit(5000)
    ).all()
    files = sorted((k, v) for k, v in (run.counts or {}).items() if k.endswith(".csv"))
    return {
        "run": run,
        "files": files,
        "count_keys": COUNT_KEYS,
        "issues": issues,
        "severity": severity if severity in SEVERITY_LABELS else "",
        "severity_labels": SEVERITY_LABELS,
        "status_label": str(RUN_STATUS_LABELS.get(run.status, run.status)),
    }


class ImportRunView(SecureModelView):
    """Import runs with their counts and rejected rows; admins upload new snapshots here."""

    required_roles = (Role.ADMIN, Role.COMMUNICATOR, Role.FINANCE)
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    list_template = "admin/legacy/import_list.html"
    details_template = "admin/legacy/import_details.html"
    column_list = (
        "id", "source", "started_at", "finished_at", "status",
        "rejected_count", "warning_count", "change_count", "started_by",
    )
    column_default_sort = ("started_at", True)
    column_labels = {
        "id": _l("Run"),
        "source": _l("Snapshot"),
        "started_at": _l("Started"),
        "finished_at": _l("Finished"),
        "status": _l("Status"),
        "rejected_count": _l("Rejected rows"),
        "warning_count": _l("Warnings"),
        "change_count": _l("Changes"),
        "started_by": _l("Started by"),
    }
    column_formatters = {
        "started_at": _instant,
        "finished_at": _instant,
        "status": lambda v, c, m, n: str(RUN_STATUS_LABELS.get(m.status, m.status)),
    }
    column_filters = (
        FilterEqual(
            ImportRun.status, _l("Status"),
            options=label_options(RUN_STATUS_LABELS),
        ),
    )

    def render(self, template: str, **kwargs: Any) -> str:
        """Every page of this view may show the upload form to admins."""
        kwargs.setdefault("upload_form", SnapshotUploadForm() if self._can_upload() else None)
        return super().render(template, **kwargs)

    def _can_upload(self) -> bool:
        return current_user.has_role(Role.ADMIN)

    @expose("/details/")
    def details_view(self):
        """Per-file counts and the rejected rows (file, line, field, value, reason)."""
        run = db.session.get(ImportRun, request.args.get("id", type=int) or 0)
        if run is None:
            abort(404)
        return_url = get_redirect_target() or self.get_url(".index_view")
        context = run_details(run, request.args.get("severity"))
        return self.render(self.details_template, return_url=return_url, **context)

    @expose("/upload/", methods=["POST"])
    def upload_view(self):
        """Save an uploaded snapshot in the inbox and queue its import."""
        if not self._can_upload():
            abort(403)
        form = SnapshotUploadForm()
        if not form.validate_on_submit():
            for errors in form.errors.values():
                for error in errors:
                    flash(error, "error")
            return redirect(self.get_url(".index_view"))
        storage = form.snapshot.data
        try:
            path = save_upload(storage)
        except ValueError as exc:
            flash(str(exc), "error")
            return redirect(self.get_url(".index_view"))
        record_upload(path, storage.filename or "")
        from app.legacy.tasks import import_snapshot_task

        import_snapshot_task.send(str(path), started_by=staff_label())
        flash(
            _("The snapshot %(name)s was received; the import report will appear here shortly.",
              name=storage.filename),
            "success",
        )
        return redirect(self.get_url(".index_view"))


def last_import() -> dict[str, Any]:
    """The latest import run, for the start page."""
    run = db.session.scalars(select(ImportRun).order_by(ImportRun.started_at.desc()).limit(1)).first()
    return {
        "last_run": run,
        "last_run_status": str(RUN_STATUS_LABELS.get(run.status, run.status)) if run else "",
    }


def register(admin: Admin) -> None:
    """Add the import report views and the start-page panel to the admin."""
    admin.add_view(ImportRunView(ImportRun, db, name=_l("Import reports"), endpoint="imports"))
    admin.index_view.add_panel(
        DashboardPanel(template="admin/panels/legacy.html", context=last_import, order=20)
    )
