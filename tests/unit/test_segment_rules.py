"""The segment rule language: shape, per-kind validation, references and cycles."""

from __future__ import annotations

from datetime import date

import pytest

from siyu.domain.errors import InvalidInput
from siyu.domain.fields import FieldKind
from siyu.domain.segments import ConditionKind, Op, RuleCatalog, SegmentRule, compare, day_range


def rule(*groups: list[dict]) -> dict:
    return {"groups": [{"conditions": list(g)} for g in groups]}


def test_a_rule_round_trips_through_its_stored_form() -> None:
    raw = rule([{"kind": "tags", "op": "any", "value": [3, 7]},
                {"kind": "orders", "attribute": "gmv", "op": "gte", "value": 500, "days": 365}],
               [{"kind": "rfm", "op": "in", "value": ["champions"]},
                {"kind": "profile", "attribute": "added_at", "op": "between", "value": ["2026-01-01", "2026-03-31"]},
                {"kind": "event", "attribute": "mini_visit", "op": "at_least", "value": 3, "days": 30}])
    parsed = SegmentRule.parse(raw)
    assert parsed.to_dict() == {"groups": [{"conditions": [
        {"kind": "tags", "op": "any", "value": [3, 7]},
        {"kind": "orders", "op": "gte", "attribute": "gmv", "value": 500, "days": 365}]}, {"conditions": [
        {"kind": "rfm", "op": "in", "value": ["champions"]},
        {"kind": "profile", "op": "between", "attribute": "added_at", "value": ["2026-01-01", "2026-03-31"]},
        {"kind": "event", "op": "at_least", "attribute": "mini_visit", "value": 3, "days": 30}]}]}
    assert parsed.groups[1].conditions[1].value == (date(2026, 1, 1), date(2026, 3, 31))
    assert SegmentRule.parse(parsed.to_dict()) == parsed


@pytest.mark.parametrize(("raw", "code", "where"), [
    ({"groups": []}, "segment.no_groups", "groups"),
    ([], "segment.rule_shape", "groups"),
    (rule([]), "segment.empty_group", "groups[0]"),
    (rule([{"kind": "colour", "op": "eq"}]), "segment.unknown_kind", "groups[0].conditions[0]"),
    (rule([{"kind": "tags", "op": "gte", "value": [1]}]), "segment.op_not_allowed", "groups[0].conditions[0]"),
    (rule([{"kind": "tags", "op": "any", "value": []}]), "segment.bad_ids", "groups[0].conditions[0]"),
    (rule([{"kind": "stage", "op": "in", "value": 1}], [{"kind": "rfm", "op": "in", "value": ["vip"]}]),
     "segment.bad_ids", "groups[0].conditions[0]"),
    (rule([{"kind": "rfm", "op": "in", "value": ["vip"]}]), "segment.unknown_option", "groups[0].conditions[0]"),
    (rule([{"kind": "orders", "attribute": "gmv", "op": "within_days", "value": 3}]), "segment.op_not_allowed",
     "groups[0].conditions[0]"),
    (rule([{"kind": "orders", "attribute": "last_purchase", "op": "within_days", "value": 3, "days": 9}]),
     "segment.days_not_allowed", "groups[0].conditions[0]"),
    (rule([{"kind": "orders", "attribute": "visits", "op": "gt", "value": 3}]), "segment.bad_attribute",
     "groups[0].conditions[0]"),
    (rule([{"kind": "orders", "attribute": "count", "op": "between", "value": [5, 2]}]), "segment.bad_range",
     "groups[0].conditions[0]"),
    (rule([{"kind": "profile", "attribute": "birthday", "op": "before", "value": "31/12/1990"}]), "segment.bad_date",
     "groups[0].conditions[0]"),
    (rule([{"kind": "event", "attribute": "visit", "op": "at_least", "value": 2}]), "segment.value_needed",
     "groups[0].conditions[0]"),
    (rule([{"kind": "event", "attribute": "visit", "op": "at_least", "value": 0.5, "days": 7}]), "segment.bad_count",
     "groups[0].conditions[0]"),
    (rule([{"kind": "identity", "attribute": "qq", "op": "set"}]), "segment.bad_attribute", "groups[0].conditions[0]"),
    (rule([{"kind": "ltv", "attribute": "p_alive", "op": "gte", "value": "high"}]), "segment.bad_number",
     "groups[0].conditions[0]"),
])
def test_a_bad_rule_names_the_condition_and_what_is_wrong(raw: object, code: str, where: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        SegmentRule.parse(raw)
    assert (caught.value.code, caught.value.field) == (code, where)


def test_references_are_checked_against_the_tenant_and_field_values_typed() -> None:
    parsed = SegmentRule.parse(rule([{"kind": "tags", "op": "all", "value": [1, 2]},
                                     {"kind": "field", "attribute": "since", "op": "after", "value": "2025-06-01"},
                                     {"kind": "field", "attribute": "level", "op": "in", "value": ["gold"]}]))
    catalog = RuleCatalog(fields={"since": FieldKind.DATE, "level": FieldKind.SINGLE}, field_options={"level": ("gold",)},
                          tag_ids=frozenset({1, 2}))
    typed = parsed.check(catalog)
    assert typed.groups[0].conditions[1].value == date(2025, 6, 1)
    with pytest.raises(InvalidInput) as caught:
        parsed.check(RuleCatalog(fields=catalog.fields, field_options=catalog.field_options, tag_ids=frozenset({1})))
    assert (caught.value.code, caught.value.params["id"]) == ("segment.unknown_reference", 2)
    wrong_op = SegmentRule.parse(rule([{"kind": "field", "attribute": "level", "op": "gt", "value": 3}]))
    with pytest.raises(InvalidInput, match="does not apply"):
        wrong_op.check(catalog)


def test_a_segment_may_not_reach_itself_through_other_segments() -> None:
    a_refers_to_b = SegmentRule.parse(rule([{"kind": "segment", "op": "in", "value": 2}]))
    b_refers_to_c = SegmentRule.parse(rule([{"kind": "segment", "op": "not_in", "value": 3}]))
    catalog = RuleCatalog(segment_ids=frozenset({1, 2, 3}), segment_rules={2: b_refers_to_c})
    a_refers_to_b.check(catalog, segment_id=4)  # no cycle
    with pytest.raises(InvalidInput) as caught:
        a_refers_to_b.check(catalog, segment_id=3)
    assert caught.value.code == "segment.cycle"
    with pytest.raises(InvalidInput) as caught:
        a_refers_to_b.check(catalog, segment_id=2)
    assert caught.value.code == "segment.self_reference"
    assert a_refers_to_b.referenced_segments() == {2}
    assert a_refers_to_b.groups[0].conditions[0].kind is ConditionKind.SEGMENT
    assert a_refers_to_b.groups[0].conditions[0].op is Op.IN


def test_a_multi_choice_field_takes_a_list_of_its_options() -> None:
    catalog = RuleCatalog(fields={"hobbies": FieldKind.MULTI}, field_options={"hobbies": ("run", "read")})
    for op in ("any", "all", "none"):
        checked = SegmentRule.parse(rule([{"kind": "field", "attribute": "hobbies", "op": op, "value": ["read"]}])).check(catalog)
        assert checked.groups[0].conditions[0].value == ("read",)
    with pytest.raises(InvalidInput) as caught:
        SegmentRule.parse(rule([{"kind": "field", "attribute": "hobbies", "op": "any", "value": ["swim"]}])).check(catalog)
    assert caught.value.code == "segment.unknown_option"


@pytest.mark.parametrize(("op", "value", "expected"), [
    (Op.BEFORE, date(2026, 3, 1), (None, date(2026, 3, 1))),
    (Op.AFTER, date(2026, 3, 1), (date(2026, 3, 2), None)),
    (Op.ON, date(2026, 3, 1), (date(2026, 3, 1), date(2026, 3, 2))),
    (Op.BETWEEN, (date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 3, 1), date(2026, 4, 1))),
    (Op.WITHIN_DAYS, 7, (date(2026, 11, 25), None)),
    (Op.MORE_THAN_DAYS_AGO, 30, (None, date(2026, 11, 2))),
])
def test_a_date_op_covers_the_days_from_start_up_to_not_including_end(op: Op, value: object, expected: tuple) -> None:
    assert day_range(op, value, date(2026, 12, 2)) == expected


def test_comparisons_mean_the_same_on_plain_values() -> None:
    assert [compare(5, op, 5) for op in (Op.EQ, Op.NE, Op.GT, Op.GTE, Op.LT, Op.LTE)] == \
        [True, False, False, True, False, True]
    assert compare(0, Op.BETWEEN, (0, 3)) and not compare(4, Op.BETWEEN, (0, 3))


def test_problems_lists_every_bad_group_and_condition_by_where_it_is() -> None:
    catalog = RuleCatalog(fields={"level": FieldKind.SINGLE}, field_options={"level": ("gold",)}, tag_ids=frozenset({1}))
    raw = rule([{"kind": "tags", "op": "any", "value": [1]},  # fine
                {"kind": "tags", "op": "any", "value": [2]},  # no tag 2
                {"kind": "field", "attribute": "level", "op": "eq", "value": "silver"}],  # not an option
               [],  # empty group
               [{"kind": "orders", "attribute": "gmv", "op": "gte", "value": "lots"}])  # not a number
    found = SegmentRule.problems(raw, catalog)
    assert [(p.code, p.field) for p in found] == [
        ("segment.unknown_reference", "groups[0].conditions[1]"), ("segment.unknown_option", "groups[0].conditions[2]"),
        ("segment.empty_group", "groups[1]"), ("segment.bad_number", "groups[2].conditions[0]")]
    assert [p.code for p in SegmentRule.problems({"groups": []}, catalog)] == ["segment.no_groups"]
    assert SegmentRule.problems(rule([{"kind": "tags", "op": "none", "value": [1]}]), catalog) == []


def test_problems_finds_a_cycle_once_every_condition_is_right() -> None:
    b_refers_to_a = SegmentRule.parse(rule([{"kind": "segment", "op": "in", "value": 1}]))
    catalog = RuleCatalog(segment_ids=frozenset({1, 2}), segment_rules={2: b_refers_to_a})
    found = SegmentRule.problems(rule([{"kind": "segment", "op": "in", "value": 2}]), catalog, segment_id=1)
    assert [(p.code, p.field) for p in found] == [("segment.cycle", "groups")]


def test_a_rule_within_a_scope_ands_the_scope_into_every_group() -> None:
    from siyu.domain.access import Scope

    parsed = SegmentRule.parse(rule([{"kind": "tags", "op": "any", "value": [1]}], [{"kind": "rfm", "op": "in", "value": ["new"]}]))
    assert parsed.within(Scope(tenant_id=1)) is parsed
    guide = parsed.within(Scope(tenant_id=1, store_id=5, staff_id=9))
    assert [g.conditions[-1].to_dict() for g in guide.groups] == [{"kind": "staff", "op": "in", "value": [9]}] * 2
    manager = parsed.within(Scope(tenant_id=1, store_id=5))
    assert [len(g.conditions) for g in manager.groups] == [2, 2]
    assert manager.groups[1].conditions[-1].to_dict() == {"kind": "store", "op": "in", "value": [5]}
