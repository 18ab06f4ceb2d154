"""Admin views of the account model."""

from __future__ import annotations

from flask_admin import Admin

from app.accounts.models import Contractor, StaffUser, Unit
from app.core.admin import SecureModelView
from app.core.extensions import db
from app.core.roles import Role


class UnitView(SecureModelView):
    """Office units and their accounts."""

    required_roles = (Role.ADMIN, Role.FINANCE)
    column_list = ("code", "name", "nip", "account_nrb")


class ContractorView(SecureModelView):
    """Contractors from the legacy system (read-only: the legacy system is the source)."""

    required_roles = tuple(Role)
    can_create = False
    can_edit = False
    can_delete = False
    column_list = ("legacy_id", "name", "nip", "district", "pkd", "status")
    column_searchable_list = ("legacy_id", "name", "nip")


class StaffUserView(SecureModelView):
    """Office staff accounts (admins only)."""

    column_list = ("email", "name", "roles", "is_active", "last_login_at")
    form_excluded_columns = ("password_hash",)


def register(admin: Admin) -> None:
    """Add the account views to the admin."""
    admin.add_view(UnitView(Unit, db, name="Units"))
    admin.add_view(ContractorView(Contractor, db, name="Contractors"))
    admin.add_view(StaffUserView(StaffUser, db, name="Staff"))
