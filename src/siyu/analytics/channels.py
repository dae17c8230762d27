"""Channel ROI: per channel and period — adds, still friends after 7 and 30 days, group joins,
buyers, GMV, cost, CAC, ROI and deletion rate.

For the period ``start``..``end`` (inclusive Asia/Shanghai business days) and ``as_of`` (the
day the question is asked; the end of that day is when "now" is):

- **adds**: live customers who added a staff member through the channel (the relation's
  ``channel_state`` is the channel's ``state``) on a day of the period. A customer counts once
  per channel, by their earliest such add; merged customers count once.
- **still friends after N days** (7, 30): of the adds whose N days are over on ``as_of``
  (``matured_Nd``), those whose add was not deleted (by either side) within N days.
  Rate = still / matured. Transfers between staff are not deletions.
- **deleted**: adds whose relation was deleted by the end of ``as_of``; deletion rate = deleted / adds.
- **group joins**: people who joined a customer group by scanning one of the channel's group
  codes (群活码) on a day of the period: the sum of the joins' counts (``group_joins``, from
  WeCom's add_member callbacks by QR scan into a group of the code's pool; WeCom says neither
  who joined nor whether they are customers, so a person who joins twice counts twice, and a
  staff member scanning counts too). A code counts for its channel as it is now.
- **buyers, GMV**: purchases (orders not fully refunded) credited to the channel
  (``orders.channel_id``) on a day of the period: distinct live customers, and net GMV (paid
  minus refunded; orders that matched no customer count in GMV, not in buyers).
- **cost**: channel costs prorated by day: a cost covering D days, O of them inside the period,
  counts ``amount * O / D`` (rounded to the fen at the end).
- **CAC** = cost / adds; **cost per buyer** = cost / buyers; **ROI** = GMV / cost. Each is empty
  when its divisor is zero.

**Scope** (:mod:`siyu.analytics.scope`): a channel shows only that channel's row. A store or
region counts the adds made with its staff members, the group joins into groups its staff
members own (the group's owner as last synced; a group with no known owner is in no store),
and the purchases credited to it; costs are
entered per channel, not per store, so with a store or region chosen cost, CAC, cost per buyer
and ROI are empty (not the whole channel's cost set against one store's adds).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

import ibis
import ibis.expr.types as ir

from siyu.adapters.warehouse import Warehouse
from siyu.analytics.base import AnalyticsQuery
from siyu.analytics.frame import business_day, check_period, day_start_utc, purchases, relations, today_in_shanghai
from siyu.analytics.frame import flag as _flag
from siyu.analytics.scope import EVERYTHING, Scope, credited_orders, scoped_relations, with_staff_in_places

FEN = Decimal("0.01")
COUNTS = ("adds", "matured_7d", "still_friends_7d", "matured_30d", "still_friends_30d", "deleted", "buyers", "group_joins")


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(FEN, ROUND_HALF_UP)


def _ratio(top: Decimal | int, bottom: Decimal | int) -> float | None:
    return None if not bottom else float(Decimal(top) / Decimal(bottom))


@dataclass(frozen=True)
class ChannelRoi:
    channel_id: int
    name: str
    group_name: str | None
    adds: int
    matured_7d: int
    still_friends_7d: int
    matured_30d: int
    still_friends_30d: int
    deleted: int
    buyers: int
    gmv: Decimal
    cost: Decimal | None  # empty: not known for the scope (a store or region)
    group_joins: int  # people who joined a group through the channel's group codes

    @property
    def still_friend_rate_7d(self) -> float | None:
        return _ratio(self.still_friends_7d, self.matured_7d)

    @property
    def still_friend_rate_30d(self) -> float | None:
        return _ratio(self.still_friends_30d, self.matured_30d)

    @property
    def deletion_rate(self) -> float | None:
        return _ratio(self.deleted, self.adds)

    @property
    def cac(self) -> Decimal | None:
        return None if not self.adds or self.cost is None else (self.cost / self.adds).quantize(FEN, ROUND_HALF_UP)

    @property
    def cost_per_buyer(self) -> Decimal | None:
        return None if not self.buyers or self.cost is None else (self.cost / self.buyers).quantize(FEN, ROUND_HALF_UP)

    @property
    def roi(self) -> float | None:
        return None if self.cost is None else _ratio(self.gmv, self.cost)


@dataclass(frozen=True)
class ChannelResult:
    start: date
    end: date
    as_of: date
    channels: tuple[ChannelRoi, ...]

    def of(self, channel_id: int) -> ChannelRoi | None:
        return next((c for c in self.channels if c.channel_id == channel_id), None)


@dataclass(frozen=True)
class ChannelQuery(AnalyticsQuery[ChannelResult]):
    name: ClassVar[str] = "channels"
    tenant_id: int
    start: date
    end: date
    as_of: date | None = None
    scope: Scope = EVERYTHING

    def __post_init__(self) -> None:
        check_period(self.start, self.end)

    @property
    def day(self) -> date:
        return self.as_of or today_in_shanghai()

    def build(self, warehouse: Warehouse) -> ir.Table:
        tid = self.tenant_id
        now = ibis.timestamp(day_start_utc(self.day + timedelta(days=1)))
        ch = warehouse.table("channels")
        ch = ch.filter(ch.tenant_id == tid)
        if self.scope.channel_id is not None:
            ch = ch.filter(ch.channel_id == self.scope.channel_id)
        places = Scope(store_id=self.scope.store_id, region_id=self.scope.region_id)

        rel = scoped_relations(relations(warehouse, tid), warehouse, tid, places)
        keyed = ch.select(key_channel="channel_id", key_state="state")
        rel = rel.filter(rel.add_day.between(self.start, self.end)).join(keyed, rel.channel_state == keyed.key_state)
        earliest = ibis.row_number().over(group_by=[rel.key_channel, rel.live_customer_id], order_by=[rel.added_at, rel.relation_id])
        adds = rel.mutate(pos=earliest).filter(lambda t: t.pos == 0)
        measures: dict[str, ir.Value] = {}
        for n in (7, 30):
            due = adds.added_at + ibis.interval(days=n)
            matured = due <= now
            lost = adds.deleted & (adds.ended_at < due)
            measures[f"matured_{n}d"] = _flag(matured)
            measures[f"still_{n}d"] = _flag(matured & ~lost.fill_null(False))
        adds = adds.mutate(**measures, gone=_flag((adds.deleted & (adds.ended_at < now)).fill_null(False)))
        add_stats = adds.group_by(a_channel="key_channel").aggregate(
            adds=adds.live_customer_id.count(),
            matured_7d=adds.matured_7d.sum(), still_friends_7d=adds.still_7d.sum(),
            matured_30d=adds.matured_30d.sum(), still_friends_30d=adds.still_30d.sum(), deleted=adds.gone.sum(),
        )

        p = purchases(warehouse, tid, matched_only=False)
        p = credited_orders(p.filter(p.channel_id.notnull() & p.day.between(self.start, self.end)), warehouse, tid, places)
        sales = p.group_by(o_channel="channel_id").aggregate(buyers=p.live_customer_id.nunique(), gmv=p.net.sum())

        j = warehouse.table("group_joins")
        j = j.filter((j.tenant_id == tid) & business_day(j.occurred_at).between(self.start, self.end))
        j = with_staff_in_places(j, "owner_staff_id", warehouse, tid, places)
        joined = j.group_by(j_channel="channel_id").aggregate(group_joins=j.members.sum())

        c = warehouse.table("channel_costs")
        c = c.filter((c.tenant_id == tid) & (c.period_start <= self.end) & (c.period_end >= self.start))
        inside = ibis.least(c.period_end, ibis.date(self.end)).delta(ibis.greatest(c.period_start, ibis.date(self.start)), unit="day") + 1
        span = c.period_end.delta(c.period_start, unit="day") + 1
        c = c.mutate(share=c.amount.cast("float64") * inside / span)
        costs = c.group_by(c_channel="channel_id").aggregate(cost=c.share.sum())

        out = ch.left_join(add_stats, ch.channel_id == add_stats.a_channel)
        out = out.left_join(sales, out.channel_id == sales.o_channel)
        out = out.left_join(costs, out.channel_id == costs.c_channel)
        out = out.left_join(joined, out.channel_id == joined.j_channel)
        zero = ibis.literal(0)
        return out.select(
            "channel_id", "name", "group_name",
            *[ibis.coalesce(out[col], zero).name(col) for col in COUNTS],
            gmv=out.gmv, cost=out.cost,
        ).order_by("channel_id")

    def result(self, rows: list[dict[str, Any]]) -> ChannelResult:
        channels = tuple(
            ChannelRoi(
                channel_id=row["channel_id"], name=row["name"], group_name=row["group_name"],
                **{col: int(row[col]) for col in COUNTS}, gmv=_money(row["gmv"]),
                cost=None if self.scope.places else _money(row["cost"]),
            )
            for row in rows
        )
        return ChannelResult(start=self.start, end=self.end, as_of=self.day, channels=channels)
