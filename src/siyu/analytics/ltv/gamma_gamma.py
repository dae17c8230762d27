"""Gamma-Gamma: how much a repeat customer spends per purchase.

Fader & Hardie, "The Gamma-Gamma Model of Monetary Value" (2013, brucehardie.com note 025).
Each purchase's value is Gamma(p, nu) with nu ~ Gamma(q, gamma) across customers (lifetimes
calls gamma ``v``), so a customer's mean spend over x purchases, m, has the density

    f(m | x) = Gamma(p x + q) / (Gamma(p x) Gamma(q)) * gamma^q m^(p x - 1) x^(p x) / (gamma + m x)^(p x + q)

It is fitted on the customers with at least one repeat purchase, from (frequency, monetary_value),
and assumes spend is independent of purchase frequency. Written on numpy/scipy for the reasons
given in ``bgnbd``; lifetimes' ``GammaGammaFitter`` is the reference (same likelihood, same
penalty on the untransformed parameters).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, gammaln

from siyu.analytics.ltv.mle import Distinct, compress, maximise, weighted_sum
from siyu.analytics.ltv.summary import check_weights
from siyu.domain.errors import InvalidInput

PARAMETERS = ("p", "q", "gamma")


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    gamma: float

    def as_dict(self) -> dict[str, float]:
        return {"p": self.p, "q": self.q, "gamma": self.gamma}


@dataclass(frozen=True)
class GammaGammaFit:
    """A fitted Gamma-Gamma model; ``log_likelihood`` is the unpenalised total over the repeat customers."""

    params: GammaGammaParams
    standard_errors: GammaGammaParams
    log_likelihood: float
    n_customers: int
    penalizer: float
    iterations: int
    message: str
    converged: bool = True  # a fit that did not converge raises FitDidNotConverge instead

    @property
    def population_mean_spend(self) -> float:
        """E[spend per purchase] over the population: p gamma / (q - 1), finite only when q > 1."""
        return population_mean_spend(self.params)

    def expected_spend(self, frequency: object, monetary_value: object) -> np.ndarray:
        return conditional_expected_spend(self.params, frequency, monetary_value)


def fit_gamma_gamma(
    frequency: object,
    monetary_value: object,
    *,
    penalizer: float = 0.0,
    weights: object | None = None,
    compress_rows: bool = True,
) -> GammaGammaFit:
    """Fit p, q, gamma by maximum likelihood on the rows with frequency > 0 (the others carry no
    information on repeat spend and are left out, as in Fader & Hardie's note)."""
    x = np.asarray(frequency, dtype=np.float64).reshape(-1)
    m = np.asarray(monetary_value, dtype=np.float64).reshape(-1)
    if len(x) != len(m):
        raise InvalidInput("ltv.columns_differ", "%(frequencies)s frequencies for %(values)s monetary values", field="monetary_value",
                           frequencies=len(x), values=len(m))
    if penalizer < 0 or not np.isfinite(penalizer):
        raise InvalidInput("ltv.penalizer", "the penalizer must be a number of 0 or more", field="penalizer")
    w = check_weights(weights, len(x))
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(m))):
        raise InvalidInput("ltv.spend_not_numbers", "frequency and monetary_value must be numbers", field="monetary_value")
    if np.any(x < 0) or np.any(m < 0):
        raise InvalidInput("ltv.spend_negative", "frequency and monetary_value cannot be negative", field="monetary_value")
    repeat = (x > 0) & (w > 0)
    if not np.any(repeat):
        raise InvalidInput("ltv.no_repeat_spend", "no customer bought more than once, so there is no repeat spend to fit", field="frequency")
    x, m, w = x[repeat], m[repeat], w[repeat]
    if np.any(m == 0):
        raise InvalidInput(
            "ltv.zero_spend",
            "%(count)s repeat customers have a monetary_value of 0; "
            "Gamma-Gamma models positive spend, so leave them out or give their spend",
            field="monetary_value", count=f"{int(np.sum(m == 0)):,}",
        )
    if compress_rows:
        (x, m), w = compress(x, m, weights=w)
    total = float(np.sum(w))

    frequencies, log_m = Distinct(x), np.log(m)

    def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        ll, gradient = _log_likelihood_and_gradient(np.exp(log_params), x, frequencies, m, log_m, w)
        return -ll / total, -gradient / total

    # start from gamma near the mean spend (p = q = 1 gives E[m] = gamma), so large currencies converge alike
    start = np.array([0.0, 0.0, np.log(float(np.average(m, weights=w)))])
    optimum = maximise(objective, start, penalizer=penalizer, n_customers=total, model="Gamma-Gamma")
    params = GammaGammaParams(*(float(v) for v in optimum.params))
    errors = np.sqrt(np.diag(optimum.covariance))
    return GammaGammaFit(
        params=params,
        standard_errors=GammaGammaParams(*(float(e) for e in errors)),
        log_likelihood=weighted_sum(w, log_likelihood(params, x, m)),
        n_customers=int(round(total)),
        penalizer=float(penalizer),
        iterations=optimum.iterations,
        message=optimum.message,
    )


def log_likelihood(params: GammaGammaParams, frequency: np.ndarray, monetary_value: np.ndarray) -> np.ndarray:
    """Each repeat customer's log-likelihood (note 025, eq. 1a in logs)."""
    p, q, g = params.p, params.q, params.gamma
    x, m = np.asarray(frequency, dtype=np.float64), np.asarray(monetary_value, dtype=np.float64)
    px = p * x
    return gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g) + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(x * m + g)


def _log_likelihood_and_gradient(
    params: np.ndarray, x: np.ndarray, frequencies: Distinct, m: np.ndarray, log_m: np.ndarray, w: np.ndarray
) -> tuple[float, np.ndarray]:
    """The weighted total log-likelihood and its gradient in log-parameters; the gamma-function
    terms depend on the frequency alone and are computed once per distinct frequency."""
    p, q, g = params
    fx, at = frequencies.values, frequencies.index
    pfx = p * fx
    psi_pxq = digamma(pfx + q)
    px = p * x
    log_xm_g = np.log(x * m + g)
    log_x = np.log(fx)[at]
    head = (gammaln(pfx + q) - gammaln(pfx) - gammaln(q))[at]
    ll = head + q * np.log(g) + (px - 1) * log_m + px * log_x - (px + q) * log_xm_g
    d_p = x * ((psi_pxq - digamma(pfx))[at] + log_m + log_x - log_xm_g)
    d_q = (psi_pxq - digamma(q))[at] + np.log(g) - log_xm_g
    d_g = q / g - (px + q) / (x * m + g)
    gradient = np.array([weighted_sum(w, d) for d in (d_p, d_q, d_g)]) * params
    return weighted_sum(w, ll), gradient


def population_mean_spend(params: GammaGammaParams) -> float:
    if params.q <= 1:
        raise InvalidInput("ltv.q_not_above_one", "q = %(q)s is not above 1, so the model's mean spend is infinite", field="q", q=f"{params.q:.3g}")
    return params.p * params.gamma / (params.q - 1)


def conditional_expected_spend(params: GammaGammaParams, frequency: object, monetary_value: object) -> np.ndarray:
    """E[spend per purchase | x, m] = p (gamma + m x) / (p x + q - 1): a weighted mean of the
    customer's own mean spend and the population's (note 025, eq. 5); the population mean for
    someone with no repeat purchase (x = 0)."""
    population_mean_spend(params)  # q > 1, or the expectation does not exist
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary_value, dtype=np.float64)
    if x.shape != m.shape:
        raise InvalidInput("ltv.columns_differ", "%(frequencies)s frequencies for %(values)s monetary values", field="monetary_value",
                           frequencies=int(x.size), values=int(m.size))
    if np.any(x < 0) or np.any(m < 0):
        raise InvalidInput("ltv.spend_negative", "frequency and monetary_value cannot be negative", field="monetary_value")
    p, q, g = params.p, params.q, params.gamma
    return p * (g + m * x) / (p * x + q - 1)
