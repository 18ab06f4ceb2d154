"""Admin views of the campaigns: campaigns (compose, approve, send, results) and their templates."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint
from flask_admin import Admin
from flask_babel import lazy_gettext as _l

from app.campaigns.admin_campaigns import CampaignView
from app.campaigns.admin_templates import TemplateView
from app.campaigns.models import Campaign, CampaignTemplate
from app.core.extensions import db

#: Serves this package's templates (`campaigns/admin/...`) to the admin views.
templates = Blueprint(
    "campaigns_templates", __name__, template_folder=str(Path(__file__).parent / "templates")
)


def register(admin: Admin) -> None:
    """Add "Campaigns" and "Templates" under "Campaigns"."""
    if "campaigns_templates" not in admin.app.blueprints:
        admin.app.register_blueprint(templates)
    category = _l("Campaigns")
    admin.add_view(CampaignView(Campaign, db, name=_l("Campaigns"), endpoint="campaigns", category=category))
    admin.add_view(TemplateView(CampaignTemplate, db, name=_l("Templates"), endpoint="campaign_templates",
                                category=category))
