"""Opt-outs in the admin: who asked for no more messages; staff add and withdraw them."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, g, redirect
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from wtforms import SelectField, StringField, ValidationError
from wtforms.validators import DataRequired, Length

from app.accounts.contacts import ContactError, normalise_email, normalise_phone
from app.channels.admin_filters import PhoneSearchMixin
from app.channels.admin_labels import (
    CHANNEL_LABELS,
    OPTOUT_SOURCE_LABELS,
    instant_formatter,
    label,
    show_address,
)
from app.channels.models import OptOut
from app.channels.optouts import opt_in, opt_out
from app.core.admin import SecureModelView, label_options
from app.core.extensions import db
from app.core.roles import Role

STAFF_SOURCE = "staff"


class OptOutForm(FlaskForm):
    """A phone number or email address that must receive no more non-urgent messages."""

    channel = SelectField(
        _l("Channel"), choices=[("sms", _l("SMS")), ("email", _l("email"))], default="sms"
    )
    address = StringField(
        _l("Phone number or email address"),
        validators=[
            DataRequired(message=_l("Enter a phone number or an email address.")),
            Length(max=255),
        ],
    )

    def validate_address(self, field: Any) -> None:
        """Keep the address the way the outbox stores it; name the value when it is unusable."""
        value = (field.data or "").strip()
        try:
            if self.channel.data == "sms":
                field.data = normalise_phone(
                    value, region=current_app.config["DEFAULT_PHONE_REGION"]
                )
            else:
                field.data = normalise_email(value)
        except ContactError as exc:
            if self.channel.data == "sms":
                message = _("“%(value)s” is not a valid phone number.", value=value)
            else:
                message = _("“%(value)s” is not a valid email address.", value=value)
            raise ValidationError(message) from exc


class WithdrawForm(FlaskForm):
    """Withdrawing an opt-out (only the CSRF token)."""


def _address(view, context, model, name):
    return show_address(model.channel, model.address)


def _withdraw_button(view, context, model, name):
    return Markup(
        '<form method="post" action="{}" class="d-inline">'
        '<input type="hidden" name="csrf_token" value="{}">'
        '<button type="submit" class="btn btn-sm btn-outline-secondary" title="{}">{}</button>'
        "</form>"
    ).format(
        view.get_url(".withdraw_view", optout_id=model.id),
        context.get("withdraw_token") or "",
        _(
            "Messages will reach %(address)s again",
            address=show_address(model.channel, model.address),
        ),
        _("Withdraw"),
    )


class OptOutView(PhoneSearchMixin, SecureModelView):
    """Addresses that asked not to receive messages (SMS STOP, unsubscribe link, staff)."""

    required_roles = (Role.ADMIN, Role.COMMUNICATOR)
    can_create = False
    can_edit = False
    can_delete = False
    column_display_actions = False
    list_template = "channels/optout_list.html"
    column_list = ("address", "channel", "source", "recorded_at", "withdraw")
    column_sortable_list = ("address", "channel", "source", "recorded_at")
    column_default_sort = ("recorded_at", True)
    column_searchable_list = ("address",)
    column_labels = {
        "address": _l("Phone number or email address"),
        "channel": _l("Channel"),
        "source": _l("How it was asked"),
        "recorded_at": _l("Since"),
        "withdraw": "",
    }
    column_formatters = {
        "address": _address,
        "channel": lambda v, c, m, n: label(CHANNEL_LABELS, m.channel),
        "source": lambda v, c, m, n: label(OPTOUT_SOURCE_LABELS, m.source),
        "recorded_at": instant_formatter,
        "withdraw": _withdraw_button,
    }
    column_filters = (
        FilterEqual(OptOut.channel, _l("Channel"), options=label_options(CHANNEL_LABELS)),
        FilterEqual(
            OptOut.source, _l("How it was asked"), options=label_options(OPTOUT_SOURCE_LABELS)
        ),
    )

    def render(self, template: str, **kwargs: Any) -> str:
        """The list carries the form to add an opt-out (kept with its errors after a refusal)."""
        if template == self.list_template:
            kwargs["add_form"] = g.pop("optout_form", None) or OptOutForm(formdata=None)
            kwargs["withdraw_token"] = generate_csrf()
        return super().render(template, **kwargs)

    @expose("/add/", methods=["POST"])
    def add_view(self):
        """Opt an address out on behalf of its owner (a phone call, a letter)."""
        form = OptOutForm()
        if not form.validate_on_submit():
            g.optout_form = form
            return self.index_view()
        shown = show_address(form.channel.data, form.address.data)
        if opt_out(
            form.channel.data, form.address.data, STAFF_SOURCE, staff_user_id=current_user.id
        ):
            flash(_("%(address)s will receive no more messages.", address=shown), "success")
        else:
            flash(_("%(address)s had already opted out.", address=shown), "info")
        return redirect(self.get_url(".index_view"))

    @expose("/<int:optout_id>/withdraw/", methods=["POST"])
    def withdraw_view(self, optout_id: int):
        """Withdraw an opt-out: messages reach the address again."""
        if not WithdrawForm().validate_on_submit():
            abort(400)
        row = db.session.get(OptOut, optout_id)
        if row is None:
            abort(404)
        channel, address = row.channel, row.address
        opt_in(channel, address, STAFF_SOURCE, staff_user_id=current_user.id)
        flash(
            _("%(address)s will receive messages again.", address=show_address(channel, address)),
            "success",
        )
        return redirect(self.get_url(".index_view"))
