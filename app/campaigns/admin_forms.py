"""The forms of the campaigns admin: composing a campaign or a template, and the workflow buttons."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, Optional

from app.accounts.models import CampaignCategory, Unit
from app.audiences.admin_segment_form import list_choices
from app.audiences.models import Segment
from app.campaigns.labels import CATEGORY_LABELS, CHANNEL_MODE_LABELS
from app.campaigns.models import Campaign, ChannelMode
from app.core.clock import to_warsaw, utcnow, warsaw_to_utc
from app.core.extensions import db

#: The texts of a campaign or template, as the form fields and the model name them.
CONTENT_FIELDS = ("sms_text", "email_subject", "email_text", "email_html")
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
SEND_NOW, SEND_AT = "now", "at"


def optional_id(value: Any) -> int | None:
    """A select's value as an id, or None for the empty choice."""
    if value in (None, "", "None"):
        return None
    return int(value)


def blank_to_none(value: str | None) -> str | None:
    """A text field's value, None when it holds only spaces."""
    return value if value and value.strip() else None


def category_choices() -> list[tuple[str, str]]:
    """The campaign categories with their labels."""
    return [(str(k), str(v)) for k, v in CATEGORY_LABELS.items()]


def mode_choices() -> list[tuple[str, str]]:
    """The channel modes with their labels."""
    return [(str(k), str(v)) for k, v in CHANNEL_MODE_LABELS.items()]


class ContentForm(FlaskForm):
    """The channel choice and texts shared by campaigns and templates."""

    channel_mode = RadioField(_l("Channels"), default=ChannelMode.SMS)
    sms_text = TextAreaField(_l("SMS text"), validators=[Optional(), Length(max=2000)],
                             render_kw={"rows": 4})
    sms_transliterate = BooleanField(_l("Send the SMS without Polish letters (transliterated)"))
    email_subject = StringField(_l("Email subject"), validators=[Optional(), Length(max=200)])
    email_text = TextAreaField(_l("Email text (plain)"), validators=[Optional(), Length(max=50_000)],
                               render_kw={"rows": 8})
    email_html = TextAreaField(_l("Email HTML (optional; made from the plain text when empty)"),
                               validators=[Optional(), Length(max=200_000)], render_kw={"rows": 6})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channel_mode.choices = mode_choices()

    def content_values(self) -> dict[str, Any]:
        """The channel mode and texts, blank texts as None."""
        values: dict[str, Any] = {"channel_mode": self.channel_mode.data}
        for name in CONTENT_FIELDS:
            values[name] = blank_to_none(getattr(self, name).data)
        return values

    def show_errors(self, errors: dict[str, list[str]]) -> None:
        """Put the problems of the texts (field -> messages) at their fields."""
        for name, messages in errors.items():
            field = getattr(self, name, None)
            if field is not None:
                field.errors = [*field.errors, *messages]


class CampaignForm(ContentForm):
    """A draft campaign: what, to whom, when, and its texts."""

    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Give the campaign a name.")),
                                               Length(max=160)])
    category = SelectField(_l("Category"), default=CampaignCategory.OTHER)
    urgent = BooleanField(_l("Urgent alert (natural disasters only): no quiet hours, no opt-outs by category"))
    unit_id = SelectField(_l("Sent in the name of"), coerce=optional_id, validate_choice=True)
    segment_id = SelectField(_l("Segment"), coerce=optional_id, validate_choice=True)
    include_list_ids = SelectMultipleField(_l("Also send to the contractors on these lists"), coerce=int)
    exclude_list_ids = SelectMultipleField(_l("Leave out the contractors on these lists"), coerce=int)
    send_mode = RadioField(_l("When"), default=SEND_NOW, choices=[
        (SEND_NOW, _l("As soon as it is approved")), (SEND_AT, _l("At a chosen time (Warsaw time)"))])
    send_at = DateTimeLocalField(_l("Send at"), format=LOCAL_FORMAT, validators=[Optional()])
    expires_at = DateTimeLocalField(_l("Do not send after (optional)"), format=LOCAL_FORMAT,
                                    validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = category_choices()
        self.unit_id.choices = [("", _("the office (default sender)"))] + [
            (str(u.id), u.name) for u in db.session.scalars(
                select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.name))]
        self.segment_id.choices = [("", _("— no segment —"))] + [
            (str(s.id), s.name) for s in db.session.scalars(select(Segment).order_by(Segment.name))]
        lists = [(str(i), name) for i, name in list_choices()]
        self.include_list_ids.choices = lists
        self.exclude_list_ids.choices = lists

    def validate_send_at(self, field: Any) -> None:
        """A chosen time is required with "at a chosen time", and lies ahead."""
        if self.send_mode.data != SEND_AT:
            return
        if field.data is None:
            raise ValidationError(_("Choose the date and time of sending."))
        if warsaw_to_utc(field.data) <= utcnow():
            raise ValidationError(_("Choose a time in the future."))

    def validate_expires_at(self, field: Any) -> None:
        """The expiry lies ahead, and after the time of sending."""
        if field.data is None:
            return
        expires = warsaw_to_utc(field.data)
        if expires <= utcnow():
            raise ValidationError(_("Choose a time in the future."))
        if self.send_mode.data == SEND_AT and self.send_at.data and expires <= warsaw_to_utc(self.send_at.data):
            raise ValidationError(_("Choose a time after the time of sending."))

    def validate_exclude_list_ids(self, field: Any) -> None:
        """A list is either included or excluded."""
        if set(field.data or ()) & set(self.include_list_ids.data or ()):
            raise ValidationError(_("A list cannot be both included and excluded."))

    def draft_values(self) -> dict[str, Any]:
        """The values `workflow.create_draft` / `update_draft` take."""
        send_at = warsaw_to_utc(self.send_at.data) if self.send_mode.data == SEND_AT and self.send_at.data else None
        return {
            "name": self.name.data.strip(),
            "category": self.category.data,
            "urgent": bool(self.urgent.data),
            "unit_id": self.unit_id.data,
            "segment_id": self.segment_id.data,
            "include_list_ids": list(self.include_list_ids.data or []),
            "exclude_list_ids": list(self.exclude_list_ids.data or []),
            "send_at": send_at,
            "expires_at": warsaw_to_utc(self.expires_at.data) if self.expires_at.data else None,
            "sms_transliterate": bool(self.sms_transliterate.data),
            **self.content_values(),
        }


def local_time(instant: datetime | None) -> datetime | None:
    """A stored instant as the naive Warsaw time a datetime-local field shows."""
    local = to_warsaw(instant)
    return local.replace(tzinfo=None) if local else None


def campaign_data(campaign: Campaign) -> dict[str, Any]:
    """A campaign as the form's initial data."""
    return {
        "name": campaign.name, "category": campaign.category, "urgent": campaign.urgent,
        "unit_id": campaign.unit_id, "segment_id": campaign.segment_id,
        "include_list_ids": list(campaign.include_list_ids or []),
        "exclude_list_ids": list(campaign.exclude_list_ids or []),
        "send_mode": SEND_AT if campaign.send_at else SEND_NOW,
        "send_at": local_time(campaign.send_at), "expires_at": local_time(campaign.expires_at),
        "channel_mode": campaign.channel_mode, "sms_transliterate": campaign.sms_transliterate,
        **{name: getattr(campaign, name) for name in CONTENT_FIELDS},
    }


class TemplateForm(ContentForm):
    """A reusable campaign template: name, category, description and texts."""

    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Give the template a name.")),
                                               Length(max=120)])
    category = SelectField(_l("Category"), default=CampaignCategory.OTHER)
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)],
                                render_kw={"rows": 2})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = category_choices()

    def template_values(self) -> dict[str, Any]:
        """The values the template service saves."""
        return {"name": self.name.data.strip(), "category": self.category.data,
                "description": blank_to_none(self.description.data), **self.content_values()}


class ActionForm(FlaskForm):
    """A workflow button: nothing but the CSRF token."""


class RejectForm(FlaskForm):
    """Sending a campaign back to its author, with the reason."""

    note = TextAreaField(_l("What should change"), validators=[
        DataRequired(message=_l("Say what should change.")), Length(max=2000)], render_kw={"rows": 3})


class RescheduleForm(FlaskForm):
    """Moving a scheduled campaign to another time, or to now."""

    send_mode = RadioField(_l("When"), default=SEND_AT, choices=[
        (SEND_NOW, _l("Now")), (SEND_AT, _l("At a chosen time (Warsaw time)"))])
    send_at = DateTimeLocalField(_l("Send at"), format=LOCAL_FORMAT, validators=[Optional()])

    validate_send_at = CampaignForm.validate_send_at

    def send_at_utc(self) -> datetime | None:
        """The new time in UTC (None: now)."""
        return warsaw_to_utc(self.send_at.data) if self.send_mode.data == SEND_AT else None
