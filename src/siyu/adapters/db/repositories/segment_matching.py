"""Which customers a segment rule matches, on the operational store (fresh, one or a few customers).

Journeys and send planning need the answer *now* for the customers in hand, not as of the last
warehouse sync (``siyu.services.segment_matching.matching_customers``): :func:`matching_ids` compiles the rule into one SQLAlchemy query (plain
Core: ``IN`` / ``NOT IN`` sub-selects, the same on SQLite and PostgreSQL) over the live
customers of the tenant. The meaning of every condition is the one of
``siyu.analytics.segments`` (the warehouse side), and a test holds the two to the same answer.
Extended-field conditions read the customers' JSON fields in Python (JSON functions differ
between the engines), so they are meant for the small sets this module serves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from siyu.adapters.db.tables import (
    channels,
    customer_identities,
    customer_tags,
    customers,
    events,
    orders,
    staff,
    staff_relations,
    stores,
)
from siyu.adapters.db.tables.segments import customer_scores
from siyu.domain.customers import RelationState
from siyu.domain.fields import FieldKind
from siyu.domain.days import day_start_utc
from siyu.domain.segments import COMPARISON_OPS, Condition, ConditionKind, Op, SegmentRule, compare, day_range

GENDER_CODES = {"unknown": 0, "male": 1, "female": 2}


def matching_ids(session: Session, tenant_id: int, rule: SegmentRule, customer_ids: set[int] | None, today: date, *,
                 saved_rules: Callable[[], Mapping[int, SegmentRule]],
                 field_kinds: Callable[[], Mapping[str, FieldKind]]) -> set[int]:
    """The live customers (of ``customer_ids``, or all) the rule matches; the saved rules (for
    ``segment`` conditions) and the field kinds are read only when the rule needs them."""
    compiler = _Compiler(session, tenant_id, today, customer_ids, saved_rules, field_kinds)
    c = customers.c
    query = select(c.id).where(c.tenant_id == tenant_id, c.merged_into_id.is_(None), compiler.rule(rule))
    if customer_ids is not None:
        query = query.where(c.id.in_(sorted(customer_ids)))
    return set(session.execute(query).scalars())


def _day_start(day: date) -> datetime:
    """The UTC instant an Asia/Shanghai day starts (the operational tables store UTC)."""
    return day_start_utc(day).replace(tzinfo=UTC)


def _numeric(x: Any, op: Op, v: Any) -> Any:
    if op is Op.SET:
        return x.is_not(None)
    if op is Op.NOT_SET:
        return x.is_(None)
    return compare(x, op, v)


def _dated(x: Any, op: Op, v: Any, today: date, *, timestamp: bool) -> Any:
    """A date op on a date column, or on a timestamp column by Shanghai day."""
    if op is Op.SET:
        return x.is_not(None)
    if op is Op.NOT_SET:
        return x.is_(None)
    start, end = day_range(op, v, today)

    def lo(day: date) -> Any:
        return _day_start(day) if timestamp else day

    return and_(*([x >= lo(start)] if start else []), *([x < lo(end)] if end else []))


def _text(x: Any, op: Op, v: Any) -> Any:
    if op is Op.EQ:
        return x == v
    if op is Op.NE:
        return x != v
    if op is Op.IN:
        return x.in_(v)
    if op is Op.NOT_IN:
        return x.not_in(v)
    if op is Op.CONTAINS:
        return func.lower(x).contains(v.lower(), autoescape=True)
    if op is Op.SET:
        return and_(x.is_not(None), x != "")
    return or_(x.is_(None), x == "")  # NOT_SET


class _Compiler:
    def __init__(self, session: Session, tenant_id: int, today: date, customer_ids: set[int] | None,
                 saved_rules: Callable[[], Mapping[int, SegmentRule]],
                 field_kinds: Callable[[], Mapping[str, FieldKind]]) -> None:
        self.session, self.tenant_id, self.today, self.customer_ids = session, tenant_id, today, customer_ids
        self._saved_rules, self._field_kinds = saved_rules, field_kinds
        self._rules: Mapping[int, SegmentRule] | None = None

    def rule(self, rule: SegmentRule, seen: frozenset[int] = frozenset()) -> ColumnElement[bool]:
        return or_(*[and_(*[self.condition(c, seen) for c in g.conditions]) for g in rule.groups])

    def condition(self, c: Condition, seen: frozenset[int]) -> ColumnElement[bool]:
        handler: Callable[[Condition], Any] | None = getattr(self, f"_{c.kind.value}", None)
        if c.kind is ConditionKind.SEGMENT:
            if self._rules is None:
                self._rules = self._saved_rules()
            inner = self._rules.get(c.value)
            matched = false() if inner is None or c.value in seen else self.rule(inner, seen | {c.value})
            return matched if c.op is Op.IN else ~matched
        assert handler is not None
        return handler(c)  # type: ignore[no-any-return]

    def _in(self, query: Select[Any], negate: bool = False) -> ColumnElement[bool]:
        return customers.c.id.not_in(query) if negate else customers.c.id.in_(query)

    # -- conditions ------------------------------------------------------------------------
    def _profile(self, c: Condition) -> Any:
        col = customers.c
        if c.attribute == "gender":
            if c.op is Op.SET:
                return col.gender != 0
            if c.op is Op.NOT_SET:
                return col.gender == 0
            value = tuple(GENDER_CODES[v] for v in c.value) if isinstance(c.value, tuple) else GENDER_CODES[c.value]
            return _text(col.gender, c.op, value)
        if c.attribute == "birthday":
            return _dated(col.birthday, c.op, c.value, self.today, timestamp=False)
        if c.attribute == "added_at":
            return _dated(col.added_at, c.op, c.value, self.today, timestamp=True)
        return _text({"name": col.name, "member_level": col.member_level}.get(c.attribute or "", col.region), c.op, c.value)

    def _field(self, c: Condition) -> Any:
        kind = self._field_kinds()[c.attribute or ""]
        col = customers.c
        query = select(col.id, col.fields).where(col.tenant_id == self.tenant_id, col.merged_into_id.is_(None))
        if self.customer_ids is not None:
            query = query.where(col.id.in_(sorted(self.customer_ids)))
        ids = [row.id for row in self.session.execute(query)
               if field_matches(kind, (row.fields or {}).get(c.attribute or ""), c, self.today)]
        return col.id.in_(ids) if ids else false()

    def _identity(self, c: Condition) -> Any:
        i = customer_identities.c
        has = select(i.customer_id).where(i.tenant_id == self.tenant_id, i.kind == c.attribute)
        return self._in(has, negate=c.op is Op.NOT_SET)

    def _tags(self, c: Condition) -> Any:
        t = customer_tags.c
        tagged = select(t.customer_id).where(t.tenant_id == self.tenant_id, t.tag_id.in_(c.value))
        if c.op is Op.ALL:
            return self._in(tagged.group_by(t.customer_id).having(func.count(func.distinct(t.tag_id)) == len(c.value)))
        return self._in(tagged, negate=c.op is Op.NONE)

    def _stage(self, c: Condition) -> Any:
        s = customers.c.stage_id
        return s.in_(c.value) if c.op is Op.IN else or_(s.is_(None), s.not_in(c.value))

    def _relations(self) -> Select[Any]:
        r = staff_relations.c
        return select(r.customer_id).where(r.tenant_id == self.tenant_id)

    def _channel(self, c: Condition) -> Any:
        r, ch = staff_relations.c, channels.c
        states = select(ch.state).where(ch.tenant_id == self.tenant_id, ch.id.in_(c.value))
        return self._in(self._relations().where(r.channel_state.in_(states)), negate=c.op is Op.NOT_IN)

    def _active(self, staff_ids: Select[Any] | tuple[int, ...], negate: bool) -> Any:
        r = staff_relations.c
        query = self._relations().where(r.state == RelationState.ACTIVE.value, r.staff_id.in_(staff_ids))
        return self._in(query, negate=negate)

    def _staff(self, c: Condition) -> Any:
        return self._active(c.value, c.op is Op.NOT_IN)

    def _store(self, c: Condition) -> Any:
        s = staff.c
        return self._active(select(s.id).where(s.tenant_id == self.tenant_id, s.store_id.in_(c.value)), c.op is Op.NOT_IN)

    def _region(self, c: Condition) -> Any:
        s, st = staff.c, stores.c
        in_region = select(st.id).where(st.tenant_id == self.tenant_id, st.region_id.in_(c.value))
        return self._active(select(s.id).where(s.tenant_id == self.tenant_id, s.store_id.in_(in_region)), c.op is Op.NOT_IN)

    def _relation(self, c: Condition) -> Any:
        r = staff_relations.c
        return self._in(self._relations().where(r.state.in_(c.value)), negate=c.op is Op.NOT_IN)

    def _orders(self, c: Condition) -> Any:
        o = orders.c
        bought = select(o.customer_id).where(o.tenant_id == self.tenant_id, o.customer_id.is_not(None),
                                             o.amount > o.refunded_amount)
        if c.days is not None:
            bought = bought.where(o.ordered_at >= _day_start(self.today - timedelta(days=c.days)))
        if c.op is Op.SET:
            return self._in(bought)
        if c.op is Op.NOT_SET:
            return self._in(bought, negate=True)
        per = bought.group_by(o.customer_id)
        net = func.sum(o.amount - o.refunded_amount)
        if c.attribute in ("first_purchase", "last_purchase"):
            at = func.min(o.ordered_at) if c.attribute == "first_purchase" else func.max(o.ordered_at)
            return self._in(per.having(_dated(at, c.op, c.value, self.today, timestamp=True)))
        measure = {"count": func.count(), "gmv": net, "aov": net / func.count()}[c.attribute or ""]
        matched = self._in(per.having(_numeric(measure, c.op, c.value)))
        if c.attribute != "aov" and c.op in COMPARISON_OPS and compare(0, c.op, c.value):  # customers with no purchase have 0
            return or_(matched, self._in(bought, negate=True))
        return matched

    def _scores(self) -> Select[Any]:
        s = customer_scores.c
        return select(s.customer_id).where(s.tenant_id == self.tenant_id)

    def _rfm(self, c: Condition) -> Any:
        s = customer_scores.c
        return self._in(self._scores().where(s.rfm_segment.in_(c.value)), negate=c.op is Op.NOT_IN)

    def _ltv(self, c: Condition) -> Any:
        s = customer_scores.c
        return self._in(self._scores().where(_numeric(s[c.attribute or ""], c.op, c.value)))

    def _event(self, c: Condition) -> Any:
        e = events.c
        assert c.days is not None
        recent = select(e.customer_id).where(e.tenant_id == self.tenant_id, e.name == c.attribute,
                                             e.occurred_at >= _day_start(self.today - timedelta(days=c.days)))
        if c.op is Op.NOT_SINCE:
            return self._in(recent.where(e.customer_id.is_not(None)), negate=True)
        return self._in(recent.group_by(e.customer_id).having(func.count() >= c.value))


def field_matches(kind: FieldKind, stored: Any, c: Condition, today: date) -> bool:
    """One customer's stored field value against a field condition."""
    empty = stored is None or stored == "" or stored == []
    if c.op is Op.SET:
        return not empty
    if c.op is Op.NOT_SET:
        return empty
    if kind is FieldKind.MULTI:
        chosen = set(stored or [])
        if c.op is Op.ANY:
            return bool(chosen & set(c.value))
        if c.op is Op.ALL:
            return set(c.value) <= chosen
        return not chosen & set(c.value)  # NONE
    if empty:
        return False
    if kind is FieldKind.NUMBER:
        return bool(compare(float(stored), c.op, c.value))
    if kind is FieldKind.DATE:
        day = date.fromisoformat(str(stored))
        start, end = day_range(c.op, c.value, today)
        return (start is None or day >= start) and (end is None or day < end)
    text = str(stored)
    return {Op.EQ: lambda: text == c.value, Op.NE: lambda: text != c.value, Op.IN: lambda: text in c.value,
            Op.NOT_IN: lambda: text not in c.value,
            Op.CONTAINS: lambda: str(c.value).lower() in text.lower()}[c.op]()
