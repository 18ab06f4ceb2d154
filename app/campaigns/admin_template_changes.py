"""Changes staff make to campaign templates: each one transaction with its audit entry."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from app.accounts.models import StaffUser
from app.campaigns.content import ContentError, content_problems
from app.campaigns.models import CampaignTemplate
from app.campaigns.template_release import template_target
from app.campaigns.workflow import WorkflowError
from app.core import audit
from app.core.db import transactional
from app.core.extensions import db
from app.core.roles import Role

#: The fields of a template staff may set.
TEMPLATE_FIELDS = ("name", "category", "description", "channel_mode", "sms_text", "email_subject",
                   "email_text", "email_html")


def _require_author(user: StaffUser) -> None:
    if not user.has_role(Role.COMMUNICATOR, Role.APPROVER):
        raise WorkflowError(_("You do not have the role this step needs."))


@transactional
def save_template(template_id: int | None, user: StaffUser, **values: Any) -> CampaignTemplate:
    """Create or change a template; its texts must be complete and their placeholders known.

    Editing the texts of a template released for integrations withdraws the release: the
    approver released those texts, not the new ones.
    """
    _require_author(user)
    unknown = set(values) - set(TEMPLATE_FIELDS)
    if unknown:
        raise WorkflowError(_("Unknown fields: %(names)s", names=", ".join(sorted(unknown))))
    template = CampaignTemplate(created_by_id=user.id) if template_id is None \
        else db.session.get(CampaignTemplate, template_id)
    if template is None:
        raise LookupError(template_id)
    texts = ("channel_mode", "sms_text", "email_subject", "email_text", "email_html")
    changed = sorted(k for k, v in values.items() if getattr(template, k) != v)
    for key, value in values.items():
        setattr(template, key, value)
    errors = content_problems(template)
    if errors:
        raise ContentError(errors)
    withdrawn = template.api_released_at is not None and any(k in texts for k in changed)
    if withdrawn:
        template.api_released_at = None
        template.api_released_by_id = None
    db.session.add(template)
    db.session.flush()
    audit.record("campaign_template.created" if template_id is None else "campaign_template.edited",
                 actor_type="staff", actor_id=user.id, actor_label=user.email,
                 target=template_target(template.id), name=template.name, fields=changed,
                 release_withdrawn=withdrawn or None)
    return template


@transactional
def set_template_active(template: CampaignTemplate, user: StaffUser, active: bool) -> CampaignTemplate:
    """Take a template out of use (no new drafts from it, nor API starts) or back into use."""
    _require_author(user)
    template.is_active = active
    audit.record("campaign_template.activated" if active else "campaign_template.deactivated",
                 actor_type="staff", actor_id=user.id, actor_label=user.email,
                 target=template_target(template.id), name=template.name)
    return template
