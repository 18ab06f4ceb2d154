"""Campaigns other systems start (a tender announced, a new charge assessed) from released templates.

A draft is made from a template with an audience; starting it sends it at once (or at `send_at`)
when an approver released the template for integrations, otherwise it waits for an approver.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select

from app.api import bp
from app.api.auth import current_key
from app.api.errors import ApiError, not_found
from app.api.operations import operation
from app.api.pagination import paginate
from app.api.schemas import MAX_ID, Instant, PageQuery, page_of, text
from app.audiences.models import Segment, StaticList
from app.campaigns.content import ContentError
from app.campaigns.models import Campaign, CampaignTemplate
from app.campaigns.results import FIGURES, results
from app.campaigns.workflow import WorkflowError, draft_from_template, start_api_draft
from app.core.extensions import db

TAG = "Segments and campaigns"


class TemplateSchema(Schema):
    """A campaign template in use; `released`: integrations' campaigns from it need no approval."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    category = fields.String(required=True)
    channel_mode = fields.String(required=True)
    description = fields.String(allow_none=True)
    released = fields.Function(lambda t: t.api_released_at is not None, required=True,
                               metadata={"type": "boolean"})


class CampaignInSchema(Schema):
    """A campaign from a template, with its audience and timing."""

    template = text(120, required=True, metadata={"description": "the template's name"})
    name = text(160)
    segment_id = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=MAX_ID))
    include_list_ids = fields.List(fields.Integer(validate=validate.Range(min=1, max=MAX_ID)),
                                   load_default=list, validate=validate.Length(max=50))
    exclude_list_ids = fields.List(fields.Integer(validate=validate.Range(min=1, max=MAX_ID)),
                                   load_default=list, validate=validate.Length(max=50))
    send_at = fields.AwareDateTime(allow_none=True, metadata={"description": "empty: as soon as approved"})
    start = fields.Boolean(load_default=False, metadata={"description": "start it at once"})


class CampaignSchema(Schema):
    """A campaign and its figures (messages per state, from the outbox)."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    category = fields.String(required=True)
    status = fields.String(required=True, metadata={
        "description": "draft, submitted, scheduled, sending, paused, finished, cancelled"})
    urgent = fields.Boolean(required=True)
    source = fields.String(required=True)
    template_id = fields.Integer(allow_none=True)
    segment_id = fields.Integer(allow_none=True)
    send_at = Instant(allow_none=True)
    scheduled_for = Instant(allow_none=True)
    created_at = Instant(required=True)
    submitted_at = Instant(allow_none=True)
    approved_at = Instant(allow_none=True)
    started_at = Instant(allow_none=True)
    finished_at = Instant(allow_none=True)
    cancelled_at = Instant(allow_none=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                         metadata={"description": ", ".join(FIGURES)})


TemplatePageSchema = page_of(TemplateSchema, "TemplatePageSchema")


def _answer(campaign: Campaign) -> dict[str, Any]:
    data = {name: getattr(campaign, name) for name in CampaignSchema().fields if name != "counts"}
    data["counts"] = results(campaign.id).counts
    return data


def _refused(error: Exception) -> ApiError:
    if isinstance(error, ContentError):
        return ApiError(422, "content_invalid", "The template's texts cannot be sent.",
                        {k: list(v) for k, v in error.errors.items()})
    return ApiError(409, "campaign_refused", str(error))


@operation(bp, "/campaign-templates", "GET", scope="campaigns", tag=TAG, query=PageQuery,
           response=TemplatePageSchema)
def list_templates(args):
    """The campaign templates in use, by name."""
    return paginate(select(CampaignTemplate).where(CampaignTemplate.is_active.is_(True))
                    .order_by(CampaignTemplate.name, CampaignTemplate.id), args)


@operation(bp, "/campaigns", "POST", scope="campaigns", tag=TAG, body=CampaignInSchema, response=CampaignSchema,
           status=201)
def create_campaign(body: dict[str, Any]):
    """Make a campaign from a template for a segment and/or static lists; with `start`, start it too."""
    template = db.session.scalar(select(CampaignTemplate).where(CampaignTemplate.name == body["template"]))
    if template is None:
        raise ValidationError({"template": [f"No template named {body['template'][:120]!r}."]})
    _check_audience(body)
    values = {k: body[k] for k in ("segment_id", "include_list_ids", "exclude_list_ids", "send_at")
              if body.get(k) is not None}
    try:
        campaign = draft_from_template(template, None, name=body.get("name") or None, source="api", **values)
        if body["start"]:
            campaign = start_api_draft(campaign, integration=str(current_key()))
    except (WorkflowError, ContentError) as error:
        raise _refused(error) from None
    return _answer(campaign), 201


def _check_audience(body: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    if body.get("segment_id") is not None and db.session.get(Segment, body["segment_id"]) is None:
        errors["segment_id"] = ["No such segment."]
    for name in ("include_list_ids", "exclude_list_ids"):
        ids = set(body.get(name) or [])
        found = set(db.session.scalars(select(StaticList.id).where(StaticList.id.in_(ids)))) if ids else set()
        if ids - found:
            errors[name] = [f"No static lists {sorted(ids - found)}."]
    if errors:
        raise ValidationError(errors)


def _campaign_or_404(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id) if campaign_id <= MAX_ID else None
    if campaign is None:
        raise not_found("campaign", campaign_id)
    return campaign


@operation(bp, "/campaigns/<int:campaign_id>/start", "POST", scope="campaigns", tag=TAG, response=CampaignSchema)
def start_campaign(campaign_id: int):
    """Start a draft made through the API: released templates go out, others wait for an approver."""
    campaign = _campaign_or_404(campaign_id)
    try:
        campaign = start_api_draft(campaign, integration=str(current_key()))
    except (WorkflowError, ContentError) as error:
        raise _refused(error) from None
    return _answer(campaign)


@operation(bp, "/campaigns/<int:campaign_id>", "GET", scope="campaigns", tag=TAG, response=CampaignSchema)
def get_campaign(campaign_id: int):
    """A campaign's status and its messages' figures."""
    return _answer(_campaign_or_404(campaign_id))
