"""Admin view of import reports."""

from __future__ import annotations

from flask_admin import Admin

from app.core.admin import SecureModelView
from app.core.extensions import db
from app.legacy.models import ImportRun


class ImportRunView(SecureModelView):
    """Import runs with their counts and rejected rows."""

    can_create = False
    can_edit = False
    can_delete = False
    column_list = ("id", "source", "started_at", "status", "rejected_count", "change_count")


def register(admin: Admin) -> None:
    """Add the import report views to the admin."""
    admin.add_view(ImportRunView(ImportRun, db, name="Imports"))
