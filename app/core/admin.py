"""The admin shell: one secured base view that every feature's admin view inherits."""

from __future__ import annotations

from flask import Flask, redirect, request, url_for
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.theme import Bootstrap4Theme
from flask_admin.contrib.sqla import ModelView
from flask_admin.form import SecureForm
from flask_login import current_user

from app.core.roles import Role


def _is_staff() -> bool:
    return bool(
        current_user.is_authenticated and getattr(current_user, "get_id", lambda: "")().startswith("staff:")
    )


class SecuredMixin:
    """Access for signed-in staff holding one of `required_roles` (admins hold all)."""

    required_roles: tuple[Role, ...] = (Role.ADMIN,)

    def is_accessible(self) -> bool:
        return _is_staff() and current_user.is_active and current_user.has_role(*self.required_roles)

    def inaccessible_callback(self, name, **kwargs):
        if not _is_staff():
            return redirect(url_for("staff_auth.login", next=request.full_path))
        from flask import abort

        abort(403)


class SecureModelView(SecuredMixin, ModelView):
    """Model view with CSRF-protected forms, no bulk delete and bounded export."""

    form_base_class = SecureForm
    can_export = False
    export_max_rows = 10_000
    action_disallowed_list = ["delete"]
    page_size = 50
    can_set_page_size = True


class StaffIndexView(SecuredMixin, AdminIndexView):
    """The admin's start page."""

    required_roles = tuple(Role)

    @expose("/")
    def index(self):
        return self.render("admin/staff_index.html")


def create_admin(app: Flask) -> Admin:
    """Build the admin for this app and let every feature add its views."""
    from app.accounts.admin import register as register_accounts
    from app.legacy.admin import register as register_legacy

    admin = Admin(
        app,
        name="Powiadomienia",
        index_view=StaffIndexView(name="Start", url="/admin"),
        theme=Bootstrap4Theme(swatch="default", fluid=True),
    )
    register_accounts(admin)
    register_legacy(admin)
    return admin
