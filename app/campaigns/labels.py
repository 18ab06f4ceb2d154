"""How campaigns' coded values read in the admin: translated labels and badge colours."""

from __future__ import annotations

from flask_babel import LazyString, pgettext
from flask_babel import lazy_gettext as _l

from app.accounts.models import CampaignCategory
from app.campaigns.models import CampaignStatus, ChannelMode

CATEGORY_LABELS = {
    CampaignCategory.REGIONAL_EVENT: _l("Regional event"),
    CampaignCategory.CULTURAL_EVENT: _l("Cultural event"),
    CampaignCategory.ECONOMIC: _l("Economic news and tenders"),
    CampaignCategory.OBLIGATIONS: _l("New obligations"),
    CampaignCategory.DISASTER: _l("Natural-disaster alert"),
    CampaignCategory.OTHER: _l("Other"),
}
STATUS_LABELS = {
    CampaignStatus.DRAFT: _l("draft"),
    CampaignStatus.SUBMITTED: _l("awaiting approval"),
    CampaignStatus.SCHEDULED: _l("scheduled"),
    CampaignStatus.SENDING: LazyString(lambda: pgettext("campaign status", "sending")),
    CampaignStatus.PAUSED: _l("paused"),
    CampaignStatus.FINISHED: _l("finished"),
    CampaignStatus.CANCELLED: LazyString(lambda: pgettext("campaign status", "cancelled")),
}
STATUS_BADGES = {
    CampaignStatus.DRAFT: "badge-light border",
    CampaignStatus.SUBMITTED: "badge-warning",
    CampaignStatus.SCHEDULED: "badge-info",
    CampaignStatus.SENDING: "badge-primary",
    CampaignStatus.PAUSED: "badge-secondary",
    CampaignStatus.FINISHED: "badge-success",
    CampaignStatus.CANCELLED: "badge-dark",
}
CHANNEL_MODE_LABELS = {
    ChannelMode.SMS: _l("SMS"),
    ChannelMode.EMAIL: _l("Email"),
    ChannelMode.BOTH: _l("SMS and email"),
    ChannelMode.PREFERRED: _l("Each recipient's preferred channel, the other as fallback"),
}
