"""The journey editor's form: a trigger and a list of steps as form fields, and back to a definition.

Like the segment editor (``siyu.web.segment_editor``) it is a plain form: its buttons post the
whole form and get it back changed, and htmx only swaps the trigger and steps in place. The
trigger is ``trigger_kind`` plus the fields of its kind, named as in the stored definition
(``trigger_tag_ids``, ``trigger_days_before`` ...); step ``I`` is ``s{I}_id``, ``s{I}_kind``,
``s{I}_next`` and the fields of its kind (``s{I}_days``, ``s{I}_text``, ``s{I}_tag_ids`` ...);
a branch's condition is the segment editor's fields behind the step's prefix
(``s{I}g{G}c{C}_kind`` ...). :func:`raw_definition` builds the stored JSON shape
(``siyu.domain.journeys.definition``) and leaves every check to the domain, so the editor's
errors are the API's coded errors, placed on the field they name (:func:`error_key`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from siyu.domain.journeys import END, StepKind, TriggerKind
from siyu.domain.journeys.definition import MAX_STEPS
from siyu.web import segment_editor as ed
from siyu.web.i18n import N_

TRIGGER_LABELS = {
    TriggerKind.CONTACT_ADDED: N_("Added through a channel"),
    TriggerKind.TAG_APPLIED: N_("A tag is applied"),
    TriggerKind.STAGE_CHANGED: N_("The stage changes"),
    TriggerKind.PURCHASE: N_("A purchase"),
    TriggerKind.DATE_FIELD: N_("A date (birthday or a date field)"),
    TriggerKind.NO_PURCHASE: N_("No purchase for some days"),
    TriggerKind.SEGMENT_ENTERED: N_("Enters a segment"),
}
STEP_LABELS = {
    StepKind.WAIT: N_("Wait"),
    StepKind.BRANCH: N_("Branch on a condition"),
    StepKind.MESSAGE: N_("Send a message"),
    StepKind.GUIDE_TASK: N_("Guide task"),
    StepKind.TAG: N_("Apply or remove tags"),
    StepKind.STAGE: N_("Change the stage"),
}
# The names the domain's errors give a value (``“%(name)s”``), as the editor labels it.
VALUE_LABELS = {
    "days": N_("Days"), "hours": N_("Hours"), "minutes": N_("Minutes"), "stage_id": N_("Stage"), "text": N_("Message text"),
    "title": N_("Task title"), "due_days": N_("Due in (days)"),
}
REFERENCE_LABELS = {"tags": N_("Tags"), "stages": N_("Stages"), "channels": N_("Channels"), "segments": N_("Segments")}
TRIGGER_VALUE_LABELS = {"days": N_("Days since the last purchase"), "days_before": N_("Days before the date"),
                        "segment_id": N_("Segment")}
# The trigger fields holding ids, by kind; the rest of a kind's fields below.
TRIGGER_IDS = {TriggerKind.CONTACT_ADDED: "channel_ids", TriggerKind.TAG_APPLIED: "tag_ids",
               TriggerKind.STAGE_CHANGED: "stage_ids"}
_TRIGGER_PARTS = ("kind", "channel_ids", "tag_ids", "stage_ids", "first_only", "field", "days_before", "days", "segment_id")
_STEP_PARTS = ("id", "kind", "next", "days", "hours", "minutes", "at", "then", "else", "text", "title", "script",
               "due_days", "action", "tag_ids", "stage_id")
_LISTS = frozenset({"channel_ids", "tag_ids", "stage_ids"})
_STEP = re.compile(r"^s(\d+)_(\w+)$")
_CONDITION = re.compile(r"^s(\d+)(g\d+(?:c\d+_\w+)?)$")
_WHERE = re.compile(r"^steps\[(\d+)\](?:\.(\w+))?$")


@dataclass
class TriggerForm:
    """The trigger as the form has it (text, so a refused value comes back as typed)."""

    kind: str = TriggerKind.CONTACT_ADDED.value
    channel_ids: list[str] = field(default_factory=list)
    tag_ids: list[str] = field(default_factory=list)
    stage_ids: list[str] = field(default_factory=list)
    first_only: str = ""
    field: str = "birthday"
    days_before: str = "0"
    days: str = "30"
    segment_id: str = ""

    def ids(self) -> list[str]:
        name = TRIGGER_IDS.get(TriggerKind(self.kind))
        return list(getattr(self, name)) if name else []


@dataclass
class StepForm:
    """One step as the form has it; ``groups`` is a branch's condition in the segment editor's rows."""

    id: str
    kind: str
    next: str = ""  # empty: the following step
    days: str = ""
    hours: str = ""
    minutes: str = ""
    at: str = ""
    groups: list[list[ed.Row]] = field(default_factory=list)
    then: str = END
    otherwise: str = END
    text: str = ""
    title: str = ""
    script: str = ""
    due_days: str = "1"
    action: str = "apply"
    tag_ids: list[str] = field(default_factory=list)
    stage_id: str = ""


# -- from the posted form -------------------------------------------------------------------

def read_form(form: Mapping[str, list[str]]) -> tuple[TriggerForm, list[StepForm]]:
    """The trigger and the steps (in order) the posted form holds (``form``: each name's values)."""
    trigger = TriggerForm()
    for part in _TRIGGER_PARTS:
        values = form.get(f"trigger_{part}")
        if values is None:
            continue
        if part in _LISTS:
            setattr(trigger, part, [v.strip() for v in values if v.strip()])
        else:
            setattr(trigger, part, (values[-1] if values else "").strip())
    if trigger.kind not in TriggerKind.__members__.values():
        trigger.kind = TriggerKind.CONTACT_ADDED.value
    parts: dict[int, dict[str, list[str]]] = {}
    conditions: dict[int, dict[str, list[str]]] = {}
    for name, values in form.items():
        if found := _STEP.match(name):
            parts.setdefault(int(found.group(1)), {})[found.group(2)] = values
        elif found := _CONDITION.match(name):
            conditions.setdefault(int(found.group(1)), {})[found.group(2)] = values
    steps = []
    for index in sorted(parts):
        given = parts[index]
        kind = _last(given.get("kind"))
        if kind not in StepKind.__members__.values():
            continue
        step = StepForm(id=_last(given.get("id")), kind=kind)
        for part in _STEP_PARTS[2:]:
            if part not in given:
                continue
            if part in _LISTS:
                step.tag_ids = [v.strip() for v in given[part] if v.strip()]
            else:
                setattr(step, "otherwise" if part == "else" else part, _last(given[part]))
        if kind == StepKind.BRANCH.value:
            step.groups = ed.read_form(conditions.get(index, {})) or [[ed.Row()]]
        steps.append(step)
    return trigger, steps


def _last(values: list[str] | None) -> str:
    return (values[-1] if values else "").strip()


def change(steps: list[StepForm], action: str) -> list[StepForm]:
    """The steps after a button: ``add:KIND``, ``remove:I``, ``up:I``, ``down:I`` or a branch's
    condition button ``cond:I:<segment editor action>`` (anything else changes nothing)."""
    parts = action.split(":")
    steps = list(steps)
    where = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else -1
    if parts[0] == "add" and len(parts) == 2 and parts[1] in StepKind.__members__.values() and len(steps) < MAX_STEPS:
        steps.append(new_step(parts[1], {s.id for s in steps}))
    elif not 0 <= where < len(steps):
        return steps
    elif parts[0] == "remove":
        del steps[where]
    elif parts[0] == "up" and where > 0:
        steps[where - 1], steps[where] = steps[where], steps[where - 1]
    elif parts[0] == "down" and where + 1 < len(steps):
        steps[where], steps[where + 1] = steps[where + 1], steps[where]
    elif parts[0] == "cond" and steps[where].kind == StepKind.BRANCH.value:
        step = steps[where]
        step.groups = ed.change(step.groups, ":".join(parts[2:])) or [[ed.Row()]]
    return steps


def new_step(kind: str, taken: set[str]) -> StepForm:
    """A step of ``kind`` with an id not yet taken (``wait1``, ``wait2`` ...) and sensible defaults."""
    number = 1
    while f"{kind}{number}" in taken:
        number += 1
    step = StepForm(id=f"{kind}{number}", kind=kind)
    if kind == StepKind.WAIT.value:
        step.days = "1"
    elif kind == StepKind.BRANCH.value:
        step.groups = [[ed.Row()]]
    return step


# -- the stored form ------------------------------------------------------------------------

def raw_definition(trigger: TriggerForm, steps: list[StepForm], choices: ed.Choices) -> dict[str, Any]:
    """The definition's stored form (numbers as numbers, ids as lists of numbers), anything
    unreadable left as typed so the domain names what is wrong and where."""
    return {"trigger": _raw_trigger(trigger), "steps": [_raw_step(s, choices) for s in steps]}


def _raw_trigger(t: TriggerForm) -> dict[str, Any]:
    kind = TriggerKind(t.kind)
    out: dict[str, Any] = {"kind": kind.value}
    if kind in TRIGGER_IDS:
        out[TRIGGER_IDS[kind]] = [_number(v) for v in t.ids()]
    elif kind is TriggerKind.PURCHASE:
        out["first_only"] = t.first_only in ("1", "true", "on")
    elif kind is TriggerKind.DATE_FIELD:
        out.update(field=t.field, days_before=_number(t.days_before, 0))
    elif kind is TriggerKind.NO_PURCHASE:
        out["days"] = _number(t.days)
    else:
        out["segment_id"] = _number(t.segment_id)
    return out


def _raw_step(s: StepForm, choices: ed.Choices) -> dict[str, Any]:
    kind = StepKind(s.kind)
    out: dict[str, Any] = {"id": s.id, "kind": kind.value}
    if kind is StepKind.WAIT:
        out.update(days=_number(s.days, 0), hours=_number(s.hours, 0), minutes=_number(s.minutes, 0))
        if s.at:
            out["at"] = s.at
    elif kind is StepKind.BRANCH:
        out.update(rule=ed.raw_rule(ed.settled(s.groups, choices), choices), then=s.then or END,
                   **{"else": s.otherwise or END})
    elif kind is StepKind.MESSAGE:
        out["text"] = s.text
    elif kind is StepKind.GUIDE_TASK:
        out.update(title=s.title, script=s.script, due_days=_number(s.due_days, 1))
    elif kind is StepKind.TAG:
        out.update(action=s.action, tag_ids=[_number(v) for v in s.tag_ids])
    else:
        out["stage_id"] = _number(s.stage_id)
    if s.next and kind is not StepKind.BRANCH:
        out["next"] = s.next
    return out


def _number(text: str, empty: int | None = None) -> int | str | None:
    text = text.strip()
    if not text:
        return empty
    return int(text) if text.isdigit() else text


def form_of(definition: Mapping[str, Any]) -> tuple[TriggerForm, list[StepForm]]:
    """A stored definition as the editor's trigger and steps."""
    raw = definition.get("trigger") or {}
    trigger = TriggerForm(kind=str(raw.get("kind") or TriggerKind.CONTACT_ADDED.value))
    for name in _LISTS:
        setattr(trigger, name, [str(v) for v in raw.get(name) or []])
    trigger.first_only = "1" if raw.get("first_only") else ""
    for name in ("field", "days_before", "days", "segment_id"):
        if raw.get(name) is not None:
            setattr(trigger, name, str(raw[name]))
    steps = []
    for s in definition.get("steps") or []:
        step = StepForm(id=str(s.get("id", "")), kind=str(s.get("kind", "")), next=str(s.get("next") or ""))
        for name in ("days", "hours", "minutes", "at", "text", "title", "script", "due_days", "action", "stage_id"):
            if s.get(name) is not None:
                setattr(step, name, str(s[name]))
        step.tag_ids = [str(v) for v in s.get("tag_ids") or []]
        step.then, step.otherwise = str(s.get("then") or END), str(s.get("else") or END)
        if step.kind == StepKind.BRANCH.value:
            step.groups = ed.rows_of(s.get("rule") or {}) or [[ed.Row()]]
        steps.append(step)
    return trigger, steps


# -- what the form offers -------------------------------------------------------------------

def targets(steps: list[StepForm], index: int) -> list[str]:
    """The ids a step may go on to: the later steps' (jumps only go forward)."""
    return [s.id for s in steps[index + 1:] if s.id]


def error_key(field_name: str | None, code: str, steps: list[StepForm]) -> str:
    """Where on the form an error's ``field`` is shown: ``name``, ``trigger`` or ``trigger_X``,
    ``s{I}`` (the step) or ``s{I}_X`` (one of its fields), else ``""`` (the whole form)."""
    name = field_name or ""
    if name == "name":
        return "name"
    if name == "trigger" or name.startswith("trigger."):
        part = name.partition(".")[2]
        return f"trigger_{part}" if part else "trigger_ids" if code == "journey.bad_ids" else "trigger"
    if name == "steps":
        return "steps"
    found = _WHERE.match(name)
    if not found or int(found.group(1)) >= len(steps):
        return ""
    index, part = int(found.group(1)), found.group(2)
    if part is None and code == "journey.bad_ids":
        part = "tag_ids"
    return f"s{index}_{part}" if part else f"s{index}"
