"""API keys in the admin: issue one (its secret is shown once), revoke one, see when each was last used."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect
from flask_admin import Admin, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from limits import parse as parse_limit
from markupsafe import Markup
from wtforms import SelectMultipleField, StringField, ValidationError, widgets
from wtforms.validators import DataRequired, Length

from app.api.auth import SCOPES, issue_key, revoke_key
from app.api.models import ApiKey
from app.core.admin import SecureModelView, staff_id, staff_label
from app.core.extensions import db
from app.core.roles import Role
from app.core.templating import format_instant

SCOPE_LABELS = {
    "accounts:read": _l("Read contractors, obligations, payments, balances and preferences"),
    "accounts:write": _l("Write contractors, obligations, payments and preferences"),
    "campaigns": _l("Segments and campaigns"),
    "payments": _l("Payments for the accounting system"),
    "messages": _l("Message status and search by phone"),
}


class ApiKeyForm(FlaskForm):
    """A new key: who it is for, what it may do, and optionally its own request budget."""

    name = StringField(_l("Integration"), validators=[DataRequired(message=_l("Name the integration.")),
                                                      Length(max=120)])
    scopes = SelectMultipleField(
        _l("Allowed"), choices=[(s, SCOPE_LABELS[s]) for s in SCOPES],
        widget=widgets.ListWidget(prefix_label=False), option_widget=widgets.CheckboxInput(),
        validators=[DataRequired(message=_l("Choose at least one scope."))])
    rate_limit = StringField(_l("Request limit (e.g. 600 per minute; empty: the default)"),
                             validators=[Length(max=40)])

    def validate_rate_limit(self, field: Any) -> None:
        """The limit must be one Flask-Limiter reads."""
        if field.data and field.data.strip():
            try:
                parse_limit(field.data.strip())
            except ValueError as exc:
                raise ValidationError(_("“%(value)s” is not a limit such as 600 per minute.",
                                        value=field.data)) from exc


class RevokeForm(FlaskForm):
    """Revoking a key (only the CSRF token)."""


def _revoke_button(view, context, model, name):
    if model.revoked_at is not None:
        return _("revoked %(when)s", when=format_instant(model.revoked_at))
    return Markup(
        '<form method="post" action="{}" class="d-inline">'
        '<input type="hidden" name="csrf_token" value="{}">'
        '<button type="submit" class="btn btn-sm btn-outline-danger">{}</button></form>'
    ).format(view.get_url(".revoke_view", key_id=model.id), context.get("revoke_token") or "",
             _("Revoke %(name)s", name=model.name))


class ApiKeyView(SecureModelView):
    """The integrations' API keys; only admins see them."""

    required_roles = (Role.ADMIN,)
    can_create = False
    can_edit = False
    can_delete = False
    column_display_actions = False
    list_template = "api/key_list.html"
    column_list = ("name", "prefix", "scopes", "rate_limit", "created_at", "last_used_at", "revoke")
    column_sortable_list = ("name", "prefix", "created_at", "last_used_at")
    column_default_sort = ("created_at", True)
    column_labels = {"name": _l("Integration"), "prefix": _l("Key prefix"), "scopes": _l("Allowed"),
                     "rate_limit": _l("Request limit"), "created_at": _l("Issued"),
                     "last_used_at": _l("Last used"), "revoke": _l("Revoked")}
    column_formatters = {
        "scopes": lambda v, c, m, n: ", ".join(m.scopes or []),
        "rate_limit": lambda v, c, m, n: m.rate_limit or _("default"),
        "created_at": lambda v, c, m, n: format_instant(m.created_at),
        "last_used_at": lambda v, c, m, n: format_instant(m.last_used_at) if m.last_used_at else _("never"),
        "revoke": _revoke_button,
    }

    def render(self, template: str, **kwargs: Any) -> str:
        """The list carries the form to issue a key (kept with its errors after a refusal)."""
        if template == self.list_template:
            kwargs["key_form"] = g.pop("api_key_form", None) or ApiKeyForm(formdata=None)
            kwargs["revoke_token"] = generate_csrf()
        return super().render(template, **kwargs)

    @expose("/issue/", methods=["POST"])
    def issue_view(self):
        """Issue a key and show its secret once (it is not stored, only its hash)."""
        form = ApiKeyForm()
        if not form.validate_on_submit():
            g.api_key_form = form
            return self.index_view()
        issued = issue_key(form.name.data, form.scopes.data, created_by_id=staff_id(), created_by=staff_label(),
                           rate_limit=(form.rate_limit.data or "").strip() or None)
        return self.render("api/key_issued.html", key=issued.key, token=issued.token,
                           return_url=self.get_url(".index_view"))

    @expose("/<int:key_id>/revoke/", methods=["POST"])
    def revoke_view(self, key_id: int):
        """Revoke a key: every later call with it is refused."""
        if not RevokeForm().validate_on_submit():
            abort(400)
        key = revoke_key(key_id, revoked_by_id=staff_id(), revoked_by=staff_label())
        if key is None:
            abort(404)
        flash(_("The key %(name)s is revoked.", name=key.name), "success")
        return redirect(self.get_url(".index_view"))


def register(admin: Admin) -> None:
    """Add the API keys view and a link to the API reference."""
    from flask_admin.menu import MenuLink

    admin.add_view(ApiKeyView(ApiKey, db, name=_l("API keys"), endpoint="api_keys", category=_l("Integrations")))
    admin.add_link(MenuLink(name=_l("API reference"), url="/api/v1/docs", category=_l("Integrations")))
