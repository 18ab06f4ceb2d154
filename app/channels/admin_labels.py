"""How the channels' coded values look in the admin: translated labels and coloured badges."""

from __future__ import annotations

from typing import Any

from flask_babel import LazyString, pgettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.accounts.contacts import format_phone
from app.channels.models import InboundStatus, MessageStatus, Purpose
from app.core.templating import format_instant

MESSAGE_STATUS_LABELS = {
    MessageStatus.CREATED: _l("waiting"),
    MessageStatus.SENDING: _l("sending"),
    MessageStatus.SENT: _l("sent"),
    MessageStatus.DELIVERED: _l("delivered"),
    MessageStatus.FAILED: _l("not delivered"),
    MessageStatus.EXPIRED: _l("expired"),
    # With a context: "cancelled"/"closed" of contractors are masculine in Polish, messages feminine.
    MessageStatus.CANCELLED: LazyString(lambda: pgettext("message status", "cancelled")),
}
MESSAGE_STATUS_BADGES = {
    MessageStatus.CREATED: "badge-light border",
    MessageStatus.SENDING: "badge-info",
    MessageStatus.SENT: "badge-primary",
    MessageStatus.DELIVERED: "badge-success",
    MessageStatus.FAILED: "badge-danger",
    MessageStatus.EXPIRED: "badge-warning",
    MessageStatus.CANCELLED: "badge-secondary",
}
INBOUND_STATUS_LABELS = {
    InboundStatus.NEW: _l("new"),
    InboundStatus.ANSWERED: _l("answered"),
    InboundStatus.CLOSED: LazyString(lambda: pgettext("inbound SMS status", "closed")),
    InboundStatus.AUTOMATIC: _l("automatic"),
}
INBOUND_STATUS_BADGES = {
    InboundStatus.NEW: "badge-danger",
    InboundStatus.ANSWERED: "badge-success",
    InboundStatus.CLOSED: "badge-secondary",
    InboundStatus.AUTOMATIC: "badge-light border",
}
CHANNEL_LABELS = {"sms": _l("SMS"), "email": _l("email")}
PURPOSE_LABELS = {
    Purpose.CAMPAIGN: _l("campaign"),
    Purpose.REMINDER: _l("reminder"),
    Purpose.NOTICE: _l("account notice"),
    Purpose.STAFF: _l("staff notification"),
    Purpose.REPLY: _l("reply"),
    Purpose.VERIFICATION: _l("verification code"),
    Purpose.TEST: _l("test"),
}
KEYWORD_LABELS = {"stop": "STOP", "start": "START", "help": "POMOC"}
OPTOUT_SOURCE_LABELS = {
    "sms": _l("SMS reply"),
    "email-link": _l("unsubscribe link"),
    "staff": _l("office staff"),
    "portal": _l("business portal"),
}


def label(labels: dict, value: Any) -> str:
    """The translated label of a coded value, or the code itself when unknown."""
    return str(labels.get(value, value or ""))


def badge(labels: dict, badges: dict, value: Any) -> Markup:
    """A coloured badge that also carries the label, so colour is never the only signal."""
    return Markup('<span class="badge {}" data-status="{}">{}</span>').format(
        badges.get(value, "badge-light border"), value or "", label(labels, value)
    )


def message_status_badge(status: str) -> Markup:
    """The badge of a message status."""
    return badge(MESSAGE_STATUS_LABELS, MESSAGE_STATUS_BADGES, status)


def inbound_status_badge(status: str) -> Markup:
    """The badge of an inbound SMS status."""
    return badge(INBOUND_STATUS_LABELS, INBOUND_STATUS_BADGES, status)


def show_address(channel: str, address: str | None) -> str:
    """A phone the Polish way (`+48 600 100 200`), an email address as it is."""
    if not address:
        return ""
    return format_phone(address) if channel == "sms" and address.startswith("+") else address


def instant_formatter(view, context, model, name) -> str:
    """Column formatter: a stored instant in Warsaw time."""
    return format_instant(getattr(model, name))


def shortened(text: str | None, limit: int) -> Markup | str:
    """A long text cut to `limit` characters for a list column, whole in its tooltip."""
    if not text:
        return ""
    short = text if len(text) <= limit else text[: limit - 3] + "…"
    return Markup('<span title="{}">{}</span>').format(text, short)
