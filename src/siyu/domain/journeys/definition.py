"""A journey's definition (SOP 旅程): one trigger and a list of steps, checked with coded errors.

The stored form is plain JSON, the same in the API, the console editor and the database::

    {"trigger": {"kind": "tag_applied", "tag_ids": [3]},
     "steps": [
        {"id": "wait1", "kind": "wait", "days": 1},
        {"id": "hot", "kind": "branch", "rule": {"groups": [...]}, "then": "msg", "else": "end"},
        {"id": "msg", "kind": "message", "text": "..."},
        {"id": "task", "kind": "guide_task", "title": "call back", "due_days": 1},
        {"id": "vip", "kind": "tag", "action": "apply", "tag_ids": [9]},
        {"id": "stage", "kind": "stage", "stage_id": 4}]}

Steps run in list order; a step may name its ``next`` (a later step's id or ``"end"``); a branch
goes to ``then`` when the customer matches its rule (the segment rule language,
``siyu.domain.segments.SegmentRule``) and to ``else`` otherwise. Jumps only go forward, so a
customer passes each step at most once and every journey ends: the pair (enrollment, step)
is the idempotency key of the step's side effects. Errors name the step (``steps[2]``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any

from siyu.domain.days import SHANGHAI
from siyu.domain.errors import InvalidInput
from siyu.domain.segments import SegmentRule

END = "end"
MAX_STEPS = 50
MAX_WAIT_DAYS = 366
STEP_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class TriggerKind(StrEnum):
    CONTACT_ADDED = "contact_added"  # added a staff member, through one of ``channel_ids`` (empty: any way)
    TAG_APPLIED = "tag_applied"  # one of ``tag_ids`` was applied
    STAGE_CHANGED = "stage_changed"  # moved into one of ``stage_ids``
    PURCHASE = "purchase"  # a paid order; ``first_only``: the customer's first
    DATE_FIELD = "date_field"  # ``days_before`` the yearly date in ``field`` ("birthday" or "field:<key>")
    NO_PURCHASE = "no_purchase"  # the last purchase was ``days`` days ago
    SEGMENT_ENTERED = "segment_entered"  # came to match the saved segment ``segment_id``


SCANNED = frozenset({TriggerKind.DATE_FIELD, TriggerKind.NO_PURCHASE, TriggerKind.SEGMENT_ENTERED})


class StepKind(StrEnum):
    WAIT = "wait"
    BRANCH = "branch"
    MESSAGE = "message"
    GUIDE_TASK = "guide_task"
    TAG = "tag"
    STAGE = "stage"


@dataclass(frozen=True, slots=True)
class Trigger:
    kind: TriggerKind
    ids: tuple[int, ...] = ()  # channel, tag or stage ids
    first_only: bool = False
    field: str = ""
    days: int = 0  # date_field: days before; no_purchase: days since
    segment_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        k = self.kind
        out: dict[str, Any] = {"kind": k.value}
        if k is TriggerKind.CONTACT_ADDED:
            out["channel_ids"] = list(self.ids)
        elif k is TriggerKind.TAG_APPLIED:
            out["tag_ids"] = list(self.ids)
        elif k is TriggerKind.STAGE_CHANGED:
            out["stage_ids"] = list(self.ids)
        elif k is TriggerKind.PURCHASE:
            out["first_only"] = self.first_only
        elif k is TriggerKind.DATE_FIELD:
            out.update(field=self.field, days_before=self.days)
        elif k is TriggerKind.NO_PURCHASE:
            out["days"] = self.days
        else:
            out["segment_id"] = self.segment_id
        return out


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    kind: StepKind
    next: str | None = None  # None: the following step in the list
    # wait: a duration, then (when ``at`` is set) the next such time of day in Shanghai
    days: int = 0
    hours: int = 0
    minutes: int = 0
    at: time | None = None
    # branch
    rule: SegmentRule | None = None
    then: str = END
    otherwise: str = END
    # message / guide task
    text: str = ""
    title: str = ""
    due_days: int = 1
    # tag / stage
    action: str = "apply"
    ids: tuple[int, ...] = ()
    stage_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "kind": self.kind.value}
        if self.kind is StepKind.WAIT:
            out.update(days=self.days, hours=self.hours, minutes=self.minutes)
            if self.at is not None:
                out["at"] = self.at.strftime("%H:%M")
        elif self.kind is StepKind.BRANCH:
            assert self.rule is not None
            out.update(rule=self.rule.to_dict(), then=self.then, **{"else": self.otherwise})
        elif self.kind is StepKind.MESSAGE:
            out["text"] = self.text
        elif self.kind is StepKind.GUIDE_TASK:
            out.update(title=self.title, script=self.text, due_days=self.due_days)
        elif self.kind is StepKind.TAG:
            out.update(action=self.action, tag_ids=list(self.ids))
        else:
            out["stage_id"] = self.stage_id
        if self.next is not None and self.kind is not StepKind.BRANCH:
            out["next"] = self.next
        return out

    def wake_at(self, now: datetime) -> datetime:
        """When a customer who reaches this wait step at ``now`` goes on."""
        due = now + timedelta(days=self.days, hours=self.hours, minutes=self.minutes)
        if self.at is None:
            return due
        local = due + SHANGHAI
        candidate = local.replace(hour=self.at.hour, minute=self.at.minute, second=0, microsecond=0)
        if candidate < local:
            candidate += timedelta(days=1)
        return candidate - SHANGHAI


@dataclass(frozen=True, slots=True)
class JourneyDefinition:
    trigger: Trigger
    steps: tuple[Step, ...]

    @classmethod
    def parse(cls, raw: Any) -> JourneyDefinition:
        if not isinstance(raw, Mapping):
            raise InvalidInput("journey.definition_shape", "a journey is an object with a trigger and a list of steps",
                               field="definition")
        trigger = _trigger(raw.get("trigger"))
        steps_raw = raw.get("steps")
        if not isinstance(steps_raw, list) or not steps_raw:
            raise InvalidInput("journey.no_steps", "a journey needs at least one step", field="steps")
        if len(steps_raw) > MAX_STEPS:
            raise InvalidInput("journey.too_many_steps", "a journey has at most %(max)s steps", field="steps", max=MAX_STEPS)
        steps = tuple(_step(s, f"steps[{i}]") for i, s in enumerate(steps_raw))
        positions: dict[str, int] = {}
        for i, step in enumerate(steps):
            if step.id in positions or step.id == END:
                raise InvalidInput("journey.duplicate_step", "%(where)s: the step id “%(id)s” is used twice (or is “end”)",
                                   field=f"steps[{i}].id", where=f"steps[{i}]", id=step.id)
            positions[step.id] = i
        for i, step in enumerate(steps):
            targets = [step.then, step.otherwise] if step.kind is StepKind.BRANCH else [step.next] if step.next else []
            for target in targets:
                if target == END:
                    continue
                if target not in positions:
                    raise InvalidInput("journey.unknown_step", "%(where)s: there is no step “%(id)s”", field=f"steps[{i}]",
                                       where=f"steps[{i}]", id=target)
                if positions[target] <= i:
                    raise InvalidInput("journey.backward_jump", "%(where)s: a step can only go on to a later step (“%(id)s” is not)",
                                       field=f"steps[{i}]", where=f"steps[{i}]", id=target)
        return cls(trigger, steps)

    def to_dict(self) -> dict[str, Any]:
        return {"trigger": self.trigger.to_dict(), "steps": [s.to_dict() for s in self.steps]}

    @property
    def first_step(self) -> str:
        return self.steps[0].id

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def after(self, step: Step, *, matched: bool | None = None) -> str:
        """The id of the step that follows ``step`` (``END`` when the journey is over)."""
        if step.kind is StepKind.BRANCH:
            return step.then if matched else step.otherwise
        if step.next is not None:
            return step.next
        index = self.steps.index(step)
        return self.steps[index + 1].id if index + 1 < len(self.steps) else END

    def references(self) -> dict[str, set[int]]:
        """The ids the definition refers to, by kind, to check against the tenant's data."""
        refs: dict[str, set[int]] = {"tags": set(), "stages": set(), "channels": set(), "segments": set()}
        t = self.trigger
        if t.kind is TriggerKind.TAG_APPLIED:
            refs["tags"].update(t.ids)
        elif t.kind is TriggerKind.STAGE_CHANGED:
            refs["stages"].update(t.ids)
        elif t.kind is TriggerKind.CONTACT_ADDED:
            refs["channels"].update(t.ids)
        elif t.kind is TriggerKind.SEGMENT_ENTERED and t.segment_id is not None:
            refs["segments"].add(t.segment_id)
        for s in self.steps:
            if s.kind is StepKind.TAG:
                refs["tags"].update(s.ids)
            elif s.kind is StepKind.STAGE and s.stage_id is not None:
                refs["stages"].add(s.stage_id)
        return refs

    def where(self, kind: str, ref: int) -> str:
        """Where the definition first names id ``ref`` of ``kind`` (as in :meth:`references`): ``trigger`` or ``steps[i]``."""
        t = self.trigger
        by_trigger = {TriggerKind.TAG_APPLIED: "tags", TriggerKind.STAGE_CHANGED: "stages", TriggerKind.CONTACT_ADDED: "channels"}
        if (by_trigger.get(t.kind) == kind and ref in t.ids) or (kind == "segments" and t.segment_id == ref):
            return "trigger"
        for i, s in enumerate(self.steps):
            if (kind == "tags" and s.kind is StepKind.TAG and ref in s.ids) or \
                    (kind == "stages" and s.kind is StepKind.STAGE and s.stage_id == ref):
                return f"steps[{i}]"
        return "definition"


# -- parsing -----------------------------------------------------------------------------------

def _trigger(raw: Any) -> Trigger:
    where = "trigger"
    if not isinstance(raw, Mapping):
        raise InvalidInput("journey.no_trigger", "a journey needs a trigger", field=where)
    try:
        kind = TriggerKind(raw.get("kind"))
    except ValueError:
        raise InvalidInput("journey.unknown_trigger", "trigger: no trigger kind “%(kind)s”", field=where,
                           kind=str(raw.get("kind"))) from None
    if kind is TriggerKind.CONTACT_ADDED:
        return Trigger(kind, ids=_ids(raw.get("channel_ids", []), where, allow_empty=True))
    if kind is TriggerKind.TAG_APPLIED:
        return Trigger(kind, ids=_ids(raw.get("tag_ids"), where))
    if kind is TriggerKind.STAGE_CHANGED:
        return Trigger(kind, ids=_ids(raw.get("stage_ids"), where))
    if kind is TriggerKind.PURCHASE:
        return Trigger(kind, first_only=bool(raw.get("first_only", False)))
    if kind is TriggerKind.DATE_FIELD:
        name = raw.get("field")
        if not isinstance(name, str) or not (name == "birthday" or (name.startswith("field:") and len(name) > 6)):
            raise InvalidInput("journey.bad_date_field", "trigger: the date is “birthday” or “field:<key>” of a date field",
                               field=where)
        return Trigger(kind, field=name, days=_count(raw.get("days_before", 0), where, "days_before", 0, 60))
    if kind is TriggerKind.NO_PURCHASE:
        return Trigger(kind, days=_count(raw.get("days"), where, "days", 1, 3660))
    return Trigger(kind, segment_id=_count(raw.get("segment_id"), where, "segment_id", 1, 2**31))


def _step(raw: Any, where: str) -> Step:
    if not isinstance(raw, Mapping):
        raise InvalidInput("journey.step_shape", "%(where)s: a step is an object with an id and a kind", field=where, where=where)
    step_id = raw.get("id")
    if not isinstance(step_id, str) or not STEP_ID.match(step_id):
        raise InvalidInput("journey.bad_step_id", "%(where)s: a step id is 1 to 32 letters, digits, “-” or “_”",
                           field=f"{where}.id", where=where)
    try:
        kind = StepKind(raw.get("kind"))
    except ValueError:
        raise InvalidInput("journey.unknown_step_kind", "%(where)s: no step kind “%(kind)s”", field=where, where=where,
                           kind=str(raw.get("kind"))) from None
    nxt = raw.get("next")
    if nxt is not None and not isinstance(nxt, str):
        raise InvalidInput("journey.unknown_step", "%(where)s: there is no step “%(id)s”", field=where, where=where, id=str(nxt))
    common: dict[str, Any] = {"id": step_id, "kind": kind, "next": nxt}
    if kind is StepKind.WAIT:
        days = _count(raw.get("days", 0), where, "days", 0, MAX_WAIT_DAYS)
        hours = _count(raw.get("hours", 0), where, "hours", 0, 23 * 24)
        minutes = _count(raw.get("minutes", 0), where, "minutes", 0, 59 * 60)
        at = _time_of_day(raw.get("at"), where)
        if not (days or hours or minutes) and at is None:
            raise InvalidInput("journey.empty_wait", "%(where)s: a wait needs a duration or a time of day", field=where, where=where)
        return Step(**common, days=days, hours=hours, minutes=minutes, at=at)
    if kind is StepKind.BRANCH:
        try:
            rule = SegmentRule.parse(raw.get("rule"))
        except InvalidInput as exc:
            raise InvalidInput("journey.bad_branch_rule", "%(where)s: %(reason)s", field=f"{where}.rule", where=where,
                               reason=exc.message) from exc
        then, otherwise = raw.get("then", END), raw.get("else", END)
        if not isinstance(then, str) or not isinstance(otherwise, str):
            raise InvalidInput("journey.unknown_step", "%(where)s: there is no step “%(id)s”", field=where, where=where,
                               id=str(then if not isinstance(then, str) else otherwise))
        return Step(**common, rule=rule, then=then, otherwise=otherwise)
    if kind is StepKind.MESSAGE:
        return Step(**common, text=_text(raw.get("text"), where, "text", 4000))
    if kind is StepKind.GUIDE_TASK:
        return Step(**common, title=_text(raw.get("title"), where, "title", 60), text=str(raw.get("script") or "")[:2000],
                    due_days=_count(raw.get("due_days", 1), where, "due_days", 0, 60))
    if kind is StepKind.TAG:
        action = raw.get("action", "apply")
        if action not in ("apply", "remove"):
            raise InvalidInput("journey.bad_tag_action", "%(where)s: a tag step applies or removes (“apply” / “remove”)",
                               field=f"{where}.action", where=where)
        return Step(**common, action=action, ids=_ids(raw.get("tag_ids"), where))
    return Step(**common, stage_id=_count(raw.get("stage_id"), where, "stage_id", 1, 2**31))


def _ids(value: Any, where: str, *, allow_empty: bool = False) -> tuple[int, ...]:
    if not isinstance(value, list) or (not value and not allow_empty) or \
            not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value):
        raise InvalidInput("journey.bad_ids", "%(where)s: give a list of ids", field=where, where=where)
    return tuple(sorted(set(value)))


def _count(value: Any, where: str, name: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidInput("journey.bad_number", "%(where)s: “%(name)s” is a whole number from %(low)s to %(high)s",
                           field=f"{where}.{name}", where=where, name=name, low=low, high=high)
    return value


def _text(value: Any, where: str, name: str, limit: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > limit:
        raise InvalidInput("journey.bad_text", "%(where)s: “%(name)s” is 1 to %(max)s characters", field=f"{where}.{name}",
                           where=where, name=name, max=limit)
    return text


def _time_of_day(value: Any, where: str) -> time | None:
    if value is None or value == "":
        return None
    try:
        parsed = datetime.strptime(str(value), "%H:%M").time()
    except ValueError:
        raise InvalidInput("journey.bad_time", "%(where)s: a time of day is HH:MM (Asia/Shanghai)", field=f"{where}.at",
                           where=where) from None
    return parsed

