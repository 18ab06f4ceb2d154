"""A rule that cannot be used is refused with every problem named by the path of its node."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from app.audiences.rules import RuleError, parse_rule, rule_to_json


@pytest.fixture
def fields(db):
    from app.accounts.models import AttributeDefinition
    from app.audiences.catalogue import catalogue

    db.session.add_all([AttributeDefinition(code="POJAZDY", value_type="number"),
                        AttributeDefinition(code="NOWA_CECHA", value_type="text")])
    db.session.flush()
    return catalogue()


def errors_of(rule, fields, locale: str = "en") -> dict[str, str]:
    with force_locale(locale), pytest.raises(RuleError) as caught:
        parse_rule(rule, fields)
    return caught.value.errors


def test_errors_speak_polish_by_default(fields):
    with pytest.raises(RuleError) as caught:
        parse_rule({"field": "attr.KONCESJA", "op": "eq", "value": "A"}, fields)
    assert caught.value.errors == {"rule.field": "Nieznane pole 'attr.KONCESJA'."}


def test_every_bad_node_is_named_not_only_the_first(fields):
    errors = errors_of({"all": [
        {"field": "district", "op": "in", "value": ["Centrum"]},
        {"field": "attr.KONCESJA", "op": "eq", "value": "A"},
        {"field": "attr.POJAZDY", "op": "contains", "value": "3"},
        {"any": [{"field": "balance", "op": "gt", "value": "dużo"}]},
        {"field": "due_date", "op": "between", "value": ["2026-12-31", "2026-01-01"]},
    ]}, fields)
    assert set(errors) == {"rule.all[1].field", "rule.all[2].op", "rule.all[3].any[0].value",
                           "rule.all[4].value"}
    assert "attr.KONCESJA" in errors["rule.all[1].field"]
    assert "contains" in errors["rule.all[2].op"] and "gte" in errors["rule.all[2].op"]
    assert "dużo" in errors["rule.all[3].any[0].value"]
    assert "reversed" in errors["rule.all[4].value"]


@pytest.mark.parametrize("condition, message", [
    ({"field": "district", "op": "in", "value": []}, "non-empty list"),
    ({"field": "district", "op": "in", "value": "Centrum"}, "non-empty list"),
    ({"field": "district", "op": "eq", "value": ["Centrum"]}, "one value"),
    ({"field": "district", "op": "is_empty", "value": "x"}, "takes no value"),
    ({"field": "due_date", "op": "on", "value": "31.12.2026"}, "YYYY-MM-DD"),
    ({"field": "due_date", "op": "within_next", "value": -3}, "0 to"),
    ({"field": "days_overdue", "op": "gt", "value": "2.5"}, "whole number"),
    ({"field": "kind", "op": "in", "value": ["XX"]}, "not an option"),
    ({"field": "pkd_section", "op": "in", "value": ["Z"]}, "not an option"),
    ({"field": "balance", "op": "gt", "value": True}, "number"),
    ({"field": "balance", "op": "gt", "value": "NaN"}, "out of range"),
    ({"field": "name", "op": "eq", "value": {"$ne": 1}}, "text"),
    ({"field": "name", "op": "eq", "value": "x" * 300}, "255"),
])
def test_a_malformed_value_is_refused_with_the_reason(fields, condition, message):
    errors = errors_of(condition, fields)
    assert list(errors) == ["rule.value"]
    assert message in errors["rule.value"]


@pytest.mark.parametrize("rule, path", [
    ([{"field": "district"}], "rule"),
    ({"all": {"field": "district"}}, "rule.all"),
    ({"any": []}, "rule.any"),
    ({"all": [], "any": []}, "rule"),
    ({"field": "district", "op": "eq", "value": "A", "all": []}, "rule"),
    ({"op": "eq", "value": "A"}, "rule.field"),
    ({"field": "district", "value": "A"}, "rule.op"),
    ({"not": "district"}, "rule.not"),
])
def test_a_malformed_tree_is_refused_where_it_is_wrong(fields, rule, path):
    assert path in errors_of(rule, fields)


def test_deep_or_huge_rules_are_refused(fields):
    deep = {"field": "district", "op": "is_empty"}
    for _ in range(12):
        deep = {"not": deep}
    assert any("nested" in m for m in errors_of(deep, fields).values())
    huge = {"any": [{"field": "district", "op": "eq", "value": f"D{i}"} for i in range(101)]}
    assert "at most 100" in errors_of(huge, fields)["rule"]


def test_an_attribute_that_appeared_later_is_a_field_of_its_type(fields):
    node = parse_rule({"field": "attr.NOWA_CECHA", "op": "starts_with", "value": "ab"}, fields)
    assert node.field.type == "text"


def test_values_are_normalised_and_round_trip(fields):
    rule = {"all": [
        {"field": "balance", "op": "between", "value": ["-10,5", " 100 "]},
        {"field": "days_overdue", "op": "gte", "value": "7"},
        {"field": "district", "op": "in", "value": [" Centrum", "Centrum", "Zatorze"]},
        {"not": {"field": "has_arrears", "op": "is_true"}},
        {"field": "due_date", "op": "within_next", "value": "7"},
    ]}
    json = rule_to_json(parse_rule(rule, fields))
    assert json == {"all": [
        {"field": "balance", "op": "between", "value": ["-10.5", "100"]},
        {"field": "days_overdue", "op": "gte", "value": 7},
        {"field": "district", "op": "in", "value": ["Centrum", "Zatorze"]},
        {"not": {"field": "has_arrears", "op": "is_true"}},
        {"field": "due_date", "op": "within_next", "value": 7},
    ]}
    assert rule_to_json(parse_rule(json, fields)) == json
