"""Releasing a campaign template for integrations: an approver lets the API start it unapproved.

A campaign an integration starts from a released template goes out at once (the approver
approved its texts once, here); from any other template it waits for an approver like others.
"""

from __future__ import annotations

from flask_babel import gettext as _

from app.accounts.models import StaffUser
from app.campaigns.content import ContentError, content_problems
from app.campaigns.models import CampaignTemplate
from app.campaigns.workflow import WorkflowError
from app.core import audit
from app.core.clock import utcnow
from app.core.db import transactional
from app.core.roles import Role


def template_target(template_id: int) -> str:
    """The audit target of a template."""
    return f"campaign_template:{template_id}"


def _record(action: str, template: CampaignTemplate, user: StaffUser) -> None:
    audit.record(f"campaign_template.{action}", actor_type="staff", actor_id=user.id,
                 actor_label=user.email, target=template_target(template.id), name=template.name)


@transactional
def release_for_api(template: CampaignTemplate, approver: StaffUser) -> CampaignTemplate:
    """Let integrations start campaigns from this template without a further approval."""
    if not approver.has_role(Role.APPROVER):
        raise WorkflowError(_("Only an approver may release a template for integrations."))
    if not template.is_active:
        raise WorkflowError(_("The template %(name)s is not in use.", name=template.name))
    if template.api_released_at is not None:
        raise WorkflowError(_("The template is already released for integrations."))
    errors = content_problems(template)
    if errors:
        raise ContentError(errors)
    template.api_released_by_id = approver.id
    template.api_released_at = utcnow()
    _record("released", template, approver)
    return template


@transactional
def withdraw_release(template: CampaignTemplate, approver: StaffUser) -> CampaignTemplate:
    """Campaigns integrations start from this template wait for an approver again."""
    if not approver.has_role(Role.APPROVER):
        raise WorkflowError(_("Only an approver may withdraw a template's release."))
    if template.api_released_at is None:
        raise WorkflowError(_("The template is not released for integrations."))
    template.api_released_by_id = None
    template.api_released_at = None
    _record("release_withdrawn", template, approver)
    return template
