"""The two models fitted together on one summary: what ``siyu analytics fit-ltv`` runs, and
what a per-tenant fit on the warehouse will run."""

from __future__ import annotations

from dataclasses import dataclass

from siyu.analytics.ltv.bgnbd import BgNbdFit, fit_bgnbd
from siyu.analytics.ltv.gamma_gamma import GammaGammaFit, fit_gamma_gamma
from siyu.analytics.ltv.summary import CustomerSummary
from siyu.analytics.ltv.value import HORIZONS, CustomerValue, predict_customer_value


@dataclass(frozen=True)
class LtvModel:
    purchases: BgNbdFit
    spend: GammaGammaFit

    def predict(
        self, summary: CustomerSummary, *, horizons: tuple[int, ...] = HORIZONS, monthly_discount_rate: float = 0.0
    ) -> CustomerValue:
        return predict_customer_value(summary, self.purchases, self.spend, horizons=horizons, monthly_discount_rate=monthly_discount_rate)


def fit_ltv(summary: CustomerSummary, *, penalizer: float = 0.0) -> LtvModel:
    """BG/NBD on every customer, Gamma-Gamma on the repeat buyers, with the same penalizer."""
    purchases = fit_bgnbd(summary.frequency, summary.recency, summary.T, penalizer=penalizer)
    spend = fit_gamma_gamma(summary.frequency, summary.monetary_value, penalizer=penalizer)
    return LtvModel(purchases, spend)
