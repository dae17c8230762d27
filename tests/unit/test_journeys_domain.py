"""Journey definitions: parsing with errors naming the step, where each step leads, when a wait ends."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from siyu.domain.errors import InvalidInput
from siyu.domain.journeys import END, JourneyDefinition, StepKind, TriggerKind
from siyu.domain.journeys.templates import TEMPLATE_KEYS, template
from siyu.services.journey_triggers import _same_day

RULE = {"groups": [{"conditions": [{"kind": "tags", "op": "any", "value": [1]}]}]}


def parse(steps, trigger=None):  # type: ignore[no-untyped-def]
    return JourneyDefinition.parse({"trigger": trigger or {"kind": "purchase"}, "steps": steps})


def test_steps_follow_the_list_next_and_branches() -> None:
    d = parse([{"id": "a", "kind": "wait", "days": 1}, {"id": "b", "kind": "branch", "rule": RULE, "then": "d", "else": "end"},
               {"id": "c", "kind": "message", "text": "hi"}, {"id": "d", "kind": "tag", "tag_ids": [2], "next": "end"},
               {"id": "e", "kind": "stage", "stage_id": 3}])
    a, b, c, d_, e = d.steps
    assert d.after(a) == "b" and d.after(b, matched=True) == "d" and d.after(b, matched=False) == END
    assert d.after(c) == "d" and d.after(d_) == END and d.after(e) == END
    assert JourneyDefinition.parse(d.to_dict()) == d  # the stored form reads back the same
    assert d.references() == {"tags": {2}, "stages": {3}, "channels": set(), "segments": set()}


@pytest.mark.parametrize(("steps", "code", "field"), [
    ([], "journey.no_steps", "steps"),
    ([{"id": "a", "kind": "teleport"}], "journey.unknown_step_kind", "steps[0]"),
    ([{"id": "a b", "kind": "wait", "days": 1}], "journey.bad_step_id", "steps[0].id"),
    ([{"id": "a", "kind": "wait"}], "journey.empty_wait", "steps[0]"),
    ([{"id": "a", "kind": "wait", "days": 1, "at": "25:00"}], "journey.bad_time", "steps[0].at"),
    ([{"id": "a", "kind": "wait", "days": 1}, {"id": "a", "kind": "wait", "days": 1}], "journey.duplicate_step", "steps[1].id"),
    ([{"id": "a", "kind": "wait", "days": 1}, {"id": "b", "kind": "wait", "days": 1, "next": "a"}], "journey.backward_jump", "steps[1]"),
    ([{"id": "a", "kind": "branch", "rule": RULE, "then": "zz"}], "journey.unknown_step", "steps[0]"),
    ([{"id": "a", "kind": "branch", "rule": {"groups": []}}], "journey.bad_branch_rule", "steps[0].rule"),
    ([{"id": "a", "kind": "message", "text": "  "}], "journey.bad_text", "steps[0].text"),
    ([{"id": "a", "kind": "tag", "action": "toggle", "tag_ids": [1]}], "journey.bad_tag_action", "steps[0].action"),
    ([{"id": "a", "kind": "stage"}], "journey.bad_number", "steps[0].stage_id"),
])
def test_a_bad_step_is_refused_with_a_code_naming_it(steps, code, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as caught:
        parse(steps)
    assert (caught.value.code, caught.value.field) == (code, field)


@pytest.mark.parametrize(("trigger", "code"), [
    ({"kind": "moon_phase"}, "journey.unknown_trigger"),
    ({"kind": "tag_applied", "tag_ids": []}, "journey.bad_ids"),
    ({"kind": "date_field", "field": "wedding"}, "journey.bad_date_field"),
    ({"kind": "no_purchase", "days": 0}, "journey.bad_number"),
    ({"kind": "segment_entered"}, "journey.bad_number"),
])
def test_a_bad_trigger_is_refused(trigger, code) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as caught:
        parse([{"id": "a", "kind": "wait", "days": 1}], trigger)
    assert caught.value.code == code


def test_a_wait_ends_after_its_duration_then_at_the_next_time_of_day_in_shanghai() -> None:
    d = parse([{"id": "plain", "kind": "wait", "hours": 2, "minutes": 30}, {"id": "at", "kind": "wait", "days": 1, "at": "09:00"},
               {"id": "tonight", "kind": "wait", "at": "20:00"}])
    plain, at, tonight = d.steps
    now = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # 21:00 in Shanghai
    assert plain.wake_at(now) == datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
    assert at.wake_at(now) == datetime(2026, 12, 3, 1, 0, tzinfo=UTC)  # +1 day = 2 Dec 21:00; next 09:00 is 3 Dec
    assert tonight.wake_at(now) == datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # 20:00 has passed today
    assert tonight.wake_at(datetime(2026, 12, 1, 2, 0, tzinfo=UTC)) == datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_yearly_dates_and_29_february() -> None:
    assert _same_day("1990-12-04", date(2026, 12, 4)) and not _same_day("1990-12-04", date(2026, 12, 5))
    assert _same_day("2000-02-29", date(2027, 2, 28)) and _same_day("2000-02-29", date(2028, 2, 29))
    assert not _same_day("2000-02-29", date(2028, 2, 28))


def test_templates_parse() -> None:
    for key in TEMPLATE_KEYS:
        _, raw = template(key, tag_id=5, stage_id=6)
        parsed = JourneyDefinition.parse(raw)
        assert parsed.steps and parsed.trigger.kind in TriggerKind
    assert any(s.kind is StepKind.BRANCH for s in JourneyDefinition.parse(template("welcome_series")[1]).steps)
