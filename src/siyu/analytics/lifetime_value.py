"""Lifetime value per tenant: BG/NBD (purchases, P(alive)) and Gamma-Gamma (spend) fitted on the
tenant's own purchases in the warehouse, with each customer's predicted purchases and value
over 90 and 365 days.

The models are :mod:`siyu.analytics.ltv` (numpy; checked against the published CDNOW
estimates). The query builds the per-customer summary in the warehouse, in the convention of
``lifetimes.utils.summary_data_from_transaction_data`` with one day as the period:

- purchases are orders not fully refunded, counted at their *net* (paid minus refunded); the
  day is the Asia/Shanghai business day; merged customers count as their live customer;
- purchases on the same business day collapse into one (their nets add up);
- **frequency** = days with a purchase after the first; **recency** = days from the first
  purchase day to the last; **T** = days from the first purchase day to ``as_of``;
- **monetary** = the mean net of the repeat days (the first day left out; 0 with no repeat).

With a ``scope`` (:mod:`siyu.analytics.scope`) the models are still fitted on the whole
brand (a store's few buyers are too few to fit on), and the customers listed (and the fit's
customer counts stay the brand's) are the scope's customer base, by first relation.

Purchases after ``as_of`` are left out. The fit uses :data:`DEFAULT_PENALIZER` unless told. BG/NBD gives every one-time buyer P(alive) = 1 (it
lets a customer drop out only after a repeat purchase), so the churn-risk tag built on it
(``siyu.services.smart_tags``) marks repeat buyers who have gone quiet for longer than their
own rhythm predicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from siyu.adapters.warehouse import Warehouse
from siyu.analytics.base import AnalyticsQuery
from siyu.analytics.frame import purchases, today_in_shanghai
from siyu.analytics.scope import EVERYTHING, Scope, in_scope_customers
from siyu.analytics.ltv.model import fit_ltv
from siyu.analytics.ltv.summary import summary_from_columns
from siyu.analytics.typed_rows import TypedRows
from siyu.domain.errors import DomainError, InvalidInput
from siyu.domain.paging import Page, PageRequest

FEN = Decimal("0.01")
#: lifetimes' L2 penalizer: a small one keeps a young tenant's fit from running off to extreme
#: parameters (the CDNOW check of ``siyu analytics fit-ltv`` uses 0, plain maximum likelihood).
DEFAULT_PENALIZER = 0.001
#: the per-customer summary the query's SQL answers
SUMMARY_SCHEMA = pa.schema([("customer_id", pa.int64()), ("in_scope", pa.bool_()), ("frequency", pa.int64()),
                            ("recency", pa.int64()), ("age", pa.int64()), ("repeat_total", pa.decimal128(38, 2))])


@dataclass(frozen=True)
class CustomerLtv:
    customer_id: int
    frequency: int
    recency_days: int
    age_days: int  # T
    monetary: Decimal
    probability_alive: float
    purchases_90d: float
    purchases_365d: float
    value_90d: Decimal
    value_365d: Decimal


@dataclass(frozen=True)
class LtvFit:
    bgnbd: dict[str, float]
    gamma_gamma: dict[str, float]
    bgnbd_log_likelihood: float
    gamma_gamma_log_likelihood: float
    customers: int
    repeat_customers: int


def _customer(customer_id: int, frequency: int, recency_days: int, age_days: int, monetary_fen: int, probability_alive: float,
              purchases_90d: float, purchases_365d: float, value_90d_fen: int, value_365d_fen: int) -> CustomerLtv:
    return CustomerLtv(customer_id=customer_id, frequency=frequency, recency_days=recency_days, age_days=age_days,
                       monetary=_yuan(monetary_fen), probability_alive=probability_alive, purchases_90d=purchases_90d,
                       purchases_365d=purchases_365d, value_90d=_yuan(value_90d_fen), value_365d=_yuan(value_365d_fen))


@dataclass(frozen=True)
class LtvResult:
    """``customers`` is a sequence of :class:`CustomerLtv` by customer id whose rows are built
    only when read (:class:`~siyu.analytics.typed_rows.TypedRows`). Its columns are the fields'
    names, money in whole fen: ``monetary_fen``, ``value_90d_fen``, ``value_365d_fen`` (each the
    field's yuan amount times 100, exactly)."""

    as_of: date
    fit: LtvFit
    customers: TypedRows[CustomerLtv]

    def of(self, customer_id: int) -> CustomerLtv | None:
        return self.customers.find("customer_id", customer_id)

    def page(self, request: PageRequest) -> Page[CustomerLtv]:
        """Customers by customer id, one page."""
        return Page(items=tuple(self.customers[request.offset : request.offset + request.page_size]), total=len(self.customers),
                    page=request.page, page_size=request.page_size)


def _money(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(FEN, ROUND_HALF_UP)


def _yuan(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)  # 1234 -> Decimal("12.34"), 0 -> Decimal("0.00"): what _money gives


def fen_of(values: np.ndarray) -> np.ndarray:
    """``_money`` of every value, in whole fen (int64), without a Decimal per value: half a fen
    rounds away from zero, on the value's shortest decimal form (``repr``), as ``_money`` does.

    ``floor(|v| * 100 + 0.5)`` is that rounding except where ``|v| * 100`` lies within float error
    of half a fen (or is too large or not finite): those few go through ``_money`` itself."""
    v = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        scaled = np.abs(v) * 100
        doubtful = ~np.isfinite(scaled) | (scaled > 1e15)
        doubtful |= np.abs(scaled - np.floor(scaled) - 0.5) < 1e-7 + scaled * 1e-13
        fen = np.where(doubtful, 0, np.copysign(np.floor(scaled + 0.5), v)).astype(np.int64)
    for i in np.flatnonzero(doubtful):
        fen[i] = int(_money(v[i]).scaleb(2))
    return fen


def float_column(column: pa.ChunkedArray) -> np.ndarray:
    """A numeric column as float64; a decimal one value by value as ``float(Decimal)`` would (Arrow's
    own decimal-to-float cast is off by an ulp for some values): its exact integer of the smallest
    unit, divided once."""
    if pa.types.is_decimal(column.type):
        scale = column.type.scale
        ten = pa.scalar(10**scale, pa.decimal128(scale + 1, 0))
        units = pc.cast(pc.multiply(pc.cast(column, pa.decimal128(36 - scale, scale)), ten), pa.int64())
        return units.to_numpy().astype(np.float64) / float(10**scale)
    return column.to_numpy().astype(np.float64)


@dataclass(frozen=True)
class LtvQuery(AnalyticsQuery[LtvResult]):
    name: ClassVar[str] = "ltv"
    tenant_id: int
    as_of: date | None = None
    penalizer: float = DEFAULT_PENALIZER
    scope: Scope = EVERYTHING

    def __post_init__(self) -> None:
        if not 0 <= self.penalizer <= 10:
            raise InvalidInput("analytics.penalizer_out_of_range", "the penalizer is a number from 0 to %(max)s",
                               field="penalizer", max=10)

    @property
    def day(self) -> date:
        return self.as_of or today_in_shanghai()

    def build(self, warehouse: Warehouse) -> ir.Table:
        p = purchases(warehouse, self.tenant_id)
        p = p.filter(p.day <= self.day)
        days = p.group_by(customer_id=p.live_customer_id, day=p.day).aggregate(net=p.net.sum())
        first = ibis.row_number().over(group_by=days.customer_id, order_by=days.day)
        days = days.mutate(first_net=ibis.cases((first == 0, days.net), else_=0))
        per = days.group_by("customer_id").aggregate(
            n_days=days.day.count(), first_day=days.day.min(), last_day=days.day.max(),
            total=days.net.sum(), first_total=days.first_net.sum(),
        )
        if self.scope.everything:
            per = per.mutate(in_scope=ibis.literal(True))
        else:
            base = in_scope_customers(warehouse, self.tenant_id, self.scope)
            per = per.left_join(base, per.customer_id == base.scoped_customer)
            per = per.mutate(in_scope=per.scoped_customer.notnull()).drop("scoped_customer")
        return per.select(
            "customer_id", "in_scope", frequency=per.n_days - 1,
            recency=per.last_day.delta(per.first_day, unit="day"),
            age=ibis.date(self.day).delta(per.first_day, unit="day"),
            repeat_total=per.total - per.first_total,
        ).order_by("customer_id")

    def result(self, rows: list[dict[str, Any]]) -> LtvResult:
        return self.result_table(pa.Table.from_pylist([{c: row[c] for c in SUMMARY_SCHEMA.names} for row in rows],
                                                      schema=SUMMARY_SCHEMA))

    def result_table(self, table: pa.Table) -> LtvResult:
        """Read by column into numpy, fitted and predicted there; the customers as lazy rows."""
        ids = table.column("customer_id").to_numpy().astype(np.int64)
        x = float_column(table.column("frequency"))
        t_x = float_column(table.column("recency"))
        big_t = float_column(table.column("age"))
        repeat = float_column(table.column("repeat_total"))
        money = np.divide(repeat, x, out=np.zeros_like(repeat), where=x > 0)
        try:
            summary = summary_from_columns(x, t_x, big_t, money, customers=ids, observation_end=self.day)
            model = fit_ltv(summary, penalizer=self.penalizer)
            value = model.predict(summary)
        except DomainError as exc:
            raise InvalidInput("analytics.ltv_cannot_fit",
                               "the purchases so far cannot fit the lifetime-value models: %(reason)s",
                               reason=exc.message) from exc
        fit = LtvFit(
            bgnbd=model.purchases.params.as_dict(), gamma_gamma=model.spend.params.as_dict(),
            bgnbd_log_likelihood=float(model.purchases.log_likelihood), gamma_gamma_log_likelihood=float(model.spend.log_likelihood),
            customers=len(ids), repeat_customers=int(np.sum(x > 0)),
        )
        columns = pa.table({
            "customer_id": ids, "frequency": x.astype(np.int64), "recency_days": t_x.astype(np.int64),
            "age_days": big_t.astype(np.int64), "monetary_fen": fen_of(money),
            "probability_alive": np.asarray(value.probability_alive, dtype=np.float64),
            "purchases_90d": np.asarray(value.expected_purchases[90], dtype=np.float64),
            "purchases_365d": np.asarray(value.expected_purchases[365], dtype=np.float64),
            "value_90d_fen": fen_of(value.value[90]), "value_365d_fen": fen_of(value.value[365]),
        })
        in_scope = table.column("in_scope")
        if in_scope.null_count or not pc.all(in_scope).as_py():
            columns = columns.filter(pc.fill_null(in_scope, False))
        return LtvResult(as_of=self.day, fit=fit, customers=TypedRows(columns, _customer))
