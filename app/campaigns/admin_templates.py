"""Campaign templates in the admin: the list, the editor, "use this template" and the API release."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BooleanEqualFilter, FilterEqual
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError

from app.campaigns import workflow
from app.campaigns.admin_campaigns import COMPOSE_ROLES, VIEW_ROLES
from app.campaigns.admin_forms import ActionForm, TemplateForm
from app.campaigns.admin_live import editor_data, placeholder_catalogue
from app.campaigns.admin_template_changes import save_template, set_template_active
from app.campaigns.content import ContentError
from app.campaigns.labels import CATEGORY_LABELS, CHANNEL_MODE_LABELS
from app.campaigns.models import CampaignTemplate
from app.campaigns.template_release import release_for_api, withdraw_release
from app.campaigns.workflow import WorkflowError
from app.channels.admin_labels import label, shortened
from app.core.admin import SecureModelView, label_options
from app.core.extensions import db
from app.core.roles import Role
from app.core.templating import format_instant


def _button(url: str, text: str, css: str = "btn-outline-primary", aria: str | None = None) -> Markup:
    return Markup('<form method="post" action="{}" class="d-inline"><input type="hidden" name="csrf_token" '
                  'value="{}"><button type="submit" class="btn btn-sm {} mb-1"{}>{}</button></form>').format(
        url, generate_csrf(), css, Markup(' aria-label="{}"').format(aria) if aria else "", text)


def _name(view, context, model, name):
    if not current_user.has_role(*COMPOSE_ROLES):
        return model.name
    return Markup('<a href="{}">{}</a>').format(view.get_url(".edit_view", id=model.id), model.name)


def _state(view, context, model, name):
    parts = [Markup('<span class="badge {}">{}</span>').format(
        "badge-success" if model.is_active else "badge-secondary", _("in use") if model.is_active else _("not in use"))]
    if model.api_released_at is not None:
        parts.append(Markup(' <span class="badge badge-info" data-released="yes">{}</span>'
                            '<small class="d-block text-muted">{}</small>').format(
            _("released for integrations"), format_instant(model.api_released_at)))
    return Markup("").join(parts)


def _buttons(view, context, model, name):
    buttons = []
    if current_user.has_role(*COMPOSE_ROLES):
        if model.is_active:
            buttons.append(_button(view.get_url(".use_view", template_id=model.id), _("Use this template"),
                                   "btn-primary", _("Use the template %(name)s", name=model.name)))
        buttons.append(_button(view.get_url(".active_view", template_id=model.id, active=0 if model.is_active else 1),
                               _("Take out of use") if model.is_active else _("Put back into use"),
                               "btn-outline-secondary"))
    if current_user.has_role(Role.APPROVER) and model.is_active:
        if model.api_released_at is None:
            buttons.append(_button(view.get_url(".release_view", template_id=model.id),
                                   _("Release for integrations (API)"), "btn-outline-info"))
        else:
            buttons.append(_button(view.get_url(".withdraw_release_view", template_id=model.id),
                                   _("Withdraw the release for integrations"), "btn-outline-warning"))
    return Markup(" ").join(buttons)


class TemplateView(SecureModelView):
    """Reusable campaign texts per category; an approver may release one for the API."""

    required_roles = VIEW_ROLES
    can_create = False  # the list's own button leads to the editor
    can_edit = False
    can_delete = False
    list_template = "campaigns/admin/template_list.html"
    edit_template = "campaigns/admin/template_edit.html"
    column_list = ("name", "category", "channel_mode", "description", "is_active", "updated_at", "buttons")
    column_sortable_list = ("name", "category", "updated_at")
    column_default_sort = "name"
    column_searchable_list = ("name", "description")
    column_labels = {"name": _l("Name"), "category": _l("Category"), "channel_mode": _l("Channels"),
                     "description": _l("Description"), "is_active": _l("State"), "updated_at": _l("Updated"),
                     "buttons": _l("Actions")}
    column_formatters = {
        "name": _name,
        "category": lambda v, c, m, n: label(CATEGORY_LABELS, m.category),
        "channel_mode": lambda v, c, m, n: label(CHANNEL_MODE_LABELS, m.channel_mode),
        "description": lambda v, c, m, n: shortened(m.description, 80),
        "is_active": _state,
        "updated_at": lambda v, c, m, n: format_instant(m.updated_at),
        "buttons": _buttons,
    }
    column_filters = (
        FilterEqual(CampaignTemplate.category, _l("Category"), options=label_options(CATEGORY_LABELS)),
        BooleanEqualFilter(CampaignTemplate.is_active, _l("In use")),
    )

    def render(self, template: str, **kwargs: Any) -> str:
        """The list knows whether the user may write templates."""
        kwargs.setdefault("may_compose", current_user.has_role(*COMPOSE_ROLES))
        return super().render(template, **kwargs)

    def _template_or_404(self, template_id: int | None) -> CampaignTemplate:
        template = db.session.get(CampaignTemplate, template_id or 0)
        if template is None:
            abort(404)
        return template

    def _composer_only(self) -> None:
        if not current_user.has_role(*COMPOSE_ROLES):
            abort(403)

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        """A new template."""
        self._composer_only()
        return self._editor(None)

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        """Change a template's name, description and texts."""
        self._composer_only()
        return self._editor(self._template_or_404(request.args.get("id", type=int)))

    def _editor(self, template: CampaignTemplate | None):
        form = TemplateForm(obj=template if request.method == "GET" else None)
        if form.validate_on_submit():
            try:
                saved = save_template(template.id if template else None, current_user._get_current_object(),
                                      **form.template_values())
            except ContentError as error:
                form.show_errors(error.errors)
            except IntegrityError:
                form.name.errors = [_("A template named “%(name)s” already exists.", name=form.name.data)]
            else:
                flash(_("Template “%(name)s” saved.", name=saved.name), "success")
                return redirect(self.get_url(".index_view"))
        if request.method == "POST":
            flash(_("The template was not saved: correct the marked fields."), "danger")
        return self.render(self.edit_template, form=form, campaign_template=template,
                           placeholders=placeholder_catalogue(),
                           editor=editor_data(url_for("campaigns.live_sms_view"), url_for("campaigns.live_email_view")),
                           return_url=get_redirect_target() or self.get_url(".index_view"))

    def _post(self, template_id: int, roles: tuple[Role, ...], run, message: str):
        template = self._template_or_404(template_id)
        if not current_user.has_role(*roles):
            abort(403)
        if not ActionForm().validate_on_submit():
            abort(400)
        try:
            run(template, current_user._get_current_object())
        except ContentError as error:
            flash(_("The template's texts have problems: %(problems)s",
                    problems="; ".join(p for ps in error.errors.values() for p in ps)), "danger")
        except WorkflowError as error:
            flash(str(error), "danger")
        else:
            flash(message % {"name": template.name}, "success")
        return redirect(self.get_url(".index_view"))

    @expose("/<int:template_id>/use/", methods=("POST",))
    def use_view(self, template_id: int):
        """Start a draft campaign with the template's texts and open it for the audience and timing."""
        template = self._template_or_404(template_id)
        self._composer_only()
        if not ActionForm().validate_on_submit():
            abort(400)
        try:
            campaign = workflow.draft_from_template(template, current_user._get_current_object())
        except WorkflowError as error:
            flash(str(error), "danger")
            return redirect(self.get_url(".index_view"))
        flash(_("A draft was made from the template “%(name)s”: choose its audience and time.",
                name=template.name), "success")
        return redirect(url_for("campaigns.edit_view", id=campaign.id))

    @expose("/<int:template_id>/active/<int:active>/", methods=("POST",))
    def active_view(self, template_id: int, active: int):
        """Take a template out of use, or back into use."""
        message = _("The template “%(name)s” is in use again.") if active else \
            _("The template “%(name)s” is no longer in use.")
        return self._post(template_id, COMPOSE_ROLES,
                          lambda t, u: set_template_active(t, u, bool(active)), message)

    @expose("/<int:template_id>/release/", methods=("POST",))
    def release_view(self, template_id: int):
        """Let integrations start campaigns from the template without a further approval."""
        return self._post(template_id, (Role.APPROVER,), release_for_api,
                          _("The template “%(name)s” is released for integrations."))

    @expose("/<int:template_id>/withdraw-release/", methods=("POST",))
    def withdraw_release_view(self, template_id: int):
        """Campaigns integrations start from the template wait for an approver again."""
        return self._post(template_id, (Role.APPROVER,), withdraw_release,
                          _("The release of “%(name)s” for integrations was withdrawn."))
