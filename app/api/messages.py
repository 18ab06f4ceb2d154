"""Messages of the outbox: the status of one by id, and the messages sent to a phone number."""

from __future__ import annotations

from typing import Any

from flask import current_app
from marshmallow import Schema, ValidationError, fields
from sqlalchemy import select

from app.accounts.contacts import ContactError, normalise_phone
from app.api import bp
from app.api.errors import not_found
from app.api.operations import operation
from app.api.pagination import paginate
from app.api.schemas import MAX_ID, Instant, PageQuery, page_of, text
from app.channels.models import Message
from app.core.extensions import db

TAG = "Messages"


class MessageSchema(Schema):
    """A message and where it stands (created, sending, sent, delivered, failed, expired, cancelled)."""

    id = fields.Integer(required=True)
    channel = fields.String(required=True)
    purpose = fields.String(required=True)
    origin = fields.String(allow_none=True, metadata={"description": "e.g. campaign:12"})
    recipient = fields.String(required=True)
    status = fields.String(required=True)
    error = fields.String(allow_none=True)
    parts = fields.Integer(allow_none=True)
    cost = fields.Decimal(as_string=True, allow_none=True, metadata={"type": "string", "description": "PLN"})
    created_at = Instant(required=True)
    sent_at = Instant(allow_none=True)
    finished_at = Instant(allow_none=True)


class MessageQuery(PageQuery):
    """Whose messages: a phone number in any common form (`600 100 200`, `+48600100200`)."""

    phone = text(40, required=True)


MessagePageSchema = page_of(MessageSchema, "MessagePageSchema")


@operation(bp, "/messages/<int:message_id>", "GET", scope="messages", tag=TAG, response=MessageSchema)
def get_message(message_id: int):
    """One message's status."""
    message = db.session.get(Message, message_id) if message_id <= MAX_ID else None
    if message is None:
        raise not_found("message", message_id)
    return message


@operation(bp, "/messages", "GET", scope="messages", tag=TAG, query=MessageQuery, response=MessagePageSchema)
def search_messages(args: dict[str, Any]):
    """The messages sent to a phone number, newest first."""
    try:
        phone = normalise_phone(args["phone"], region=current_app.config.get("DEFAULT_PHONE_REGION", "PL"))
    except ContactError as error:
        raise ValidationError({"phone": [str(error)]}) from None
    query = (select(Message).where(Message.channel == "sms", Message.recipient == phone)
             .order_by(Message.created_at.desc(), Message.id.desc()))
    return paginate(query, args)
