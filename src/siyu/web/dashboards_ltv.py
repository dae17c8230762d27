"""The lifetime-value dashboard's tables and charts, from ``siyu.analytics.lifetime_value.LtvResult``.

The definitions are those of ``siyu.analytics.lifetime_value`` (the per-customer summary) and
``siyu.analytics.ltv`` (BG/NBD, Gamma-Gamma); the churn-risk line is the smart tag's
(``siyu.analytics.smart_tags.CHURN_THRESHOLD``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow.compute as pc

from siyu.analytics.lifetime_value import CustomerLtv, LtvResult
from siyu.analytics.typed_rows import TypedRows
from siyu.analytics.smart_tags import CHURN_THRESHOLD
from siyu.web.dashboards import Column, Table, bar_chart
from siyu.web.i18n import N_, Language

HEADLINES = (
    Column("customers", N_("Customers fitted"), N_("Live customers with a purchase (an order not fully refunded) on or before the day asked about (of the chosen store, region or channel, by first relation; the models are fitted on the whole brand)."), "count"),
    Column("repeat_customers", N_("Repeat buyers"), N_("Of those customers, the ones who bought on two or more business days."), "count"),
    Column("purchases_90d", N_("Expected purchases, 90 days"), N_("BG/NBD: the sum over the customers of the purchases each is expected to make in the 90 days after the day asked about."), "ratio"),
    Column("purchases_365d", N_("Expected purchases, 365 days"), N_("BG/NBD: the same over 365 days."), "ratio"),
    Column("value_90d", N_("Predicted value, 90 days"), N_("Sum over the customers of expected purchases in 90 days × Gamma-Gamma's expected spend per purchase (no discounting)."), "money"),
    Column("value_365d", N_("Predicted value, 365 days"), N_("The same over 365 days."), "money"),
    Column("mean_alive", N_("Average P(alive)"), N_("The mean over the customers of BG/NBD's probability that the customer is still buying (1 for one-time buyers)."), "rate"),
    Column("churn_risk", N_("Churn risk"), N_("Customers whose P(alive) is below 0.3: the customers the churn-risk smart tag marks."), "count"),
)
FIT_COLUMNS = (
    Column("model", N_("Model"), N_("BG/NBD (purchases and dropout, Fader, Hardie & Lee 2005) or Gamma-Gamma (spend per purchase)."), "text"),
    Column("parameter", N_("Parameter"), N_("The model's parameter, named as in the lifetimes library; the log-likelihood is the fit's."), "text"),
    Column("estimate", N_("Estimate"), N_("The maximum-likelihood estimate on this brand's purchases (a small L2 penalizer keeps a young brand's fit stable)."), "number"),
)
ALIVE_COLUMNS = (
    Column("bin", N_("P(alive)"), N_("The customer's probability of still buying, in bins of 0.1 (the last bin includes 1)."), "text"),
    Column("customers", N_("Customers"), N_("Customers fitted whose P(alive) falls in the bin.")),
    Column("value_365d", N_("Predicted value, 365 days"), N_("The bin's customers' predicted value over 365 days."), "money"),
)
CUSTOMER_COLUMNS = (
    Column("customer_id", N_("Customer"), N_("The live customer (merged-away customers are counted under the one they were merged into)."), "customer"),
    Column("frequency", N_("Frequency"), N_("Business days with a purchase after the first (purchases on one day count once).")),
    Column("recency_days", N_("First to last purchase (days)"), N_("Recency in the BG/NBD sense: days from the first purchase day to the last.")),
    Column("age_days", N_("Age (days)"), N_("Days from the first purchase day to the day asked about (T).")),
    Column("monetary", N_("Average repeat spend"), N_("The mean net (paid minus refunded) of the repeat purchase days; 0 with no repeat."), "money"),
    Column("probability_alive", N_("P(alive)"), N_("BG/NBD's probability that the customer is still buying (1 for one-time buyers)."), "rate"),
    Column("purchases_90d", N_("Purchases, 90 days"), N_("BG/NBD: expected purchases in the next 90 days."), "ratio"),
    Column("purchases_365d", N_("Purchases, 365 days"), N_("BG/NBD: expected purchases in the next 365 days."), "ratio"),
    Column("value_90d", N_("Value, 90 days"), N_("Expected purchases in 90 days × Gamma-Gamma's expected spend per purchase."), "money"),
    Column("value_365d", N_("Value, 365 days"), N_("Expected purchases in 365 days × Gamma-Gamma's expected spend per purchase."), "money"),
)
MODELS = (("BG/NBD", "bgnbd"), ("Gamma-Gamma", "gamma_gamma"))


SORTS = {
    "customer": N_("By customer"),
    "value": N_("Highest predicted value first"),
    "alive": N_("Lowest P(alive) first"),
}


def chosen_customers(result: LtvResult, only_risk: bool, sort: str) -> TypedRows[CustomerLtv]:
    """The customers shown: all or those at churn risk, by customer id (as the API pages them),
    by predicted 365-day value (highest first) or by P(alive) (lowest first). Chosen and sorted by
    column: only the rows read (a page) are built."""
    shown = result.customers
    if only_risk:
        shown = shown.where(pc.less(shown.column("probability_alive"), CHURN_THRESHOLD))
    if sort == "value":
        shown = shown.ordered((("value_365d_fen", "descending"), ("customer_id", "ascending")))
    elif sort == "alive":
        shown = shown.ordered((("probability_alive", "ascending"), ("customer_id", "ascending")))
    return shown


def _yuan_total(fen: Any) -> Decimal:
    return Decimal(int(pc.sum(fen).as_py() or 0)).scaleb(-2)


def headline_values(result: LtvResult) -> tuple[Any, ...]:
    """Counted and summed by column (money exactly, in fen)."""
    people = result.customers
    alive = people.column("probability_alive").to_numpy()
    return (len(people), int(pc.sum(pc.greater(people.column("frequency"), 0)).as_py() or 0),
            math.fsum(people.column("purchases_90d").to_numpy()), math.fsum(people.column("purchases_365d").to_numpy()),
            _yuan_total(people.column("value_90d_fen")), _yuan_total(people.column("value_365d_fen")),
            math.fsum(alive) / len(people) if len(people) else None, int(np.count_nonzero(alive < CHURN_THRESHOLD)))


def headline_table(language: Language, result: LtvResult) -> Table:
    columns = (Column("measure", N_("Measure"), N_("What is counted"), "text"), Column("value", N_("Value"), N_("The number"), "text"))
    return Table("ltv-summary", columns, tuple(
        (language.gettext(c.label), v) for c, v in zip(HEADLINES, headline_values(result), strict=True)))


def fit_table(result: LtvResult) -> Table:
    fit = result.fit
    rows: list[tuple[Any, ...]] = []
    for model, key in MODELS:
        rows += [(model, name, value) for name, value in getattr(fit, key).items()]
        rows.append((model, "log-likelihood", getattr(fit, f"{key}_log_likelihood")))
    return Table("ltv-fit", FIT_COLUMNS, tuple(rows))


def alive_table(result: LtvResult) -> Table:
    """Customers per tenth of P(alive): 0-10 %, ..., 90-100 % (by column: no row objects)."""
    alive = result.customers.column("probability_alive").to_numpy()
    tenth = np.minimum((alive * 10).astype(np.int64), 9)
    counts = np.bincount(tenth, minlength=10)
    fen = np.zeros(10, dtype=np.int64)
    np.add.at(fen, tenth, result.customers.column("value_365d_fen").to_numpy())
    return Table("ltv-alive", ALIVE_COLUMNS, tuple((f"{10 * i}–{10 * (i + 1)}%", int(counts[i]), Decimal(int(fen[i])).scaleb(-2))
                                                   for i in range(10)))


def customer_table(customers: Iterable[CustomerLtv]) -> Table:
    return Table("ltv-customers", CUSTOMER_COLUMNS, tuple(
        (c.customer_id, c.frequency, c.recency_days, c.age_days, c.monetary, c.probability_alive, c.purchases_90d,
         c.purchases_365d, c.value_90d, c.value_365d)
        for c in customers))


def alive_chart(language: Language, table: Table) -> dict[str, Any]:
    return bar_chart(language, table, "bin", ("customers",), line="value_365d")
