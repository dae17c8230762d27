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

from siyu.adapters.warehouse import Warehouse
from siyu.analytics.base import AnalyticsQuery
from siyu.analytics.frame import purchases, today_in_shanghai
from siyu.analytics.scope import EVERYTHING, Scope, in_scope_customers
from siyu.analytics.ltv.model import fit_ltv
from siyu.analytics.ltv.summary import summary_from_columns
from siyu.domain.errors import DomainError, InvalidInput
from siyu.domain.paging import Page, PageRequest

FEN = Decimal("0.01")
#: lifetimes' L2 penalizer: a small one keeps a young tenant's fit from running off to extreme
#: parameters (the CDNOW check of ``siyu analytics fit-ltv`` uses 0, plain maximum likelihood).
DEFAULT_PENALIZER = 0.001


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


@dataclass(frozen=True)
class LtvResult:
    as_of: date
    fit: LtvFit
    customers: tuple[CustomerLtv, ...]

    def of(self, customer_id: int) -> CustomerLtv | None:
        return next((c for c in self.customers if c.customer_id == customer_id), None)

    def page(self, request: PageRequest) -> Page[CustomerLtv]:
        """Customers by customer id, one page."""
        return Page(items=self.customers[request.offset : request.offset + request.page_size], total=len(self.customers),
                    page=request.page, page_size=request.page_size)


def _money(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(FEN, ROUND_HALF_UP)


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
        ids = np.array([r["customer_id"] for r in rows], dtype=np.int64)
        x = np.array([r["frequency"] for r in rows], dtype=np.float64)
        t_x = np.array([r["recency"] for r in rows], dtype=np.float64)
        big_t = np.array([r["age"] for r in rows], dtype=np.float64)
        repeat = np.array([float(r["repeat_total"]) for r in rows], dtype=np.float64)
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
        customers = tuple(
            CustomerLtv(
                customer_id=int(ids[i]), frequency=int(x[i]), recency_days=int(t_x[i]), age_days=int(big_t[i]),
                monetary=_money(money[i]), probability_alive=float(value.probability_alive[i]),
                purchases_90d=float(value.expected_purchases[90][i]), purchases_365d=float(value.expected_purchases[365][i]),
                value_90d=_money(value.value[90][i]), value_365d=_money(value.value[365][i]),
            )
            for i in range(len(ids)) if rows[i]["in_scope"]
        )
        return LtvResult(as_of=self.day, fit=fit, customers=customers)
