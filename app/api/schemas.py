"""Fields and schemas every resource shares: safe text, amounts, UTC instants, errors, pages."""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from app.core.clock import as_utc

#: Page sizes a list answers with.
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
#: The largest id a path may name (ids are 32-bit on every database we run on).
MAX_ID = 2_147_483_647
MAX_AMOUNT = Decimal("999999999999.99")


class Text(fields.String):
    """A string without control characters (new lines allowed where `multiline`), trimmed."""

    def __init__(self, *args: Any, multiline: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.multiline = multiline

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        allowed = {"\n", "\r", "\t"} if self.multiline else set()
        for ch in text:
            if ch not in allowed and unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"):
                raise ValidationError("Contains a control or invalid character.")
        return text.strip()


def text(max_length: int, *, required: bool = False, multiline: bool = False, **kwargs: Any) -> Text:
    """A text field of at most `max_length` characters (required ones not empty)."""
    minimum = 1 if required else 0
    return Text(required=required, allow_none=not required, multiline=multiline,
                validate=validate.Length(min=minimum, max=max_length), **kwargs)


class Amount(fields.Decimal):
    """Money as a string with two decimal places (`"1234.50"`), never a float."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validate", validate.Range(min=Decimal("0"), max=MAX_AMOUNT))
        kwargs.setdefault("metadata", {"pattern": r"^[0-9]{1,12}(\.[0-9]{1,2})?$", "example": "123.45"})
        super().__init__(places=2, as_string=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or isinstance(value, float):
            raise ValidationError("Send amounts as strings or integers, e.g. \"123.45\".")
        if isinstance(value, str) and not value.replace(".", "", 1).lstrip("-").isdigit():
            raise ValidationError("Not an amount, e.g. \"123.45\".")
        number = super()._deserialize(value, attr, data, **kwargs)
        if number != number.quantize(Decimal("0.01")):
            raise ValidationError("At most two decimal places.")
        return number


class SignedAmount(Amount):
    """An amount that may be negative (a balance: negative is an overpayment)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=None, metadata={"example": "-12.50"}, **kwargs)


class Instant(fields.DateTime):
    """A UTC instant in ISO 8601 with its offset (the database may drop the zone)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else as_utc(value).isoformat()


class ErrorSchema(Schema):
    """An error: a stable code, a message for people, and the fields at fault."""

    code = fields.String(required=True, metadata={"description": "stable, e.g. validation_error"})
    message = fields.String(required=True)
    fields = fields.Dict(metadata={"description": "field -> messages (nested for items)"})


class PageQuery(Schema):
    """Which page of a list."""

    class Meta:
        unknown = EXCLUDE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=DEFAULT_PER_PAGE, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class PageSchema(Schema):
    """A page of a list: the items with the position among all."""

    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    pages = fields.Integer(required=True)


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    """The page envelope schema of a list of `item_schema`."""
    return type(name, (PageSchema,), {"items": fields.List(fields.Nested(item_schema), required=True),
                                      "__doc__": f"A page of {item_schema.__name__.removesuffix('Schema')}."})


class ItemErrorSchema(Schema):
    """Why one item of a bulk request was refused (the others were taken)."""

    index = fields.Integer(required=True, metadata={"description": "position in `items`, from 0"})
    legacy_id = fields.String(allow_none=True)
    field = fields.String(allow_none=True)
    value = fields.String(allow_none=True)
    reason = fields.String(required=True)


class BulkResultSchema(Schema):
    """What a bulk upsert did: counts, the changes found, and the refused items."""

    import_run_id = fields.Integer(required=True, metadata={"description": "its report in Import reports"})
    received = fields.Integer(required=True)
    inserted = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
    rejected = fields.Integer(required=True)
    changes = fields.Integer(required=True, metadata={"description": "change events recorded"})
    errors = fields.List(fields.Nested(ItemErrorSchema), required=True)
