"""Cohorts by month of add and by channel: still-friend rate and repurchase rate, month by month.

- **Cohort**: a live customer belongs to the Asia/Shanghai month of their first add (the
  earliest ``added_at`` of any of their staff relations, merged customers' relations included)
  and to that add's channel (``channel_state`` -> ``channels.state``; none: unattributed).
- **Month k** (k = 0 is the cohort month itself) is reported once it is over on ``as_of``.
- **Still friends at month k**: cohort customers with at least one relation that was added
  before the end of month k and had not ended by then (``ended_at`` empty or at/after the end).
  A customer who deleted one guide but still has another is still a friend; one who deleted
  and came back later counts again from the month they came back.
- **Repurchasers at month k**: cohort customers whose *second* purchase counted from the first
  add (orders before the first add do not count) fell on or before the last day of month k.
  Purchases are orders not fully refunded (see ``siyu.analytics.frame``).
- Rates are counts over the cohort size.
- **Scope** (:mod:`siyu.analytics.scope`): the cohorts of the customer base — customers whose
  first add was with a staff member of the store or region, or through the channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, ClassVar

import ibis
import ibis.expr.types as ir

from siyu.adapters.warehouse import Warehouse
from siyu.analytics.base import AnalyticsQuery
from siyu.analytics.frame import business_day, month_index, purchases, relations, today_in_shanghai
from siyu.analytics.scope import EVERYTHING, Scope, first_relations, scoped_relations
from siyu.domain.errors import InvalidInput

MAX_MONTHS = 36


@dataclass(frozen=True)
class CohortMonth:
    offset: int
    still_friends: int
    still_friend_rate: float
    repurchasers: int
    repurchase_rate: float


@dataclass(frozen=True)
class Cohort:
    month: date  # the first day of the cohort's month
    channel_id: int | None
    channel_name: str | None
    size: int
    months: tuple[CohortMonth, ...]


@dataclass(frozen=True)
class CohortResult:
    as_of: date
    cohorts: tuple[Cohort, ...]

    def find(self, month: date, channel_id: int | None) -> Cohort | None:
        return next((c for c in self.cohorts if c.month == month and c.channel_id == channel_id), None)


def _index_to_month(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class CohortQuery(AnalyticsQuery[CohortResult]):
    name: ClassVar[str] = "cohorts"
    tenant_id: int
    since: date  # cohorts from this month ...
    until: date  # ... to this month (any day inside the month)
    months: int = 12  # offsets 0..months
    as_of: date | None = None
    scope: Scope = EVERYTHING

    def __post_init__(self) -> None:
        if self.until < self.since:
            raise InvalidInput("analytics.months_backwards", "the last month is before the first", field="until")
        if (self.until.year - self.since.year) * 12 + self.until.month - self.since.month >= MAX_MONTHS:
            raise InvalidInput("analytics.too_many_cohorts", "at most %(max)s cohort months at once", field="until", max=MAX_MONTHS)
        if not 0 <= self.months <= MAX_MONTHS:
            raise InvalidInput("analytics.months_out_of_range", "months is 0 to %(max)s", field="months", max=MAX_MONTHS)

    @property
    def day(self) -> date:
        return self.as_of or today_in_shanghai()

    def build(self, warehouse: Warehouse) -> ir.Table:
        rel = relations(warehouse, self.tenant_id)
        ch = warehouse.table("channels")
        ch = ch.filter(ch.tenant_id == self.tenant_id).select("channel_id", channel_name="name", channel_key="state")
        # the first add of each live customer (the smallest relation id breaks a tie)
        first = scoped_relations(first_relations(warehouse, self.tenant_id), warehouse, self.tenant_id, self.scope)
        first = first.left_join(ch, first.channel_state == ch.channel_key)
        members = first.select(
            customer_id=first.live_customer_id, first_added_at=first.added_at, cohort=month_index(first.add_day),
            channel_id=first.channel_id, channel_name=first.channel_name,
        )
        lo, hi = self.since.year * 12 + self.since.month - 1, self.until.year * 12 + self.until.month - 1
        members = members.filter(members.cohort.between(lo, hi))
        # the last fully elapsed month on as_of: month m is over when its last day <= as_of
        as_of_index = self.day.year * 12 + self.day.month - 1
        over_index = as_of_index if _is_last_day(self.day) else as_of_index - 1
        grid = members.mutate(k=ibis.range(0, self.months + 1).unnest().cast("int64"))  # one row per member and month
        grid = grid.filter(grid.cohort + grid.k <= over_index)

        # still friend at the end of month cohort+k: added in a month <= cohort+k, not ended before month cohort+k+1
        spans = rel.select(
            span_customer=rel.live_customer_id, added_month=month_index(rel.add_day),
            ended_month=ibis.cases((rel.ended_at.isnull(), 10**6), else_=month_index(business_day(rel.ended_at))),
        )
        friend = grid.join(spans, grid.customer_id == spans.span_customer)
        friend = friend.filter((friend.added_month <= friend.cohort + friend.k) & (friend.ended_month > friend.cohort + friend.k))
        friends = friend.select(f_customer="customer_id", f_k="k").distinct().mutate(is_friend=1)

        # the business month of each member's second purchase since their first add
        p = purchases(warehouse, self.tenant_id)
        buyers = members.select(buyer="customer_id", since_at="first_added_at")
        p = p.join(buyers, p.live_customer_id == buyers.buyer)
        p = p.filter(p.ordered_at >= p.since_at)
        nth = ibis.row_number().over(group_by=p.live_customer_id, order_by=[p.ordered_at, p.order_id])
        second = p.mutate(n=nth).filter(lambda t: t.n == 1)
        second = second.select(rep_customer=second.live_customer_id, rep_month=month_index(second.day))

        cells = grid.left_join(friends, (grid.customer_id == friends.f_customer) & (grid.k == friends.f_k))
        cells = cells.select("customer_id", "cohort", "channel_id", "channel_name", "k",
                             is_friend=ibis.coalesce(cells.is_friend, 0))
        cells = cells.left_join(second, cells.customer_id == second.rep_customer)
        cells = cells.mutate(repurchased=ibis.cases((cells.rep_month <= cells.cohort + cells.k, 1), else_=0))
        sizes = members.group_by(s_cohort="cohort", s_channel="channel_id").aggregate(size=members.customer_id.count())
        agg = cells.group_by("cohort", "channel_id", "channel_name", "k").aggregate(
            still_friends=cells.is_friend.sum(), repurchasers=cells.repurchased.sum()
        )
        out = agg.join(sizes, (agg.cohort == sizes.s_cohort) & (agg.channel_id.identical_to(sizes.s_channel)))
        return out.select("cohort", "channel_id", "channel_name", "k", "size", "still_friends", "repurchasers").order_by(
            ["cohort", "channel_id", "k"]
        )

    def result(self, rows: list[dict[str, Any]]) -> CohortResult:
        grouped: dict[tuple[int, int | None], list[dict[str, Any]]] = {}
        for row in rows:
            grouped.setdefault((row["cohort"], row["channel_id"]), []).append(row)
        cohorts = []
        for (cohort, channel_id), cells in grouped.items():
            size = int(cells[0]["size"])
            months = tuple(
                CohortMonth(offset=int(c["k"]), still_friends=int(c["still_friends"]), still_friend_rate=int(c["still_friends"]) / size,
                            repurchasers=int(c["repurchasers"]), repurchase_rate=int(c["repurchasers"]) / size)
                for c in sorted(cells, key=lambda c: c["k"])
            )
            cohorts.append(Cohort(month=_index_to_month(int(cohort)), channel_id=channel_id, channel_name=cells[0]["channel_name"],
                                  size=size, months=months))
        return CohortResult(as_of=self.day, cohorts=tuple(cohorts))


def _is_last_day(day: date) -> bool:
    return (day + timedelta(days=1)).day == 1
