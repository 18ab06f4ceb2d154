"""The fields a segment rule can test, their types and the operators each type takes.

Meaning of the rules, the same on every database:
- A contractor cancelled in the legacy system is never a member.
- A test of a value the contractor does not have (no district, no such attribute) is false, except
  `is_empty`; `ne`, `not_in` and `has_none` are the exact opposites of `eq`, `in` and `has_any`,
  so they hold for a missing value.
- Text tests `contains` and `starts_with` ignore letter case; `eq` and `in` do not.
- A list attribute holds comma-separated items; items are compared without spaces.
- Facts about obligations count only active ones; an obligation is unpaid while the allocations
  of active payments to it are less than its amount, overdue when unpaid after its due date.
- Relative dates count whole days in Warsaw from the day the rule is evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import (
    AttributeDefinition,
    AttributeType,
    ContractorKind,
    ObligationKind,
    RecordStatus,
    Unit,
)
from app.core.extensions import db


class FieldType(StrEnum):
    """Value type of a field; it decides the operators and the value input."""

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    FLAG = "flag"
    LIST = "list"  # an attribute holding a comma-separated list of items
    CHOICE = "choice"  # one of a fixed set of options


#: Operators by type, in the order the rule builder offers them.
OPERATORS: dict[FieldType, tuple[str, ...]] = {
    FieldType.TEXT: ("eq", "ne", "in", "not_in", "contains", "starts_with", "is_empty", "is_not_empty"),
    FieldType.NUMBER: ("eq", "ne", "gt", "gte", "lt", "lte", "between", "is_empty", "is_not_empty"),
    FieldType.DATE: ("on", "before", "after", "between", "within_next", "within_last",
                     "more_than_days_ago", "is_empty", "is_not_empty"),
    FieldType.FLAG: ("is_true", "is_false"),
    FieldType.LIST: ("has_any", "has_all", "has_none", "is_empty", "is_not_empty"),
    FieldType.CHOICE: ("in", "not_in"),
}

OPERATOR_LABELS = {
    "eq": _l("equals"),
    "ne": _l("differs from"),
    "in": _l("is one of"),
    "not_in": _l("is none of"),
    "contains": _l("contains"),
    "starts_with": _l("starts with"),
    "is_empty": _l("is empty"),
    "is_not_empty": _l("has a value"),
    "gt": _l("greater than"),
    "gte": _l("at least"),
    "lt": _l("less than"),
    "lte": _l("at most"),
    "between": _l("between"),
    "on": _l("on the day"),
    "before": _l("before"),
    "after": _l("after"),
    "within_next": _l("within the next days"),
    "within_last": _l("within the last days"),
    "more_than_days_ago": _l("more than days ago"),
    "is_true": _l("yes"),
    "is_false": _l("no"),
    "has_any": _l("has any of"),
    "has_all": _l("has all of"),
    "has_none": _l("has none of"),
}

#: Operators without a value, with a list of values, with two values, with a number of days.
NO_VALUE = {"is_empty", "is_not_empty", "is_true", "is_false"}
MANY_VALUES = {"in", "not_in", "has_any", "has_all", "has_none"}
TWO_VALUES = {"between"}
DAYS = {"within_next", "within_last", "more_than_days_ago"}

#: PKD 2007 sections by their first and last division.
PKD_SECTIONS: dict[str, tuple[str, str]] = {
    "A": ("01", "03"), "B": ("05", "09"), "C": ("10", "33"), "D": ("35", "35"),
    "E": ("36", "39"), "F": ("41", "43"), "G": ("45", "47"), "H": ("49", "53"),
    "I": ("55", "56"), "J": ("58", "63"), "K": ("64", "66"), "L": ("68", "68"),
    "M": ("69", "75"), "N": ("77", "82"), "O": ("84", "84"), "P": ("85", "85"),
    "Q": ("86", "88"), "R": ("90", "93"), "S": ("94", "96"), "T": ("97", "98"),
    "U": ("99", "99"),
}


@dataclass(frozen=True)
class Field:
    """A field of the catalogue: a key used in rules, its label, type, group and options."""

    key: str
    label: str
    type: FieldType
    group: str
    options: tuple[tuple[str, str], ...] = ()
    operators: tuple[str, ...] = field(default=())
    integer: bool = False  # a number field that takes whole numbers only

    def allowed_operators(self) -> tuple[str, ...]:
        """The operators this field takes (its own subset, or all of its type's)."""
        return self.operators or OPERATORS[self.type]

    def as_json(self) -> dict:
        """The field as the rule builder reads it."""
        return {
            "key": self.key,
            "label": str(self.label),
            "type": str(self.type),
            "group": str(self.group),
            "options": [{"value": v, "label": str(lbl)} for v, lbl in self.options],
            "operators": [{"key": op, "label": str(OPERATOR_LABELS[op])}
                          for op in self.allowed_operators()],
            "integer": self.integer,
        }


ATTRIBUTE_PREFIX = "attr."
_ATTRIBUTE_TYPES = {
    AttributeType.TEXT: FieldType.TEXT,
    AttributeType.NUMBER: FieldType.NUMBER,
    AttributeType.DATE: FieldType.DATE,
    AttributeType.FLAG: FieldType.FLAG,
    AttributeType.LIST: FieldType.LIST,
}

_KIND_LABELS = {
    ContractorKind.LEGAL_PERSON: _l("legal person (OP)"),
    ContractorKind.ORGANISATIONAL_UNIT: _l("organisational unit (JO)"),
    ContractorKind.SOLE_TRADER: _l("sole trader (OF)"),
}
_STATUS_LABELS = {
    RecordStatus.ACTIVE: _l("active"),
    RecordStatus.CLOSED: _l("closed"),
}
_OBLIGATION_LABELS = {
    ObligationKind.PROPERTY_TAX: _l("property tax (PON)"),
    ObligationKind.TRANSPORT_TAX: _l("transport vehicle tax (PST)"),
    ObligationKind.ALCOHOL_LICENCE: _l("alcohol licence fee (ALK)"),
    ObligationKind.PERPETUAL_USUFRUCT: _l("perpetual usufruct fee (UW)"),
    ObligationKind.LEASE_RENT: _l("lease rent (DZR)"),
    ObligationKind.REMINDER_COST: _l("formal reminder costs (KU)"),
    ObligationKind.INTEREST: _l("interest (ODS)"),
    ObligationKind.OTHER_FEE: _l("other fee (OPL)"),
}

G_CONTRACTOR = _l("Contractor")
G_ATTRIBUTES = _l("Legacy attributes")
G_ACCOUNT = _l("Account and obligations")
G_CONTACT = _l("Contact and consents")

COMPARISONS = ("eq", "ne", "gt", "gte", "lt", "lte", "between")


def _static_fields() -> list[Field]:
    f = Field
    return [
        f("kind", _l("Legal form"), FieldType.CHOICE, G_CONTRACTOR,
          tuple((str(k), lbl) for k, lbl in _KIND_LABELS.items())),
        f("status", _l("Status"), FieldType.CHOICE, G_CONTRACTOR,
          tuple((str(k), lbl) for k, lbl in _STATUS_LABELS.items())),
        f("name", _l("Name"), FieldType.TEXT, G_CONTRACTOR),
        f("nip", _l("NIP"), FieldType.TEXT, G_CONTRACTOR),
        f("district", _l("District"), FieldType.TEXT, G_CONTRACTOR),
        f("city", _l("Town"), FieldType.TEXT, G_CONTRACTOR),
        f("postal_code", _l("Postal code"), FieldType.TEXT, G_CONTRACTOR),
        f("street", _l("Street"), FieldType.TEXT, G_CONTRACTOR),
        f("pkd", _l("PKD code"), FieldType.TEXT, G_CONTRACTOR),
        f("pkd_section", _l("PKD section"), FieldType.CHOICE, G_CONTRACTOR,
          tuple((s, f"{s} ({lo}–{hi})") for s, (lo, hi) in PKD_SECTIONS.items())),
        f("balance", _l("Balance (PLN)"), FieldType.NUMBER, G_ACCOUNT, operators=COMPARISONS),
        f("has_arrears", _l("Has arrears"), FieldType.FLAG, G_ACCOUNT),
        f("days_overdue", _l("Days overdue (oldest arrear)"), FieldType.NUMBER, G_ACCOUNT,
          operators=COMPARISONS, integer=True),
        f("obligation_kind", _l("Holds obligations of kind"), FieldType.CHOICE, G_ACCOUNT,
          tuple((str(k), lbl) for k, lbl in _OBLIGATION_LABELS.items())),
        f("due_date", _l("Due date of an unpaid obligation"), FieldType.DATE, G_ACCOUNT),
        f("appointment_date", _l("Appointment at the office"), FieldType.DATE, G_ACCOUNT),
        f("unit", _l("Unit (holds obligations in)"), FieldType.CHOICE, G_ACCOUNT, _unit_options()),
        f("has_phone", _l("Has a phone"), FieldType.FLAG, G_CONTACT),
        f("has_email", _l("Has an email"), FieldType.FLAG, G_CONTACT),
        f("verified_phone", _l("Has a verified phone"), FieldType.FLAG, G_CONTACT),
        f("verified_email", _l("Has a verified email"), FieldType.FLAG, G_CONTACT),
        f("consent_sms", _l("Consents to SMS"), FieldType.FLAG, G_CONTACT),
        f("consent_email", _l("Consents to email"), FieldType.FLAG, G_CONTACT),
        f("reachable_sms", _l("Reachable by SMS"), FieldType.FLAG, G_CONTACT),
        f("reachable_email", _l("Reachable by email"), FieldType.FLAG, G_CONTACT),
    ]


def _unit_options() -> tuple[tuple[str, str], ...]:
    units = db.session.execute(select(Unit.id, Unit.code, Unit.name).order_by(Unit.code)).all()
    return tuple((str(u.id), f"{u.code} – {u.name}") for u in units)


def _attribute_fields() -> list[Field]:
    definitions = db.session.scalars(select(AttributeDefinition).order_by(AttributeDefinition.code))
    return [
        Field(ATTRIBUTE_PREFIX + d.code, d.label or d.code,
              _ATTRIBUTE_TYPES.get(AttributeType(d.value_type), FieldType.TEXT), G_ATTRIBUTES)
        for d in definitions
    ]


def catalogue() -> dict[str, Field]:
    """Every field a rule may test, by key: the account model's and each legacy attribute's."""
    fields = _static_fields() + _attribute_fields()
    return {f.key: f for f in fields}


def catalogue_json() -> list[dict]:
    """The catalogue as the rule builder reads it."""
    return [f.as_json() for f in catalogue().values()]
