"""The campaign page's buttons (each a POST with CSRF), its refreshing parts and the results download."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Response, abort, flash, jsonify, redirect, stream_with_context
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import StaffUser
from app.campaigns import workflow
from app.campaigns.admin_forms import ActionForm, RejectForm, RescheduleForm
from app.campaigns.content import ContentError
from app.campaigns.models import Campaign, CampaignStatus, origin_of
from app.campaigns.results import export_csv
from app.campaigns.workflow import WorkflowError
from app.channels.sms_text import transliterate
from app.core import audit
from app.core.db import transactional
from app.core.roles import Role
from app.core.templating import format_instant

COMPOSER = (Role.COMMUNICATOR, Role.APPROVER)
APPROVER = (Role.APPROVER,)
#: The parts of the campaign page that refresh themselves while it is scheduled, sending or paused.
REFRESHED = {"status": "campaigns/admin/_status.html", "actions": "campaigns/admin/_actions.html",
             "about": "campaigns/admin/_about.html", "results": "campaigns/admin/_results.html",
             "audit": "campaigns/admin/_audit.html"}


def export_filename(campaign: Campaign) -> str:
    """The results file's name: ASCII, with the campaign's id and name."""
    slug = re.sub(r"[^a-z0-9]+", "-", transliterate(campaign.name).lower()).strip("-")[:50] or "kampania"
    return f"campaign-{campaign.id}-{slug}-results.csv"


@transactional
def record_export(campaign: Campaign, user: StaffUser) -> None:
    """Audit a download of the per-recipient results (they hold phone numbers and addresses)."""
    audit.record("campaign.results_exported", actor_type="staff", actor_id=user.id, actor_label=user.email,
                 target=origin_of(campaign.id))


def _when(campaign: Campaign) -> str:
    return format_instant(campaign.scheduled_for) if campaign.scheduled_for else _("now")


#: A workflow step: takes the campaign, the user and the submitted form, returns what to flash.
Step = Callable[[Campaign, StaffUser, Any], str]


class CampaignActionsMixin:
    """Workflow steps of the campaign page; the view supplies `campaign_or_404` and `page_context`."""

    def action_forms(self) -> dict[str, Any]:
        """Empty forms of the buttons (their CSRF tokens) for the page and its refreshing parts."""
        return {"action_form": ActionForm(formdata=None), "reject_form": RejectForm(formdata=None),
                "reschedule_form": RescheduleForm(formdata=None)}

    def _step(self, campaign_id: int, roles: tuple[Role, ...], run: Step, *, form_class: type = ActionForm,
              done_url: str | None = None):
        """Check the role and the form, take the step, flash its outcome, go back to the page."""
        campaign = self.campaign_or_404(campaign_id)
        if not current_user.has_role(*roles):
            abort(403)
        form = form_class()
        details = self.get_url(".details_view", id=campaign.id)
        if not form.validate_on_submit():
            for errors in form.errors.values():
                for error in errors:
                    flash(error, "danger")
            return redirect(details)
        try:
            message = run(campaign, current_user._get_current_object(), form)
        except ContentError as error:
            flash(_("The texts have problems; they are marked in the draft."), "danger")
            for problems in error.errors.values():
                for problem in problems:
                    flash(problem, "danger")
            if campaign.status == CampaignStatus.DRAFT:
                return redirect(self.get_url(".edit_view", id=campaign.id, check=1))
            return redirect(details)
        except WorkflowError as error:
            flash(str(error), "danger")
            return redirect(details)
        flash(message, "success")
        return redirect(done_url or details)

    @expose("/<int:campaign_id>/test/", methods=("POST",))
    def test_view(self, campaign_id: int):
        """Send the campaign's texts to the signed-in user's own phone and email."""
        def run(campaign: Campaign, user: StaffUser, form: Any) -> str:
            workflow.send_test(campaign, user)
            to = [a for ch, a in (("sms", user.phone), ("email", user.email)) if ch in campaign.mode.channels]
            return _("A test was sent to %(addresses)s.", addresses=", ".join(a for a in to if a))
        return self._step(campaign_id, COMPOSER, run)

    @expose("/<int:campaign_id>/submit/", methods=("POST",))
    def submit_view(self, campaign_id: int):
        """Hand the draft to the approvers."""
        def run(campaign: Campaign, user: StaffUser, form: Any) -> str:
            workflow.submit(campaign, user)
            return _("Campaign “%(name)s” was submitted for approval.", name=campaign.name)
        return self._step(campaign_id, COMPOSER, run)

    @expose("/<int:campaign_id>/withdraw/", methods=("POST",))
    def withdraw_view(self, campaign_id: int):
        """Take a submitted campaign back into drafting."""
        def run(campaign: Campaign, user: StaffUser, form: Any) -> str:
            workflow.withdraw(campaign, user)
            return _("The campaign is a draft again.")
        return self._step(campaign_id, COMPOSER, run)

    @expose("/<int:campaign_id>/approve/", methods=("POST",))
    def approve_view(self, campaign_id: int):
        """Approve a campaign of someone else: it is scheduled, or starts now."""
        def run(campaign: Campaign, user: StaffUser, form: Any) -> str:
            workflow.approve(campaign, user)
            return _("Campaign approved: it goes out %(when)s.", when=_when(campaign))
        return self._step(campaign_id, APPROVER, run)

    @expose("/<int:campaign_id>/reject/", methods=("POST",))
    def reject_view(self, campaign_id: int):
        """Send a submitted campaign back to its author with the reason."""
        def run(campaign: Campaign, user: StaffUser, form: Any) -> str:
            workflow.reject(campaign, user, form.note.data)
            return _("The campaign was sent back to its author.")
        return self._step(campaign_id, APPROVER, run, form_class=RejectForm)

    @expose("/<int:campaign_id>/reschedule/", methods=("POST",))
    def reschedule_view(self, campaign_id: int):
        """Move a scheduled campaign to another time, or to now."""
        def run(campaign: Campaign, user: StaffUser, form: Any) -> str:
            workflow.reschedule(campaign, user, form.send_at_utc())
            return _("The campaign goes out %(when)s.", when=_when(campaign))
        return self._step(campaign_id, COMPOSER, run, form_class=RescheduleForm)

    @expose("/<int:campaign_id>/pause/", methods=("POST",))
    def pause_view(self, campaign_id: int):
        """Hold the messages not yet handed to a provider."""
        def run(campaign: Campaign, user: StaffUser, form: Any) -> str:
            workflow.pause(campaign, user)
            return _("The campaign is paused: messages not yet handed to a provider are held.")
        return self._step(campaign_id, COMPOSER, run)

    @expose("/<int:campaign_id>/resume/", methods=("POST",))
    def resume_view(self, campaign_id: int):
        """Let a paused campaign go on."""
        def run(campaign: Campaign, user: StaffUser, form: Any) -> str:
            workflow.resume(campaign, user)
            return _("The campaign goes on.")
        return self._step(campaign_id, COMPOSER, run)

    @expose("/<int:campaign_id>/cancel/", methods=("POST",))
    def cancel_view(self, campaign_id: int):
        """Stop the campaign: messages not yet handed to a provider are cancelled."""
        def run(campaign: Campaign, user: StaffUser, form: Any) -> str:
            workflow.cancel(campaign, user)
            return _("The campaign is cancelled: messages not yet handed to a provider will not be sent.")
        return self._step(campaign_id, COMPOSER, run)

    @expose("/<int:campaign_id>/delete/", methods=("POST",))
    def delete_draft_view(self, campaign_id: int):
        """Delete a draft."""
        def run(campaign: Campaign, user: StaffUser, form: Any) -> str:
            name = campaign.name
            workflow.delete_draft(campaign, user)
            return _("The draft “%(name)s” was deleted.", name=name)
        return self._step(campaign_id, COMPOSER, run, done_url=self.get_url(".index_view"))

    # -- refreshing parts and the download -------------------------------------------------------

    @expose("/<int:campaign_id>/live/")
    def live_view(self, campaign_id: int):
        """The status, buttons, results and history of the page, as HTML parts in JSON."""
        campaign = self.campaign_or_404(campaign_id)
        context = self.page_context(campaign)
        parts = {name: self.render(template, **context) for name, template in REFRESHED.items()}
        return jsonify({"status": campaign.status, "live": context["live"], "parts": parts})

    @expose("/<int:campaign_id>/results.csv")
    def export_view(self, campaign_id: int):
        """Per-recipient results as CSV (streamed; spreadsheet formulas neutralised)."""
        campaign = self.campaign_or_404(campaign_id)
        record_export(campaign, current_user._get_current_object())
        response = Response(stream_with_context(export_csv(campaign.id)), mimetype="text/csv")
        response.charset = "utf-8"
        response.headers["Content-Disposition"] = f'attachment; filename="{export_filename(campaign)}"'
        response.headers["Cache-Control"] = "no-store"
        return response

