"""The outbox in the admin: every message with its status, text, timeline and simulations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual, FilterLike
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import func, select
from wtforms import HiddenField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length

from app.accounts.models import Contractor, Unit
from app.channels.admin_filters import PhoneSearchMixin, WarsawDayFrom, WarsawDayUntil
from app.channels.admin_labels import (
    CHANNEL_LABELS,
    MESSAGE_STATUS_BADGES,
    MESSAGE_STATUS_LABELS,
    PURPOSE_LABELS,
    instant_formatter,
    label,
    message_status_badge,
    shortened,
    show_address,
)
from app.channels.admin_simulation import (
    NotSimulable,
    check_simulable,
    simulate_delivery,
    simulate_reply,
)
from app.channels.models import InboundSms, Message, MessageStatus
from app.channels.sms_text import measure
from app.core.admin import SecureModelView, label_options, live_options
from app.core.extensions import db
from app.core.money import format_pln
from app.core.roles import Role

#: Roles that may simulate provider events (the inbox role only reads the outbox).
SIMULATING_ROLES = (Role.ADMIN, Role.COMMUNICATOR)
REPLY_MAX_LENGTH = 918  # six UCS-2 parts: more than any handset sends as one reply


class DeliveryReportForm(FlaskForm):
    """A simulated delivery report: delivered or failed."""

    outcome = HiddenField(validators=[AnyOf(("delivered", "failed"))])


class SimulatedReplyForm(FlaskForm):
    """A simulated SMS reply of the message's recipient."""

    text = TextAreaField(
        _l("Text of the reply"),
        validators=[
            DataRequired(message=_l("Write the text of the reply.")),
            Length(
                max=REPLY_MAX_LENGTH, message=_l("The reply may have at most %(max)d characters.")
            ),
        ],
    )


def _provider_options() -> list[tuple[str, str]]:
    rows = db.session.scalars(
        select(Message.provider).where(Message.provider.is_not(None)).distinct()
    )
    return [(p, p) for p in sorted(rows)]


def status_counts() -> list[tuple[str, int]]:
    """How many messages are in each status (one GROUP BY), in the order of their life."""
    counts = dict(
        db.session.execute(select(Message.status, func.count()).group_by(Message.status)).all()
    )
    return [(str(status), counts.get(status, 0)) for status in MessageStatus]


def size_of(message: Message) -> Any:
    """Encoding, length and parts of an SMS (None for emails)."""
    return measure(message.body) if message.channel == "sms" else None


def timeline(message: Message) -> list[tuple[str, datetime | None]]:
    """The steps of a message's life and when each happened (None: not yet)."""
    finished = (
        label(MESSAGE_STATUS_LABELS, message.status) if message.finished_at else _("finished")
    )
    return [
        (_("created"), message.created_at),
        (_("queued for sending"), message.queued_at),
        (_("taken by a worker"), message.claimed_at),
        (_("accepted by the provider"), message.sent_at),
        (finished, message.finished_at),
    ]


def email_preview(html: str) -> str:
    """The email's HTML for a sandboxed iframe: no scripts, and nothing fetched from outside."""
    policy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"
    return f'<meta http-equiv="Content-Security-Policy" content="{policy}">{html}'


def message_details(message: Message) -> dict[str, Any]:
    """Everything the details page shows about one message."""
    may_simulate = current_user.has_role(*SIMULATING_ROLES)
    try:
        check_simulable(message)
        simulable = may_simulate
    except NotSimulable:
        simulable = False
    return {
        "message": message,
        "recipient": show_address(message.channel, message.recipient),
        "status_badge": message_status_badge(message.status),
        "channel_label": label(CHANNEL_LABELS, message.channel),
        "purpose_label": label(PURPOSE_LABELS, message.purpose),
        "size": size_of(message),
        "html_preview": email_preview(message.personal_html) if message.html else None,
        "timeline": timeline(message),
        "contractor": db.session.get(Contractor, message.contractor_id)
        if message.contractor_id
        else None,
        "unit": db.session.get(Unit, message.unit_id) if message.unit_id else None,
        "replies": db.session.scalars(
            select(InboundSms)
            .where(InboundSms.in_reply_to_id == message.id)
            .order_by(InboundSms.received_at)
        ).all(),
        "simulable": simulable,
        "report_form": DeliveryReportForm() if simulable else None,
        "reply_form": SimulatedReplyForm() if simulable and message.channel == "sms" else None,
        "sms_max_parts": current_app.config["SMS_MAX_PARTS"],
        "can_open_inbox": current_user.has_role(Role.INBOX),
    }


def _recipient(view, context, model, name):
    return Markup('<a href="{}">{}</a>').format(
        view.get_url(".details_view", id=model.id), show_address(model.channel, model.recipient)
    )


def _error(view, context, model, name):
    return shortened(model.error, 60)


class MessageView(PhoneSearchMixin, SecureModelView):
    """Every message of the outbox (read-only); the outbox provider's messages can be simulated."""

    required_roles = (Role.ADMIN, Role.COMMUNICATOR, Role.INBOX)
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    list_template = "channels/message_list.html"
    details_template = "channels/message_details.html"
    column_list = (
        "created_at",
        "channel",
        "recipient",
        "purpose",
        "origin",
        "status",
        "provider",
        "parts",
        "cost",
        "error",
    )
    column_sortable_list = ("created_at", "channel", "recipient", "purpose", "status", "provider")
    # By id: the primary key's index serves it, and ids grow with the creation time.
    column_default_sort = ("id", True)
    column_searchable_list = ("recipient", "origin", "provider_ref")
    column_labels = {
        "created_at": _l("Created"),
        "channel": _l("Channel"),
        "recipient": _l("Recipient"),
        "purpose": _l("Purpose"),
        "origin": _l("Origin"),
        "status": _l("Status"),
        "provider": _l("Provider"),
        "parts": _l("Parts"),
        "cost": _l("Cost"),
        "error": _l("Error"),
        "provider_ref": _l("Provider reference"),
    }
    column_formatters = {
        "created_at": instant_formatter,
        "channel": lambda v, c, m, n: label(CHANNEL_LABELS, m.channel),
        "recipient": _recipient,
        "purpose": lambda v, c, m, n: label(PURPOSE_LABELS, m.purpose),
        "status": lambda v, c, m, n: message_status_badge(m.status),
        "cost": lambda v, c, m, n: format_pln(m.cost),
        "error": _error,
    }
    column_filters = (
        FilterEqual(Message.status, _l("Status"), options=label_options(MESSAGE_STATUS_LABELS)),
        FilterEqual(Message.channel, _l("Channel"), options=label_options(CHANNEL_LABELS)),
        FilterEqual(Message.purpose, _l("Purpose"), options=label_options(PURPOSE_LABELS)),
        FilterEqual(Message.provider, _l("Provider"), options=live_options(_provider_options)),
        FilterLike(Message.origin, _l("Origin")),
        WarsawDayFrom(Message.created_at, _l("Created")),
        WarsawDayUntil(Message.created_at, _l("Created")),
    )

    def render(self, template: str, **kwargs: Any) -> str:
        """The list shows the number of messages in each status above the table."""
        if template == self.list_template:
            kwargs["status_counts"] = status_counts()
            kwargs["status_labels"] = MESSAGE_STATUS_LABELS
            kwargs["status_badges"] = MESSAGE_STATUS_BADGES
        return super().render(template, **kwargs)

    def _message_or_404(self, message_id: int) -> Message:
        message = db.session.get(Message, message_id)
        if message is None:
            abort(404)
        return message

    @expose("/details/")
    def details_view(self):
        """The full text, the timeline, the contractor, replies and the simulation buttons."""
        message = self._message_or_404(request.args.get("id", type=int) or 0)
        return_url = get_redirect_target() or self.get_url(".index_view")
        return self.render(self.details_template, return_url=return_url, **message_details(message))

    def _refuse_unless_simulable(self, message: Message, *, sms_only: bool = False):
        if not current_user.has_role(*SIMULATING_ROLES):
            abort(403)
        try:
            check_simulable(message, sms_only=sms_only)
        except NotSimulable:
            if sms_only and message.channel != "sms":
                flash(_("Only an SMS can be answered by SMS."), "error")
            elif message.provider is None:
                flash(
                    _("The message has not been sent yet, so there is nothing to simulate."),
                    "error",
                )
            else:
                flash(
                    _(
                        "Simulation is only possible for messages of the outbox provider; this message "
                        "went through %(provider)s.",
                        provider=message.provider,
                    ),
                    "error",
                )
            return redirect(self.get_url(".details_view", id=message.id))
        return None

    @expose("/<int:message_id>/simulate-report/", methods=["POST"])
    def simulate_report_view(self, message_id: int):
        """Pretend the operator reported the message delivered or not delivered."""
        message = self._message_or_404(message_id)
        refused = self._refuse_unless_simulable(message)
        if refused:
            return refused
        form = DeliveryReportForm()
        if not form.validate_on_submit():
            abort(400)
        if simulate_delivery(message, form.outcome.data):
            db.session.refresh(message)
            flash(
                _(
                    "Simulated report recorded: the message is now %(status)s.",
                    status=label(MESSAGE_STATUS_LABELS, message.status),
                ),
                "success",
            )
        else:
            flash(
                _(
                    "The report changed nothing: the message is already %(status)s.",
                    status=label(MESSAGE_STATUS_LABELS, message.status),
                ),
                "warning",
            )
        return redirect(self.get_url(".details_view", id=message.id))

    @expose("/<int:message_id>/simulate-reply/", methods=["POST"])
    def simulate_reply_view(self, message_id: int):
        """Pretend the recipient answered the SMS; the answer goes to the SMS inbox."""
        message = self._message_or_404(message_id)
        refused = self._refuse_unless_simulable(message, sms_only=True)
        if refused:
            return refused
        form = SimulatedReplyForm()
        if not form.validate_on_submit():
            for errors in form.errors.values():
                for error in errors:
                    flash(error, "error")
            return redirect(self.get_url(".details_view", id=message.id))
        inbound = simulate_reply(message, form.text.data.strip())
        if current_user.has_role(Role.INBOX) and inbound.status == "new":
            flash(
                Markup(_('The reply of %(sender)s reached the <a href="%(url)s">SMS inbox</a>.'))
                % {
                    "sender": show_address("sms", inbound.sender),
                    "url": url_for("inbox.details_view", id=inbound.id),
                },
                "success",
            )
        else:
            flash(
                _(
                    "The reply of %(sender)s was received.",
                    sender=show_address("sms", inbound.sender),
                ),
                "success",
            )
        return redirect(self.get_url(".details_view", id=message.id))
