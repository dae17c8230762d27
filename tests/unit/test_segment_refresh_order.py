"""The order segments kept as tags are refreshed in: each after what it depends on."""

from __future__ import annotations

from typing import Any

from siyu.domain.segments import SegmentRule, refresh_order, rule_tag_ids


def _rule(*conditions: dict[str, Any]) -> SegmentRule:
    return SegmentRule.parse({"groups": [{"conditions": list(conditions)}]})


def tags(*ids: int) -> dict[str, Any]:
    return {"kind": "tags", "op": "any", "value": list(ids)}


def member(segment_id: int) -> dict[str, Any]:
    return {"kind": "segment", "op": "in", "value": segment_id}


def test_a_segment_comes_after_the_segments_it_refers_to_and_the_kept_tags_it_reads() -> None:
    rules = {
        1: _rule(tags(102)),  # reads the tag segment 3 keeps
        2: _rule(member(4)),  # refers to 4, which is not kept: 4's rule is inlined, and reads 101
        3: _rule(tags(900)),
        4: _rule(tags(101)),
        5: _rule(member(1)),
    }
    kept = {1: 100, 2: 103, 3: 102, 5: 104, 6: 101}
    rules[6] = _rule(tags(900))
    assert refresh_order(rules, kept) == [3, 1, 5, 6, 2]


def test_independent_segments_go_by_id_and_a_cycle_drops_nobody() -> None:
    rules = {1: _rule(tags(11)), 2: _rule(tags(10)), 3: _rule(tags(900))}
    assert refresh_order(rules, {3: 30, 1: 10, 2: 11}) == [3, 1, 2]  # 1 and 2 read each other's tags


def test_the_tags_a_rule_reads_include_those_of_the_segments_it_refers_to() -> None:
    rules = {7: _rule(tags(3, 4)), 8: _rule(member(7))}
    assert rule_tag_ids(_rule(tags(1), member(8)), rules) == {1, 3, 4}
