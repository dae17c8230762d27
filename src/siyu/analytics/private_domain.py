"""Private-domain share: private-domain GMV against total GMV, by month.

- **GMV**: net GMV (paid minus refunded) of purchases (orders not fully refunded), every
  source, orders that matched no customer included; by the Asia/Shanghai month of the order.
- **Private-domain GMV**: the part whose customer was a friend when they ordered: some staff
  relation of the (live) customer had been added at or before ``ordered_at`` and had not ended
  by then. An order placed before the customer added anyone, after they deleted everyone, or
  by nobody known, is not private-domain.
- **Share** = private-domain GMV / GMV (empty for a month with no GMV). Order counts come too.
- **Scope** (:mod:`siyu.analytics.scope`): orders credited to the store (the order's store,
  else its staff member's), the region, or the channel (``orders.channel_id``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

import ibis
import ibis.expr.types as ir

from siyu.adapters.warehouse import Warehouse
from siyu.analytics.base import AnalyticsQuery
from siyu.analytics.frame import month_index, purchases, relations
from siyu.analytics.scope import EVERYTHING, Scope, credited_orders
from siyu.domain.errors import InvalidInput


@dataclass(frozen=True)
class MonthShare:
    month: date
    orders: int
    private_orders: int
    gmv: Decimal
    private_gmv: Decimal

    @property
    def share(self) -> float | None:
        return None if not self.gmv else float(self.private_gmv / self.gmv)


@dataclass(frozen=True)
class PrivateDomainResult:
    months: tuple[MonthShare, ...]

    def of(self, month: date) -> MonthShare | None:
        return next((m for m in self.months if m.month == month), None)


@dataclass(frozen=True)
class PrivateDomainShareQuery(AnalyticsQuery[PrivateDomainResult]):
    name: ClassVar[str] = "private_domain"
    tenant_id: int
    since: date  # first month (any day in it)
    until: date  # last month (any day in it)
    scope: Scope = EVERYTHING

    def __post_init__(self) -> None:
        if self.until < self.since:
            raise InvalidInput("analytics.months_backwards", "the last month is before the first", field="until")

    def build(self, warehouse: Warehouse) -> ir.Table:
        p = purchases(warehouse, self.tenant_id, matched_only=False)
        p = p.mutate(month=month_index(p.day))
        lo, hi = self.since.year * 12 + self.since.month - 1, self.until.year * 12 + self.until.month - 1
        p = credited_orders(p.filter(p.month.between(lo, hi)), warehouse, self.tenant_id, self.scope)
        rel = relations(warehouse, self.tenant_id)
        rel = rel.select(friend=rel.live_customer_id, since_at=rel.added_at, until_at=rel.ended_at)
        during = p.join(rel, p.live_customer_id == rel.friend)
        during = during.filter((during.since_at <= during.ordered_at) & (during.until_at.isnull() | (during.until_at > during.ordered_at)))
        private = during.select(private_order="order_id").distinct()
        marked = p.left_join(private, p.order_id == private.private_order)
        marked = marked.mutate(is_private=marked.private_order.notnull())
        return marked.group_by("month").aggregate(
            orders=marked.order_id.count(),
            private_orders=ibis.cases((marked.is_private, 1), else_=0).sum(),
            gmv=marked.net.sum(),
            private_gmv=ibis.cases((marked.is_private, marked.net), else_=ibis.literal(0).cast(marked.net.type())).sum(),
        ).order_by("month")

    def result(self, rows: list[dict[str, Any]]) -> PrivateDomainResult:
        return PrivateDomainResult(months=tuple(
            MonthShare(month=date(int(r["month"]) // 12, int(r["month"]) % 12 + 1, 1), orders=int(r["orders"]),
                       private_orders=int(r["private_orders"]), gmv=Decimal(r["gmv"]), private_gmv=Decimal(r["private_gmv"]))
            for r in rows
        ))
