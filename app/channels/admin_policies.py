"""Channel policies in the admin: a unit's own SMS sender, length limit, STOP rule and help text."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField, TextAreaField, ValidationError
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.accounts.models import Unit
from app.channels.models import ChannelPolicy
from app.channels.sms_text import measure, transliterate
from app.core import audit
from app.core.admin import SecureModelView, staff_id, staff_label
from app.core.extensions import db
from app.core.roles import Role

MAX_PARTS_LIMIT = 10
#: An alphanumeric sender: plain letters, digits, space, dot or dash, at least one letter.
SENDER = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 .\-]{1,11}")


def validate_sender(form: Any, field: Any) -> None:
    """WTForms validator: a sender name SMS networks accept."""
    value = (field.data or "").strip()
    field.data = value or None
    if value and not SENDER.fullmatch(value):
        raise ValidationError(
            _(
                "The sender name “%(value)s” cannot be used: at most 11 characters, letters without "
                "Polish diacritics, digits, space, dot or dash, and at least one letter.",
                value=value,
            )
        )


def validate_help_text(form: Any, field: Any) -> None:
    """WTForms validator: the answer to POMOC fits in the unit's number of SMS parts."""
    value = (field.data or "").strip()
    field.data = value or None
    if not value:
        return
    text = transliterate(value) if form.sms_transliterate.data else value
    size = measure(text)
    max_parts = form.sms_max_parts.data or current_app.config["SMS_MAX_PARTS"]
    if size.parts > max_parts:
        raise ValidationError(
            _(
                "The help text needs %(parts)d SMS parts (%(encoding)s), more than the %(max)d allowed.",
                parts=size.parts,
                encoding=size.encoding,
                max=max_parts,
            )
        )


def _unit_choices() -> list[tuple[int, str]]:
    units = db.session.scalars(select(Unit).order_by(Unit.name)).all()
    return [(u.id, f"{u.name} ({u.code})") for u in units]


def _unit_name(view, context, model, name):
    unit = db.session.get(Unit, model.unit_id)
    return unit.name if unit else model.unit_id


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def _office_default(value: Any) -> str:
    return str(value) if value not in (None, "") else _("office default")


class ChannelPolicyView(SecureModelView):
    """Per-unit SMS settings; units without a policy use the office defaults."""

    required_roles = (Role.ADMIN,)
    can_view_details = False
    list_template = "channels/policy_list.html"
    column_list = (
        "unit_id",
        "sms_sender",
        "sms_transliterate",
        "sms_max_parts",
        "urgent_ignores_stop",
        "help_text",
    )
    column_labels = {
        "unit_id": _l("Unit"),
        "sms_sender": _l("SMS sender"),
        "sms_transliterate": _l("Without Polish letters"),
        "sms_max_parts": _l("Most SMS parts"),
        "urgent_ignores_stop": _l("Urgent alerts reach STOP numbers"),
        "help_text": _l("Answer to POMOC"),
    }
    column_descriptions = {
        "sms_transliterate": _l(
            "Replace ą, ć, ę, ł, ń, ó, ś, ź, ż with plain letters: an SMS part then "
            "holds 153-160 characters instead of 67-70."
        ),
        "urgent_ignores_stop": _l(
            "Disaster alerts marked urgent still reach numbers that sent STOP."
        ),
    }
    column_formatters = {
        "unit_id": _unit_name,
        "sms_sender": lambda v, c, m, n: _office_default(m.sms_sender),
        "sms_max_parts": lambda v, c, m, n: _office_default(m.sms_max_parts),
        "sms_transliterate": lambda v, c, m, n: _yes_no(m.sms_transliterate),
        "urgent_ignores_stop": lambda v, c, m, n: _yes_no(m.urgent_ignores_stop),
        "help_text": lambda v, c, m, n: _office_default(m.help_text),
    }
    form_columns = (
        "unit_id",
        "sms_sender",
        "sms_transliterate",
        "sms_max_parts",
        "urgent_ignores_stop",
        "help_text",
    )
    form_extra_fields = {
        "unit_id": SelectField(_l("Unit"), coerce=int, validators=[InputRequired()]),
        "help_text": TextAreaField(
            _l("Answer to POMOC"),
            validators=[Length(max=480), validate_help_text],
            render_kw={"rows": 3},
        ),
    }
    form_args = {
        "sms_sender": {
            "validators": [Optional(), validate_sender],
            "description": _l("The registered sender name, e.g. UMElk. Empty: the office default."),
        },
        "sms_max_parts": {
            "validators": [
                Optional(),
                NumberRange(min=1, max=MAX_PARTS_LIMIT, message=_l("Enter a number from 1 to 10.")),
            ],
            "description": _l("1 to 10. Longer messages are refused. Empty: the office default."),
        },
    }

    def render(self, template: str, **kwargs: Any) -> str:
        """The list states the office defaults the units without a policy use."""
        config = current_app.config
        kwargs.setdefault("office_sender", config["SMS_SENDER"] or _("the provider's default"))
        kwargs.setdefault("office_max_parts", config["SMS_MAX_PARTS"])
        return super().render(template, **kwargs)

    def create_form(self, obj: Any = None):
        """The unit list offers only units without a policy yet."""
        form = super().create_form(obj)
        taken = set(db.session.scalars(select(ChannelPolicy.unit_id)))
        form.unit_id.choices = [c for c in _unit_choices() if c[0] not in taken]
        return form

    def edit_form(self, obj: Any = None):
        """A policy stays with its unit."""
        form = super().edit_form(obj)
        form.unit_id.choices = [
            c for c in _unit_choices() if obj is not None and c[0] == obj.unit_id
        ]
        return form

    def on_model_change(self, form: Any, model: ChannelPolicy, is_created: bool) -> None:
        """Refuse a second policy for a unit; audit what was set."""
        query = select(ChannelPolicy.id).where(ChannelPolicy.unit_id == model.unit_id)
        if model.id is not None:
            query = query.where(ChannelPolicy.id != model.id)
        with db.session.no_autoflush:
            other = db.session.scalar(query)
        if other is not None:
            raise ValidationError(_("This unit already has a channel policy: edit that one."))
        db.session.flush()
        audit.record(
            "channel_policy.created" if is_created else "channel_policy.updated",
            actor_type="staff",
            actor_id=staff_id(),
            actor_label=staff_label(),
            target=f"unit:{model.unit_id}",
            sms_sender=model.sms_sender,
            sms_transliterate=model.sms_transliterate,
            sms_max_parts=model.sms_max_parts,
            urgent_ignores_stop=model.urgent_ignores_stop,
            help_text=model.help_text,
        )

    def on_model_delete(self, model: ChannelPolicy) -> None:
        """Audit the return of a unit to the office defaults."""
        audit.record(
            "channel_policy.deleted",
            actor_type="staff",
            actor_id=staff_id(),
            actor_label=staff_label(),
            target=f"unit:{model.unit_id}",
        )
