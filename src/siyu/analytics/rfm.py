"""RFM: recency, frequency and monetary scores 1-5 per live customer, and the named segments.

For every live customer with at least one purchase on or before ``as_of`` (an Asia/Shanghai
business day):

- **recency** = days from the last purchase's business day to ``as_of``;
- **frequency** = number of purchases (orders not fully refunded);
- **monetary** = net GMV (paid minus refunded), in yuan.

With a ``scope`` (:mod:`siyu.analytics.scope`) only the customer base of the store, region or
channel (by first relation) is scored, and the quintiles are among those customers; all their
purchases count, wherever made.

Scores are quintiles of the customers' positions, ``score = 1 + floor(5 * position / n)``
with ``position`` counted from 0 in ascending order of how good the value is:

- R is *reversed*: the longest-ago buyer comes first (score 1), the most recent last (5);
  customers with the same recency share a position (SQL ``RANK``), so share a score.
- F is *ranked*: customers with the same frequency are put in a fixed order instead of
  sharing a position (SQL ``ROW_NUMBER``), so when most customers bought once the one-time
  buyers still spread over several bins instead of collapsing them all into one. The tie rule:
  among equal frequencies the more recent buyer ranks higher, then the higher net GMV, then
  the higher customer id.
- M, like R, lets customers with the same net GMV share a score.

Segments come from the R and F scores (the widely used RF grid; M is reported, not mapped):

| R \\ F | 1 | 2 | 3 | 4 | 5 |
|---|---|---|---|---|---|
| 5 | new | potential loyalists | potential loyalists | champions | champions |
| 4 | promising | potential loyalists | potential loyalists | loyal | loyal |
| 3 | about to sleep | about to sleep | need attention | loyal | loyal |
| 2 | hibernating | hibernating | at risk | at risk | can't lose |
| 1 | hibernating | hibernating | at risk | at risk | can't lose |
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from siyu.adapters.warehouse import Warehouse
from siyu.analytics.base import AnalyticsQuery
from siyu.analytics.frame import purchases, today_in_shanghai
from siyu.analytics.scope import EVERYTHING, Scope, restrict_customers
from siyu.analytics.typed_rows import TypedRows
from siyu.domain.paging import Page, PageRequest
from siyu.domain.rfm import RfmSegment as Segment


def segment_of(r: int, f: int) -> Segment:
    """The RF grid of the module docstring, as plain Python (the query builds the same)."""
    if r <= 2:
        return Segment.HIBERNATING if f <= 2 else Segment.AT_RISK if f <= 4 else Segment.CANT_LOSE
    if r == 3:
        return Segment.ABOUT_TO_SLEEP if f <= 2 else Segment.NEED_ATTENTION if f == 3 else Segment.LOYAL
    if r == 4:
        return Segment.PROMISING if f == 1 else Segment.POTENTIAL_LOYALISTS if f <= 3 else Segment.LOYAL
    return Segment.NEW if f == 1 else Segment.POTENTIAL_LOYALISTS if f <= 3 else Segment.CHAMPIONS


def _segment_expr(r: ir.IntegerValue, f: ir.IntegerValue) -> ir.StringValue:
    return ibis.cases(
        (r <= 2, ibis.cases((f <= 2, Segment.HIBERNATING.value), (f <= 4, Segment.AT_RISK.value), else_=Segment.CANT_LOSE.value)),
        (r == 3, ibis.cases((f <= 2, Segment.ABOUT_TO_SLEEP.value), (f == 3, Segment.NEED_ATTENTION.value),
                            else_=Segment.LOYAL.value)),
        (r == 4, ibis.cases((f == 1, Segment.PROMISING.value), (f <= 3, Segment.POTENTIAL_LOYALISTS.value),
                            else_=Segment.LOYAL.value)),
        else_=ibis.cases((f == 1, Segment.NEW.value), (f <= 3, Segment.POTENTIAL_LOYALISTS.value),
                         else_=Segment.CHAMPIONS.value),
    )


@dataclass(frozen=True)
class RfmScore:
    customer_id: int
    last_purchase_day: date
    recency_days: int
    frequency: int
    monetary: Decimal
    r: int
    f: int
    m: int
    segment: Segment


@dataclass(frozen=True)
class SegmentCount:
    segment: Segment
    customers: int
    monetary: Decimal


#: the columns of a score, in :class:`RfmScore`'s order, as the query's answer types them
SCORE_SCHEMA = pa.schema([
    ("customer_id", pa.int64()), ("last_purchase_day", pa.date32()), ("recency_days", pa.int64()), ("frequency", pa.int64()),
    ("monetary", pa.decimal128(38, 2)), ("r", pa.int64()), ("f", pa.int64()), ("m", pa.int64()), ("segment", pa.string()),
])


def _score(customer_id: int, last_purchase_day: date, recency_days: int, frequency: int, monetary: Decimal,
           r: int, f: int, m: int, segment: str) -> RfmScore:
    return RfmScore(customer_id=customer_id, last_purchase_day=last_purchase_day, recency_days=int(recency_days),
                    frequency=int(frequency), monetary=Decimal(monetary), r=int(r), f=int(f), m=int(m), segment=Segment(segment))


def scores(table: pa.Table) -> TypedRows[RfmScore]:
    """The query's answer as lazy :class:`RfmScore` rows (columns in :data:`SCORE_SCHEMA`'s order)."""
    return TypedRows(table.select(SCORE_SCHEMA.names), _score)


@dataclass(frozen=True)
class RfmResult:
    """``customers`` is a sequence of :class:`RfmScore` by customer id whose rows are built only
    when read (:class:`~siyu.analytics.typed_rows.TypedRows`); its columns answer counts and sums."""

    as_of: date
    customers: TypedRows[RfmScore]
    segments: tuple[SegmentCount, ...] = field(default=())

    def of(self, customer_id: int) -> RfmScore | None:
        return self.customers.find("customer_id", customer_id)

    def in_segment(self, segment: Segment | None) -> TypedRows[RfmScore]:
        """The customers of one segment (all with None), by customer id."""
        if segment is None:
            return self.customers
        return self.customers.where(pc.equal(self.customers.column("segment"), segment.value))

    def grid(self) -> dict[tuple[int, int], int]:
        """Customers per (R, F) score pair (pairs nobody holds are absent)."""
        return {(int(r), int(f)): n for (r, f), n in self.customers.counts("r", "f").items()}

    def segment_of_customer(self) -> dict[int, Segment]:
        """Every scored customer's segment, by customer id, read by column."""
        names = {s.value: s for s in Segment}
        return dict(zip(self.customers.column("customer_id").to_pylist(),
                        map(names.__getitem__, self.customers.column("segment").to_pylist()), strict=True))

    def page(self, request: PageRequest, *, segment: Segment | None = None) -> Page[RfmScore]:
        """Customers (of one segment, or all), by customer id, one page."""
        chosen = self.in_segment(segment)
        return Page(items=tuple(chosen[request.offset : request.offset + request.page_size]), total=len(chosen),
                    page=request.page, page_size=request.page_size)


@dataclass(frozen=True)
class RfmQuery(AnalyticsQuery[RfmResult]):
    name: ClassVar[str] = "rfm"
    tenant_id: int
    as_of: date | None = None
    scope: Scope = EVERYTHING

    @property
    def day(self) -> date:
        return self.as_of or today_in_shanghai()

    def build(self, warehouse: Warehouse) -> ir.Table:
        p = purchases(warehouse, self.tenant_id)
        p = restrict_customers(p.filter(p.day <= self.day), "live_customer_id", warehouse, self.tenant_id, self.scope)
        per = p.group_by(customer_id=p.live_customer_id).aggregate(
            last_purchase_day=p.day.max(), frequency=p.order_id.nunique(), monetary=p.net.sum()
        )
        per = per.mutate(recency_days=ibis.date(self.day).delta(per.last_purchase_day, unit="day"))
        n = per.customer_id.count().over()
        r_pos = ibis.rank().over(order_by=ibis.desc(per.recency_days))
        f_pos = ibis.row_number().over(order_by=[per.frequency, ibis.desc(per.recency_days), per.monetary, per.customer_id])
        m_pos = ibis.rank().over(order_by=per.monetary)
        scored = per.mutate(r=1 + (5 * r_pos) // n, f=1 + (5 * f_pos) // n, m=1 + (5 * m_pos) // n)
        return scored.mutate(segment=_segment_expr(scored.r, scored.f)).order_by("customer_id")

    def result(self, rows: list[dict[str, Any]]) -> RfmResult:
        return self.result_table(pa.Table.from_pylist([{c: row[c] for c in SCORE_SCHEMA.names} for row in rows],
                                                      schema=SCORE_SCHEMA))

    def result_table(self, table: pa.Table) -> RfmResult:
        """Read by column: the segment totals from Arrow, the scores as lazy rows."""
        customers = scores(table)
        totals = {s: (0, Decimal("0.00")) for s in Segment}
        if table.num_rows:
            grouped = table.group_by("segment").aggregate([("customer_id", "count"), ("monetary", "sum")])
            for name, count, money in zip(*(grouped.column(c).to_pylist() for c in ("segment", "customer_id_count", "monetary_sum")),
                                          strict=True):
                totals[Segment(name)] = (int(count), Decimal(money))
        segments = tuple(SegmentCount(segment=s, customers=c, monetary=m) for s, (c, m) in totals.items())
        return RfmResult(as_of=self.day, customers=customers, segments=segments)
