"""The journey editor's form: posted fields to the stored definition, a definition back to the
form, the buttons that reshape it, and where each error is shown."""

from __future__ import annotations

import pytest

from siyu.domain.errors import InvalidInput
from siyu.domain.journeys import JourneyDefinition
from siyu.domain.journeys.templates import TEMPLATE_KEYS, template
from siyu.web import journey_editor as je
from siyu.web import segment_editor as ed

CHOICES = ed.Choices(tags=[("3", "兴趣/茶"), ("9", "会员/VIP")], stages=[("4", "新客")], segments=[("7", "高价值")])
STEPS = [
    {"id": "wait1", "kind": "wait", "days": 1, "hours": 2, "minutes": 30, "at": "10:00"},
    {"id": "hot", "kind": "branch", "rule": {"groups": [{"conditions": [{"kind": "tags", "op": "any", "value": [3]}]},
                                                        {"conditions": [{"kind": "orders", "attribute": "count", "op": "gte",
                                                                         "value": 2}]}]},
     "then": "task", "else": "end"},
    {"id": "msg", "kind": "message", "text": "欢迎！", "next": "vip"},
    {"id": "task", "kind": "guide_task", "title": "回访", "script": "问问近况", "due_days": 2},
    {"id": "vip", "kind": "tag", "action": "remove", "tag_ids": [3, 9]},
    {"id": "stage", "kind": "stage", "stage_id": 4},
]
TRIGGERS = [
    {"kind": "contact_added", "channel_ids": []},
    {"kind": "contact_added", "channel_ids": [5, 6]},
    {"kind": "tag_applied", "tag_ids": [3]},
    {"kind": "stage_changed", "stage_ids": [4]},
    {"kind": "purchase", "first_only": True},
    {"kind": "purchase", "first_only": False},
    {"kind": "date_field", "field": "field:anniversary", "days_before": 3},
    {"kind": "no_purchase", "days": 90},
    {"kind": "segment_entered", "segment_id": 7},
]


def stored(raw: dict) -> dict:  # type: ignore[type-arg]
    return JourneyDefinition.parse(raw).to_dict()


@pytest.mark.parametrize("trigger", TRIGGERS, ids=lambda t: f"{t['kind']}")
def test_every_trigger_and_step_kind_goes_to_the_form_and_back_unchanged(trigger) -> None:  # type: ignore[no-untyped-def]
    definition = stored({"trigger": trigger, "steps": STEPS})
    form_trigger, steps = je.form_of(definition)
    assert [s.kind for s in steps] == ["wait", "branch", "message", "guide_task", "tag", "stage"]
    assert stored(je.raw_definition(form_trigger, steps, CHOICES)) == definition


def test_posted_fields_build_the_stored_shape() -> None:
    form = {
        "name": ["x"], "trigger_kind": ["tag_applied"], "trigger_tag_ids": ["9", "3"], "trigger_days": ["12"],
        "s0_id": ["w"], "s0_kind": ["wait"], "s0_days": ["2"], "s0_hours": [""], "s0_minutes": [""], "s0_at": ["20:00"],
        "s0_next": [""],
        "s1_id": ["b"], "s1_kind": ["branch"], "s1g0": ["1"], "s1g0c0_kind": ["stage"], "s1g0c0_op": ["in"],
        "s1g0c0_value": ["4"], "s1_then": ["end"], "s1_else": ["t"],
        "s2_id": ["t"], "s2_kind": ["tag"], "s2_action": ["apply"], "s2_tag_ids": ["9"], "s2_next": ["end"],
        "s3_id": ["m"], "s3_kind": ["message"], "s3_text": [" 你好 "],
    }
    trigger, steps = je.read_form(form)
    raw = je.raw_definition(trigger, steps, CHOICES)
    assert raw["trigger"] == {"kind": "tag_applied", "tag_ids": [9, 3]}
    assert stored(raw) == {
        "trigger": {"kind": "tag_applied", "tag_ids": [3, 9]},
        "steps": [{"id": "w", "kind": "wait", "days": 2, "hours": 0, "minutes": 0, "at": "20:00"},
                  {"id": "b", "kind": "branch", "rule": {"groups": [{"conditions": [{"kind": "stage", "op": "in", "value": [4]}]}]},
                   "then": "end", "else": "t"},
                  {"id": "t", "kind": "tag", "action": "apply", "tag_ids": [9], "next": "end"},
                  {"id": "m", "kind": "message", "text": "你好"}]}


@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_each_template_opens_as_a_form_that_builds_it_again(key: str) -> None:
    _name, definition = template(key, tag_id=3, stage_id=4)
    trigger, steps = je.form_of(definition)
    assert stored(je.raw_definition(trigger, steps, CHOICES)) == stored(definition)


def test_what_is_typed_wrong_stays_as_typed_for_the_domain_to_name() -> None:
    trigger, steps = je.read_form({"trigger_kind": ["no_purchase"], "trigger_days": ["ninety"],
                                   "s0_id": ["w"], "s0_kind": ["wait"], "s0_days": ["1.5"]})
    raw = je.raw_definition(trigger, steps, CHOICES)
    assert raw["trigger"]["days"] == "ninety" and raw["steps"][0]["days"] == "1.5"
    with pytest.raises(InvalidInput) as caught:
        JourneyDefinition.parse(raw)
    assert je.error_key(caught.value.field, caught.value.code, steps) == "trigger_days"


def test_the_buttons_add_remove_and_move_steps() -> None:
    _trigger, steps = je.form_of(stored({"trigger": {"kind": "purchase"}, "steps": STEPS}))
    added = je.change(steps, "add:wait")
    assert [s.id for s in added][-1] == "wait2" and added[-1].days == "1"  # wait1 is taken
    assert [s.id for s in je.change(steps, "up:1")][:2] == ["hot", "wait1"]
    assert [s.id for s in je.change(steps, "down:0")][:2] == ["hot", "wait1"]
    assert [s.id for s in je.change(steps, "up:0")] == [s.id for s in steps]  # the first cannot go up
    assert [s.id for s in je.change(steps, "remove:2")] == ["wait1", "hot", "task", "vip", "stage"]
    assert je.change(steps, "remove:99") == steps and je.change(steps, "add:teleport") == steps
    more = je.change(steps, "cond:1:add_condition:0")
    assert [len(g) for g in more[1].groups] == [2, 1]
    assert [len(g) for g in je.change(more, "cond:1:remove_group:1")[1].groups] == [2]


@pytest.mark.parametrize(("field", "code", "key"), [
    ("name", "journey.bad_name", "name"),
    ("trigger", "journey.bad_ids", "trigger_ids"),
    ("trigger", "journey.bad_date_field", "trigger"),
    ("trigger.days_before", "journey.bad_number", "trigger_days_before"),
    ("steps", "journey.no_steps", "steps"),
    ("steps[1]", "journey.empty_wait", "s1"),
    ("steps[1].text", "journey.bad_text", "s1_text"),
    ("steps[0]", "journey.bad_ids", "s0_tag_ids"),
    ("steps[5].id", "journey.bad_step_id", ""),  # no such step on the form: the whole form
    ("definition", "journey.unknown_reference", ""),
])
def test_each_error_is_shown_on_the_field_it_names(field: str, code: str, key: str) -> None:
    steps = [je.new_step("wait", set()), je.new_step("message", set())]
    assert je.error_key(field, code, steps) == key
