"""Maximum likelihood in log-parameter space, shared by the BG/NBD and Gamma-Gamma fits.

Each model hands over its mean negative log-likelihood with an analytic gradient (in
log-parameters); this module runs scipy's BFGS on it (``scipy.optimize.minimize``), adds lifetimes' L2 penalty
(``penalizer * sum(params ** 2)`` on the natural parameters), and turns the curvature at the
optimum into standard errors (the observed information, by central differences of the analytic
gradient, mapped to natural parameters by the delta method: ``se(theta) = theta * se(log theta)``).

Identical rows are fitted once with a weight (``compress``): a summary in whole days repeats
the same (frequency, recency, T) many times, so a million customers often make a few hundred
thousand distinct rows, and the likelihood is a weighted sum either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from siyu.analytics.ltv.errors import FitDidNotConverge

# value and gradient of the mean negative log-likelihood at log-parameters
Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]
GRADIENT_TOLERANCE = 1e-9  # on the mean log-likelihood per customer
UNIDENTIFIED_LOG_ERROR = 10.0  # a standard error over 10x the parameter: a 95% interval spanning e^+-20
HESSIAN_STEP = 1e-5


@dataclass(frozen=True)
class Optimum:
    params: np.ndarray  # natural parameters at the optimum
    covariance: np.ndarray  # of the natural parameters
    objective: float  # the penalised mean negative log-likelihood that was minimised
    iterations: int
    message: str


def compress(*columns: np.ndarray, weights: np.ndarray | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of ``columns`` and how many customers (or how much weight) each carries;
    when nearly every row is distinct, grouping saves nothing and the rows come back as given."""
    size = len(columns[0])
    w = np.ones(size) if weights is None else np.asarray(weights, dtype=np.float64)
    order, starts = _groups(columns)
    if len(starts) > 0.8 * size:
        return list(columns), w
    return [column[order][starts] for column in columns], np.add.reduceat(w[order], starts)


def distinct_rows(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of ``columns`` and, for each original row, the index of its distinct row
    (so ``distinct[inverse]`` gives the columns back): to compute a costly function once per row."""
    order, starts = _groups(columns)
    group = np.zeros(len(order), dtype=np.int64)
    group[starts[1:]] = 1
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order] = np.cumsum(group)
    return [column[order][starts] for column in columns], inverse


def _groups(columns: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The rows sorted by one ``lexsort`` (``np.unique(axis=0)`` is 7x slower on a million rows)
    and where each run of identical rows starts in that order."""
    order = np.lexsort(columns[::-1])
    new = np.zeros(len(order), dtype=bool)
    new[0] = True
    for column in columns:
        ordered = column[order]
        new[1:] |= ordered[1:] != ordered[:-1]
    return order, np.flatnonzero(new)


class Distinct:
    """The distinct values of a column and where each row's value sits among them, so that a
    costly function of it (``gammaln``, ``digamma`` of frequency) is computed once per value."""

    def __init__(self, column: np.ndarray) -> None:
        self.values, index = np.unique(column, return_inverse=True)
        self.index = index.reshape(-1)


def weighted_sum(weights: np.ndarray, values: np.ndarray) -> float:
    """sum(weights * values) through einsum, not ``np.dot``: a 1-D ``dot`` goes to OpenBLAS,
    whose threads make it thousands of times slower when the cores are busy (15 ms instead of
    5 us for 20,000 values, measured on the 2-core bench machine under load)."""
    return float(np.einsum("i,i->", weights, values))


def maximise(
    objective: Objective,
    start: np.ndarray,
    *,
    penalizer: float,
    n_customers: float,
    model: str,
    max_iterations: int = 2_000,
) -> Optimum:
    """Minimise ``objective`` (+ the L2 penalty) over log-parameters from ``start``; raise
    ``FitDidNotConverge`` when the optimiser stops where the gradient is not flat, or where the
    curvature is not positive definite (no interior maximum, so no estimate and no errors)."""

    def penalised(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        value, gradient = objective(log_params)
        if penalizer:
            params = np.exp(log_params)
            value += penalizer * float(np.sum(params**2))
            gradient = gradient + penalizer * 2.0 * params**2
        return value, gradient

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        result = minimize(
            penalised,
            start,
            jac=True,
            method="BFGS",
            options={"maxiter": max_iterations, "gtol": GRADIENT_TOLERANCE},
        )
        finite = bool(np.all(np.isfinite(result.x)) and np.isfinite(result.fun))
        gradient = penalised(result.x)[1] if finite else np.full_like(result.x, np.nan)
    # L-BFGS-B also stops "successfully" on a relative reduction below ftol; accept that only
    # when the gradient is small too, and accept an "abnormal" line-search stop at a point whose
    # gradient is already negligible (it happens at the optimum, where no step can improve).
    flat = finite and bool(np.max(np.abs(gradient)) < 1e-5)
    if not finite or not flat:
        raise FitDidNotConverge(
            "ltv.fit_did_not_converge",
            "the %(model)s fit did not converge after %(iterations)s iterations (%(reason)s); "
            "try a small penalizer such as 0.01, or check that enough customers bought more than once",
            model=model, iterations=int(result.nit), reason=str(result.message),
        )
    params = np.exp(result.x)
    covariance = _covariance(_hessian(lambda x: penalised(x)[1], result.x), params, n_customers)
    with np.errstate(invalid="ignore", divide="ignore"):
        log_scale_errors = np.sqrt(np.abs(np.diag(covariance))) / params
    if not np.all(np.isfinite(params)) or np.any(params <= 0) or not np.all(np.isfinite(covariance)) \
            or (not penalizer and np.any(log_scale_errors > UNIDENTIFIED_LOG_ERROR)):
        # flat in some direction: the likelihood keeps rising towards the edge of the parameter
        # space (say b -> infinity when nobody seems to have left), so there is no estimate.
        # Where the optimiser stops on the way out depends on its version (scipy 1.17 stops at
        # a = 3e-7 with a finite but meaningless curvature), so the test is the estimate's own
        # precision: a standard error many times the parameter pins nothing down. A penalised fit
        # is the regularised estimate the user asked for and is reported as it is.
        raise FitDidNotConverge(
            "ltv.no_maximum",
            "the %(model)s likelihood has no maximum inside the parameter space (it is flat where the fit "
            "stopped): the data cannot pin the parameters down; try a small penalizer such as 0.01",
            model=model,
        )
    return Optimum(params, covariance, float(result.fun), int(result.nit), str(result.message))


def _hessian(gradient: Callable[[np.ndarray], np.ndarray], at: np.ndarray) -> np.ndarray:
    size = len(at)
    hessian = np.empty((size, size))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for i in range(size):
            step = np.zeros(size)
            step[i] = HESSIAN_STEP
            hessian[:, i] = (gradient(at + step) - gradient(at - step)) / (2 * HESSIAN_STEP)
    return (hessian + hessian.T) / 2


def _covariance(hessian_of_mean: np.ndarray, params: np.ndarray, n_customers: float) -> np.ndarray:
    """Covariance of the natural parameters: the inverse observed information in log space
    (``n`` times the Hessian of the mean), scaled by ``theta_i * theta_j``."""
    information = hessian_of_mean * n_customers
    nan = np.full_like(information, np.nan)
    if not np.all(np.isfinite(information)):
        return nan
    try:
        np.linalg.cholesky(information)  # positive definite, or the errors mean nothing
    except np.linalg.LinAlgError:
        return nan
    return np.linalg.inv(information) * np.outer(params, params)
