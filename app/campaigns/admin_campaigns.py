"""Campaigns in the admin: the list, the compose page with its live panels, and the campaign page."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.exceptions import Forbidden

from app.accounts.models import CampaignCategory
from app.audiences.admin_builder import reason_labels
from app.audiences.admin_explain import list_names
from app.campaigns import workflow
from app.campaigns.admin_actions import CampaignActionsMixin
from app.campaigns.admin_details import details_context
from app.campaigns.admin_forms import CampaignForm, campaign_data
from app.campaigns.admin_live import (
    MAX_BODY_BYTES,
    LiveInputError,
    editor_data,
    email_panel,
    email_preview_of,
    placeholder_catalogue,
    read_draft,
    sms_panel,
)
from app.campaigns.content import ContentError, content_problems
from app.campaigns.labels import CATEGORY_LABELS, CHANNEL_MODE_LABELS, STATUS_BADGES, STATUS_LABELS
from app.campaigns.models import EDITABLE, Campaign, CampaignStatus
from app.campaigns.workflow import WorkflowError
from app.channels.admin_labels import badge, label
from app.core.admin import SecureModelView, label_options
from app.core.extensions import db
from app.core.roles import Role
from app.core.templating import format_instant

#: Roles that open the campaigns pages; composing needs communicator or approver (admins hold all).
VIEW_ROLES = (Role.ADMIN, Role.COMMUNICATOR, Role.APPROVER)
COMPOSE_ROLES = (Role.COMMUNICATOR, Role.APPROVER)


def wants_json() -> bool:
    """True for the live endpoints' requests (JSON in or JSON wanted)."""
    return request.is_json or request.accept_mimetypes.best == "application/json"


def json_errors(errors: dict[str, Any], status: int = 400):
    """An error answer of a JSON endpoint: `{"errors": {field: message}}`."""
    return jsonify({"errors": errors}), status


def status_badge(status: str) -> Markup:
    """The badge of a campaign status (its label in words, not colour alone)."""
    return badge(STATUS_LABELS, STATUS_BADGES, status)


def _name(view, context, model, name):
    urgent = Markup(' <span class="badge badge-danger">{}</span>').format(_("urgent")) if model.urgent else ""
    return Markup('<a href="{}">{}</a>{}').format(view.get_url(".details_view", id=model.id), model.name, urgent)


def _audience(view, context, model, name):
    names = context.get("list_names") or {}
    parts = [model.segment.name] if model.segment is not None else []
    parts += [f"+ {names.get(i, f'#{i}')}" for i in model.include_list_ids or []]
    parts += [f"− {names.get(i, f'#{i}')}" for i in model.exclude_list_ids or []]
    return ", ".join(parts) or "—"


def _timing(view, context, model, name):
    rows = []
    for when, text in ((model.scheduled_for or model.send_at, _("scheduled")),
                       (model.started_at, _("started")),
                       (model.finished_at or model.cancelled_at, _("ended"))):
        if when is not None:
            rows.append(Markup("<div>{}: {}</div>").format(text, format_instant(when)))
    if not rows:
        return _("as soon as approved")
    return Markup("").join(rows)


class CampaignView(CampaignActionsMixin, SecureModelView):
    """Campaigns: composed as drafts, approved by a second person, sent, measured."""

    required_roles = VIEW_ROLES
    can_create = False  # the list's own buttons lead to the compose page
    can_edit = False
    can_delete = False
    can_view_details = True
    list_template = "campaigns/admin/campaign_list.html"
    details_template = "campaigns/admin/details.html"
    compose_template = "campaigns/admin/compose.html"
    column_list = ("name", "category", "status", "channel_mode", "audience", "timing", "created_by")
    column_sortable_list = ("name", "category", "status", "created_at")
    column_default_sort = ("id", True)
    column_searchable_list = ("name",)
    column_select_related_list = (Campaign.segment, Campaign.created_by)
    column_labels = {
        "name": _l("Name"), "category": _l("Category"), "status": _l("Status"),
        "channel_mode": _l("Channels"), "audience": _l("Audience"), "timing": _l("Scheduled / started / ended"),
        "created_by": _l("Author"), "created_at": _l("Created"),
    }
    column_formatters = {
        "name": _name,
        "category": lambda v, c, m, n: label(CATEGORY_LABELS, m.category),
        "status": lambda v, c, m, n: status_badge(m.status),
        "channel_mode": lambda v, c, m, n: label(CHANNEL_MODE_LABELS, m.channel_mode),
        "audience": _audience,
        "timing": _timing,
        "created_by": lambda v, c, m, n: m.created_by.name if m.created_by else (
            _("integration") if m.source == "api" else "—"),
    }
    column_filters = (
        FilterEqual(Campaign.status, _l("Status"), options=label_options(STATUS_LABELS)),
        FilterEqual(Campaign.category, _l("Category"), options=label_options(CATEGORY_LABELS)),
    )

    def create_blueprint(self, admin: Any):
        """The live endpoints answer a refused CSRF token or role in JSON, not with an HTML page."""
        blueprint = super().create_blueprint(admin)

        def csrf_refused(error: CSRFError):
            if wants_json():
                return json_errors({"request": error.description})
            return render_template("errors/400.html", reason=error.description), 400

        def forbidden(error: Forbidden):
            if wants_json():
                return json_errors({"request": _("You may not compose campaigns.")}, 403)
            return render_template("errors/403.html"), 403

        blueprint.register_error_handler(CSRFError, csrf_refused)
        blueprint.register_error_handler(Forbidden, forbidden)
        return blueprint

    def render(self, template: str, **kwargs: Any) -> str:
        """The list names the static lists of the campaigns on the page (one query)."""
        if template == self.list_template:
            ids = {i for row in kwargs.get("data", ()) for i in
                   [*(row.include_list_ids or []), *(row.exclude_list_ids or [])]}
            kwargs["list_names"] = list_names(ids)
            kwargs["may_compose"] = current_user.has_role(*COMPOSE_ROLES)
        return super().render(template, **kwargs)

    def campaign_or_404(self, campaign_id: int | None) -> Campaign:
        """The campaign with this id, or a 404 page."""
        campaign = db.session.get(Campaign, campaign_id or 0)
        if campaign is None:
            abort(404)
        return campaign

    @staticmethod
    def require_composer() -> None:
        """Refuse (403) staff who may read campaigns but not write them."""
        if not current_user.has_role(*COMPOSE_ROLES):
            abort(403)

    # -- composing -------------------------------------------------------------------------------

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        """A new draft campaign."""
        self.require_composer()
        return self._compose(None)

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        """Change a draft's texts, audience or timing."""
        self.require_composer()
        campaign = self.campaign_or_404(request.args.get("id", type=int))
        if campaign.status not in EDITABLE:
            flash(_("Only a draft can be changed; this campaign is %(status)s.",
                    status=label(STATUS_LABELS, campaign.status)), "warning")
            return redirect(self.get_url(".details_view", id=campaign.id))
        return self._compose(campaign)

    def _compose(self, campaign: Campaign | None):
        form = CampaignForm(data=campaign_data(campaign) if campaign is not None and request.method == "GET"
                            else None)
        if campaign is not None and request.method == "GET" and request.args.get("check"):
            form.show_errors(content_problems(campaign))
        if form.validate_on_submit():
            saved = self._save(form, campaign)
            if saved is not None:
                campaign = saved
                done = self._after_save(form, campaign)
                if done is not None:
                    return done
        elif request.method == "POST":
            flash(_("The campaign was not saved: correct the marked fields."), "danger")
        return self.render(self.compose_template, form=form, campaign=campaign,
                           placeholders=placeholder_catalogue(),
                           editor=editor_data(self.get_url(".live_sms_view"), self.get_url(".live_email_view")),
                           return_url=get_redirect_target() or self.get_url(".index_view"))

    def _save(self, form: CampaignForm, campaign: Campaign | None) -> Campaign | None:
        user = current_user._get_current_object()
        values = form.draft_values()
        try:
            if campaign is None:
                return workflow.create_draft(user, **values)
            return workflow.update_draft(campaign, user, **values)
        except WorkflowError as error:
            if values["urgent"] and values["category"] != CampaignCategory.DISASTER:
                form.urgent.errors = [*form.urgent.errors, str(error)]
            flash(_("The campaign was not saved: %(reason)s", reason=str(error)), "danger")
            return None

    def _after_save(self, form: CampaignForm, campaign: Campaign):
        """Submit when asked; otherwise show the texts' problems or go to the campaign page."""
        details = self.get_url(".details_view", id=campaign.id)
        if request.form.get("action") == "submit":
            try:
                workflow.submit(campaign, current_user._get_current_object())
            except ContentError as error:
                form.show_errors(error.errors)
                flash(_("The draft was saved but not submitted: correct the marked texts."), "danger")
                return None
            except WorkflowError as error:
                if campaign.segment_id is None and not campaign.include_list_ids:
                    form.segment_id.errors = [*form.segment_id.errors, str(error)]
                flash(_("The draft was saved but not submitted: %(reason)s", reason=str(error)), "danger")
                return None
            flash(_("Campaign “%(name)s” was submitted for approval.", name=campaign.name), "success")
            return redirect(details)
        problems = {k: v for k, v in content_problems(campaign).items() if (getattr(campaign, k) or "").strip()}
        if problems:
            form.show_errors(problems)
            flash(_("The draft was saved, but its texts have problems: see the marked fields."), "warning")
            return None
        flash(_("Draft “%(name)s” saved.", name=campaign.name), "success")
        return redirect(details)

    # -- the live panels of the compose page -----------------------------------------------------

    def _live_draft(self) -> Campaign:
        self.require_composer()
        if request.content_length is None or request.content_length > MAX_BODY_BYTES:
            raise LiveInputError({"request": _("Expected a JSON body of at most 512 kB, with its length.")})
        return read_draft(request.get_json(silent=True))

    @expose("/live/sms/", methods=("POST",))
    def live_sms_view(self):
        """The SMS panel: problems, encoding, characters, parts, cost for the audience, transliteration."""
        try:
            return jsonify(sms_panel(self._live_draft()))
        except LiveInputError as error:
            return json_errors(error.errors)

    @expose("/live/email/", methods=("POST",))
    def live_email_view(self):
        """The email panel: problems, or the email a sample member would get."""
        try:
            return jsonify(email_panel(self._live_draft()))
        except LiveInputError as error:
            return json_errors(error.errors)

    # -- the campaign page -----------------------------------------------------------------------

    @expose("/details/")
    def details_view(self):
        """Everything about one campaign, its history, its results and the buttons of its next steps."""
        campaign = self.campaign_or_404(request.args.get("id", type=int))
        return self.render(self.details_template, **self.page_context(campaign),
                           email=email_preview_of(campaign), reason_labels=reason_labels(),
                           return_url=get_redirect_target() or self.get_url(".index_view"))

    def page_context(self, campaign: Campaign) -> dict[str, Any]:
        """The campaign page's context, also used by its refreshing parts."""
        context = details_context(campaign, current_user._get_current_object())
        context.update(self.action_forms(), status_badge=status_badge(campaign.status),
                       category_label=label(CATEGORY_LABELS, campaign.category),
                       mode_label=label(CHANNEL_MODE_LABELS, campaign.mode),
                       is_draft=campaign.status == CampaignStatus.DRAFT)
        return context
