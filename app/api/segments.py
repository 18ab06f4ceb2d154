"""Segments: the saved audiences, and how many each reaches now (counts only, no names)."""

from __future__ import annotations

from marshmallow import Schema, fields
from sqlalchemy import select

from app.api import bp
from app.api.errors import ApiError, not_found
from app.api.operations import operation
from app.api.pagination import paginate
from app.api.schemas import MAX_ID, Instant, PageQuery, page_of
from app.audiences.audience import Audience, preview
from app.audiences.models import Segment
from app.audiences.rules import RuleError
from app.core.extensions import db

TAG = "Segments and campaigns"


class SegmentSchema(Schema):
    """A saved segment, with its last count."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(allow_none=True)
    last_count = fields.Integer(allow_none=True)
    last_counted_at = Instant(allow_none=True)
    updated_at = Instant(required=True)


class ReachSchema(Schema):
    """Members of an audience now, reachable per channel, and why the others are not."""

    segment_id = fields.Integer(required=True)
    members = fields.Integer(required=True)
    reachable = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                            metadata={"description": "channel -> members reachable on it"})
    any_channel = fields.Integer(required=True)
    reasons = fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.Integer()),
                          required=True, metadata={"description": "channel -> reason -> members"})


SegmentPageSchema = page_of(SegmentSchema, "SegmentPageSchema")


@operation(bp, "/segments", "GET", scope="campaigns", tag=TAG, query=PageQuery, response=SegmentPageSchema)
def list_segments(args):
    """The saved segments, by name."""
    return paginate(select(Segment).order_by(Segment.name, Segment.id), args)


@operation(bp, "/segments/<int:segment_id>/preview", "GET", scope="campaigns", tag=TAG, response=ReachSchema)
def preview_segment(segment_id: int):
    """Count a segment's members now and their reach per channel (counted afresh; answers carry an ETag)."""
    segment = db.session.get(Segment, segment_id) if segment_id <= MAX_ID else None
    if segment is None:
        raise not_found("segment", segment_id)
    try:
        figures = preview(Audience.of_segment(segment), sample=0)
    except RuleError as error:
        raise ApiError(409, "segment_invalid", "The segment's rule is no longer valid.",
                       {k: [v] for k, v in error.errors.items()}) from None
    return {"segment_id": segment.id, "members": figures.members, "reachable": figures.reachable,
            "any_channel": figures.any_channel, "reasons": figures.reasons}
