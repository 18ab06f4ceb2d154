"""What the campaign page shows: the audit trail, the test send, the buttons a user may press, results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from app.accounts.models import StaffUser
from app.audiences.admin_explain import list_names
from app.campaigns import workflow
from app.campaigns.admin_chart import delivery_chart
from app.campaigns.content import digest
from app.campaigns.models import CLOSED, Campaign, CampaignStatus, origin_of
from app.campaigns.results import FIGURES, latest_replies, results, timeline
from app.core.audit import AuditEntry
from app.core.extensions import db
from app.core.roles import Role
from app.core.templating import format_instant

#: Statuses in which the page refreshes itself (an author sees the approval, everyone the sending).
LIVE_STATUSES = (CampaignStatus.SUBMITTED, CampaignStatus.SCHEDULED, CampaignStatus.SENDING,
                 CampaignStatus.PAUSED)

ACTION_LABELS = {
    "campaign.created": _l("created"),
    "campaign.edited": _l("edited"),
    "campaign.test_sent": _l("test sent"),
    "campaign.submitted": _l("submitted for approval"),
    "campaign.withdrawn": _l("withdrawn by the author"),
    "campaign.rejected": _l("sent back for changes"),
    "campaign.approved": _l("approved"),
    "campaign.scheduled": _l("scheduled"),
    "campaign.started": _l("sending started"),
    "campaign.paused": _l("paused"),
    "campaign.resumed": _l("resumed"),
    "campaign.cancelled": _l("cancelled"),
    "campaign.finished": _l("finished"),
    "campaign.failed_to_start": _l("could not start"),
    "campaign.deleted": _l("deleted"),
    "campaign.results_exported": _l("results downloaded"),
}
FIGURE_LABELS = {
    "total": _l("Messages"),
    "waiting": _l("Waiting"),
    "sent": _l("Sent, no report yet"),
    "delivered": _l("Delivered"),
    "failed": _l("Not delivered"),
    "expired": _l("Expired"),
    "opted_out": _l("Withheld: opted out"),
    "cancelled": _l("Cancelled"),
    "replied": _l("Replies"),
}


@dataclass(frozen=True)
class AuditLine:
    """One step of the campaign's history."""

    at: datetime
    who: str
    what: str
    detail: str


def _detail(action: str, details: dict[str, Any]) -> str:
    if action == "campaign.rejected":
        return details.get("note") or ""
    if action == "campaign.edited":
        return _("changed: %(fields)s", fields=", ".join(details.get("fields") or []))
    if action == "campaign.scheduled" and details.get("at"):
        return _("for %(when)s", when=format_instant(datetime.fromisoformat(details["at"])))
    if action == "campaign.submitted":
        return _("the test showed these texts") if details.get("tested") else _("no test of these texts")
    if action == "campaign.test_sent":
        return ", ".join(v for v in (details.get("phone"), details.get("email")) if v)
    if action == "campaign.started":
        return _("%(members)s members, %(recipients)s addresses",
                 members=details.get("members", 0), recipients=details.get("recipients", 0))
    if action == "campaign.paused":
        return ngettext("%(num)d message held", "%(num)d messages held", details.get("held") or 0)
    if action == "campaign.resumed":
        return ngettext("%(num)d message released", "%(num)d messages released", details.get("released") or 0)
    if action == "campaign.cancelled":
        return ngettext("%(num)d message cancelled", "%(num)d messages cancelled", details.get("cancelled") or 0)
    if action == "campaign.approved" and details.get("own_urgent_alert"):
        return _("an urgent alert approved by its author")
    if action == "campaign.failed_to_start":
        return details.get("reason") or ""
    if action == "campaign.created" and details.get("template"):
        return _("from the template %(name)s", name=details["template"])
    return ""


def audit_trail(campaign_id: int) -> list[AuditLine]:
    """The campaign's audit entries, oldest first, in words."""
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.target == origin_of(campaign_id))
                                 .order_by(AuditEntry.at, AuditEntry.id))
    return [AuditLine(e.at, e.actor_label or (_("the system") if e.actor_type == "system" else e.actor_type),
                      str(ACTION_LABELS.get(e.action, e.action)), _detail(e.action, e.details or {}))
            for e in entries]


def test_state(campaign: Campaign) -> str:
    """`none` (never tested), `current` (the test showed these texts) or `outdated`."""
    if campaign.test_sent_at is None:
        return "none"
    return "current" if campaign.test_sent_digest == digest(campaign) else "outdated"


def allowed_actions(campaign: Campaign, user: StaffUser) -> set[str]:
    """The buttons this user sees for this campaign now (the workflow checks again)."""
    status = campaign.status
    composer = user.has_role(Role.COMMUNICATOR, Role.APPROVER)
    actions: set[str] = set()
    if composer and status == CampaignStatus.DRAFT:
        actions |= {"edit", "submit", "delete", "test"}
    if composer and status == CampaignStatus.SUBMITTED:
        actions |= {"withdraw", "test"}
    if status == CampaignStatus.SUBMITTED and user.has_role(Role.APPROVER):
        actions.add("reject")
        if workflow.may_approve(campaign, user):
            actions.add("approve")
    if composer and status == CampaignStatus.SCHEDULED:
        actions.add("reschedule")
    if composer and status in (CampaignStatus.SCHEDULED, CampaignStatus.SENDING):
        actions.add("pause")
    if composer and status == CampaignStatus.PAUSED:
        actions.add("resume")
    if composer and status not in CLOSED and status not in (CampaignStatus.DRAFT, CampaignStatus.SUBMITTED):
        actions.add("cancel")
    return actions


def audience_words(campaign: Campaign) -> dict[str, Any]:
    """The segment and list names of the campaign's audience."""
    ids = list(campaign.include_list_ids or []) + list(campaign.exclude_list_ids or [])
    names = list_names(ids)
    return {
        "segment": campaign.segment,
        "included": [(i, names.get(i, f"#{i}")) for i in campaign.include_list_ids or []],
        "excluded": [(i, names.get(i, f"#{i}")) for i in campaign.exclude_list_ids or []],
    }


def has_results(campaign: Campaign) -> bool:
    """True once the campaign started sending (or was cancelled after starting)."""
    return campaign.started_at is not None


def results_context(campaign: Campaign) -> dict[str, Any]:
    """Counts, per channel, cost, delivery rate, the chart and the latest replies."""
    found = results(campaign.id)
    points = timeline(campaign.id)
    return {
        "results": found,
        "figures": FIGURES,
        "figure_labels": FIGURE_LABELS,
        "points": points,
        "chart": delivery_chart(points, total=found.counts["total"]),
        "replies": latest_replies(campaign.id, limit=10),
    }


def details_context(campaign: Campaign, user: StaffUser) -> dict[str, Any]:
    """Everything the campaign page (and its refreshing parts) show."""
    context: dict[str, Any] = {
        "campaign": campaign,
        "actions": allowed_actions(campaign, user),
        "test_state": test_state(campaign),
        "audit": audit_trail(campaign.id),
        "live": campaign.status in LIVE_STATUSES,
        "has_results": has_results(campaign),
        **audience_words(campaign),
    }
    if context["has_results"]:
        context.update(results_context(campaign))
    return context
