"""Customer lifetime value over a horizon: BG/NBD's expected purchases times Gamma-Gamma's
expected spend, discounted month by month.

For a horizon of H days, cut into months of 30 days (the last one ends at H):

    CLV(H) = E[spend] * sum over months i = 1 .. ceil(H / 30) of
             (E[Y(min(30 i, H))] - E[Y(30 (i - 1))]) / (1 + d)^i

where E[Y(t)] is the BG/NBD expected repeat purchases in the next t days given the customer's
history, E[spend] the Gamma-Gamma conditional expected spend per purchase, and d the monthly
discount rate. With d = 0 it is E[Y(H)] * E[spend]. This is lifetimes'
``customer_lifetime_value`` with ``freq="D"`` (months of 30 days, each month's purchases
discounted at the month's end), extended to a horizon that is not a whole number of months.
Only repeat purchases count: the value a customer is predicted to bring from now on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siyu.analytics.ltv.bgnbd import BgNbdFit
from siyu.analytics.ltv.gamma_gamma import GammaGammaFit
from siyu.analytics.ltv.mle import distinct_rows
from siyu.analytics.ltv.summary import CustomerSummary
from siyu.domain.errors import InvalidInput

DAYS_PER_MONTH = 30
HORIZONS = (90, 365)


@dataclass(frozen=True, eq=False)
class CustomerValue:
    """Per customer, aligned with ``customers``: P(alive) now, expected spend per purchase, and
    for each horizon in days the expected purchases and the (discounted) value."""

    customers: np.ndarray
    probability_alive: np.ndarray
    expected_spend: np.ndarray
    expected_purchases: dict[int, np.ndarray]
    value: dict[int, np.ndarray]
    monthly_discount_rate: float


def predict_customer_value(
    summary: CustomerSummary,
    purchases: BgNbdFit,
    spend: GammaGammaFit,
    *,
    horizons: tuple[int, ...] = HORIZONS,
    monthly_discount_rate: float = 0.0,
    days_per_period: float = 1.0,
) -> CustomerValue:
    """Predict purchases and value over each horizon (days) for every customer in ``summary``.
    ``days_per_period`` is the length of the summary's time unit (1 for days, 7 for weeks)."""
    if not np.isfinite(monthly_discount_rate) or not 0 <= monthly_discount_rate < 1:
        raise InvalidInput("ltv.discount_rate", "the monthly discount rate is a fraction from 0 up to 1, e.g. 0.01", field="discount_rate")
    if not days_per_period > 0:
        raise InvalidInput("ltv.period", "a period is a positive number of days", field="days_per_period")
    if not horizons or any(h <= 0 for h in horizons):
        raise InvalidInput("ltv.horizons", "each horizon is a positive number of days", field="horizons")
    expected_spend = spend.expected_spend(summary.frequency, summary.monetary_value)
    # the expectations depend on (x, t_x, T) only: compute them once per distinct history
    (x, t_x, big_t), row = distinct_rows(summary.frequency, summary.recency, summary.T)
    purchases_by_horizon: dict[int, np.ndarray] = {}
    values: dict[int, np.ndarray] = {}
    for horizon in horizons:
        bounds = [min(DAYS_PER_MONTH * i, horizon) for i in range(1, -(-horizon // DAYS_PER_MONTH) + 1)]
        if monthly_discount_rate == 0:
            bounds = [horizon]  # nothing to discount: one evaluation at the horizon
        previous = np.zeros(len(x))
        discounted = np.zeros(len(x))
        for month, end in enumerate(bounds, start=1):
            cumulative = purchases.expected_purchases(end / days_per_period, x, t_x, big_t)
            discounted += (cumulative - previous) / (1 + monthly_discount_rate) ** month
            previous = cumulative
        purchases_by_horizon[horizon] = previous[row]
        values[horizon] = discounted[row] * expected_spend
    return CustomerValue(
        customers=summary.customers,
        probability_alive=purchases.probability_alive(x, t_x, big_t)[row],
        expected_spend=expected_spend,
        expected_purchases=purchases_by_horizon,
        value=values,
        monthly_discount_rate=float(monthly_discount_rate),
    )
