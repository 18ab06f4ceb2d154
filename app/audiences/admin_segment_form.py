"""What the segment editor sends: the form of a segment and the audience of the live count, validated.

Both are hostile input: the rule is parsed by `parse_rule`, list ids must name existing lists,
and every problem is reported by the path the rule builder shows it at (`rule.all[1].value`).
"""

from __future__ import annotations

import json
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import HiddenField, SelectMultipleField, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Length, Optional

from app.audiences.audience import Audience
from app.audiences.models import Segment, StaticList
from app.audiences.rules import RuleError
from app.core.extensions import db

MAX_RULE_CHARS = 200_000
MAX_LISTS = 50
INCLUDE, EXCLUDE = "include_lists", "exclude_lists"


class AudienceInputError(ValueError):
    """An audience that cannot be counted or saved; `errors` maps paths to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def read_audience(data: Any) -> Audience:
    """The audience described by `{"rule": ..., "include_lists": [...], "exclude_lists": [...]}`."""
    if not isinstance(data, dict):
        raise AudienceInputError({"request": _(
            "Expected a JSON object with a rule, included lists and excluded lists.")})
    errors: dict[str, str] = {}
    rule = data.get("rule")
    if rule is not None and not isinstance(rule, dict):
        errors["rule"] = _("The rule must be an object (a group or a condition) or null.")
        rule = None
    include = _list_ids(data.get(INCLUDE, []), INCLUDE, errors)
    exclude = _list_ids(data.get(EXCLUDE, []), EXCLUDE, errors)
    both = set(include) & set(exclude)
    if both:
        names = ", ".join(sorted(_names(both)))
        errors[EXCLUDE] = _("A list cannot be both included and excluded: %(names)s.", names=names)
    try:
        audience = Audience.from_json(rule, include, exclude)
    except RuleError as exc:
        errors.update(exc.errors)
    if errors:
        raise AudienceInputError(errors)
    return audience


def _list_ids(raw: Any, path: str, errors: dict[str, str]) -> list[int]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in raw):
        errors[path] = _("Expected a list of list ids (whole numbers).")
        return []
    if len(raw) > MAX_LISTS:
        errors[path] = _("At most %(n)d lists.", n=MAX_LISTS)
        return []
    ids = set(raw)
    known = set(db.session.scalars(select(StaticList.id).where(StaticList.id.in_(ids)))) if ids else set()
    missing = sorted(ids - known)
    if missing:
        errors[path] = _("No static list with id %(ids)s.", ids=", ".join(map(str, missing)))
        return []
    return sorted(ids)


def _names(ids: set[int]) -> list[str]:
    return list(db.session.scalars(select(StaticList.name).where(StaticList.id.in_(ids))))


def list_choices() -> list[tuple[int, str]]:
    """Every static list, by name, for the include and exclude selects."""
    return [(row.id, row.name) for row in
            db.session.execute(select(StaticList.id, StaticList.name).order_by(StaticList.name))]


class SegmentForm(FlaskForm):
    """A segment: name, description, the builder's rule (JSON) and the lists it includes/excludes.

    After `validate()`, `audience` is the validated audience and `rule_errors` maps the paths of
    the rule's problems to messages (shown by the builder next to the conditions they name).
    """

    name = StringField(_l("Name"), validators=[
        DataRequired(message=_l("Give the segment a name.")), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)],
                                render_kw={"rows": 2})
    rule = HiddenField(default="null")
    include_lists = SelectMultipleField(_l("Include the contractors on these lists"), coerce=int,
                                        validate_choice=True)
    exclude_lists = SelectMultipleField(_l("Leave out the contractors on these lists"), coerce=int,
                                        validate_choice=True)

    def __init__(self, *args: Any, segment_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.segment_id = segment_id
        choices = list_choices()
        self.include_lists.choices = choices
        self.exclude_lists.choices = choices
        self.audience: Audience | None = None
        self.rule_errors: dict[str, str] = {}

    def validate_name(self, field: Any) -> None:
        """Names are unique, whatever the letter case."""
        field.data = (field.data or "").strip()
        query = select(Segment.id).where(func.lower(Segment.name) == field.data.lower())
        if self.segment_id is not None:
            query = query.where(Segment.id != self.segment_id)
        if db.session.scalar(query) is not None:
            raise ValidationError(_("A segment named “%(name)s” already exists.", name=field.data))

    def rule_json(self) -> Any:
        """The rule as the builder sent it (None when absent or not JSON), to rebuild the builder."""
        try:
            return json.loads(self.rule.data or "null")
        except ValueError:
            return None

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields, then the audience as a whole (the rule against the catalogue)."""
        valid = super().validate(extra_validators)
        text = self.rule.data or "null"
        if len(text) > MAX_RULE_CHARS:
            self.rule_errors = {"rule": _("The rule is too long.")}
            return False
        try:
            rule = json.loads(text)
        except ValueError as exc:
            self.rule_errors = {"rule": _("The rule is not valid JSON: %(error)s", error=str(exc))}
            return False
        try:
            self.audience = read_audience({"rule": rule, INCLUDE: self.include_lists.data or [],
                                           EXCLUDE: self.exclude_lists.data or []})
        except AudienceInputError as exc:
            self.rule_errors = {k: v for k, v in exc.errors.items() if k not in (INCLUDE, EXCLUDE)}
            for path in (INCLUDE, EXCLUDE):
                if path in exc.errors:
                    getattr(self, path).errors = [*getattr(self, path).errors, exc.errors[path]]
            return False
        return valid

    def description_value(self) -> str | None:
        """The description, or None when blank."""
        return (self.description.data or "").strip() or None
