"""The AIPL funnel: awareness -> interest -> purchase -> loyalty, as an ordered funnel with a
conversion window, broken down by channel, store, staff or region.

Defined the way product-analytics tools define funnels (Mixpanel, Amplitude, PostHog's
"sequential" funnels): a customer enters at their *first* step-1 action in the period, and
each later step counts only if it happens **at or after the previous step** and **within the
conversion window of the entry** (``window_days``, measured from the awareness action, as
those tools measure it from the first step). Every customer is a live customer (merged ones
count once). For the period ``start``..``end`` (inclusive Asia/Shanghai business days):

- **Awareness (A)**: the customer's first behaviour event whose name is in
  :data:`AWARENESS_EVENTS` (scanned a code, viewed content) on a day of the period.
- **Interest (I)**: the first interest action at or after A and within the window: adding a
  staff member (a relation's ``added_at``) or an event named in :data:`INTEREST_EVENTS`
  (replied, visited the mini-program or a store, used a coupon).
- **Purchase (P)**: the first order that counts as a purchase (not fully refunded) placed at or
  after I and within the window.
- **Loyalty (L)**: after P, a further purchase (a second order) within the window — a repeat
  purchase — **or** a member level that counts as loyal (the tenant's "loyal from" threshold
  and above; ``siyu.analytics.frame.loyal_members``). Levels carry no history, so a purchaser
  whose level is loyal now is loyal, whenever the mall raised them.

Conversion = customers of a stage / customers of the stage before (and of awareness, overall).
A step whose window is not over yet may still convert: a recent period's numbers can grow.

**Breakdowns** (``by``) attribute each customer to the relation they made first (earliest
``added_at``, then relation id): ``staff`` — its staff member; ``store`` — that staff member's
store; ``region`` — that store's region; ``channel`` — the channel of its contact way
(``channel_state``). Customers with no relation (or no store, region, channel) fall in the
group whose key is empty.

**Scope** (``scope``, :mod:`siyu.analytics.scope`): the customer base — only customers whose
first relation is with the store's staff, in the region, or through the channel enter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, ClassVar

import ibis
import ibis.expr.types as ir

from siyu.adapters.warehouse import Warehouse
from siyu.analytics.base import AnalyticsQuery
from siyu.analytics.frame import business_day, check_period, flag, loyal_members, purchases, relations, with_live_customer
from siyu.analytics.scope import EVERYTHING, Scope, first_relations, restrict_customers
from siyu.domain.errors import InvalidInput
from siyu.domain.events import REPLY_EVENT

#: Event names that put a customer in awareness: scanned a code, viewed content.
AWARENESS_EVENTS: tuple[str, ...] = (
    "code_scanned", "qrcode_scan", "page_view", "content_view", "article_view", "link_open", "live_view", "coupon_received",
)
#: Event names that are interest (besides adding a staff member): replied, visited.
INTEREST_EVENTS: tuple[str, ...] = (REPLY_EVENT, "reply", "miniprogram_visit", "store_visit", "coupon_used")
MAX_WINDOW_DAYS = 365


class Breakdown(StrEnum):
    NONE = "none"
    CHANNEL = "channel"
    STORE = "store"
    STAFF = "staff"
    REGION = "region"


def _rate(top: int, bottom: int) -> float | None:
    return None if not bottom else top / bottom


@dataclass(frozen=True)
class FunnelCounts:
    """One breakdown group (or the whole funnel): customers reaching each stage."""

    key_id: int | None
    key_name: str | None
    awareness: int
    interest: int
    purchase: int
    loyalty: int

    @property
    def interest_rate(self) -> float | None:
        return _rate(self.interest, self.awareness)

    @property
    def purchase_rate(self) -> float | None:
        return _rate(self.purchase, self.interest)

    @property
    def loyalty_rate(self) -> float | None:
        return _rate(self.loyalty, self.purchase)

    @property
    def overall_rate(self) -> float | None:
        """Loyalty / awareness: the whole funnel."""
        return _rate(self.loyalty, self.awareness)

    def as_dict(self) -> dict[str, Any]:
        return {"key_id": self.key_id, "key_name": self.key_name, "awareness": self.awareness, "interest": self.interest,
                "purchase": self.purchase, "loyalty": self.loyalty, "interest_rate": self.interest_rate,
                "purchase_rate": self.purchase_rate, "loyalty_rate": self.loyalty_rate, "overall_rate": self.overall_rate}


@dataclass(frozen=True)
class FunnelResult:
    start: date
    end: date
    window_days: int
    by: Breakdown
    total: FunnelCounts
    groups: tuple[FunnelCounts, ...]

    def of(self, key_id: int | None) -> FunnelCounts | None:
        return next((g for g in self.groups if g.key_id == key_id), None)


@dataclass(frozen=True)
class FunnelQuery(AnalyticsQuery[FunnelResult]):
    name: ClassVar[str] = "funnel"
    tenant_id: int
    start: date
    end: date
    window_days: int = 30
    by: Breakdown = Breakdown.NONE
    scope: Scope = EVERYTHING

    def __post_init__(self) -> None:
        check_period(self.start, self.end)
        if not 1 <= self.window_days <= MAX_WINDOW_DAYS:
            raise InvalidInput("analytics.window_out_of_range", "the conversion window is 1 to %(max)s days",
                               field="window_days", max=MAX_WINDOW_DAYS)

    def _attribution(self, wh: Warehouse) -> ir.Table:
        """Per live customer: the key and name of their breakdown group (first relation)."""
        tid = self.tenant_id
        rel = first_relations(wh, tid)
        if self.by is Breakdown.CHANNEL:
            ch = wh.table("channels")
            ch = ch.filter(ch.tenant_id == tid).select(k_state="state", key_id="channel_id", key_name="name")
            joined = rel.left_join(ch, rel.channel_state == ch.k_state)
            return joined.select(a_customer=joined.live_customer_id, key_id=joined.key_id, key_name=joined.key_name)
        st = wh.table("staff")
        st = st.filter(st.tenant_id == tid).select(s_staff="staff_id", s_name="name", s_store="store_id")
        joined = rel.left_join(st, rel.staff_id == st.s_staff)
        if self.by is Breakdown.STAFF:
            return joined.select(a_customer=joined.live_customer_id, key_id=joined.staff_id, key_name=joined.s_name)
        so = wh.table("stores")
        so = so.filter(so.tenant_id == tid).select(o_store="store_id", o_name="name", o_region="region_id")
        joined = joined.left_join(so, joined.s_store == so.o_store)
        if self.by is Breakdown.STORE:
            return joined.select(a_customer=joined.live_customer_id, key_id=joined.o_store, key_name=joined.o_name)
        rg = wh.table("regions")
        rg = rg.filter(rg.tenant_id == tid).select(g_region="region_id", g_name="name")
        joined = joined.left_join(rg, joined.o_region == rg.g_region)
        return joined.select(a_customer=joined.live_customer_id, key_id=joined.g_region, key_name=joined.g_name)

    def build(self, warehouse: Warehouse) -> ir.Table:
        tid, window = self.tenant_id, ibis.interval(days=self.window_days)
        ev = warehouse.table("events")
        ev = with_live_customer(ev.filter((ev.tenant_id == tid) & ev.customer_id.notnull()), warehouse, tid)

        aware = ev.filter(ev.name.isin(AWARENESS_EVENTS) & business_day(ev.occurred_at).between(self.start, self.end))
        aware = aware.group_by(customer="live_customer_id").aggregate(a_at=aware.occurred_at.min())
        aware = restrict_customers(aware, "customer", warehouse, tid, self.scope)
        aware = aware.mutate(until=aware.a_at + window)

        # each step is one left join of the step before and one aggregate over it, so every step's
        # table is used once: joining a step back to its own aggregate made Ibis inline the whole
        # earlier chain (the events scan with it) again for each use (bench/README.md, the funnel)
        rel = relations(warehouse, tid)
        acts = ev.filter(ev.name.isin(INTEREST_EVENTS)).select(i_customer="live_customer_id", i_at="occurred_at").union(
            rel.select(i_customer="live_customer_id", i_at="added_at"))
        hit = aware.left_join(acts, [aware.customer == acts.i_customer, acts.i_at >= aware.a_at, acts.i_at <= aware.until])
        steps = hit.group_by("customer").aggregate(a_at=hit.a_at.min(), until=hit.until.min(), i_at=hit.i_at.min())

        p = purchases(warehouse, tid).select(p_customer="live_customer_id", p_order="order_id", p_at="ordered_at")
        bought = steps.left_join(p, [steps.customer == p.p_customer, p.p_at >= steps.i_at, p.p_at <= steps.until])
        steps = bought.group_by("customer").aggregate(a_at=bought.a_at.min(), until=bought.until.min(), i_at=bought.i_at.min(),
                                                      n_orders=bought.p_order.nunique())
        members = loyal_members(warehouse, tid)
        steps = steps.left_join(members, steps.customer == members.loyal_customer)
        bought = steps.n_orders.fill_null(0)
        steps = steps.mutate(is_i=flag(steps.i_at.notnull()), is_p=flag(bought >= 1),
                             is_l=flag((bought >= 2) | ((bought >= 1) & steps.loyal_customer.notnull())))

        if self.by is Breakdown.NONE:
            keyed = steps.mutate(key_id=ibis.null().cast("int64"), key_name=ibis.null().cast("string"))
        else:
            attr = self._attribution(warehouse)
            keyed = steps.left_join(attr, steps.customer == attr.a_customer)
        return keyed.group_by(["key_id", "key_name"]).aggregate(
            awareness=keyed.customer.count(), interest=keyed.is_i.sum(), purchase=keyed.is_p.sum(), loyalty=keyed.is_l.sum(),
        ).order_by([ibis.desc("awareness"), "key_id"])

    def result(self, rows: list[dict[str, Any]]) -> FunnelResult:
        groups = tuple(
            FunnelCounts(key_id=None if row["key_id"] is None else int(row["key_id"]), key_name=row["key_name"],
                         awareness=int(row["awareness"]), interest=int(row["interest"] or 0),
                         purchase=int(row["purchase"] or 0), loyalty=int(row["loyalty"] or 0))
            for row in rows
        )
        total = FunnelCounts(key_id=None, key_name=None, awareness=sum(g.awareness for g in groups),
                             interest=sum(g.interest for g in groups), purchase=sum(g.purchase for g in groups),
                             loyalty=sum(g.loyalty for g in groups))
        return FunnelResult(start=self.start, end=self.end, window_days=self.window_days, by=self.by, total=total,
                            groups=groups if self.by is not Breakdown.NONE else ())
