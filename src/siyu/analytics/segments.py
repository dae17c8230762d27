"""Segment rules on the warehouse: count and list the live customers a rule matches.

A :class:`~siyu.domain.segments.SegmentRule` compiles into one Ibis filter over the tenant's
live customers (``merged_into_id`` empty; rows of merged-away customers count for the customer
they were merged into, through ``customer_links``): each condition is a ``customer_id IN
(sub-select)`` or a test on the customer's own columns, conditions of a group are ANDed, the
groups ORed. ``segment`` conditions inline the referenced saved rule (``saved`` holds the
tenant's rules by id). The same meaning, on the operational store, is
``siyu.services.segment_matching``; a test holds the two to the same customers.

What the ops mean where the domain leaves a choice:

- A comparison (``eq``, ``ne``, ``gt`` ... ``between``, ``contains``, date ops) needs a value:
  a customer without one does not match it, ``ne`` and ``not_in`` included. Text ``set`` means
  not empty.
- The negative memberships (tags ``none``, stage / channel / staff / store / region / relation /
  rfm / segment ``not_in``, identity ``not_set``, event ``not_since``) are exactly *not* the
  positive one: a customer with no stage is ``not_in`` any stages.
- Orders: purchases as everywhere (net above zero); ``count`` and ``gmv`` are 0 for a customer
  with no purchase in the window (so ``count eq 0`` finds them), ``aov`` and the purchase dates
  are then unset; ``set`` = bought (in the window), ``not_set`` = did not. A window of ``days``
  and ``within_days`` count from the start of the Shanghai day ``as_of - days``. The measures
  are read from the order summary the sync keeps (``customer_orders``: one row per live buyer;
  ``customer_order_days``: per buyer and business day, so every window is whole days of it),
  not aggregated from the orders per count (``siyu.services.order_summary``).
- Scores (rfm, ltv) are the ``customer_scores`` written after the previous sync.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, ClassVar, Self

import ibis
import ibis.expr.types as ir

from siyu.adapters.warehouse import Warehouse
from siyu.analytics.base import AnalyticsQuery, QueryCache, Timed
from siyu.analytics.frame import day_start_utc, today_in_shanghai, with_live_customer
from siyu.domain.access import Actor, Permission, Scope
from siyu.domain.customers import RelationState
from siyu.domain.errors import NotFound
from siyu.domain.fields import FieldKind
from siyu.domain.paging import Page, PageRequest
from siyu.domain.segments import COMPARISON_OPS, Condition, ConditionKind, Op, SegmentRule, compare, day_range



def _numeric(x: Any, op: Op, v: Any) -> Any:
    if op is Op.SET:
        return x.notnull()
    if op is Op.NOT_SET:
        return x.isnull()
    return compare(x, op, v)


def _dated(x: Any, op: Op, v: Any, today: date, *, timestamp: bool) -> Any:
    if op is Op.SET:
        return x.notnull()
    if op is Op.NOT_SET:
        return x.isnull()
    start, end = day_range(op, v, today)

    def lo(day: date) -> Any:
        return ibis.timestamp(day_start_utc(day)) if timestamp else ibis.date(day)

    if start is None:
        return x < lo(end)
    return x >= lo(start) if end is None else (x >= lo(start)) & (x < lo(end))


def _text(x: Any, op: Op, v: Any) -> Any:
    if op is Op.IN:
        return x.isin(list(v))
    if op is Op.NOT_IN:
        return x.notin(list(v))
    if op is Op.CONTAINS:
        return x.lower().contains(v.lower())
    if op is Op.SET:
        return x.notnull() & (x != "")
    if op is Op.NOT_SET:
        return x.isnull() | (x == "")
    return x == v if op is Op.EQ else x != v


def _per_customer(c: Condition) -> bool:
    """An orders condition that only buyers (in its window) can meet: a test on their aggregate."""
    if c.op in (Op.SET, Op.NOT_SET):
        return False
    return c.attribute == "aov" or c.op not in COMPARISON_OPS or not compare(0, c.op, c.value)


def _columns(measures: set[str]) -> list[str]:
    """The per-buyer aggregates the order measures need."""
    needed = {"count": ["n"], "aov": ["n", "gmv"], "gmv": ["gmv"], "first_purchase": ["first"], "last_purchase": ["last"]}
    return sorted({column for m in measures for column in needed.get(m, [])})


class SegmentCompiler:
    """Conditions of one tenant's rules as boolean Ibis expressions over its customers table."""

    def __init__(self, warehouse: Warehouse, tenant_id: int, *, fields: Mapping[str, FieldKind],
                 saved: Mapping[int, SegmentRule], today: date) -> None:
        self.wh, self.tenant_id, self.fields, self.saved, self.today = warehouse, tenant_id, fields, saved, today
        c = warehouse.table("customers")
        self.customers = c.filter((c.tenant_id == tenant_id) & c.merged_into_id.isnull())

    def members(self, rule: SegmentRule) -> ir.Table:
        """The live customers of the rule: a table with ``customer_id``."""
        return self.customers.filter(self.rule(rule)).select("customer_id")

    def rule(self, rule: SegmentRule, seen: frozenset[int] = frozenset()) -> ir.BooleanValue:
        groups = [self._group(g.conditions, seen) for g in rule.groups]
        out = groups[0]
        for g in groups[1:]:
            out = out | g
        return out

    def _group(self, conditions: tuple[Condition, ...], seen: frozenset[int]) -> Any:
        """The conditions ANDed. Order measures over the same window are tested together on one
        per-customer aggregate (``count >= 2`` and ``last purchase within 90 days``: one pass
        over the orders, not one per condition); each keeps its own meaning."""
        parts, together = [], {}
        for c in conditions:
            if c.kind is ConditionKind.ORDERS and _per_customer(c):
                together.setdefault(c.days, []).append(c)
            else:
                parts.append(self.condition(c, seen))
        for days, same_window in together.items():
            per = self._per_customer(days, {c.attribute or "" for c in same_window})
            parts.append(self._in(per.filter(self._all([self._measure(per, c) for c in same_window])).customer_id))
        return self._all(parts)

    @staticmethod
    def _all(parts: list[Any]) -> Any:
        out = parts[0]
        for p in parts[1:]:
            out = out & p
        return out

    def condition(self, c: Condition, seen: frozenset[int]) -> Any:
        if c.kind is ConditionKind.SEGMENT:
            inner = self.saved.get(c.value)
            matched = ibis.literal(False) if inner is None or c.value in seen else self.rule(inner, seen | {c.value})
            return matched if c.op is Op.IN else ~matched
        return getattr(self, f"_{c.kind.value}")(c)

    def _table(self, name: str, *, live: bool = True) -> ir.Table:
        t = self.wh.table(name)
        t = t.filter(t.tenant_id == self.tenant_id)
        if not live:
            return t
        t = with_live_customer(t, self.wh, self.tenant_id)
        return t.filter(t.live_customer_id.notnull())

    def _in(self, ids: ir.IntegerColumn, negate: bool = False) -> Any:
        x = self.customers.customer_id
        return x.notin(ids) if negate else x.isin(ids)

    # -- conditions ------------------------------------------------------------------------
    def _profile(self, c: Condition) -> Any:
        col = self.customers
        if c.attribute == "gender":
            if c.op is Op.SET:
                return col.gender != "unknown"
            if c.op is Op.NOT_SET:
                return col.gender == "unknown"
            return _text(col.gender, c.op, c.value)
        if c.attribute in ("birthday", "added_at"):
            return _dated(col[c.attribute], c.op, c.value, self.today, timestamp=c.attribute == "added_at")
        return _text(col[c.attribute], c.op, c.value)

    def _field(self, c: Condition) -> Any:
        kind = self.fields[c.attribute or ""]
        f = self._table("customer_fields", live=False)
        f = f.filter(f.key == c.attribute)
        if c.op in (Op.SET, Op.NOT_SET):
            return self._in(f.customer_id, negate=c.op is Op.NOT_SET)
        if kind is FieldKind.MULTI:
            chosen = f.filter(f.text_value.isin(list(c.value)))
            if c.op is Op.ALL:
                per = chosen.group_by("customer_id").aggregate(n=chosen.text_value.nunique())
                return self._in(per.filter(per.n == len(c.value)).customer_id)
            return self._in(chosen.customer_id, negate=c.op is Op.NONE)
        if kind is FieldKind.NUMBER:
            return self._in(f.filter(_numeric(f.number_value, c.op, c.value)).customer_id)
        if kind is FieldKind.DATE:
            return self._in(f.filter(_dated(f.date_value, c.op, c.value, self.today, timestamp=False)).customer_id)
        return self._in(f.filter(_text(f.text_value, c.op, c.value)).customer_id)

    def _identity(self, c: Condition) -> Any:
        i = self._table("customer_identities")
        return self._in(i.filter(i.kind == c.attribute).live_customer_id, negate=c.op is Op.NOT_SET)

    def _tags(self, c: Condition) -> Any:
        t = self._table("customer_tags")
        tagged = t.filter(t.tag_id.isin(list(c.value)))
        if c.op is Op.ALL:
            per = tagged.group_by("live_customer_id").aggregate(n=tagged.tag_id.nunique())
            return self._in(per.filter(per.n == len(c.value)).live_customer_id)
        return self._in(tagged.live_customer_id, negate=c.op is Op.NONE)

    def _stage(self, c: Condition) -> Any:
        s = self.customers.stage_id
        return s.isin(list(c.value)) if c.op is Op.IN else (s.isnull() | s.notin(list(c.value)))

    def _channel(self, c: Condition) -> Any:
        r, ch = self._table("relations"), self._table("channels", live=False)
        states = ch.filter(ch.channel_id.isin(list(c.value))).state
        return self._in(r.filter(r.channel_state.isin(states)).live_customer_id, negate=c.op is Op.NOT_IN)

    def _active(self, staff_ids: Any, negate: bool) -> Any:
        r = self._table("relations")
        active = r.filter((r.state == RelationState.ACTIVE.value) & r.staff_id.isin(staff_ids))
        return self._in(active.live_customer_id, negate=negate)

    def _staff(self, c: Condition) -> Any:
        return self._active(list(c.value), c.op is Op.NOT_IN)

    def _store(self, c: Condition) -> Any:
        s = self._table("staff", live=False)
        return self._active(s.filter(s.store_id.isin(list(c.value))).staff_id, c.op is Op.NOT_IN)

    def _region(self, c: Condition) -> Any:
        s, st = self._table("staff", live=False), self._table("stores", live=False)
        stores = st.filter(st.region_id.isin(list(c.value))).store_id
        return self._active(s.filter(s.store_id.isin(stores)).staff_id, c.op is Op.NOT_IN)

    def _relation(self, c: Condition) -> Any:
        r = self._table("relations")
        return self._in(r.filter(r.state.isin(list(c.value))).live_customer_id, negate=c.op is Op.NOT_IN)

    def _buyer_days(self, days: int) -> ir.Table:
        """The order summary's business days inside the window (from the Shanghai day ``as_of - days``)."""
        d = self._table("customer_order_days", live=False)
        return d.filter(d.day >= ibis.date(self.today - timedelta(days=days)))

    def _buyers(self, days: int | None) -> ir.IntegerColumn:
        """The live customers with a purchase (in the window)."""
        return (self._table("customer_orders", live=False) if days is None else self._buyer_days(days)).customer_id

    def _per_customer(self, days: int | None, measures: set[str]) -> ir.Table:
        """Per live buyer (in the window), from the order summary the sync keeps
        (``siyu.services.order_summary``): only the measures needed. All time is one row per buyer;
        a window sums the buyer's business days inside it."""
        if days is None:
            s = self._table("customer_orders", live=False)
            columns = {"n": s.orders, "gmv": s.gmv.cast("float64"), "first": s.first_purchase_at, "last": s.last_purchase_at}
            return s.select(customer_id=s.customer_id, **{k: v for k, v in columns.items() if k in _columns(measures)})
        d = self._buyer_days(days)
        sums = {"n": lambda: d.orders.sum(), "gmv": lambda: d.gmv.sum().cast("float64"),
                "first": lambda: d.first_purchase_at.min(), "last": lambda: d.last_purchase_at.max()}
        return d.group_by("customer_id").aggregate(**{k: sums[k]() for k in _columns(measures)})

    def _measure(self, per: ir.Table, c: Condition) -> Any:
        if c.attribute in ("first_purchase", "last_purchase"):
            at = per.first if c.attribute == "first_purchase" else per.last
            return _dated(at, c.op, c.value, self.today, timestamp=True)
        measure = {"count": lambda: per.n, "gmv": lambda: per.gmv, "aov": lambda: per.gmv / per.n}[c.attribute or ""]()
        return _numeric(measure, c.op, c.value)

    def _orders(self, c: Condition) -> Any:
        bought = self._buyers(c.days)
        if c.op in (Op.SET, Op.NOT_SET):
            return self._in(bought, negate=c.op is Op.NOT_SET)
        per = self._per_customer(c.days, {c.attribute or ""})
        matched = self._in(per.filter(self._measure(per, c)).customer_id)
        if not _per_customer(c):  # a measure that holds at 0 holds for those who did not buy
            return matched | self._in(bought, negate=True)
        return matched

    def _rfm(self, c: Condition) -> Any:
        s = self._table("customer_scores")
        return self._in(s.filter(s.rfm_segment.isin(list(c.value))).live_customer_id, negate=c.op is Op.NOT_IN)

    def _ltv(self, c: Condition) -> Any:
        s = self._table("customer_scores")
        return self._in(s.filter(_numeric(s[c.attribute or ""], c.op, c.value)).live_customer_id)

    def _event(self, c: Condition) -> Any:
        e = self._table("events")
        assert c.days is not None
        recent = e.filter((e.name == c.attribute)
                          & (e.occurred_at >= ibis.timestamp(day_start_utc(self.today - timedelta(days=c.days)))))
        if c.op is Op.NOT_SINCE:
            return self._in(recent.live_customer_id, negate=True)
        per = recent.group_by("live_customer_id").aggregate(n=recent.count())
        return self._in(per.filter(per.n >= c.value).live_customer_id)


@dataclass(frozen=True)
class _SegmentQuery:
    tenant_id: int
    rule: SegmentRule
    fields: tuple[tuple[str, FieldKind], ...] = ()  # the tenant's field kinds (key, kind)
    saved: tuple[tuple[int, SegmentRule], ...] = ()  # the tenant's saved rules (id, rule)
    as_of: date | None = None
    scope: Scope | None = None  # cut to the customers this scope sees (None: the whole tenant)

    def members(self, warehouse: Warehouse) -> ir.Table:
        rule = self.rule.within(self.scope) if self.scope is not None else self.rule
        return SegmentCompiler(warehouse, self.tenant_id, fields=dict(self.fields), saved=dict(self.saved),
                               today=self.as_of or today_in_shanghai()).members(rule)

    def for_actor(self, actor: Actor) -> Self:
        """The query as ``actor`` may ask it: ``customers.view``, their tenant, cut to their scope
        (a guide counts and lists the customers they follow, a store manager their store's)."""
        actor.require(Permission.CUSTOMERS_VIEW)
        if actor.tenant_id != self.tenant_id:
            raise NotFound("tenant.not_found", "no such tenant")
        return replace(self, scope=actor.scope)

    def answer(self, actor: Actor, warehouse: Warehouse, cache: QueryCache | None = None) -> Timed[Any]:
        """Segments are customer lists, not tenant-wide analyses: ``customers.view`` (not
        ``analytics.view``) and always cut to the actor's scope."""
        return self.for_actor(actor).run_timed(warehouse, cache)


@dataclass(frozen=True)
class SegmentCountQuery(_SegmentQuery, AnalyticsQuery[int]):
    """How many live customers the rule matches (the editor's live preview)."""

    name: ClassVar[str] = "segment_count"

    def build(self, warehouse: Warehouse) -> ir.Table:
        members = self.members(warehouse)
        return members.aggregate(customers=members.count())

    def result(self, rows: list[dict[str, Any]]) -> int:
        return int(rows[0]["customers"]) if rows else 0


@dataclass(frozen=True)
class SegmentMembersQuery(_SegmentQuery, AnalyticsQuery[Page[int]]):
    """One page of the matching customers' ids, ascending, with the total."""

    name: ClassVar[str] = "segment_members"
    page: int = 1
    page_size: int = 50
    request: PageRequest = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "request", PageRequest(self.page, self.page_size))

    def build(self, warehouse: Warehouse) -> ir.Table:
        members = self.members(warehouse)
        total = members.count().as_scalar()
        page = members.order_by("customer_id").limit(self.page_size, offset=self.request.offset)
        return page.mutate(total=total)

    def result(self, rows: list[dict[str, Any]]) -> Page[int]:
        total = int(rows[0]["total"]) if rows else 0
        return Page(items=[int(r["customer_id"]) for r in rows], total=total, page=self.page, page_size=self.page_size)


def all_members(warehouse: Warehouse, query: _SegmentQuery) -> list[int]:
    """Every matching customer id, ascending (exports and smart tags); an actor's export passes
    ``query.for_actor(actor)``."""
    return [int(r["customer_id"]) for r in warehouse.rows(query.members(warehouse).order_by("customer_id"))]




def members_on(warehouse: Warehouse, tenant_id: int, *, as_of: date | None = None
               ) -> Callable[[SegmentRule, Mapping[int, SegmentRule], Mapping[str, FieldKind]], list[int]]:
    """A member source for the smart-tag engine (``siyu.services.smart_tags.MemberSource``):
    every member of a rule on this warehouse, with the tenant's saved rules and field kinds."""

    def members(rule: SegmentRule, saved: Mapping[int, SegmentRule], fields: Mapping[str, FieldKind]) -> list[int]:
        query = SegmentMembersQuery(tenant_id=tenant_id, rule=rule, fields=tuple(fields.items()),
                                    saved=tuple(saved.items()), as_of=as_of)
        return all_members(warehouse, query)

    return members
