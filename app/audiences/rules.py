"""Segment rules: a tree of all / any / not over conditions, validated against the catalogue.

JSON form::

    {"all": [{"field": "district", "op": "in", "value": ["Centrum", "Zatorze"]},
             {"not": {"field": "has_arrears", "op": "is_true"}},
             {"any": [...]}]}

`parse_rule` checks every node with marshmallow and the catalogue and returns typed nodes;
every problem is reported with the path of its node (`all[1].value`), not only the first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from app.audiences.catalogue import (
    DAYS,
    MANY_VALUES,
    NO_VALUE,
    TWO_VALUES,
    Field,
    FieldType,
    catalogue,
)

MAX_DEPTH = 8
MAX_CONDITIONS = 100
MAX_VALUES = 1000
MAX_DAYS = 3650


class RuleError(ValueError):
    """A rule that cannot be used; `errors` maps each bad node's path to what is wrong."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{path}: {message}" for path, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Condition:
    """One test of one field; `value` is typed (str, Decimal, date, int, bool or a tuple)."""

    field: Field
    op: str
    value: Any = None


@dataclass(frozen=True)
class Group:
    """All (`all`) or any (`any`) of the children hold; an empty `all` holds for everyone."""

    mode: str
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Negation:
    """The child does not hold."""

    child: Node


Node = Condition | Group | Negation


class ConditionSchema(Schema):
    """The shape of one condition; the value is checked against the field's type afterwards."""

    class Meta:
        unknown = EXCLUDE

    field = fields.String(required=True, validate=validate.Length(min=1, max=60, error=_l("Choose a field.")),
                          error_messages={"required": _l("Choose a field."), "null": _l("Choose a field."),
                                          "invalid": _l("Expected the key of a field.")})
    op = fields.String(required=True, validate=validate.Length(min=1, max=30, error=_l("Choose an operator.")),
                       error_messages={"required": _l("Choose an operator."), "null": _l("Choose an operator."),
                                       "invalid": _l("Expected the key of an operator.")})
    value = fields.Raw(load_default=None, allow_none=True)


def parse_rule(data: Any, fields_by_key: Mapping[str, Field] | None = None) -> Node:
    """Validate a rule in its JSON form and return its typed tree; RuleError names every problem."""
    parser = _Parser(fields_by_key if fields_by_key is not None else catalogue())
    node = parser.node(data, "rule", 0)
    if parser.conditions > MAX_CONDITIONS:
        parser.errors["rule"] = _("A rule may have at most %(n)d conditions.", n=MAX_CONDITIONS)
    if parser.errors:
        raise RuleError(parser.errors)
    return node


class _Parser:
    def __init__(self, fields_by_key: Mapping[str, Field]) -> None:
        self.fields = fields_by_key
        self.errors: dict[str, str] = {}
        self.conditions = 0

    def node(self, data: Any, path: str, depth: int) -> Node | None:
        if depth > MAX_DEPTH:
            self.errors[path] = _("Groups may be nested at most %(n)d deep.", n=MAX_DEPTH)
            return None
        if not isinstance(data, dict):
            self.errors[path] = _("Expected a condition or a group (an object), got %(v)s.",
                                  v=_shown(data))
            return None
        groups = [key for key in ("all", "any", "not") if key in data]
        if len(groups) > 1 or (groups and "field" in data):
            self.errors[path] = _("A node is either one group (all, any, not) or one condition.")
            return None
        if groups == ["not"]:
            child = self.node(data["not"], f"{path}.not", depth + 1)
            return Negation(child) if child is not None else None
        if groups:
            mode = groups[0]
            items = data[mode]
            if not isinstance(items, list):
                self.errors[f"{path}.{mode}"] = _("Expected a list of conditions.")
                return None
            children = [self.node(item, f"{path}.{mode}[{i}]", depth + 1) for i, item in enumerate(items)]
            if mode == "any" and not items:
                self.errors[f"{path}.any"] = _("An 'any' group needs at least one condition.")
            return Group(mode, tuple(c for c in children if c is not None))
        return self.condition(data, path)

    def condition(self, data: dict, path: str) -> Condition | None:
        self.conditions += 1
        try:
            loaded = ConditionSchema().load(data)
        except ValidationError as exc:
            for name, messages in exc.normalized_messages().items():
                self.errors[f"{path}.{name}"] = " ".join(str(m) for m in messages)
            return None
        field = self.fields.get(loaded["field"])
        if field is None:
            self.errors[f"{path}.field"] = _("Unknown field %(f)s.", f=_shown(loaded["field"]))
            return None
        op = loaded["op"]
        if op not in field.allowed_operators():
            self.errors[f"{path}.op"] = _(
                "Operator %(op)s does not fit field %(f)s (%(t)s); use one of: %(ops)s.",
                op=_shown(op), f=field.key, t=str(field.type), ops=", ".join(field.allowed_operators()))
            return None
        try:
            value = _value(field, op, loaded["value"])
        except ValueError as exc:
            self.errors[f"{path}.value"] = str(exc)
            return None
        return Condition(field, op, value)


def _value(field: Field, op: str, raw: Any) -> Any:
    """The typed value of a condition; ValueError saying what is wrong with `raw`."""
    if op in NO_VALUE:
        if raw not in (None, "", []):
            raise ValueError(_("Operator %(op)s takes no value, got %(v)s.", op=op, v=_shown(raw)))
        return None
    if op in DAYS:
        return _days(raw)
    if op in MANY_VALUES:
        if not isinstance(raw, list) or not raw:
            raise ValueError(_("Expected a non-empty list of values, got %(v)s.", v=_shown(raw)))
        if len(raw) > MAX_VALUES:
            raise ValueError(_("At most %(n)d values.", n=MAX_VALUES))
        return tuple(dict.fromkeys(_scalar(field, item) for item in raw))
    if op in TWO_VALUES:
        if not isinstance(raw, list) or len(raw) != 2:
            raise ValueError(_("Expected two values (from, to), got %(v)s.", v=_shown(raw)))
        low, high = _scalar(field, raw[0]), _scalar(field, raw[1])
        if low > high:
            raise ValueError(_("The range is reversed: %(a)s is after %(b)s.", a=raw[0], b=raw[1]))
        return (low, high)
    if isinstance(raw, list):
        raise ValueError(_("Expected one value, got a list %(v)s.", v=_shown(raw)))
    return _scalar(field, raw)


def _scalar(field: Field, raw: Any) -> Any:
    if field.type == FieldType.NUMBER:
        return _number(raw, integer=field.integer)
    if field.type == FieldType.DATE:
        return _date(raw)
    if not isinstance(raw, str | int) or isinstance(raw, bool):
        raise ValueError(_("Expected text, got %(v)s.", v=_shown(raw)))
    text = str(raw).strip()
    if not text:
        raise ValueError(_("The value is empty."))
    if len(text) > 255:
        raise ValueError(_("The value is longer than 255 characters."))
    if field.type == FieldType.CHOICE and field.options and text not in {v for v, _l in field.options}:
        raise ValueError(_("%(v)s is not an option of %(f)s.", v=_shown(text), f=field.key))
    if field.type == FieldType.LIST:
        text = text.replace(" ", "")
        if "," in text:
            raise ValueError(_("An item may not contain a comma: %(v)s.", v=_shown(raw)))
    return text


def _number(raw: Any, *, integer: bool) -> Decimal | int:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueError(_("Expected a number, got %(v)s.", v=_shown(raw)))
    text = str(raw).strip().replace(" ", "").replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("Expected a number, got %(v)s.", v=_shown(raw))) from None
    if not number.is_finite() or abs(number) >= Decimal("1e12"):
        raise ValueError(_("The number %(v)s is out of range.", v=_shown(raw)))
    if integer:
        if number != number.to_integral_value():
            raise ValueError(_("Expected a whole number, got %(v)s.", v=_shown(raw)))
        return int(number)
    return number.quantize(Decimal("0.0001"))


def _date(raw: Any) -> date:
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            pass
    raise ValueError(_("Expected a date as YYYY-MM-DD, got %(v)s.", v=_shown(raw)))


def _days(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise ValueError(_("Expected a number of days, got %(v)s.", v=_shown(raw)))
    try:
        days = int(str(raw).strip())
    except ValueError:
        raise ValueError(_("Expected a number of days, got %(v)s.", v=_shown(raw))) from None
    if not 0 <= days <= MAX_DAYS:
        raise ValueError(_("The number of days must be from 0 to %(n)d.", n=MAX_DAYS))
    return days


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def rule_to_json(node: Node) -> dict:
    """The JSON form of a typed rule (values as strings, dates ISO), as stored and exported."""
    if isinstance(node, Negation):
        return {"not": rule_to_json(node.child)}
    if isinstance(node, Group):
        return {node.mode: [rule_to_json(child) for child in node.children]}
    result: dict[str, Any] = {"field": node.field.key, "op": node.op}
    if node.value is not None:
        result["value"] = _plain(node.value)
    return result


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return value
