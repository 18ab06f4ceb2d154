"""Compile a typed rule into one SQL condition over `contractors` (SQLAlchemy Core).

Every condition compiles to a two-valued expression (never NULL), so `not` is an exact
complement on PostgreSQL and SQLite alike. Facts about other tables become `EXISTS` or `IN`
subqueries the database runs as semi-joins; nothing is filtered in Python.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    and_,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)

from app.accounts.consents import consent_given
from app.accounts.models import (
    Appointment,
    Channel,
    Consent,
    ContactPoint,
    Contractor,
    ContractorAttribute,
    Obligation,
    Payment,
    RecordStatus,
)
from app.audiences.catalogue import ATTRIBUTE_PREFIX, PKD_SECTIONS, FieldType
from app.audiences.rules import Condition, Group, Negation, Node
from app.channels.models import OptOut
from app.core.clock import today_warsaw, warsaw_to_utc

C = Contractor.__table__
A = ContractorAttribute.__table__
O = Obligation.__table__  # noqa: E741
P = Payment.__table__
AP = Appointment.__table__
CP = ContactPoint.__table__
K = Consent.__table__
OO = OptOut.__table__

#: Operators compiled as the negation of another, so the pair always splits everyone in two.
NEGATED = {"ne": "eq", "not_in": "in", "has_none": "has_any", "is_false": "is_true",
           "is_not_empty": "is_empty"}


@dataclass(frozen=True)
class Context:
    """What a rule is evaluated against: the day, and the phone classes an SMS may go to."""

    today: date = field(default_factory=today_warsaw)
    sms_classes: tuple[str, ...] = ("mobile",)


def default_context() -> Context:
    """Today in Warsaw and the office's SMS number policy."""
    from app.channels.registry import number_policy

    return Context(today=today_warsaw(), sms_classes=tuple(number_policy().allowed_classes()))


def compile_rule(node: Node, ctx: Context) -> ColumnElement[bool]:
    """The SQL condition on `contractors` that holds exactly for the contractors the rule selects."""
    if isinstance(node, Negation):
        return not_(compile_rule(node.child, ctx))
    if isinstance(node, Group):
        parts = [compile_rule(child, ctx) for child in node.children]
        if node.mode == "all":
            return and_(true(), *parts)
        return or_(false(), *parts)
    return compile_condition(node, ctx)


def compile_condition(cond: Condition, ctx: Context) -> ColumnElement[bool]:
    """The SQL condition of one leaf."""
    if cond.op in NEGATED:
        return not_(compile_condition(Condition(cond.field, NEGATED[cond.op], cond.value), ctx))
    key = cond.field.key
    if key.startswith(ATTRIBUTE_PREFIX):
        return _attribute(key.removeprefix(ATTRIBUTE_PREFIX), cond, ctx)
    if key in _COLUMNS:
        return _text(C.c[key], cond)
    return _DERIVED[key](cond, ctx)


# -- values of the contractor row ---------------------------------------------------------------

_COLUMNS = ("name", "nip", "district", "city", "postal_code", "street", "pkd")


def _text(column, cond: Condition) -> ColumnElement[bool]:
    """Text tests on a nullable column, guarded so a missing value gives false, not NULL."""
    if cond.op == "is_empty":
        return or_(column.is_(None), column == "")
    present = column.is_not(None)
    if cond.op == "eq":
        test = column == cond.value
    elif cond.op == "in":
        test = column.in_(cond.value)
    elif cond.op == "contains":
        test = func.lower(column).contains(cond.value.lower(), autoescape=True)
    elif cond.op == "starts_with":
        test = func.lower(column).startswith(cond.value.lower(), autoescape=True)
    else:
        raise ValueError(f"operator {cond.op} on text")
    return and_(present, test)


def _choice_column(column, cond: Condition) -> ColumnElement[bool]:
    return and_(column.is_not(None), column.in_(cond.value))


def _pkd_section(cond: Condition, ctx: Context) -> ColumnElement[bool]:
    division = func.substr(C.c.pkd, 1, 2)
    ranges = [division.between(*PKD_SECTIONS[section]) for section in cond.value]
    return and_(C.c.pkd.is_not(None), or_(false(), *ranges))


# -- numbers and dates --------------------------------------------------------------------------


def _number(expr, op: str, value) -> ColumnElement[bool]:
    if op == "eq":
        return expr == value
    if op == "gt":
        return expr > value
    if op == "gte":
        return expr >= value
    if op == "lt":
        return expr < value
    if op == "lte":
        return expr <= value
    if op == "between":
        return expr.between(value[0], value[1])
    raise ValueError(f"operator {op} on a number")


def day_range(op: str, value, today: date) -> tuple[date | None, date | None]:
    """The inclusive range of days a date operator accepts (None: open end)."""
    one = timedelta(days=1)
    if op == "on":
        return value, value
    if op == "before":
        return None, value - one
    if op == "after":
        return value + one, None
    if op == "between":
        return value
    if op == "within_next":
        return today, today + timedelta(days=value)
    if op == "within_last":
        return today - timedelta(days=value), today
    if op == "more_than_days_ago":
        return None, today - timedelta(days=value + 1)
    raise ValueError(f"operator {op} on a date")


def _day_test(column, cond: Condition, ctx: Context) -> ColumnElement[bool]:
    low, high = day_range(cond.op, cond.value, ctx.today)
    tests = [column.is_not(None)]
    if low is not None:
        tests.append(column >= low)
    if high is not None:
        tests.append(column <= high)
    return and_(*tests)


def _instant_test(column, cond: Condition, ctx: Context) -> ColumnElement[bool]:
    """Day tests on a timestamp: a day runs from Warsaw midnight to the next."""
    low, high = day_range(cond.op, cond.value, ctx.today)
    tests = [column.is_not(None)]
    if low is not None:
        tests.append(column >= _midnight(low))
    if high is not None:
        tests.append(column < _midnight(high + timedelta(days=1)))
    return and_(*tests)


def _midnight(day: date) -> datetime:
    return warsaw_to_utc(datetime(day.year, day.month, day.day))


# -- legacy attributes --------------------------------------------------------------------------


def _attribute(code: str, cond: Condition, ctx: Context) -> ColumnElement[bool]:
    def having(test) -> ColumnElement[bool]:
        return exists(select(literal(1)).where(A.c.contractor_id == C.c.id, A.c.code == code, test))

    kind, op, value = cond.field.type, cond.op, cond.value
    if op == "is_empty":
        return not_(having(A.c.value != ""))
    if kind == FieldType.FLAG:
        return having(func.upper(A.c.value) == "T")
    if kind == FieldType.NUMBER:
        return having(and_(A.c.value_number.is_not(None), _number(A.c.value_number, op, value)))
    if kind == FieldType.DATE:
        return having(_day_test(A.c.value_date, cond, ctx))
    if kind == FieldType.LIST:
        items = literal(",") + func.replace(A.c.value, " ", "") + literal(",")
        tests = [items.contains(f",{item},", autoescape=True) for item in value]
        return having(or_(*tests) if op == "has_any" else and_(*tests))
    return having(_text(A.c.value, cond))


# -- the account: balance, obligations, appointments --------------------------------------------


def _unpaid_where(*tests) -> ColumnElement[bool]:
    """The contractor has an active obligation, not fully paid, passing the tests (on `obligations`).

    A correlated EXISTS: PostgreSQL runs it (and its negation) as a semi- or anti-join on the
    contractor index; what is paid is kept on the obligation (`paid_amount`).
    """
    return exists(select(literal(1)).where(
        O.c.contractor_id == C.c.id, O.c.status == RecordStatus.ACTIVE, *[t(O) for t in tests],
        O.c.paid_amount < O.c.amount))


def balance_of_contractor():
    """SQL: the enclosing contractor's balance (active obligations minus active payments)."""
    owed = (select(func.coalesce(func.sum(O.c.amount), 0))
            .where(O.c.contractor_id == C.c.id, O.c.status == RecordStatus.ACTIVE).scalar_subquery())
    paid = (select(func.coalesce(func.sum(P.c.amount), 0))
            .where(P.c.contractor_id == C.c.id, P.c.status == RecordStatus.ACTIVE).scalar_subquery())
    return func.round(owed - paid, 2)


def _balance(cond: Condition, ctx: Context) -> ColumnElement[bool]:
    # Correlated sums, evaluated only for the contractors the cheaper conditions left.
    return _number(balance_of_contractor(), cond.op, cond.value)


def _has_arrears(cond: Condition, ctx: Context) -> ColumnElement[bool]:
    return _overdue_at_least(1, ctx)


def _overdue_at_least(days: int, ctx: Context) -> ColumnElement[bool]:
    """Days overdue >= `days`: an unpaid obligation due at least that many days ago."""
    if days <= 0:
        return true()
    limit = ctx.today - timedelta(days=days)
    return _unpaid_where(lambda u: u.c.due_on.is_not(None), lambda u: u.c.due_on <= limit)


def _days_overdue(cond: Condition, ctx: Context) -> ColumnElement[bool]:
    op, n = cond.op, cond.value
    at_least = _overdue_at_least
    if op == "gte":
        return at_least(n, ctx)
    if op == "gt":
        return at_least(n + 1, ctx)
    if op == "lt":
        return not_(at_least(n, ctx))
    if op == "lte":
        return not_(at_least(n + 1, ctx))
    if op == "eq":
        return and_(at_least(n, ctx), not_(at_least(n + 1, ctx)))
    if op == "between":
        return and_(at_least(n[0], ctx), not_(at_least(n[1] + 1, ctx)))
    raise ValueError(op)


def _has_obligation(*tests) -> ColumnElement[bool]:
    return exists(select(literal(1)).where(
        O.c.contractor_id == C.c.id, O.c.status == RecordStatus.ACTIVE, *tests))


def _obligation_kind(cond: Condition, ctx: Context) -> ColumnElement[bool]:
    return _has_obligation(O.c.kind.in_(cond.value))


def _unit(cond: Condition, ctx: Context) -> ColumnElement[bool]:
    return _has_obligation(O.c.unit_id.in_([int(v) for v in cond.value]))


def _due_date(cond: Condition, ctx: Context) -> ColumnElement[bool]:
    if cond.op == "is_empty":
        return not_(_unpaid_where(lambda u: u.c.due_on.is_not(None)))
    return _unpaid_where(lambda u: _day_test(u.c.due_on, cond, ctx))


def _appointment_date(cond: Condition, ctx: Context) -> ColumnElement[bool]:
    def having(*tests) -> ColumnElement[bool]:
        return exists(select(literal(1)).where(
            AP.c.contractor_id == C.c.id, AP.c.status == RecordStatus.ACTIVE, *tests))

    if cond.op == "is_empty":
        return not_(having())
    return having(_instant_test(AP.c.starts_at, cond, ctx))


# -- contact points and consents ----------------------------------------------------------------


def contact_exists(channel: str, *tests) -> ColumnElement[bool]:
    """The contractor has an active contact point on the channel passing the tests."""
    return exists(select(literal(1)).where(
        CP.c.contractor_id == C.c.id, CP.c.channel == channel, CP.c.is_active.is_(True), *tests))


def usable_point(channel: str, ctx: Context) -> list[ColumnElement[bool]]:
    """Tests of a contact point a message may go to: not marked unusable, a textable number."""
    tests = [CP.c.unusable_reason.is_(None)]
    if channel == Channel.SMS:
        tests.append(CP.c.number_class.in_(ctx.sms_classes))
    return tests


def not_opted_out(channel: str) -> ColumnElement[bool]:
    """The contact point's address has not opted out of the channel."""
    return not_(exists(select(literal(1)).where(OO.c.channel == channel, OO.c.address == CP.c.value)))


def reachable(channel: str, ctx: Context) -> ColumnElement[bool]:
    """Consent given and a usable, not opted-out contact point on the channel."""
    return and_(consent_given(channel),
                contact_exists(channel, *usable_point(channel, ctx), not_opted_out(channel)))


def _contact_flag(channel: str, verified: bool) -> Callable[[Condition, Context], ColumnElement[bool]]:
    tests = [CP.c.verified_at.is_not(None)] if verified else []
    return lambda cond, ctx: contact_exists(channel, *tests)


_DERIVED: dict[str, Callable[[Condition, Context], ColumnElement[bool]]] = {
    "kind": lambda cond, ctx: _choice_column(C.c.kind, cond),
    "status": lambda cond, ctx: _choice_column(C.c.status, cond),
    "pkd_section": _pkd_section,
    "balance": _balance,
    "has_arrears": _has_arrears,
    "days_overdue": _days_overdue,
    "obligation_kind": _obligation_kind,
    "due_date": _due_date,
    "appointment_date": _appointment_date,
    "unit": _unit,
    "has_phone": _contact_flag(Channel.SMS, verified=False),
    "has_email": _contact_flag(Channel.EMAIL, verified=False),
    "verified_phone": _contact_flag(Channel.SMS, verified=True),
    "verified_email": _contact_flag(Channel.EMAIL, verified=True),
    "consent_sms": lambda cond, ctx: consent_given(Channel.SMS),
    "consent_email": lambda cond, ctx: consent_given(Channel.EMAIL),
    "reachable_sms": lambda cond, ctx: reachable(Channel.SMS, ctx),
    "reachable_email": lambda cond, ctx: reachable(Channel.EMAIL, ctx),
}
