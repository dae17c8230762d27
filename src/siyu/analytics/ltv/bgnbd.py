"""BG/NBD: how often a customer buys, and whether they are still a customer (P(alive)).

Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An Alternative to the
Pareto/NBD Model", Marketing Science 24(2), 275-284, with the log-likelihood of Hardie's note
004. While alive, a customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha);
after each repeat purchase they leave for good with probability p ~ Beta(a, b).

The model is the one in ``lifetimes`` (``BetaGeoFitter``), written again on numpy and scipy
because lifetimes is unmaintained (last release 2020), needs pandas and autograd, and its import
warns on pandas 3 (and silences FutureWarning for the whole process), which warnings-as-errors refuses;
its autograd gradient is also what makes it slow (bench/ltv_fit.py). Its fork ``btyd`` stopped
at a 2022 beta; ``pymc-marketing`` fits the same models by MCMC on PyMC, a far heavier
dependency for a maximum-likelihood fit. Here the log-likelihood
is in closed form (``gammaln``, a stable ``logaddexp`` of its two terms), the gradient is
analytic, and identical rows are fitted once with a weight (see ``mle``). Times are rescaled
so the largest T is 1 before fitting, as lifetimes does, so that its ``penalizer`` means the
same here. Every function takes plain numpy arrays, so a warehouse query can feed it directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, gammaln, hyp2f1

from siyu.analytics.ltv.mle import Distinct, compress, maximise, weighted_sum
from siyu.analytics.ltv.summary import check_summary, check_weights
from siyu.domain.errors import InvalidInput

PARAMETERS = ("r", "alpha", "a", "b")


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float

    def as_dict(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}


@dataclass(frozen=True)
class BgNbdFit:
    """A fitted BG/NBD model. ``log_likelihood`` is the unpenalised total over all customers
    at the estimate, in the time unit of the data (published as -9582.4 for CDNOW in weeks)."""

    params: BgNbdParams
    standard_errors: BgNbdParams
    log_likelihood: float
    n_customers: int
    n_repeat_customers: int
    penalizer: float
    iterations: int
    message: str
    converged: bool = True  # a fit that did not converge raises FitDidNotConverge instead

    def expected_purchases(self, t: float, frequency: object, recency: object, T: object) -> np.ndarray:
        """Expected repeat purchases in the next ``t`` periods for customers with this history."""
        return conditional_expected_purchases(self.params, t, frequency, recency, T)

    def probability_alive(self, frequency: object, recency: object, T: object) -> np.ndarray:
        return probability_alive(self.params, frequency, recency, T)

    def expected_purchases_of_new_customer(self, t: float) -> float:
        return expected_purchases_of_new_customer(self.params, t)


def fit_bgnbd(
    frequency: object,
    recency: object,
    T: object,
    *,
    penalizer: float = 0.0,
    weights: object | None = None,
    compress_rows: bool = True,
) -> BgNbdFit:
    """Fit r, alpha, a, b by maximum likelihood. ``weights`` counts customers per row (for a
    summary that is already grouped); ``penalizer`` is lifetimes' L2 penalty."""
    x, t_x, big_t = check_summary(frequency, recency, T)
    if penalizer < 0 or not np.isfinite(penalizer):
        raise InvalidInput("ltv.penalizer", "the penalizer must be a number of 0 or more", field="penalizer")
    w = check_weights(weights, len(x))
    repeat = int(np.sum(w[x > 0] > 0))
    if repeat == 0:
        raise InvalidInput("ltv.no_repeat_buyers", "no customer bought more than once, so the purchase rate and the dropout cannot be told apart", field="frequency")
    if compress_rows:
        (x, t_x, big_t), w = compress(x, t_x, big_t, weights=w)
    scale = 1.0 / float(np.max(big_t))
    scaled_t_x, scaled_t = t_x * scale, big_t * scale
    total = float(np.sum(w))

    frequencies = Distinct(x)

    def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        ll, gradient = _log_likelihood_and_gradient(np.exp(log_params), x, frequencies, scaled_t_x, scaled_t, w)
        return -ll / total, -gradient / total

    optimum = maximise(objective, np.zeros(4), penalizer=penalizer, n_customers=total, model="BG/NBD")
    r, alpha_scaled, a, b = optimum.params
    params = BgNbdParams(float(r), float(alpha_scaled / scale), float(a), float(b))
    errors = np.sqrt(np.diag(optimum.covariance))
    errors[1] /= scale
    ll = float(np.sum(w * log_likelihood(params, x, t_x, big_t, checked=True)))
    return BgNbdFit(
        params=params,
        standard_errors=BgNbdParams(*(float(e) for e in errors)),
        log_likelihood=ll,
        n_customers=int(round(total)),
        n_repeat_customers=repeat,
        penalizer=float(penalizer),
        iterations=optimum.iterations,
        message=optimum.message,
    )


def log_likelihood(params: BgNbdParams, frequency: object, recency: object, T: object, *, checked: bool = False) -> np.ndarray:
    """Each customer's log-likelihood (Hardie's note 004, eq. 3)."""
    if checked:
        x, t_x, big_t = (np.asarray(v, dtype=np.float64) for v in (frequency, recency, T))
    else:
        x, t_x, big_t = check_summary(frequency, recency, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    repeat = x > 0
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    alive = -(r + x) * np.log(alpha + big_t)
    with np.errstate(divide="ignore"):
        gone = np.where(repeat, np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + t_x), -np.inf)
    return head + np.logaddexp(alive, gone)


def _log_likelihood_and_gradient(
    params: np.ndarray, x: np.ndarray, frequencies: Distinct, t_x: np.ndarray, big_t: np.ndarray, w: np.ndarray
) -> tuple[float, np.ndarray]:
    """The weighted total log-likelihood and its gradient in log-parameters. The gamma-function
    terms depend on the frequency alone, so they are computed once per distinct frequency."""
    r, alpha, a, b = params
    fx, at = frequencies.values, frequencies.index
    psi_abx = digamma(a + b + fx)
    head = (gammaln(r + fx) - gammaln(r) + r * np.log(alpha) + gammaln(a + b) + gammaln(b + fx) - gammaln(b) - gammaln(a + b + fx))[at]
    log_b_x1 = np.log(b + np.maximum(fx, 1) - 1)
    repeat = x > 0
    log_alpha_t, log_alpha_tx = np.log(alpha + big_t), np.log(alpha + t_x)
    alive = -(r + x) * log_alpha_t
    gone = np.where(repeat, np.log(a) - log_b_x1[at] - (r + x) * log_alpha_tx, -np.inf)
    both = np.logaddexp(alive, gone)
    share_gone = np.exp(gone - both)  # the weight of the "left after the last purchase" term
    share_alive = 1.0 - share_gone
    ll = weighted_sum(w, head + both)

    d_r = (digamma(r + fx) - digamma(r) + np.log(alpha))[at] - share_alive * log_alpha_t - share_gone * log_alpha_tx
    d_alpha = r / alpha - (r + x) * (share_alive / (alpha + big_t) + share_gone / (alpha + t_x))
    d_a = (digamma(a + b) - psi_abx)[at] + share_gone / a
    d_b = (digamma(a + b) + digamma(b + fx) - digamma(b) - psi_abx)[at] - share_gone * np.exp(-log_b_x1)[at]
    gradient = np.array([weighted_sum(w, d) for d in (d_r, d_alpha, d_a, d_b)]) * params
    return ll, gradient


def probability_alive(params: BgNbdParams, frequency: object, recency: object, T: object) -> np.ndarray:
    """P(still a customer at T | x, t_x, T) = 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x))
    (FHL 2005, eq. 13): 1 for anyone who never bought again, since dropout follows a repeat purchase."""
    x, t_x, big_t = check_summary(frequency, recency, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    log_odds = np.log(a) - np.log(b + np.maximum(x, 1) - 1) + (r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x))
    with np.errstate(over="ignore"):
        return np.where(x > 0, 1.0 / (1.0 + np.exp(log_odds)), 1.0)


def conditional_expected_purchases(params: BgNbdParams, t: float, frequency: object, recency: object, T: object) -> np.ndarray:
    """E[Y(t) | x, t_x, T], the expected repeat purchases in (T, T + t] (FHL 2005, eq. 10):

        (a + b + x - 1) / (a - 1) * [1 - ((alpha + T) / (alpha + T + t))^(r + x) 2F1(r + x, b + x; a + b + x - 1; t / (alpha + T + t))]
        / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x))
    """
    if not np.isfinite(t) or t < 0:
        raise InvalidInput("ltv.horizon", "the horizon t must be a number of periods, 0 or more", field="t")
    x, t_x, big_t = check_summary(frequency, recency, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if abs(a - 1.0) < 1e-12:
        raise InvalidInput("ltv.a_is_one", "the BG/NBD expectation is undefined at a = 1", field="a")
    z = t / (alpha + big_t + t)
    log_hyp = _log_hyp2f1(r + x, b + x, a + b + x - 1, z)
    ratio = np.exp(log_hyp + (r + x) * (np.log(alpha + big_t) - np.log(alpha + big_t + t)))
    numerator = (a + b + x - 1) / (a - 1) * (1.0 - ratio)
    with np.errstate(over="ignore"):
        odds = np.where(x > 0, a / (b + np.maximum(x, 1) - 1) * np.exp((r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x))), 0.0)
    return numerator / (1.0 + odds)


def expected_purchases_of_new_customer(params: BgNbdParams, t: float) -> float:
    """E[X(t)] for a customer just acquired (FHL 2005, eq. 9)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = t / (alpha + t)
    hyp = float(np.exp(_log_hyp2f1(np.float64(r), np.float64(b), np.float64(a + b - 1), np.float64(z))))
    return float((a + b - 1) / (a - 1) * (1.0 - (alpha / (alpha + t)) ** r * hyp))


def _log_hyp2f1(a: np.ndarray, b: np.ndarray, c: np.ndarray, z: np.ndarray) -> np.ndarray:
    """log 2F1(a, b; c; z) for 0 <= z < 1, through Euler's transformation
    2F1(a, b; c; z) = (1 - z)^(c - a - b) 2F1(c - a, c - b; c; z) where the direct value overflows."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        direct = np.log(hyp2f1(a, b, c, z))
        euler = np.log(hyp2f1(c - a, c - b, c, z)) + (c - a - b) * np.log1p(-z)
    return np.where(np.isfinite(direct), direct, euler)

