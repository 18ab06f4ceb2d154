"""The SMS inbox in the admin: replies of recipients, their threads, answering and closing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import abort, current_app, flash, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import func, select
from wtforms import TextAreaField, ValidationError
from wtforms.validators import DataRequired

from app.accounts.models import Contractor, StaffUser
from app.channels.admin_filters import PhoneSearchMixin, WarsawDayFrom, WarsawDayUntil
from app.channels.admin_labels import (
    INBOUND_STATUS_BADGES,
    INBOUND_STATUS_LABELS,
    KEYWORD_LABELS,
    inbound_status_badge,
    instant_formatter,
    message_status_badge,
    shortened,
    show_address,
)
from app.channels.inbound import InboundError, close, reply, sender_number
from app.channels.models import InboundSms, InboundStatus, Message
from app.channels.outbox import policies_for
from app.channels.sms_text import GSM7_BASIC, GSM7_EXTENSION, measure
from app.core.admin import SecureModelView, label_options
from app.core.clock import utcnow
from app.core.extensions import db
from app.core.roles import Role
from app.core.templating import format_instant

THREAD_LENGTH = 50  # the latest messages each way shown with an inbox SMS


class InboxReplyForm(FlaskForm):
    """A staff answer to an inbox SMS; `max_parts` is set per SMS before validating."""

    text = TextAreaField(
        _l("Your reply"), validators=[DataRequired(message=_l("Write the text of the reply."))]
    )
    max_parts = 6

    def validate_text(self, field: Any) -> None:
        """An SMS longer than the allowed number of parts is refused, saying by how much."""
        field.data = (field.data or "").replace("\r\n", "\n").strip()
        size = measure(field.data)
        if size.parts > self.max_parts:
            raise ValidationError(
                _(
                    "The reply needs %(parts)d SMS parts (%(units)d characters in %(encoding)s), "
                    "at most %(max)d are allowed: shorten it or write it without Polish letters.",
                    parts=size.parts,
                    units=size.units,
                    encoding=size.encoding,
                    max=self.max_parts,
                )
            )


class CloseForm(FlaskForm):
    """Closing an inbox SMS (only the CSRF token)."""


@dataclass
class ThreadItem:
    """One SMS of a conversation with a number: ours (`out`) or theirs (`in`)."""

    direction: str
    at: datetime | None
    text: str
    badge: Markup
    record: Message | InboundSms
    current: bool = False
    replied_to: bool = False


def reply_max_parts(inbound: InboundSms) -> int:
    """Parts an answer may have: the unit's policy of the SMS answered, else the office's."""
    unit_id = inbound.in_reply_to.unit_id if inbound.in_reply_to else None
    policy = policies_for([unit_id]).get(unit_id) if unit_id else None
    return (
        policy.sms_max_parts if policy and policy.sms_max_parts else None
    ) or current_app.config["SMS_MAX_PARTS"]


def thread(inbound: InboundSms) -> list[ThreadItem]:
    """The conversation with the sender's number, oldest first: our SMS and their answers."""
    sent = db.session.scalars(
        select(Message)
        .where(Message.channel == "sms", Message.recipient == inbound.sender)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(THREAD_LENGTH)
    ).all()
    received = db.session.scalars(
        select(InboundSms)
        .where(InboundSms.sender == inbound.sender)
        .order_by(InboundSms.received_at.desc(), InboundSms.id.desc())
        .limit(THREAD_LENGTH)
    ).all()
    items = [
        ThreadItem(
            "out",
            m.created_at,
            m.body,
            message_status_badge(m.status),
            m,
            replied_to=m.id == inbound.in_reply_to_id,
        )
        for m in sent
    ] + [
        ThreadItem(
            "in",
            r.received_at,
            r.text,
            inbound_status_badge(r.status),
            r,
            current=r.id == inbound.id,
        )
        for r in received
    ]
    return sorted(items, key=lambda item: (_aware(item.at), item.direction == "in"))


def _aware(at: datetime | None) -> datetime:
    if at is None:
        return datetime.min.replace(tzinfo=UTC)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def inbox_details(inbound: InboundSms, form: InboxReplyForm | None = None) -> dict[str, Any]:
    """Everything the inbox page of one SMS shows."""
    max_parts = reply_max_parts(inbound)
    answerable = sender_number(inbound.sender) is not None
    if form is None and answerable:
        form = InboxReplyForm()
    if form is not None:
        form.max_parts = max_parts
    return {
        "inbound": inbound,
        "sender": show_address("sms", inbound.sender),
        "status_badge": inbound_status_badge(inbound.status),
        "keyword": KEYWORD_LABELS.get(inbound.keyword or ""),
        "contractor": db.session.get(Contractor, inbound.contractor_id)
        if inbound.contractor_id
        else None,
        "handled_by": db.session.get(StaffUser, inbound.handled_by_id)
        if inbound.handled_by_id
        else None,
        "thread": thread(inbound),
        "reply_form": form if answerable else None,
        "close_form": CloseForm()
        if inbound.status in (InboundStatus.NEW, InboundStatus.ANSWERED)
        else None,
        "max_parts": max_parts,
        "gsm7_basic": "".join(sorted(GSM7_BASIC)),
        "gsm7_extension": "".join(sorted(GSM7_EXTENSION)),
    }


def new_inbox_count() -> dict[str, Any]:
    """The start-page panel: inbox SMS waiting for an answer."""
    count = db.session.scalar(
        select(func.count()).select_from(InboundSms).where(InboundSms.status == InboundStatus.NEW)
    )
    return {"new_count": count}


def _sender(view, context, model, name):
    return Markup('<a href="{}" class="text-nowrap">{}</a>').format(
        view.get_url(".details_view", id=model.id), show_address("sms", model.sender)
    )


def _contractor(view, context, model, name):
    names = context.get("contractor_names") or {}
    if model.contractor_id not in names:
        return ""
    return Markup('<a href="{}">{}</a>').format(
        view.get_url("contractors.details_view", id=model.contractor_id), names[model.contractor_id]
    )


def _text(view, context, model, name):
    return shortened(model.text, 80)


class InboxView(PhoneSearchMixin, SecureModelView):
    """SMS the recipients sent to the office, newest first; staff answer or close them."""

    required_roles = (Role.ADMIN, Role.COMMUNICATOR, Role.INBOX)
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    list_template = "channels/inbox_list.html"
    details_template = "channels/inbox_details.html"
    column_list = ("received_at", "sender", "contractor_id", "text", "status", "handled_at")
    column_sortable_list = ("received_at", "status")
    column_default_sort = ("received_at", True)
    column_searchable_list = ("sender", "text")
    column_labels = {
        "received_at": _l("Received"),
        "sender": _l("Sender"),
        "contractor_id": _l("Contractor"),
        "text": _l("Text"),
        "status": _l("Status"),
        "handled_at": _l("Handled"),
    }
    column_formatters = {
        "received_at": instant_formatter,
        "sender": _sender,
        "contractor_id": _contractor,
        "text": _text,
        "status": lambda v, c, m, n: inbound_status_badge(m.status),
        "handled_at": instant_formatter,
    }
    column_filters = (
        FilterEqual(InboundSms.status, _l("Status"), options=label_options(INBOUND_STATUS_LABELS)),
        WarsawDayFrom(InboundSms.received_at, _l("Received")),
        WarsawDayUntil(InboundSms.received_at, _l("Received")),
    )

    def render(self, template: str, **kwargs: Any) -> str:
        """The list shows counts per status and the contractors' names (one query each)."""
        if template == self.list_template:
            counts = dict(
                db.session.execute(
                    select(InboundSms.status, func.count()).group_by(InboundSms.status)
                ).all()
            )
            kwargs["status_counts"] = [(str(s), counts.get(s, 0)) for s in INBOUND_STATUS_LABELS]
            kwargs["status_labels"] = INBOUND_STATUS_LABELS
            kwargs["status_badges"] = INBOUND_STATUS_BADGES
            ids = {row.contractor_id for row in kwargs.get("data", ()) if row.contractor_id}
            kwargs["contractor_names"] = (
                dict(
                    db.session.execute(
                        select(Contractor.id, Contractor.name).where(Contractor.id.in_(ids))
                    ).all()
                )
                if ids
                else {}
            )
        return super().render(template, **kwargs)

    def _inbound_or_404(self, inbound_id: int) -> InboundSms:
        inbound = db.session.get(InboundSms, inbound_id)
        if inbound is None:
            abort(404)
        return inbound

    def _details(self, inbound: InboundSms, form: InboxReplyForm | None = None):
        return_url = get_redirect_target() or self.get_url(".index_view")
        return self.render(
            self.details_template, return_url=return_url, **inbox_details(inbound, form)
        )

    @expose("/details/")
    def details_view(self):
        """One inbox SMS with its thread, the reply form and the close button."""
        return self._details(self._inbound_or_404(request.args.get("id", type=int) or 0))

    @expose("/<int:inbound_id>/reply/", methods=["POST"])
    def reply_view(self, inbound_id: int):
        """Send the staff member's answer by SMS; a refused text is shown again with the reason."""
        inbound = self._inbound_or_404(inbound_id)
        form = InboxReplyForm()
        form.max_parts = reply_max_parts(inbound)
        if not form.validate_on_submit():
            return self._details(inbound, form)
        try:
            message = reply(inbound.id, form.text.data, current_user.id)
        except InboundError as exc:
            form.text.errors = [_("The reply could not be sent: %(reason)s", reason=str(exc))]
            return self._details(inbound, form)
        sender = show_address("sms", inbound.sender)
        if message.send_after is not None and _aware(message.send_after) > utcnow():
            flash(
                _(
                    "Your reply to %(sender)s waits for the end of the quiet hours: it goes out "
                    "at %(time)s.",
                    sender=sender,
                    time=format_instant(message.send_after),
                ),
                "info",
            )
        else:
            flash(_("Your reply to %(sender)s is on its way.", sender=sender), "success")
        return redirect(self.get_url(".details_view", id=inbound.id))

    @expose("/<int:inbound_id>/close/", methods=["POST"])
    def close_view(self, inbound_id: int):
        """Close the SMS: it needs no (further) answer."""
        inbound = self._inbound_or_404(inbound_id)
        if not CloseForm().validate_on_submit():
            abort(400)
        close(inbound.id, current_user.id)
        flash(
            _("The SMS from %(sender)s is closed.", sender=show_address("sms", inbound.sender)),
            "success",
        )
        return redirect(self.get_url(".index_view"))
