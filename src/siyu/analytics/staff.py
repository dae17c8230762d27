"""Staff and stores: adds, deletions, customers served, attributed GMV and repurchase, per staff
member, store, region or the whole brand (nation), ranked.

For the period ``start``..``end`` (inclusive Asia/Shanghai business days), per staff member
(their store is ``staff.store_id``, the store's region ``stores.region_id``; a store, region or
the nation sums the staff members in it, counting each live customer once):

- **adds**: live customers who added the staff member on a day of the period;
- **deletions**: live customers whose relation with the staff member was deleted (by either
  side) on a day of the period; transfers are not deletions;
- **customers served**: live customers with a relation to the staff member alive at some time
  in the period (added by its end, not ended before its start);
- **buyers, GMV**: purchases (orders not fully refunded) credited to the staff member
  (``orders.staff_id``) on a day of the period: distinct live customers and net GMV;
- **repurchasers**: buyers with two or more such purchases in the period; repurchase rate =
  repurchasers / buyers.

Ranks (1 = the highest attributed GMV, ties share, then more buyers): ``rank`` among all rows
of the level (the nation), ``rank_in_region`` among rows of the same region, and
``rank_in_store`` among staff members of the same store.

**Scope** (:mod:`siyu.analytics.scope`): a channel counts only relations made through it and
purchases credited to it (ranks are then among those numbers). A store or region keeps the
rows of that store or region (staff members of the store; at the store level the store; at
the region level a store narrows nothing, the region its row) after ranking, so ranks stay
those across the nation; the nation's single row is never narrowed by a store or region.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

import ibis
import ibis.expr.types as ir

from siyu.adapters.warehouse import Warehouse
from siyu.adapters.warehouse.schema import MONEY
from siyu.analytics.base import AnalyticsQuery
from siyu.analytics.frame import business_day, check_period, day_start_utc, flag, purchases, relations
from siyu.analytics.scope import EVERYTHING, Scope, credited_orders, scoped_relations

FEN = Decimal("0.01")


class Level(StrEnum):
    STAFF = "staff"
    STORE = "store"
    REGION = "region"
    NATION = "nation"


@dataclass(frozen=True)
class StaffPerformance:
    level: Level
    key_id: int | None  # the staff member, store or region (empty: none; the nation: empty)
    name: str | None
    store_id: int | None
    region_id: int | None
    adds: int
    deletions: int
    customers_served: int
    buyers: int
    repurchasers: int
    gmv: Decimal
    rank: int
    rank_in_region: int | None
    rank_in_store: int | None

    @property
    def repurchase_rate(self) -> float | None:
        return None if not self.buyers else self.repurchasers / self.buyers


@dataclass(frozen=True)
class StaffResult:
    start: date
    end: date
    level: Level
    rows: tuple[StaffPerformance, ...]

    def of(self, key_id: int | None) -> StaffPerformance | None:
        return next((r for r in self.rows if r.key_id == key_id), None)


@dataclass(frozen=True)
class StaffQuery(AnalyticsQuery[StaffResult]):
    name: ClassVar[str] = "staff"
    tenant_id: int
    start: date
    end: date
    level: Level = Level.STAFF
    scope: Scope = EVERYTHING

    def __post_init__(self) -> None:
        check_period(self.start, self.end)

    def build(self, warehouse: Warehouse) -> ir.Table:
        tid = self.tenant_id
        opens, closes = ibis.timestamp(day_start_utc(self.start)), ibis.timestamp(day_start_utc(self.end + timedelta(days=1)))
        none_id, none_money = ibis.null().cast("int64"), ibis.null().cast(MONEY)

        channel = Scope(channel_id=self.scope.channel_id)
        rel = scoped_relations(relations(warehouse, tid), warehouse, tid, channel)
        added = rel.add_day.between(self.start, self.end)
        deleted = rel.deleted & business_day(rel.ended_at).between(self.start, self.end)
        served = (rel.added_at < closes) & (rel.ended_at.isnull() | (rel.ended_at >= opens))
        facts_rel = rel.select(
            staff_id=rel.staff_id, customer=rel.live_customer_id, is_add=flag(added), is_del=flag(deleted.fill_null(False)),
            is_served=flag(served), order_id=none_id, net=none_money,
        )
        p = purchases(warehouse, tid)
        p = credited_orders(p.filter(p.staff_id.notnull() & p.day.between(self.start, self.end)), warehouse, tid, channel)
        facts_buy = p.select(staff_id=p.staff_id, customer=p.live_customer_id, is_add=0, is_del=0, is_served=0,
                             order_id=p.order_id, net=p.net)
        facts = facts_rel.union(facts_buy)

        st = warehouse.table("staff")
        st = st.filter(st.tenant_id == tid).select(s_staff="staff_id", s_name="name", store_id="store_id")
        so = warehouse.table("stores")
        so = so.filter(so.tenant_id == tid).select(o_store="store_id", o_name="name", region_id="region_id")
        rg = warehouse.table("regions")
        rg = rg.filter(rg.tenant_id == tid).select(g_region="region_id", g_name="name")
        facts = facts.left_join(st, facts.staff_id == st.s_staff)
        facts = facts.left_join(so, facts.store_id == so.o_store)
        facts = facts.left_join(rg, facts.region_id == rg.g_region)
        keys = {
            Level.STAFF: dict(key_id=facts.staff_id, name=facts.s_name, store_id=facts.store_id, region_id=facts.region_id),
            Level.STORE: dict(key_id=facts.store_id, name=facts.o_name, store_id=facts.store_id, region_id=facts.region_id),
            Level.REGION: dict(key_id=facts.region_id, name=facts.g_name, store_id=none_id, region_id=facts.region_id),
            Level.NATION: dict(key_id=none_id, name=ibis.null().cast("string"), store_id=none_id, region_id=none_id),
        }[self.level]
        facts = facts.mutate(**keys)

        per = facts.group_by(["key_id", "name", "store_id", "region_id", "customer"]).aggregate(
            is_add=facts.is_add.max(), is_del=facts.is_del.max(), is_served=facts.is_served.max(),
            n_orders=facts.order_id.nunique(), gmv=facts.net.sum(),
        )
        out = per.group_by(["key_id", "name", "store_id", "region_id"]).aggregate(
            adds=per.is_add.sum(), deletions=per.is_del.sum(), customers_served=per.is_served.sum(),
            buyers=flag(per.n_orders >= 1).sum(), repurchasers=flag(per.n_orders >= 2).sum(),
            gmv=per.gmv.sum(),
        )
        out = out.mutate(gmv=out.gmv.fill_null(0))
        order = [ibis.desc(out.gmv), ibis.desc(out.buyers)]
        ranked = out.mutate(
            rank=ibis.rank().over(order_by=order) + 1,
            rank_in_region=ibis.rank().over(group_by=out.region_id, order_by=order) + 1,
            rank_in_store=ibis.rank().over(group_by=out.store_id, order_by=order) + 1,
        )
        if self.level is not Level.NATION and self.scope.region_id is not None:
            ranked = ranked.filter((ranked.region_id == self.scope.region_id).fill_null(False))
        if self.level in (Level.STAFF, Level.STORE) and self.scope.store_id is not None:
            ranked = ranked.filter((ranked.store_id == self.scope.store_id).fill_null(False))
        return ranked.order_by(["rank", "key_id"])

    def result(self, rows: list[dict[str, Any]]) -> StaffResult:
        def maybe(value: Any) -> int | None:
            return None if value is None else int(value)

        out = tuple(
            StaffPerformance(
                level=self.level, key_id=maybe(row["key_id"]), name=row["name"], store_id=maybe(row["store_id"]),
                region_id=maybe(row["region_id"]), adds=int(row["adds"]), deletions=int(row["deletions"]),
                customers_served=int(row["customers_served"]), buyers=int(row["buyers"]), repurchasers=int(row["repurchasers"]),
                gmv=Decimal(str(row["gmv"])).quantize(FEN), rank=int(row["rank"]),
                rank_in_region=int(row["rank_in_region"]) if self.level in (Level.STAFF, Level.STORE) else None,
                rank_in_store=int(row["rank_in_store"]) if self.level is Level.STAFF else None,
            )
            for row in rows
        )
        return StaffResult(start=self.start, end=self.end, level=self.level, rows=out)
