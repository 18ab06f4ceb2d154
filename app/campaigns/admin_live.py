"""The compose page's live panels: an unsaved campaign built from the form, its SMS figures and email preview.

The panels never save anything: they read what the editor holds (JSON), build a transient
`Campaign`, and ask the targeting and content functions what it would send.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import AttributeDefinition, CampaignCategory
from app.audiences.audience import Preview, preview, sample_members
from app.audiences.rules import RuleError
from app.campaigns.content import (
    UNSUBSCRIBE_SLOT,
    CompiledContent,
    compile_content,
    content_problems,
)
from app.campaigns.links import unsubscribe_link
from app.campaigns.models import Campaign, ChannelMode
from app.campaigns.placeholders import (
    ATTRIBUTES,
    CAMPAIGN_PLACEHOLDERS,
    PLACEHOLDERS,
    contexts_for,
    example_context,
)
from app.campaigns.targeting import AudienceMissing, audience_of, sms_figures, unit_name
from app.channels.admin_outbox import email_preview
from app.channels.models import fill_markers
from app.channels.sms_text import measure
from app.core.extensions import db
from app.core.money import format_pln

MAX_BODY_BYTES = 512 * 1024
MAX_LISTS = 50
TEXT_LIMITS = {"sms_text": 2000, "email_subject": 200, "email_text": 50_000, "email_html": 200_000}
_COPIED = ("name", "category", "urgent", "unit_id", "channel_mode", "sms_text", "sms_transliterate",
           "email_subject", "email_text", "email_html", "segment_id", "include_list_ids", "exclude_list_ids")


class LiveInputError(ValueError):
    """The editor sent something that is not a campaign; `errors` maps fields to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _id(value: Any, name: str, errors: dict[str, str]) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not str(value).isdigit():
        errors[name] = _("Expected a whole number.")
        return None
    return int(value)


def _ids(value: Any, name: str, errors: dict[str, str]) -> list[int]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or len(value) > MAX_LISTS:
        errors[name] = _("Expected a list of at most %(n)d ids.", n=MAX_LISTS)
        return []
    found = [_id(v, name, errors) for v in value]
    return sorted({v for v in found if v is not None})


def read_draft(data: Any) -> Campaign:
    """A transient campaign (never added to the session) from what the compose page sent."""
    if not isinstance(data, dict):
        raise LiveInputError({"request": _("Expected a JSON object with the fields of the form.")})
    errors: dict[str, str] = {}
    mode = data.get("channel_mode") or ChannelMode.SMS
    if mode not in ChannelMode.__members__.values():
        errors["channel_mode"] = _("Unknown channel choice: %(value)s", value=str(mode)[:20])
    category = data.get("category") or CampaignCategory.OTHER
    if category not in CampaignCategory.__members__.values():
        errors["category"] = _("Unknown category: %(value)s", value=str(category)[:30])
    texts: dict[str, str | None] = {}
    for name, limit in TEXT_LIMITS.items():
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            errors[name] = _("Expected text.")
        elif value and len(value) > limit:
            errors[name] = _("At most %(n)d characters.", n=limit)
        else:
            texts[name] = value if value and value.strip() else None
    campaign = Campaign(
        name=str(data.get("name") or "")[:160], category=category, urgent=bool(data.get("urgent")),
        channel_mode=mode, sms_transliterate=bool(data.get("sms_transliterate")),
        unit_id=_id(data.get("unit_id"), "unit_id", errors),
        segment_id=_id(data.get("segment_id"), "segment_id", errors),
        include_list_ids=_ids(data.get("include_list_ids"), "include_list_ids", errors),
        exclude_list_ids=_ids(data.get("exclude_list_ids"), "exclude_list_ids", errors),
        **texts,
    )
    if errors:
        raise LiveInputError(errors)
    return campaign


def copy_of(campaign: Campaign, **changes: Any) -> Campaign:
    """A transient copy of a campaign's content and audience, with some fields changed."""
    values = {name: getattr(campaign, name) for name in _COPIED}
    values.update(changes)
    copy = Campaign(**values)
    copy.id = campaign.id
    return copy


def audience_figures(campaign: Campaign) -> tuple[Preview | None, str | None]:
    """Members and reach of the campaign's audience with one sample member; or why there are none."""
    try:
        audience = audience_of(campaign)
    except AudienceMissing:
        return None, _("Choose a segment or a static list to see the audience.")
    except RuleError as error:
        return None, _("The segment's rule is no longer valid: %(errors)s", errors="; ".join(error.errors.values()))
    return preview(audience, sample=1), None


def _audience_json(figures: Preview | None, problem: str | None) -> dict[str, Any]:
    if figures is None:
        return {"members": None, "problem": problem}
    return {"members": figures.members, "reachable": figures.reachable, "any_channel": figures.any_channel,
            "sample": figures.sample[0]["name"] if figures.sample else None, "problem": None}


def _sms_json(found: dict[str, Any]) -> dict[str, Any]:
    size = measure(found["text"])
    return {**found, "characters": len(found["text"]), "units_left": size.units_left,
            "cost_label": format_pln(Decimal(found["cost"])),
            "too_long": size.parts > current_app.config["SMS_MAX_PARTS"]}


def sms_panel(campaign: Campaign) -> dict[str, Any]:
    """The SMS as a sample recipient gets it: encoding, length, parts, cost for the audience, transliterated."""
    figures, problem = audience_figures(campaign)
    result: dict[str, Any] = {"errors": {}, "audience": _audience_json(figures, problem), "sms": None,
                              "transliterated": None}
    if "sms" not in campaign.mode.channels:
        return result
    sms_only = copy_of(campaign, channel_mode=ChannelMode.SMS)
    result["errors"] = content_problems(sms_only)
    if result["errors"]:
        return result
    sample_id = figures.sample[0]["id"] if figures is not None and figures.sample else None
    recipients = 1  # without an audience (a template): the cost of one message
    if figures is not None:
        recipients = (figures.any_channel if campaign.mode is ChannelMode.PREFERRED
                      else figures.reachable.get("sms", 0))
    result["per_recipient"] = figures is None
    result["sms"] = _sms_json(sms_figures(sms_only, sample_id, recipients))
    plain = copy_of(sms_only, sms_transliterate=True)
    result["transliterated"] = _sms_json(sms_figures(plain, sample_id, recipients))
    return result


def sample_context(campaign: Campaign, compiled: CompiledContent, contractor_id: int | None) -> dict:
    """The placeholder values of one member (or the examples), with an unsubscribe link."""
    if contractor_id is not None:
        context = contexts_for([contractor_id], compiled.codes, compiled.unit_name)[contractor_id]
    else:
        context = example_context(unit_name=compiled.unit_name)
        context[ATTRIBUTES] = {code: f"<{code}>" for code in compiled.codes}
    context[UNSUBSCRIBE_SLOT] = unsubscribe_link(campaign.id or 0, contractor_id or 0)
    return context


def rendered_email(campaign: Campaign, sample: dict[str, Any] | None) -> dict[str, Any]:
    """Subject, plain text and sandboxed HTML of the email for a sample member (or the examples)."""
    email_only = copy_of(campaign, channel_mode=ChannelMode.EMAIL)
    compiled = compile_content(email_only, unit_name(email_only))
    rendered = compiled.email(sample_context(campaign, compiled, sample["id"] if sample else None))
    html = rendered.html
    if rendered.template is not None and rendered.params:
        html = fill_markers(html, rendered.params)
    return {"subject": rendered.subject, "text": rendered.body, "html": email_preview(html or ""),
            "sample": sample["name"] if sample else None}


def email_panel(campaign: Campaign) -> dict[str, Any]:
    """The email's problems, or its preview for a sample member of the audience."""
    result: dict[str, Any] = {"errors": {}, "email": None}
    if "email" not in campaign.mode.channels:
        return result
    result["errors"] = content_problems(copy_of(campaign, channel_mode=ChannelMode.EMAIL))
    if result["errors"]:
        return result
    result["email"] = rendered_email(campaign, first_member(campaign))
    return result


def first_member(campaign: Campaign) -> dict[str, Any] | None:
    """The member the previews show (the first by name), or None without an audience."""
    try:
        found = sample_members(audience_of(campaign), 1)
    except (AudienceMissing, RuleError):
        return None
    return found[0] if found else None


def email_preview_of(campaign: Campaign) -> dict[str, Any] | None:
    """The email a sample member gets, when the campaign sends emails and its texts are sendable."""
    if "email" not in campaign.mode.channels:
        return None
    if content_problems(copy_of(campaign, channel_mode=ChannelMode.EMAIL)):
        return None
    return rendered_email(campaign, first_member(campaign))


def placeholder_catalogue() -> list[dict[str, str]]:
    """Every placeholder a text may use, with what it stands for and an example, for the editor."""
    items = [{"code": f"{{{{ {p.name} }}}}", "label": str(p.label), "example": p.example}
             for p in PLACEHOLDERS.values()]
    items += [{"code": f"{{{{ {name} }}}}", "label": str(label), "example": ""}
              for name, label in CAMPAIGN_PLACEHOLDERS.items()]
    for definition in db.session.scalars(select(AttributeDefinition).order_by(AttributeDefinition.code)):
        items.append({"code": f"{{{{ {ATTRIBUTES}.{definition.code} }}}}",
                      "label": definition.label or _("attribute %(code)s", code=definition.code), "example": ""})
    return items


def editor_data(sms_url: str, email_url: str) -> dict[str, Any]:
    """What the editor script starts from: its endpoints and every word it shows."""
    return {
        "smsUrl": sms_url, "emailUrl": email_url, "disaster": str(CampaignCategory.DISASTER),
        "texts": {
            "failed": _("The check failed; it is tried again with the next change."),
            "writeSms": _("Write the SMS to see its size and cost."),
            "writeEmail": _("Write the subject and the text to see the email."),
            "fix": _("Correct the marked text to see it."),
            "part": _("part"), "parts": _("parts"), "cost": _("cost"),
            "costAudience": _("Cost for the audience"), "costEach": _("Cost per recipient"),
            "exampleValues": _("example values"),
        },
    }
