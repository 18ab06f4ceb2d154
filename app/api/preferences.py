"""A business's reminder preferences per topic: read them, set its own, or return to the office's plan."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from app.api import bp
from app.api.contractors import contractor_or_404
from app.api.errors import ApiError
from app.api.operations import operation
from app.reminders.models import MAX_DAYS_AFTER, MAX_DAYS_BEFORE
from app.reminders.preferences import (
    CHANNELS,
    TOPICS,
    Schedule,
    ScheduleError,
    has_own,
    preferences_of,
    reset_preference,
    save_preference,
)

TAG = "Reminder preferences"
TOPIC_PARAM = {"topic": {"enum": list(TOPICS), "maxLength": 40}}


class ScheduleInSchema(Schema):
    """Days before and after the deadline, channels and hour (Warsaw) of one topic, or off."""

    days_before = fields.List(fields.Integer(validate=validate.Range(min=0, max=MAX_DAYS_BEFORE)),
                              load_default=list, validate=validate.Length(max=MAX_DAYS_BEFORE + 1))
    days_after = fields.List(fields.Integer(validate=validate.Range(min=1, max=MAX_DAYS_AFTER)),
                             load_default=list, validate=validate.Length(max=MAX_DAYS_AFTER))
    channels = fields.List(fields.String(validate=validate.OneOf(CHANNELS)), load_default=lambda: ["sms"],
                           validate=validate.Length(max=len(CHANNELS)))
    hour = fields.Integer(load_default=9, validate=validate.Range(min=0, max=23))
    enabled = fields.Boolean(load_default=True)


class TopicPreferenceSchema(Schema):
    """What reaches the business for one topic, and whether it is its own choice."""

    topic = fields.String(required=True, metadata={"description": "an obligation kind, or `changes`"})
    own = fields.Boolean(required=True, metadata={"description": "false: the office's plan applies"})
    days_before = fields.List(fields.Integer(), required=True)
    days_after = fields.List(fields.Integer(), required=True)
    channels = fields.List(fields.String(), required=True)
    hour = fields.Integer(required=True)
    enabled = fields.Boolean(required=True)


class PreferencesSchema(Schema):
    """Every topic's reminders of one business."""

    legacy_id = fields.String(required=True)
    topics = fields.List(fields.Nested(TopicPreferenceSchema), required=True)


def _topic(contractor_id: int, topic: str, schedule: Schedule) -> dict[str, Any]:
    return {"topic": topic, "own": has_own(contractor_id, topic), "days_before": schedule.days_before,
            "days_after": schedule.days_after, "channels": schedule.channels, "hour": schedule.hour,
            "enabled": schedule.enabled}


def _known_topic(topic: str) -> None:
    if topic not in TOPICS:
        raise ApiError(404, "not_found", f"No topic {topic[:40]!r}; topics: {', '.join(TOPICS)}.")


@operation(bp, "/contractors/<legacy_id>/preferences", "GET", scope="accounts:read", tag=TAG,
           response=PreferencesSchema)
def get_preferences(legacy_id: str):
    """Every topic's reminders of a business: its own choice, else the office's plan."""
    contractor = contractor_or_404(legacy_id)
    chosen = preferences_of(contractor.id)
    return {"legacy_id": legacy_id, "topics": [_topic(contractor.id, t, s) for t, s in chosen.items()]}


@operation(bp, "/contractors/<legacy_id>/preferences/<topic>", "PUT", scope="accounts:write", tag=TAG,
           body=ScheduleInSchema, response=TopicPreferenceSchema, path_params=TOPIC_PARAM)
def put_preference(legacy_id: str, topic: str, body: dict[str, Any]):
    """Set a business's own reminders for a topic (replacing the office's plan for it); audited."""
    _known_topic(topic)
    contractor = contractor_or_404(legacy_id)
    try:
        saved = save_preference(contractor.id, topic, Schedule(**body), source="api")
    except ScheduleError as error:
        raise ApiError(422, "validation_error", str(error), {k: [v] for k, v in error.errors.items()}) from None
    return _topic(contractor.id, topic, saved)


@operation(bp, "/contractors/<legacy_id>/preferences/<topic>", "DELETE", scope="accounts:write", tag=TAG,
           response=TopicPreferenceSchema, path_params=TOPIC_PARAM)
def delete_preference(legacy_id: str, topic: str):
    """Drop a business's own choice for a topic: the office's plan applies again."""
    _known_topic(topic)
    contractor = contractor_or_404(legacy_id)
    reset_preference(contractor.id, topic, source="api")
    return _topic(contractor.id, topic, preferences_of(contractor.id)[topic])
