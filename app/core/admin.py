"""The admin shell: one secured base view that every feature's admin view inherits.

Features add their views in `app/<feature>/admin.py` through `register(admin)`; the dashboard
shows panels the features contribute with `add_dashboard_panel(...)`, so core imports no feature.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import (
    Flask,
    abort,
    has_app_context,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_admin import Admin, AdminIndexView, BaseView, expose
from flask_admin.babel import Translations
from flask_admin.contrib.sqla import ModelView
from flask_admin.form import BaseForm
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from markupsafe import Markup

from app.core.audit import AuditEntry
from app.core.extensions import db
from app.core.roles import Role
from app.core.templating import format_instant

ALL_ROLES: tuple[Role, ...] = tuple(Role)


def is_staff() -> bool:
    """True when the signed-in user is an active office employee (not a portal user)."""
    return bool(
        current_user.is_authenticated
        and current_user.is_active
        and current_user.get_id().startswith("staff:")
    )


def staff_label() -> str | None:
    """The signed-in staff member's email, for audit entries."""
    return current_user.email if is_staff() else None


def staff_id() -> int | None:
    """The signed-in staff member's id, for audit entries."""
    return current_user.id if is_staff() else None


class SecureForm(BaseForm):
    """Flask-Admin form carrying Flask-WTF's CSRF token, the one `CSRFProtect` checks."""

    class Meta(FlaskForm.Meta):
        _translations = Translations()

        def get_translations(self, form: Any) -> Translations:
            """Flask-Admin's WTForms messages (translated to the current locale)."""
            return self._translations


class SecuredMixin:
    """Open to signed-in staff holding one of `required_roles` (admins hold all)."""

    required_roles: tuple[Role, ...] = (Role.ADMIN,)

    def is_accessible(self) -> bool:
        """Menu entries and pages of views the user may not open are hidden and refused."""
        return is_staff() and current_user.has_role(*self.required_roles)

    def inaccessible_callback(self, name: str, **kwargs: Any):
        """Strangers go to the sign-in page; staff without the role get a 403 page."""
        if not is_staff():
            return redirect(url_for("staff_auth.login", next=request.full_path.rstrip("?")))
        abort(403)


class SecureBaseView(SecuredMixin, BaseView):
    """A plain admin page (reports, forms) behind the same role check."""


class SecureModelView(SecuredMixin, ModelView):
    """Model view with CSRF-protected forms, no bulk delete and bounded export."""

    form_base_class = SecureForm
    can_export = False
    export_max_rows = 10_000
    action_disallowed_list = ["delete"]
    page_size = 50
    can_set_page_size = True
    column_display_pk = False

    def _get_filter_groups(self):
        """Filter options are computed per request: current values, current language."""
        if has_request_context():
            self._refresh_filters_cache()
        return super()._get_filter_groups()

    def get_export_name(self, export_type: str = "csv") -> str:
        """Export file names without the model's internal name."""
        return f"{self.endpoint}_{datetime.now():%Y%m%d_%H%M}.{export_type}"


def live_options(func: Callable[[], list[tuple[str, str]]]) -> Callable[[], list[tuple[str, str]]]:
    """Filter options computed in a request only (at start-up there is no database nor locale)."""

    def options() -> list[tuple[str, str]]:
        return func() if has_app_context() and has_request_context() else []

    return options


def label_options(labels: dict[Any, Any]) -> Callable[[], list[tuple[str, str]]]:
    """Filter options from a dict of coded values and their (lazy) translated labels."""
    return live_options(lambda: [(str(k), str(v)) for k, v in labels.items()])


def _instant_formatter(view, context, model, name):
    return format_instant(getattr(model, name))


@dataclass
class DashboardPanel:
    """A box on the start page: a template and a function giving its context."""

    template: str
    context: Callable[[], dict[str, Any]]
    roles: tuple[Role, ...] = ALL_ROLES
    order: int = 100


@dataclass
class _Dashboard:
    panels: list[DashboardPanel] = field(default_factory=list)


class StaffIndexView(SecuredMixin, AdminIndexView):
    """The admin's start page: panels contributed by the features."""

    required_roles = ALL_ROLES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dashboard = _Dashboard()

    def add_panel(self, panel: DashboardPanel) -> None:
        """Add a panel to the start page."""
        self.dashboard.panels.append(panel)
        self.dashboard.panels.sort(key=lambda p: p.order)

    @expose("/")
    def index(self):
        """Start page with the panels this user may see."""
        panels = [
            (panel.template, panel.context())
            for panel in self.dashboard.panels
            if current_user.has_role(*panel.roles)
        ]
        return self.render("admin/staff_index.html", panels=panels)


class AuditLogView(SecureModelView):
    """Who did what and when (read-only)."""

    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    column_list = ("at", "actor_label", "action", "target", "ip")
    column_details_list = ("at", "actor_type", "actor_label", "action", "target", "details", "ip")
    column_default_sort = ("at", True)
    column_searchable_list = ("actor_label", "target")
    column_filters = ("action", "actor_label", "at")
    column_labels = {
        "at": _l("When"),
        "actor_type": _l("Actor type"),
        "actor_label": _l("Who"),
        "action": _l("Action"),
        "target": _l("Target"),
        "details": _l("Details"),
        "ip": _l("IP address"),
    }
    column_formatters = {"at": _instant_formatter}
    column_formatters_detail = {
        "at": _instant_formatter,
        "details": lambda v, c, m, n: Markup("<pre class='mb-0'>{}</pre>").format(
            "\n".join(f"{k}: {val}" for k, val in (m.details or {}).items())
        ),
    }


def _feature_admin_modules(app: Flask) -> list[Any]:
    """`app.<feature>.admin` modules of the features listed in the package's FEATURES."""
    package = importlib.import_module(app.import_name)
    modules = []
    for feature in getattr(package, "FEATURES", ()):
        name = f"{app.import_name}.{feature}.admin"
        if importlib.util.find_spec(name) is not None:
            modules.append(importlib.import_module(name))
    return modules


def _register_error_pages(app: Flask) -> None:
    def forbidden(error):
        return render_template("errors/403.html"), 403

    def too_many(error):
        return render_template("errors/429.html"), 429

    def bad_form(error):
        return render_template("errors/400.html", reason=error.description), 400

    app.register_error_handler(403, forbidden)
    app.register_error_handler(CSRFError, bad_form)
    app.register_error_handler(429, too_many)


def create_admin(app: Flask) -> Admin:
    """Build the admin for this app and let every feature add its views."""
    from flask_admin.theme import Bootstrap4Theme

    admin = Admin(
        app,
        name="Powiadomienia",
        index_view=StaffIndexView(name=_l("Dashboard"), url="/admin"),
        theme=Bootstrap4Theme(base_template="admin/staff_base.html", swatch="default", fluid=True),
    )
    for module in _feature_admin_modules(app):
        module.register(admin)
    admin.add_view(
        AuditLogView(AuditEntry, db, name=_l("Audit log"), endpoint="audit", category=None)
    )
    _register_error_pages(app)
    return admin
