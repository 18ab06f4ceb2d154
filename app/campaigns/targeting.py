"""A campaign's audience and the figures an author and an approver see before it goes out."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from flask import current_app

from app.accounts.models import Unit
from app.audiences.audience import Audience, preview
from app.audiences.models import Segment
from app.campaigns.content import compile_content
from app.campaigns.models import Campaign, ChannelMode
from app.campaigns.placeholders import contexts_for, example_context
from app.channels.sms_text import measure
from app.core.extensions import db


class AudienceMissing(ValueError):
    """The campaign names neither a segment nor a list."""


def audience_of(campaign: Campaign) -> Audience:
    """The segment's rule and lists plus the campaign's own lists (RuleError for a broken rule)."""
    include = list(campaign.include_list_ids or [])
    exclude = list(campaign.exclude_list_ids or [])
    rule = None
    if campaign.segment_id is not None:
        segment = db.session.get(Segment, campaign.segment_id)
        if segment is not None:
            base = Audience.of_segment(segment)
            rule = segment.rule
            include += list(base.include_lists)
            exclude += list(base.exclude_lists)
    if rule is None and not include:
        raise AudienceMissing("choose a segment or a static list")
    return Audience.from_json(rule, include, exclude)


def unit_name(campaign: Campaign) -> str:
    """The name the campaign is sent in: its unit's, or the office's sender name."""
    if campaign.unit_id is not None:
        unit = db.session.get(Unit, campaign.unit_id)
        if unit is not None:
            return unit.name
    return current_app.config["MAIL_FROM_NAME"]


def estimate(campaign: Campaign) -> dict[str, Any]:
    """Members, recipients per channel, SMS size and cost, computed now (for the author and approver)."""
    figures = preview(audience_of(campaign), sample=1)
    mode = campaign.mode
    reach = figures.reachable
    if mode is ChannelMode.PREFERRED:
        recipients = {"sms": None, "email": None, "any": figures.any_channel}
    else:
        recipients = {ch: reach.get(ch, 0) for ch in mode.channels}
    result: dict[str, Any] = {
        "members": figures.members,
        "reachable": reach,
        "any_channel": figures.any_channel,
        "recipients": recipients,
        "reasons": figures.reasons,
    }
    if "sms" in mode.channels and campaign.sms_text:
        sample_id = figures.sample[0]["id"] if figures.sample else None
        result["sms"] = sms_figures(campaign, sample_id,
                                    reach.get("sms", 0) if mode is not ChannelMode.PREFERRED
                                    else figures.any_channel)
    return result


def sms_figures(campaign: Campaign, contractor_id: int | None, recipients: int) -> dict[str, Any]:
    """Encoding, parts and cost of the SMS for a sample recipient, times the recipients."""
    # Only the SMS counts here: an email not yet written must not hide the SMS figures.
    sms_only = SimpleNamespace(channel_mode="sms", sms_text=campaign.sms_text,
                               sms_transliterate=getattr(campaign, "sms_transliterate", False))
    compiled = compile_content(sms_only, unit_name(campaign))
    if contractor_id is not None:
        context = contexts_for([contractor_id], compiled.codes, compiled.unit_name)[contractor_id]
    else:
        context = example_context(unit_name=compiled.unit_name)
        context["atrybut"] = dict.fromkeys(compiled.codes, "")
    text = compiled.sms(context).body
    size = measure(text)
    price = Decimal(current_app.config["SMS_PRICE_PER_PART"])
    return {
        "text": text,
        "encoding": size.encoding,
        "units": size.units,
        "parts": size.parts,
        "price_per_part": str(price),
        "cost": str((price * size.parts * recipients).quantize(Decimal("0.01"))),
        "recipients": recipients,
    }
