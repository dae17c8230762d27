"""Lifetime value: BG/NBD for how often customers buy and whether they are still customers,
Gamma-Gamma for how much they spend, and the value they are predicted to bring.

- ``summary``: transactions (customer, day, amount) -> frequency, recency, T, monetary_value
- ``bgnbd``: ``fit_bgnbd`` -> ``BgNbdFit`` (expected purchases, P(alive))
- ``gamma_gamma``: ``fit_gamma_gamma`` -> ``GammaGammaFit`` (expected spend per purchase)
- ``value``: ``predict_customer_value`` -> purchases and value over 90 and 365 days
- ``model``: ``fit_ltv`` fits both models on one summary -> ``LtvModel``
- ``files``: the transactions and summary CSVs of ``siyu analytics fit-ltv``

Everything takes and returns numpy arrays and frozen dataclasses, so a warehouse query can feed
the fits directly; bad input raises ``InvalidInput``, a failed fit ``FitDidNotConverge``.
"""

from siyu.analytics.ltv.bgnbd import BgNbdFit, BgNbdParams, fit_bgnbd
from siyu.analytics.ltv.errors import FitDidNotConverge
from siyu.analytics.ltv.gamma_gamma import GammaGammaFit, GammaGammaParams, fit_gamma_gamma
from siyu.analytics.ltv.model import LtvModel, fit_ltv
from siyu.analytics.ltv.summary import CustomerSummary, summarise_transactions, summary_from_columns
from siyu.analytics.ltv.value import CustomerValue, predict_customer_value

__all__ = [
    "BgNbdFit",
    "BgNbdParams",
    "CustomerSummary",
    "CustomerValue",
    "FitDidNotConverge",
    "GammaGammaFit",
    "GammaGammaParams",
    "LtvModel",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_ltv",
    "predict_customer_value",
    "summarise_transactions",
    "summary_from_columns",
]
