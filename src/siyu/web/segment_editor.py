"""The segment editor's form: groups of conditions as form fields, and back to a rule.

The editor is a plain form (it works without JavaScript: its buttons post the whole form and
get it back changed); htmx only makes each change swap the groups in place and ask for the
live count. One condition is the fields ``g{G}c{I}_kind``, ``_attribute``, ``_op``, ``_value``
(repeated for a multiple choice), ``_value2`` (the upper end of "between") and ``_days``; a
hidden ``g{G}`` keeps an emptied group in place. :func:`raw_rule` turns them into the rule's
stored form (``siyu.domain.segments``), leaving every check to the domain, so the errors the
editor shows are the same coded errors the API gives, by condition.

Which ops and which value widget a condition offers follows the domain's tables (kind,
attribute, the field's kind), so the editor never offers what the rule would refuse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from siyu.domain.customers import RelationState
from siyu.domain.fields import CustomField, FieldKind
from siyu.domain.identities import IdentityKind
from siyu.domain.rfm import RfmSegment
from siyu.domain.segments import (
    CHOICE_OPS,
    DATE_OPS,
    GENDERS,
    LTV_MEASURES,
    MAX_CONDITIONS,
    MAX_GROUPS,
    MEMBER_OPS,
    MULTI_OPS,
    NO_VALUE_OPS,
    NUMBER_OPS,
    ORDER_MEASURES,
    PROFILE_ATTRIBUTES,
    TEXT_OPS,
    ConditionKind,
    Op,
    ValueType,
)
from siyu.web.i18n import N_

KIND_LABELS = {
    ConditionKind.TAGS: N_("Tags"),
    ConditionKind.STAGE: N_("Stage"),
    ConditionKind.PROFILE: N_("Profile"),
    ConditionKind.FIELD: N_("Extended field"),
    ConditionKind.IDENTITY: N_("Identity"),
    ConditionKind.CHANNEL: N_("Channel"),
    ConditionKind.STAFF: N_("Staff"),
    ConditionKind.STORE: N_("Store"),
    ConditionKind.REGION: N_("Region"),
    ConditionKind.RELATION: N_("Relation state"),
    ConditionKind.ORDERS: N_("Orders"),
    ConditionKind.RFM: N_("RFM segment"),
    ConditionKind.LTV: N_("Lifetime value"),
    ConditionKind.EVENT: N_("Behaviour event"),
    ConditionKind.SEGMENT: N_("Another segment"),
}
OP_LABELS = {
    Op.EQ: N_("equals"), Op.NE: N_("does not equal"), Op.GT: N_("more than"), Op.GTE: N_("at least"),
    Op.LT: N_("less than"), Op.LTE: N_("at most"), Op.BETWEEN: N_("between"), Op.IN: N_("is one of"),
    Op.NOT_IN: N_("is none of"), Op.CONTAINS: N_("contains"), Op.SET: N_("is filled in"), Op.NOT_SET: N_("is empty"),
    Op.BEFORE: N_("before"), Op.AFTER: N_("after"), Op.ON: N_("on"), Op.WITHIN_DAYS: N_("within the last N days"),
    Op.MORE_THAN_DAYS_AGO: N_("more than N days ago"), Op.ANY: N_("has any of"), Op.ALL: N_("has all of"),
    Op.NONE: N_("has none of"), Op.AT_LEAST: N_("at least N times in the last D days"),
    Op.NOT_SINCE: N_("not once in the last D days"),
}
ATTRIBUTE_LABELS = {
    "profile": {"name": N_("Customer name"), "region": N_("Region"), "gender": N_("Gender"), "birthday": N_("Birthday"),
                "added_at": N_("Added on"), "member_level": N_("Member level")},
    "orders": {"count": N_("Number of purchases"), "gmv": N_("GMV"), "aov": N_("Average order value"),
               "first_purchase": N_("First purchase"), "last_purchase": N_("Last purchase")},
    "ltv": {"p_alive": N_("P(alive)"), "predicted_purchases_90": N_("Predicted purchases, 90 days"),
            "predicted_purchases_365": N_("Predicted purchases, 365 days"),
            "predicted_value_90": N_("Predicted value, 90 days"), "predicted_value_365": N_("Predicted value, 365 days")},
}
GENDER_LABELS = {"male": N_("Male"), "female": N_("Female"), "unknown": N_("Unknown")}
_ID_KINDS = frozenset({ConditionKind.TAGS, ConditionKind.STAGE, ConditionKind.CHANNEL, ConditionKind.STAFF,
                       ConditionKind.STORE, ConditionKind.REGION})
_FIELD_OPS = {FieldKind.TEXT: TEXT_OPS, FieldKind.NUMBER: NUMBER_OPS, FieldKind.DATE: DATE_OPS,
              FieldKind.SINGLE: CHOICE_OPS, FieldKind.MULTI: MULTI_OPS}
_NAME = re.compile(r"^g(\d+)(?:c(\d+)_(kind|attribute|op|value|value2|days))?$")


@dataclass
class Row:
    """One condition as the form has it (text, so a refused value comes back as typed)."""

    kind: str = ConditionKind.TAGS.value
    attribute: str = ""
    op: str = ""
    values: list[str] = field(default_factory=list)
    value2: str = ""
    days: str = ""

    @property
    def value(self) -> str:
        return self.values[0] if self.values else ""


@dataclass(frozen=True)
class Choices:
    """What the tenant has, for the pickers: ``(value, label)`` pairs by kind."""

    tags: list[tuple[str, str]] = field(default_factory=list)
    stages: list[tuple[str, str]] = field(default_factory=list)
    channels: list[tuple[str, str]] = field(default_factory=list)
    staff: list[tuple[str, str]] = field(default_factory=list)
    stores: list[tuple[str, str]] = field(default_factory=list)
    regions: list[tuple[str, str]] = field(default_factory=list)
    segments: list[tuple[str, str]] = field(default_factory=list)
    fields: Mapping[str, CustomField] = field(default_factory=dict)


def read_form(form: Mapping[str, list[str]]) -> list[list[Row]]:
    """The groups the posted form holds, in order (``form``: each name's values)."""
    groups: dict[int, dict[int, Row]] = {}
    for name, values in form.items():
        found = _NAME.match(name)
        if not found:
            continue
        rows = groups.setdefault(int(found.group(1)), {})
        if found.group(2) is None:
            continue
        row = rows.setdefault(int(found.group(2)), Row(kind=""))
        part = found.group(3)
        if part == "value":
            row.values = [v for v in values if v.strip()]
        else:
            setattr(row, part, (values[-1] if values else "").strip())
    return [[rows[i] for i in sorted(rows)] for _, rows in sorted(groups.items())]


def rows_of(rule: Mapping[str, Any]) -> list[list[Row]]:
    """A saved rule's stored form as the editor's rows."""
    groups = []
    for group in rule.get("groups", []):
        rows = []
        for c in group.get("conditions", []):
            value = c.get("value")
            values, value2 = ([str(v) for v in value], "") if isinstance(value, list) else (
                [] if value is None else [str(value)], "")
            if c.get("op") == Op.BETWEEN.value and isinstance(value, list) and len(value) == 2:
                values, value2 = [str(value[0])], str(value[1])
            rows.append(Row(kind=str(c.get("kind", "")), attribute=str(c.get("attribute") or ""), op=str(c.get("op", "")),
                            values=values, value2=value2, days=str(c.get("days") or "")))
        groups.append(rows)
    return groups


def change(groups: list[list[Row]], action: str) -> list[list[Row]]:
    """The groups after a button: ``add_group``, ``remove_group:G``, ``add_condition:G``,
    ``remove_condition:G:I`` (anything else changes nothing)."""
    parts = action.split(":")
    numbers = [int(p) for p in parts[1:] if p.isdigit()]
    groups = [list(g) for g in groups]
    if parts[0] == "add_group" and len(groups) < MAX_GROUPS:
        groups.append([Row()])
    elif parts[0] == "remove_group" and numbers and numbers[0] < len(groups):
        del groups[numbers[0]]
    elif parts[0] == "add_condition" and numbers and numbers[0] < len(groups) and len(groups[numbers[0]]) < MAX_CONDITIONS:
        groups[numbers[0]].append(Row())
    elif parts[0] == "remove_condition" and len(numbers) == 2 and numbers[0] < len(groups) \
            and numbers[1] < len(groups[numbers[0]]):
        del groups[numbers[0]][numbers[1]]
    return groups


# -- what a condition offers ----------------------------------------------------------------

def attributes(row: Row, choices: Choices) -> list[tuple[str, str]]:
    """``(value, label msgid or name)`` of the attributes the row's kind takes (empty: none)."""
    kind = row.kind
    if kind in ATTRIBUTE_LABELS:
        table = {"profile": PROFILE_ATTRIBUTES, "orders": ORDER_MEASURES, "ltv": dict.fromkeys(LTV_MEASURES)}[kind]
        return [(name, ATTRIBUTE_LABELS[kind][name]) for name in table]
    if kind == ConditionKind.FIELD.value:
        return [(key, f.label) for key, f in choices.fields.items()]
    if kind == ConditionKind.IDENTITY.value:
        return [(k.value, k.value) for k in IdentityKind]
    return []


def ops(row: Row, choices: Choices) -> list[Op]:
    """The ops the row's kind and attribute take, in the domain's order of the labels."""
    kind = row.kind
    if kind == ConditionKind.PROFILE.value:
        vtype = PROFILE_ATTRIBUTES.get(row.attribute, ValueType.TEXT)
        allowed = CHOICE_OPS if row.attribute == "gender" else _type_ops(vtype)
    elif kind == ConditionKind.FIELD.value:
        definition = choices.fields.get(row.attribute)
        allowed = _FIELD_OPS[definition.kind] if definition else TEXT_OPS
    elif kind == ConditionKind.IDENTITY.value:
        allowed = NO_VALUE_OPS
    elif kind == ConditionKind.TAGS.value:
        allowed = frozenset({Op.ANY, Op.ALL, Op.NONE})
    elif kind == ConditionKind.ORDERS.value:
        allowed = _type_ops(ORDER_MEASURES.get(row.attribute, ValueType.NUMBER))
    elif kind == ConditionKind.LTV.value:
        allowed = NUMBER_OPS - NO_VALUE_OPS
    elif kind == ConditionKind.EVENT.value:
        allowed = frozenset({Op.AT_LEAST, Op.NOT_SINCE})
    else:
        allowed = MEMBER_OPS
    return [op for op in OP_LABELS if op in allowed]


def _type_ops(vtype: ValueType) -> frozenset[Op]:
    return {ValueType.TEXT: TEXT_OPS, ValueType.NUMBER: NUMBER_OPS, ValueType.DATE: DATE_OPS}[vtype]


def options(row: Row, choices: Choices) -> list[tuple[str, str]] | None:
    """The picks of a choice value (None: the value is typed)."""
    kind = row.kind
    by_kind = {ConditionKind.TAGS.value: choices.tags, ConditionKind.STAGE.value: choices.stages,
               ConditionKind.CHANNEL.value: choices.channels, ConditionKind.STAFF.value: choices.staff,
               ConditionKind.STORE.value: choices.stores, ConditionKind.REGION.value: choices.regions,
               ConditionKind.SEGMENT.value: choices.segments}
    if kind in by_kind:
        return by_kind[kind]
    if kind == ConditionKind.RFM.value:
        return [(s.value, s.value) for s in RfmSegment]
    if kind == ConditionKind.RELATION.value:
        return [(s.value, s.value) for s in RelationState]
    if kind == ConditionKind.PROFILE.value and row.attribute == "gender":
        return [(g, GENDER_LABELS[g]) for g in GENDERS]
    if kind == ConditionKind.FIELD.value:
        definition = choices.fields.get(row.attribute)
        if definition and definition.kind in (FieldKind.SINGLE, FieldKind.MULTI):
            return [(o, o) for o in definition.options]
    return None


def widget(row: Row, choices: Choices) -> str:
    """How the value is entered: none, multi, single, texts, text, number, date, range_number,
    range_date, days, count (at least N in D days) or window (not since D days)."""
    op = Op(row.op) if row.op in Op.__members__.values() else None
    if op is None or op in NO_VALUE_OPS:
        return "none"
    if op is Op.AT_LEAST:
        return "count"
    if op is Op.NOT_SINCE:
        return "window"
    if op in (Op.WITHIN_DAYS, Op.MORE_THAN_DAYS_AGO):
        return "days"
    picks = options(row, choices)
    if picks is not None:
        if row.kind == ConditionKind.SEGMENT.value or op in (Op.EQ, Op.NE):
            return "single"
        return "multi"
    if op in (Op.IN, Op.NOT_IN):
        return "texts"
    vtype = _value_type(row, choices)
    if op is Op.BETWEEN:
        return "range_date" if vtype is ValueType.DATE else "range_number"
    return {ValueType.NUMBER: "number", ValueType.DATE: "date"}.get(vtype, "text")


def _value_type(row: Row, choices: Choices) -> ValueType:
    if row.kind == ConditionKind.PROFILE.value:
        return PROFILE_ATTRIBUTES.get(row.attribute, ValueType.TEXT)
    if row.kind == ConditionKind.ORDERS.value:
        return ORDER_MEASURES.get(row.attribute, ValueType.NUMBER)
    if row.kind == ConditionKind.LTV.value:
        return ValueType.NUMBER
    if row.kind == ConditionKind.FIELD.value and (definition := choices.fields.get(row.attribute)):
        return {FieldKind.NUMBER: ValueType.NUMBER, FieldKind.DATE: ValueType.DATE}.get(definition.kind, ValueType.TEXT)
    return ValueType.TEXT


def has_window(row: Row) -> bool:
    """Orders' count, GMV and AOV may be counted over the last N days."""
    return row.kind == ConditionKind.ORDERS.value and ORDER_MEASURES.get(row.attribute) is ValueType.NUMBER \
        and row.op not in (Op.WITHIN_DAYS.value, Op.MORE_THAN_DAYS_AGO.value)


def settled(groups: list[list[Row]], choices: Choices) -> list[list[Row]]:
    """Each row with a kind, an attribute and an op it can take (the first, when it had none
    or its kind changed), so the form always shows a complete condition."""
    out = []
    for group in groups:
        rows = []
        for row in group:
            kind = row.kind if row.kind in ConditionKind.__members__.values() else ConditionKind.TAGS.value
            row = replace(row, kind=kind)
            names = [a for a, _ in attributes(row, choices)]
            if names and row.attribute not in names:
                row = replace(row, attribute=names[0])
            elif not names:
                row = replace(row, attribute="" if kind != ConditionKind.EVENT.value else row.attribute)
            allowed = [op.value for op in ops(row, choices)]
            if row.op not in allowed:
                row = replace(row, op=allowed[0])
            rows.append(row)
        out.append(rows)
    return out


# -- back to a rule -------------------------------------------------------------------------

def raw_rule(groups: list[list[Row]], choices: Choices) -> dict[str, Any]:
    """The rule's stored form from the rows: values as the domain reads them (ids as numbers,
    lists as lists), anything unreadable left as typed so the domain names what is wrong."""
    return {"groups": [{"conditions": [_condition(row, choices) for row in group]} for group in groups]}


def _condition(row: Row, choices: Choices) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": row.kind, "op": row.op}
    if row.attribute:
        out["attribute"] = row.attribute
    how = widget(row, choices)
    ids = row.kind in _ID_KINDS or row.kind == ConditionKind.SEGMENT.value
    if how == "multi":
        out["value"] = [_id(v) for v in row.values] if ids else list(row.values)
    elif how == "single":
        out["value"] = _id(row.value) if ids else row.value
    elif how == "texts":
        out["value"] = [t.strip() for t in re.split(r"[,，、]", row.value) if t.strip()]
    elif how in ("range_number", "range_date"):
        out["value"] = [row.value, row.value2]
    elif how == "days":
        out["value"] = _id(row.value)
    elif how == "count":
        out["value"] = row.value
        out["days"] = _id(row.days) if row.days else None
    elif how == "window":
        out["days"] = _id(row.days) if row.days else None
    elif how in ("text", "number", "date"):
        out["value"] = row.value
    if has_window(row) and row.days:
        out["days"] = _id(row.days)
    return {k: v for k, v in out.items() if v is not None}


def _id(text: str) -> int | str:
    return int(text) if text.strip().isdigit() else text
