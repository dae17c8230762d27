"""Segment rules (人群规则): which customers a segment, a send audience or a journey branch means.

A rule is groups of conditions: the conditions inside a group are joined by AND, the groups
by OR (disjunctive normal form, as Braze and Klaviyo build audiences). A customer is in the
rule when every condition of at least one group holds for them. The stored form is plain
JSON, the same in the API, the console editor and the database::

    {"groups": [
        {"conditions": [
            {"kind": "tags", "op": "any", "value": [3, 7]},
            {"kind": "orders", "attribute": "gmv", "op": "gte", "value": 500, "days": 365}]},
        {"conditions": [{"kind": "rfm", "op": "in", "value": ["champions"]}]}]}

Parsing (``SegmentRule.parse``) checks the shape and each condition's own rules (which ops a
kind takes, the value's type, a window where one is needed); ``SegmentRule.check`` then checks
the references against a tenant's data (tag, stage, staff ids; field keys and kinds; other
segments), so an error names the condition (``groups[0].conditions[1]``) and says what is
wrong. What each kind means, exactly:

==============  =====================================================================
kind            meaning (``attribute``; ``op``; ``value``; ``days``)
==============  =====================================================================
profile         name/region (text ops), gender (eq/in/not_in: male/female/unknown),
                birthday/added_at (date ops)
field           a tenant-defined field by key; ops by the field's kind
identity        has (``set``) or lacks (``not_set``) an identity of a kind (``attribute``)
tags            ``any`` / ``all`` / ``none`` of the tag ids in ``value``
stage           current stage ``in`` / ``not_in`` the ids
channel         added through a channel (any relation's channel) ``in`` / ``not_in``
staff           has an active relation with staff ``in`` / none with staff ``not_in``
store, region   the same, through the staff member's store / the store's region
relation        has a relation in one of the states (``in``) / in none of them (``not_in``)
orders          a measure over paid orders net of refunds: count, gmv, aov (numeric ops,
                over the last ``days`` when given), first_purchase / last_purchase (date
                ops; ``not_set`` = never bought)
rfm             RFM segment ``in`` / ``not_in`` the names
ltv             p_alive, predicted_purchases_90/365, predicted_value_90/365 (numeric ops);
                a customer without a fit does not match any numeric op
event           ``at_least`` N times (``value``) in the last ``days`` days the event named
                ``attribute``; ``not_since``: not once in the last ``days`` days
segment         member (``in``) or not (``not_in``) of the saved segment id ``value``
==============  =====================================================================

Date ops: ``before`` / ``after`` / ``on`` a date (ISO), ``between`` two dates (both included),
``within_days`` (on or after today - N), ``more_than_days_ago`` (before today - N), ``set`` /
``not_set``. Numeric ops: ``eq ne gt gte lt lte between set not_set``. Text ops: ``eq ne in
not_in contains set not_set`` (``contains`` is case-insensitive). Days are counted in
Asia/Shanghai, as every date in Siyu.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from siyu.domain.access import Scope
from siyu.domain.customers import RelationState
from siyu.domain.errors import InvalidInput
from siyu.domain.fields import FieldKind
from siyu.domain.identities import IdentityKind
from siyu.domain.rfm import RfmSegment

MAX_GROUPS = 20
MAX_CONDITIONS = 30  # per group
MAX_VALUES = 1000  # ids or texts in one condition
MAX_DAYS = 3660


class ConditionKind(StrEnum):
    PROFILE = "profile"
    FIELD = "field"
    IDENTITY = "identity"
    TAGS = "tags"
    STAGE = "stage"
    CHANNEL = "channel"
    STAFF = "staff"
    STORE = "store"
    REGION = "region"
    RELATION = "relation"
    ORDERS = "orders"
    RFM = "rfm"
    LTV = "ltv"
    EVENT = "event"
    SEGMENT = "segment"


class Op(StrEnum):
    EQ = "eq"
    NE = "ne"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    BETWEEN = "between"
    IN = "in"
    NOT_IN = "not_in"
    CONTAINS = "contains"
    SET = "set"
    NOT_SET = "not_set"
    BEFORE = "before"
    AFTER = "after"
    ON = "on"
    WITHIN_DAYS = "within_days"
    MORE_THAN_DAYS_AGO = "more_than_days_ago"
    ANY = "any"
    ALL = "all"
    NONE = "none"
    AT_LEAST = "at_least"
    NOT_SINCE = "not_since"


class ValueType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"


TEXT_OPS = frozenset({Op.EQ, Op.NE, Op.IN, Op.NOT_IN, Op.CONTAINS, Op.SET, Op.NOT_SET})
NUMBER_OPS = frozenset({Op.EQ, Op.NE, Op.GT, Op.GTE, Op.LT, Op.LTE, Op.BETWEEN, Op.SET, Op.NOT_SET})
DATE_OPS = frozenset({Op.BEFORE, Op.AFTER, Op.ON, Op.BETWEEN, Op.WITHIN_DAYS, Op.MORE_THAN_DAYS_AGO, Op.SET, Op.NOT_SET})
CHOICE_OPS = frozenset({Op.EQ, Op.NE, Op.IN, Op.NOT_IN, Op.SET, Op.NOT_SET})
MULTI_OPS = frozenset({Op.ANY, Op.ALL, Op.NONE, Op.SET, Op.NOT_SET})
MEMBER_OPS = frozenset({Op.IN, Op.NOT_IN})
NO_VALUE_OPS = frozenset({Op.SET, Op.NOT_SET})

PROFILE_ATTRIBUTES: dict[str, ValueType] = {
    "name": ValueType.TEXT, "region": ValueType.TEXT, "gender": ValueType.TEXT, "member_level": ValueType.TEXT,
    "birthday": ValueType.DATE, "added_at": ValueType.DATE,
}
GENDERS = ("male", "female", "unknown")
ORDER_MEASURES: dict[str, ValueType] = {
    "count": ValueType.NUMBER, "gmv": ValueType.NUMBER, "aov": ValueType.NUMBER,
    "first_purchase": ValueType.DATE, "last_purchase": ValueType.DATE,
}
LTV_MEASURES = ("p_alive", "predicted_purchases_90", "predicted_purchases_365", "predicted_value_90",
                "predicted_value_365")
ID_KINDS = frozenset({ConditionKind.STAGE, ConditionKind.CHANNEL, ConditionKind.STAFF, ConditionKind.STORE,
                      ConditionKind.REGION})
_OPS_BY_TYPE = {ValueType.TEXT: TEXT_OPS, ValueType.NUMBER: NUMBER_OPS, ValueType.DATE: DATE_OPS}
_FIELD_TYPES = {FieldKind.TEXT: ValueType.TEXT, FieldKind.NUMBER: ValueType.NUMBER, FieldKind.DATE: ValueType.DATE,
                FieldKind.SINGLE: ValueType.TEXT, FieldKind.MULTI: ValueType.TEXT}


_COMPARISONS: dict[Op, Callable[[Any, Any], Any]] = {
    Op.EQ: operator.eq, Op.NE: operator.ne, Op.GT: operator.gt, Op.GTE: operator.ge, Op.LT: operator.lt,
    Op.LTE: operator.le,
}
COMPARISON_OPS = frozenset(_COMPARISONS) | {Op.BETWEEN}


def compare(x: Any, op: Op, v: Any) -> Any:
    """``x op v`` for ``eq ne gt gte lt lte between``, on anything with Python's comparison and
    ``&`` operators: plain numbers and dates, Ibis and SQLAlchemy expressions alike (so the
    warehouse, the operational store and the in-Python field check share one meaning)."""
    if op is Op.BETWEEN:
        return (x >= v[0]) & (x <= v[1])
    return _COMPARISONS[op](x, v)


def day_range(op: Op, v: Any, today: date) -> tuple[date | None, date | None]:
    """A date op as the days it covers: ``[start, end)``, ``None`` for an open side."""
    day = timedelta(days=1)
    if op is Op.BEFORE:
        return None, v
    if op is Op.AFTER:
        return v + day, None
    if op is Op.ON:
        return v, v + day
    if op is Op.BETWEEN:
        return v[0], v[1] + day
    if op is Op.WITHIN_DAYS:
        return today - timedelta(days=v), None
    if op is Op.MORE_THAN_DAYS_AGO:
        return None, today - timedelta(days=v)
    raise ValueError(f"{op} is not a date op with a range")


@dataclass(frozen=True, slots=True)
class Condition:
    kind: ConditionKind
    op: Op
    value: Any = None  # normalised: a tuple for lists, a date for dates, int/float for numbers
    attribute: str | None = None
    days: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind.value, "op": self.op.value}
        if self.attribute is not None:
            out["attribute"] = self.attribute
        if self.value is not None:
            out["value"] = _plain(self.value)
        if self.days is not None:
            out["days"] = self.days
        return out


@dataclass(frozen=True, slots=True)
class ConditionGroup:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class RuleCatalog:
    """What a tenant has, to check a rule's references against (built by the service)."""

    fields: Mapping[str, FieldKind] = field(default_factory=dict)
    field_options: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    tag_ids: frozenset[int] = frozenset()
    stage_ids: frozenset[int] = frozenset()
    channel_ids: frozenset[int] = frozenset()
    staff_ids: frozenset[int] = frozenset()
    store_ids: frozenset[int] = frozenset()
    region_ids: frozenset[int] = frozenset()
    segment_ids: frozenset[int] = frozenset()
    segment_rules: Mapping[int, SegmentRule] = field(default_factory=dict)  # to find cycles


@dataclass(frozen=True, slots=True)
class SegmentRule:
    groups: tuple[ConditionGroup, ...]

    # -- reading and writing the stored form -----------------------------------------------
    @classmethod
    def parse(cls, raw: Any) -> SegmentRule:
        parsed = []
        for g, group in enumerate(_groups_of(raw)):
            where = f"groups[{g}]"
            parsed.append(ConditionGroup(tuple(_parse_condition(c, f"{where}.conditions[{i}]")
                                               for i, c in enumerate(_conditions_of(group, where)))))
        return cls(tuple(parsed))

    @classmethod
    def problems(cls, raw: Any, catalog: RuleCatalog, *, segment_id: int | None = None) -> list[InvalidInput]:
        """Every problem of the rule at once, at most one per group or condition, each naming
        where it is (``field``): what the editor shows next to each condition. Empty: the rule
        parses and checks (the cycle check runs once every condition is right)."""
        try:
            groups = _groups_of(raw)
        except InvalidInput as exc:
            return [exc]
        found: list[InvalidInput] = []
        for g, group in enumerate(groups):
            where = f"groups[{g}]"
            try:
                conditions = _conditions_of(group, where)
            except InvalidInput as exc:
                found.append(exc)
                continue
            for i, c in enumerate(conditions):
                at = f"{where}.conditions[{i}]"
                try:
                    _check_condition(_parse_condition(c, at), at, catalog, segment_id)
                except InvalidInput as exc:
                    found.append(exc)
        if not found:
            try:
                cls.parse(raw).check(catalog, segment_id=segment_id)
            except InvalidInput as exc:
                found.append(exc)
        return found

    def within(self, scope: Scope) -> SegmentRule:
        """The rule cut to the customers an actor's scope sees (followed, actively, by the
        guide, or by a staff member of the store): a ``staff`` / ``store`` condition ANDed into
        every group, which means on the warehouse exactly what the scope means operationally."""
        if scope.staff_id is not None:
            cut = Condition(ConditionKind.STAFF, Op.IN, (scope.staff_id,))
        elif scope.store_id is not None:
            cut = Condition(ConditionKind.STORE, Op.IN, (scope.store_id,))
        else:
            return self
        return SegmentRule(tuple(ConditionGroup((*g.conditions, cut)) for g in self.groups))

    def to_dict(self) -> dict[str, Any]:
        return {"groups": [{"conditions": [c.to_dict() for c in g.conditions]} for g in self.groups]}

    # -- questions about the rule ----------------------------------------------------------
    def conditions(self) -> Iterable[tuple[str, Condition]]:
        for g, group in enumerate(self.groups):
            for i, condition in enumerate(group.conditions):
                yield f"groups[{g}].conditions[{i}]", condition

    def referenced_segments(self) -> frozenset[int]:
        return frozenset(c.value for _, c in self.conditions() if c.kind is ConditionKind.SEGMENT)

    def check(self, catalog: RuleCatalog, *, segment_id: int | None = None) -> SegmentRule:
        """The rule with field values in their field's type; InvalidInput for the first reference
        the tenant does not have, an op the field's kind does not take, or a cycle."""
        for where, c in self.conditions():
            _check_condition(c, where, catalog, segment_id)
        if segment_id is not None and _reaches(self, segment_id, catalog.segment_rules):
            raise InvalidInput("segment.cycle", "this rule refers back to the segment itself through other segments",
                               field="groups")
        return SegmentRule(tuple(ConditionGroup(tuple(_typed_field(c, catalog) for c in g.conditions))
                                 for g in self.groups))


def _groups_of(raw: Any) -> list[Any]:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("groups"), list):
        raise InvalidInput("segment.rule_shape", "a rule is {\"groups\": [{\"conditions\": [...]}, ...]}",
                           field="groups")
    groups = raw["groups"]
    if not groups:
        raise InvalidInput("segment.no_groups", "a rule needs at least one group of conditions", field="groups")
    if len(groups) > MAX_GROUPS:
        raise InvalidInput("segment.too_many_groups", "a rule has at most %(max)s groups", field="groups",
                           max=MAX_GROUPS)
    return groups


def _conditions_of(group: Any, where: str) -> list[Any]:
    conditions = group.get("conditions") if isinstance(group, Mapping) else None
    if not isinstance(conditions, list) or not conditions:
        raise InvalidInput("segment.empty_group", "%(where)s: a group needs at least one condition", field=where,
                           where=where)
    if len(conditions) > MAX_CONDITIONS:
        raise InvalidInput("segment.too_many_conditions", "%(where)s: a group has at most %(max)s conditions",
                           field=where, where=where, max=MAX_CONDITIONS)
    return conditions


class RuleProblems(InvalidInput):
    """A rule with problems, all of them (``problems``, see :meth:`SegmentRule.problems`)."""

    code = "segment.rule_problems"
    template = "the rule has %(count)s problems; each names its group or condition"

    def __init__(self, *, problems: Iterable[InvalidInput]) -> None:
        self.problems = tuple(problems)
        super().__init__(self.code, self.template, field="groups", count=len(self.problems))


def _check_condition(c: Condition, where: str, catalog: RuleCatalog, segment_id: int | None) -> None:
    known = {ConditionKind.STAGE: catalog.stage_ids, ConditionKind.CHANNEL: catalog.channel_ids,
             ConditionKind.STAFF: catalog.staff_ids, ConditionKind.STORE: catalog.store_ids,
             ConditionKind.REGION: catalog.region_ids, ConditionKind.TAGS: catalog.tag_ids}
    if c.kind in known and c.op not in NO_VALUE_OPS:
        unknown = [v for v in c.value if v not in known[c.kind]]
        if unknown:
            raise InvalidInput("segment.unknown_reference", "%(where)s: no %(kind)s with id %(id)s", field=where,
                               where=where, kind=c.kind.value, id=unknown[0])
    elif c.kind is ConditionKind.FIELD:
        _check_field(c, where, catalog)
    elif c.kind is ConditionKind.SEGMENT:
        if c.value == segment_id:
            raise InvalidInput("segment.self_reference", "%(where)s: a segment cannot contain itself", field=where,
                               where=where)
        if c.value not in catalog.segment_ids:
            raise InvalidInput("segment.unknown_reference", "%(where)s: no %(kind)s with id %(id)s", field=where,
                               where=where, kind=c.kind.value, id=c.value)


def _reaches(rule: SegmentRule, target: int, rules: Mapping[int, SegmentRule]) -> bool:
    seen: set[int] = set()
    stack = list(rule.referenced_segments())
    while stack:
        current = stack.pop()
        if current == target:
            return True
        if current in seen or current not in rules:
            continue
        seen.add(current)
        stack.extend(rules[current].referenced_segments())
    return False


def _typed_field(c: Condition, catalog: RuleCatalog) -> Condition:
    if c.kind is not ConditionKind.FIELD or c.op in NO_VALUE_OPS:
        return c
    vtype = _FIELD_TYPES[catalog.fields[c.attribute or ""]]
    if c.op in (Op.IN, Op.NOT_IN, Op.ANY, Op.ALL, Op.NONE, Op.WITHIN_DAYS, Op.MORE_THAN_DAYS_AGO):
        return c
    raw = list(c.value) if isinstance(c.value, tuple) else c.value
    return Condition(c.kind, c.op, _value(c.op, raw, vtype, ""), c.attribute, c.days)


def _check_field(c: Condition, where: str, catalog: RuleCatalog) -> None:
    kind = catalog.fields.get(c.attribute or "")
    if kind is None:
        raise InvalidInput("segment.unknown_field", "%(where)s: no field with key “%(key)s”", field=where, where=where,
                           key=c.attribute or "")
    allowed = MULTI_OPS if kind is FieldKind.MULTI else CHOICE_OPS if kind is FieldKind.SINGLE else \
        _OPS_BY_TYPE[_FIELD_TYPES[kind]]
    if c.op not in allowed:
        raise InvalidInput("segment.op_not_allowed", "%(where)s: “%(op)s” does not apply to %(what)s", field=where,
                           where=where, op=c.op.value, what=c.attribute or "")
    if c.op in NO_VALUE_OPS:
        return
    vtype = _FIELD_TYPES[kind]
    value = _value(c.op, list(c.value) if isinstance(c.value, tuple) else c.value, vtype, where)
    if kind in (FieldKind.SINGLE, FieldKind.MULTI):
        options = catalog.field_options.get(c.attribute or "", ())
        wrong = [v for v in (value if isinstance(value, tuple) else (value,)) if v not in options]
        if wrong:
            raise InvalidInput("segment.unknown_option", "%(where)s: “%(value)s” is not one of %(options)s", field=where,
                               where=where, value=str(wrong[0]), options=", ".join(options))


# -- one condition -------------------------------------------------------------------------
def _parse_condition(raw: Any, where: str) -> Condition:
    if not isinstance(raw, Mapping):
        raise InvalidInput("segment.condition_shape", "%(where)s: a condition is {\"kind\": ..., \"op\": ..., ...}",
                           field=where, where=where)
    try:
        kind = ConditionKind(raw.get("kind"))
    except ValueError:
        raise InvalidInput("segment.unknown_kind", "%(where)s: “%(kind)s” is not a kind of condition", field=where,
                           where=where, kind=str(raw.get("kind"))) from None
    try:
        op = Op(raw.get("op"))
    except ValueError:
        raise InvalidInput("segment.unknown_op", "%(where)s: “%(op)s” is not an operator", field=where, where=where,
                           op=str(raw.get("op"))) from None
    attribute = raw.get("attribute")
    attribute = str(attribute).strip() if attribute is not None else None
    days = _days(raw.get("days"), where) if raw.get("days") is not None else None
    value = raw.get("value")

    def allow(ops: frozenset[Op], what: str) -> None:
        if op not in ops:
            raise InvalidInput("segment.op_not_allowed", "%(where)s: “%(op)s” does not apply to %(what)s", field=where,
                               where=where, op=op.value, what=what)

    def need_attribute(choices: Iterable[str] | None, what: str) -> str:
        options = tuple(choices) if choices is not None else None
        if not attribute or (options is not None and attribute not in options):
            raise InvalidInput("segment.bad_attribute", "%(where)s: %(what)s needs an attribute, one of %(options)s",
                               field=where, where=where, what=what, options=", ".join(options or ("a name",)))
        return attribute

    if kind is ConditionKind.PROFILE:
        name = need_attribute(PROFILE_ATTRIBUTES, "profile")
        if name == "gender":
            allow(CHOICE_OPS, name)
            value = _choices(op, value, GENDERS, where)
        else:
            allow(_OPS_BY_TYPE[PROFILE_ATTRIBUTES[name]], name)
            value = _value(op, value, PROFILE_ATTRIBUTES[name], where)
        return Condition(kind, op, value, name)
    if kind is ConditionKind.FIELD:  # the op and value are checked against the field's kind in check()
        name = need_attribute(None, "field")
        if op in NO_VALUE_OPS:
            return Condition(kind, op, None, name)
        if op in (Op.IN, Op.NOT_IN, Op.ANY, Op.ALL, Op.NONE):
            return Condition(kind, op, _texts(value, where), name)
        if op in (Op.WITHIN_DAYS, Op.MORE_THAN_DAYS_AGO):
            return Condition(kind, op, _days(value, where), name)
        if value is None or isinstance(value, (bool, dict)):
            raise _needs(where, "a value")
        return Condition(kind, op, tuple(value) if isinstance(value, list) else value, name)
    if kind is ConditionKind.IDENTITY:
        name = need_attribute((k.value for k in IdentityKind), "identity")
        allow(NO_VALUE_OPS, "identity")
        return Condition(kind, op, None, name)
    if kind is ConditionKind.TAGS:
        allow(frozenset({Op.ANY, Op.ALL, Op.NONE}), "tags")
        return Condition(kind, op, _ids(value, where))
    if kind in ID_KINDS:
        allow(MEMBER_OPS, kind.value)
        return Condition(kind, op, _ids(value, where))
    if kind is ConditionKind.RELATION:
        allow(MEMBER_OPS, "relation")
        return Condition(kind, op, _choices(Op.IN, value, [s.value for s in RelationState], where))
    if kind is ConditionKind.ORDERS:
        name = need_attribute(ORDER_MEASURES, "orders")
        vtype = ORDER_MEASURES[name]
        allow(_OPS_BY_TYPE[vtype], name)
        if days is not None and vtype is not ValueType.NUMBER:
            raise InvalidInput("segment.days_not_allowed", "%(where)s: a window in days applies to count, gmv and aov only",
                               field=where, where=where)
        return Condition(kind, op, _value(op, value, vtype, where), name, days)
    if kind is ConditionKind.RFM:
        allow(MEMBER_OPS, "rfm")
        return Condition(kind, op, _choices(Op.IN, value, [s.value for s in RfmSegment], where))
    if kind is ConditionKind.LTV:
        name = need_attribute(LTV_MEASURES, "ltv")
        allow(NUMBER_OPS - NO_VALUE_OPS, name)
        return Condition(kind, op, _value(op, value, ValueType.NUMBER, where), name)
    if kind is ConditionKind.EVENT:
        name = need_attribute(None, "event")
        allow(frozenset({Op.AT_LEAST, Op.NOT_SINCE}), "event")
        if days is None:
            raise _needs(where, "a window in days")
        if op is Op.AT_LEAST:
            count = _number(value, where)
            if count != int(count) or count < 1:
                raise InvalidInput("segment.bad_count", "%(where)s: “at least” takes a whole number from 1", field=where,
                                   where=where)
            return Condition(kind, op, int(count), name, days)
        return Condition(kind, op, None, name, days)
    allow(MEMBER_OPS, "segment")  # ConditionKind.SEGMENT
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _needs(where, "a segment id")
    return Condition(kind, op, value)


def _needs(where: str, what: str) -> InvalidInput:
    return InvalidInput("segment.value_needed", "%(where)s: this condition needs %(what)s", field=where, where=where,
                        what=what)


def _value(op: Op, value: Any, vtype: ValueType, where: str) -> Any:
    if op in NO_VALUE_OPS:
        return None
    if op in (Op.WITHIN_DAYS, Op.MORE_THAN_DAYS_AGO):
        return _days(value, where)
    if op is Op.BETWEEN:
        if not isinstance(value, list) or len(value) != 2:
            raise _needs(where, "two values [from, to]")
        low, high = (_scalar(v, vtype, where) for v in value)
        if low > high:
            raise InvalidInput("segment.bad_range", "%(where)s: the first value is after the second", field=where,
                               where=where)
        return (low, high)
    if op in (Op.IN, Op.NOT_IN, Op.ANY, Op.ALL, Op.NONE):
        return _texts(value, where)
    return _scalar(value, vtype, where)


def _scalar(value: Any, vtype: ValueType, where: str) -> Any:
    if vtype is ValueType.NUMBER:
        return _number(value, where)
    if vtype is ValueType.DATE:
        try:
            return value if isinstance(value, date) else date.fromisoformat(str(value))
        except ValueError:
            raise InvalidInput("segment.bad_date", "%(where)s: “%(value)s” is not a date (YYYY-MM-DD)", field=where,
                               where=where, value=str(value)) from None
    if not isinstance(value, str) or not value.strip():
        raise _needs(where, "a text")
    return value.strip()


def _number(value: Any, where: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(str(value))
        except ValueError:
            raise InvalidInput("segment.bad_number", "%(where)s: “%(value)s” is not a number", field=where, where=where,
                               value=str(value)) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidInput("segment.bad_number", "%(where)s: “%(value)s” is not a number", field=where, where=where,
                           value=str(value))
    return int(value) if float(value).is_integer() else float(value)


def _days(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DAYS:
        raise InvalidInput("segment.bad_days", "%(where)s: days is a whole number from 1 to %(max)s", field=where,
                           where=where, max=MAX_DAYS)
    return value


def _ids(value: Any, where: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not value or len(value) > MAX_VALUES or \
            any(isinstance(v, bool) or not isinstance(v, int) for v in value):
        raise InvalidInput("segment.bad_ids", "%(where)s: the value is a list of 1 to %(max)s ids", field=where,
                           where=where, max=MAX_VALUES)
    return tuple(dict.fromkeys(value))


def _texts(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or len(value) > MAX_VALUES or \
            any(not isinstance(v, str) or not v.strip() for v in value):
        raise InvalidInput("segment.bad_list", "%(where)s: the value is a list of 1 to %(max)s texts", field=where,
                           where=where, max=MAX_VALUES)
    return tuple(dict.fromkeys(v.strip() for v in value))


def _choices(op: Op, value: Any, choices: Iterable[str], where: str) -> Any:
    allowed = tuple(choices)
    if op in NO_VALUE_OPS:
        return None
    values = _texts(value, where) if isinstance(value, list) or op in MEMBER_OPS else (_scalar(value, ValueType.TEXT, where),)
    wrong = [v for v in values if v not in allowed]
    if wrong:
        raise InvalidInput("segment.unknown_option", "%(where)s: “%(value)s” is not one of %(options)s", field=where,
                           where=where, value=wrong[0], options=", ".join(allowed))
    return values if isinstance(value, list) or op in MEMBER_OPS else values[0]


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


@dataclass(frozen=True, slots=True)
class CustomerScore:
    """One customer's stored scores (``customer_scores``), read by the rfm and ltv conditions.

    A customer with no purchase has no scores at all; while the tenant's purchases cannot fit
    the lifetime-value models, the ltv measures are unset (``None``): no numeric op matches them.
    """

    rfm_segment: str | None = None
    p_alive: float | None = None
    predicted_purchases_90: float | None = None
    predicted_purchases_365: float | None = None
    predicted_value_90: float | None = None
    predicted_value_365: float | None = None

    def values(self) -> tuple[str | float | None, ...]:
        """In the order of ``("rfm_segment",) + LTV_MEASURES``."""
        return (self.rfm_segment, self.p_alive, self.predicted_purchases_90, self.predicted_purchases_365,
                self.predicted_value_90, self.predicted_value_365)


@dataclass(frozen=True, slots=True)
class SegmentRefresh:
    """The last materialisation of a segment into its smart tag."""

    refreshed_at: datetime
    members: int
    added: int
    removed: int


@dataclass(frozen=True, slots=True)
class Segment:
    """A saved rule with a name; ``materialise_as_tag_id``: kept as that smart tag after each sync."""

    id: int
    name: str
    description: str
    rule: SegmentRule
    materialise_as_tag_id: int | None
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime
    last_refresh: SegmentRefresh | None = None


def rule_tag_ids(rule: SegmentRule, saved: Mapping[int, SegmentRule]) -> frozenset[int]:
    """Every tag id the rule reads, through the saved segments it refers to as well."""
    found: set[int] = set()
    seen: set[int] = set()
    stack = [rule]
    while stack:
        current = stack.pop()
        for _, c in current.conditions():
            if c.kind is ConditionKind.TAGS:
                found.update(c.value)
            elif c.kind is ConditionKind.SEGMENT and c.value not in seen and c.value in saved:
                seen.add(c.value)
                stack.append(saved[c.value])
    return frozenset(found)


def refresh_order(rules: Mapping[int, SegmentRule], kept_tags: Mapping[int, int]) -> list[int]:
    """The segments of ``kept_tags`` (segment id -> the tag it is kept as), each after those it
    depends on: the segments its rule refers to, and the segments whose kept tag it reads (their
    tag must be refreshed before it is read). Ties go by id; a cycle, which the rule check
    refuses, is broken by id too rather than dropping a segment."""
    tag_owner = {tag: segment for segment, tag in kept_tags.items()}

    def needs(segment_id: int) -> set[int]:
        out: set[int] = set()
        seen: set[int] = set()
        stack = [segment_id]
        while stack:  # through segments that are not kept too: their rules are inlined
            current = stack.pop()
            rule = rules.get(current)
            if rule is None:
                continue
            for _, c in rule.conditions():
                if c.kind is ConditionKind.SEGMENT and c.value not in seen:
                    seen.add(c.value)
                    stack.append(c.value)
                elif c.kind is ConditionKind.TAGS:
                    out.update(tag_owner[t] for t in c.value if t in tag_owner)
            out.update(s for s in seen if s in kept_tags)
        out.discard(segment_id)
        return out

    waiting = {s: needs(s) for s in sorted(kept_tags)}
    order: list[int] = []
    while waiting:
        ready = [s for s, deps in waiting.items() if not deps - set(order)]
        chosen = ready[0] if ready else min(waiting)
        order.append(chosen)
        del waiting[chosen]
    return order


def clean_segment_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 40:
        raise InvalidInput("segment.bad_name", "a segment name is 1 to 40 characters", field="name")
    return name


def clean_description(description: str | None) -> str:
    text = (description or "").strip()
    if len(text) > 200:
        raise InvalidInput("segment.description_too_long", "a description is at most 200 characters", field="description")
    return text
