"""Property: for random rule trees, the SQL members equal a plain Python reading of the rules."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.audiences.audience import Audience, members_query
from app.audiences.catalogue import PKD_SECTIONS, catalogue
from app.audiences.compiler import Context
from app.audiences.rules import parse_rule
from app.core.extensions import db
from tests.audiences.reference import (
    DISTRICTS,
    KINDS,
    NAMES,
    SIZES,
    TODAY,
    Reader,
    build_town,
)

TEXT_OPS = ["eq", "ne", "in", "not_in", "contains", "starts_with", "is_empty", "is_not_empty"]
NUMBER_OPS = ["eq", "ne", "gt", "gte", "lt", "lte", "between"]
DATE_OPS = ["on", "before", "after", "between", "within_next", "within_last", "more_than_days_ago",
            "is_empty", "is_not_empty"]
FLAG_OPS = ["is_true", "is_false"]

words = st.sampled_from(["Centrum", "centrum", "Zat", "ŚRÓD", "śród", "Łódź", "łÓdŹ", "ŻABKA", "50%",
                         "_róża", "Bar", "56", "47.11.Z", "mikro", "ma", "Ełk", "x"] + NAMES)


def _day(draw_days):
    return (TODAY + timedelta(days=draw_days)).isoformat()


@st.composite
def text_condition(draw, key: str, pool):
    op = draw(st.sampled_from(TEXT_OPS))
    if op in ("is_empty", "is_not_empty"):
        return {"field": key, "op": op}
    choices = st.one_of(st.sampled_from([v for v in pool if v]), words)
    if op in ("in", "not_in"):
        return {"field": key, "op": op, "value": draw(st.lists(choices, min_size=1, max_size=3))}
    return {"field": key, "op": op, "value": draw(choices)}


@st.composite
def number_condition(draw, key: str, values, integer=False, with_empty=False):
    ops = NUMBER_OPS + (["is_empty", "is_not_empty"] if with_empty else [])
    op = draw(st.sampled_from(ops))
    if op in ("is_empty", "is_not_empty"):
        return {"field": key, "op": op}
    numbers = st.sampled_from(values)
    if op == "between":
        low, high = sorted([draw(numbers), draw(numbers)])
        return {"field": key, "op": op, "value": [str(low), str(high)]}
    return {"field": key, "op": op, "value": str(draw(numbers))}


@st.composite
def date_condition(draw, key: str, allow_empty=True):
    op = draw(st.sampled_from(DATE_OPS if allow_empty else DATE_OPS[:-2]))
    if op in ("is_empty", "is_not_empty"):
        return {"field": key, "op": op}
    offsets = st.integers(-45, 45)
    if op == "between":
        low, high = sorted([draw(offsets), draw(offsets)])
        return {"field": key, "op": op, "value": [_day(low), _day(high)]}
    if op in ("within_next", "within_last", "more_than_days_ago"):
        return {"field": key, "op": op, "value": draw(st.integers(0, 40))}
    return {"field": key, "op": op, "value": _day(draw(offsets))}


@st.composite
def choice_condition(draw, key: str, options):
    return {"field": key, "op": draw(st.sampled_from(["in", "not_in"])),
            "value": draw(st.lists(st.sampled_from(options), min_size=1, max_size=3, unique=True))}


@st.composite
def list_condition(draw, key: str):
    op = draw(st.sampled_from(["has_any", "has_all", "has_none", "is_empty", "is_not_empty"]))
    if op in ("is_empty", "is_not_empty"):
        return {"field": key, "op": op}
    items = st.sampled_from(["A", "B", "C", "D", " A"])
    return {"field": key, "op": op, "value": draw(st.lists(items, min_size=1, max_size=3))}


def leaves(unit_ids):
    flags = ["has_arrears", "has_phone", "has_email", "verified_phone", "verified_email", "consent_sms",
             "consent_email", "reachable_sms", "reachable_email", "attr.TARGOWISKO"]
    return st.one_of(
        text_condition("district", DISTRICTS),
        text_condition("name", NAMES),
        text_condition("pkd", ["56.10.A", "47.11.Z", "01"]),
        text_condition("attr.WIELKOSC", SIZES),
        text_condition("city", ["Ełk", "Stare Juchy"]),
        number_condition("attr.POJAZDY", [0, 1, 2, 3, 4, 7, 12, Decimal("2.5")], with_empty=True),
        number_condition("balance", [0, 16, 100, Decimal("-50"), Decimal("250.5"), 1200, Decimal("0.01")]),
        number_condition("days_overdue", [0, 1, 5, 10, 20, 40, -1], integer=True),
        date_condition("attr.DATA_ZEZW"),
        date_condition("due_date"),
        date_condition("appointment_date"),
        choice_condition("kind", ["OP", "JO", "OF"]),
        choice_condition("status", ["active", "closed"]),
        choice_condition("pkd_section", sorted(PKD_SECTIONS)),
        choice_condition("obligation_kind", KINDS),
        choice_condition("unit", [str(u) for u in unit_ids]),
        list_condition("attr.KONCESJA_ALK"),
        st.builds(lambda key, op: {"field": key, "op": op}, st.sampled_from(flags), st.sampled_from(FLAG_OPS)),
    )


def rule_trees(unit_ids):
    return st.recursive(
        leaves(unit_ids),
        lambda children: st.one_of(
            st.builds(lambda items: {"all": items}, st.lists(children, max_size=4)),
            st.builds(lambda items: {"any": items}, st.lists(children, min_size=1, max_size=4)),
            st.builds(lambda child: {"not": child}, children),
        ),
        max_leaves=8,
    )


@pytest.fixture
def town(db):
    return build_town(seed=11, size=70)


#: Boundaries a random search may take long to hit.
EDGES = [
    {"field": "district", "op": "contains", "value": "centrum"},
    {"field": "district", "op": "starts_with", "value": "śród"},
    {"field": "name", "op": "contains", "value": "50%"},
    {"field": "name", "op": "contains", "value": "_r"},
    {"field": "district", "op": "is_empty"},
    {"field": "district", "op": "ne", "value": "Centrum"},
    {"field": "has_arrears", "op": "is_true"},
    {"field": "days_overdue", "op": "eq", "value": 1},
    {"field": "days_overdue", "op": "lte", "value": 0},
    {"field": "due_date", "op": "within_next", "value": 0},
    {"field": "due_date", "op": "on", "value": TODAY.isoformat()},
    {"field": "appointment_date", "op": "within_next", "value": 0},
    {"field": "balance", "op": "eq", "value": "0"},
    {"field": "balance", "op": "gte", "value": "0"},
    {"field": "balance", "op": "lt", "value": "0"},
    {"field": "attr.KONCESJA_ALK", "op": "has_all", "value": ["B", "C"]},
    {"field": "attr.KONCESJA_ALK", "op": "has_none", "value": ["A"]},
    {"field": "attr.WIELKOSC", "op": "is_empty"},
    {"field": "attr.POJAZDY", "op": "between", "value": ["2", "4"]},
    {"field": "attr.TARGOWISKO", "op": "is_true"},
    {"field": "attr.DATA_ZEZW", "op": "more_than_days_ago", "value": 0},
    {"field": "pkd_section", "op": "in", "value": ["I", "U", "A"]},
    {"field": "consent_email", "op": "is_false"},
    {"field": "reachable_sms", "op": "is_true"},
    {"field": "verified_email", "op": "is_true"},
]


@pytest.mark.parametrize("sms_classes", [("mobile",), ("mobile", "not-mobile")])
def test_boundary_rules_select_the_same_members(town, sms_classes):
    fields = catalogue()
    ctx = Context(today=TODAY, sms_classes=sms_classes)
    reader = Reader(town, sms_classes=sms_classes)
    for rule in EDGES:
        node = parse_rule(rule, fields)
        assert set(db.session.scalars(members_query(Audience(node), ctx))) == reader.members(node), rule


@pytest.mark.parametrize("sms_classes", [("mobile",), ("mobile", "not-mobile")])
def test_sql_members_equal_the_python_reading(town, sms_classes):
    unit_ids = town.units
    fields = catalogue()
    ctx = Context(today=TODAY, sms_classes=sms_classes)
    reader = Reader(town, sms_classes=sms_classes)

    @settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
    @given(rule_trees(unit_ids))
    def check(rule):
        node = parse_rule(rule, fields)
        sql = set(db.session.scalars(members_query(Audience(node), ctx)))
        assert sql == reader.members(node), rule

    check()


def test_the_town_is_varied_enough_for_the_property_to_mean_something(town):
    """Each kind of fact splits the town: some contractors have it and some do not."""
    fields = catalogue()
    ctx = Context(today=TODAY)
    for rule in (
        {"field": "has_arrears", "op": "is_true"},
        {"field": "reachable_sms", "op": "is_true"},
        {"field": "reachable_email", "op": "is_true"},
        {"field": "consent_sms", "op": "is_true"},
        {"field": "attr.KONCESJA_ALK", "op": "has_any", "value": ["B"]},
        {"field": "appointment_date", "op": "within_next", "value": 10},
        {"field": "balance", "op": "lt", "value": "0"},
        {"field": "name", "op": "contains", "value": "łódź"},
    ):
        members = set(db.session.scalars(members_query(Audience(parse_rule(rule, fields)), ctx)))
        everyone = set(db.session.scalars(select(db.text("id")).select_from(db.text("contractors"))
                                          .where(db.text("status != 'cancelled'"))))
        assert members and members != everyone, rule
