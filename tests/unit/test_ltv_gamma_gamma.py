"""Gamma-Gamma: the CDNOW estimates of Fader & Hardie's note, and the spend formula by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from siyu.analytics.ltv.errors import FitDidNotConverge
from siyu.analytics.ltv.gamma_gamma import GammaGammaFit, GammaGammaParams, fit_gamma_gamma, log_likelihood
from siyu.domain.errors import InvalidInput
from tests.unit import cdnow


@pytest.fixture(scope="module")
def cdnow_fit():
    data = cdnow.summary()
    return data, fit_gamma_gamma(data.x, data.zbar)


def test_the_cdnow_fit_matches_the_published_estimates(cdnow_fit):
    data, fit = cdnow_fit
    # Fader & Hardie, "The Gamma-Gamma Model of Monetary Value" (2013): p = 6.25, q = 3.74, gamma = 15.44,
    # from Excel's Solver. The maximum is at gamma = 15.4477 (lifetimes' GammaGammaFitter finds 15.44775),
    # so gamma is checked to one unit of the last published digit, p and q to the rounding.
    assert round(fit.params.p, 2) == 6.25
    assert round(fit.params.q, 2) == 3.74
    assert abs(fit.params.gamma - 15.44) < 0.01
    published = GammaGammaParams(6.25, 3.74, 15.44)
    repeat = data.x > 0
    assert fit.log_likelihood >= float(np.sum(log_likelihood(published, data.x[repeat], data.zbar[repeat])))
    assert fit.n_customers == 946  # only the customers who bought again
    # lifetimes 0.11.3's GammaGammaFitter on the same data prints se(coef) 1.189687, 0.290166, 4.159994
    assert list(fit.standard_errors.as_dict().values()) == pytest.approx([1.189687, 0.290166, 4.159994], rel=1e-4)


def test_the_log_likelihood_is_the_spend_model_integrated_over_nu():
    params, x, m = GammaGammaParams(p=6.0, q=4.0, gamma=15.0), 3, 20.0

    def given(nu):  # the mean of x Gamma(p, nu) spends is Gamma(p x, nu x); nu ~ Gamma(q, gamma)
        shape, rate = params.p * x, nu * x
        mean_density = math.exp(shape * math.log(rate) + (shape - 1) * math.log(m) - rate * m - math.lgamma(shape))
        nu_density = math.exp(params.q * math.log(params.gamma) + (params.q - 1) * math.log(nu) - params.gamma * nu - math.lgamma(params.q))
        return mean_density * nu_density

    integral, _ = integrate.quad(given, 0, np.inf, epsabs=0, epsrel=1e-10)
    assert log_likelihood(params, np.array([x]), np.array([m]))[0] == pytest.approx(math.log(integral), rel=1e-8)


def test_expected_spend_by_hand():
    fit = GammaGammaFit(GammaGammaParams(p=6.0, q=4.0, gamma=15.0), GammaGammaParams(0, 0, 0), 0.0, 1, 0.0, 0, "")
    # x = 3, m = 20: p (gamma + m x) / (p x + q - 1) = 6 * 75 / 21; the population mean p gamma / (q - 1) = 30
    # for x = 0. Equivalently (18 / 21) * 20 + (3 / 21) * 30, a weighted mean of the two.
    assert list(fit.expected_spend(np.array([3, 0]), np.array([20.0, 0.0]))) == pytest.approx([450 / 21, 30.0], rel=1e-12)
    assert fit.population_mean_spend == 30.0


def test_spend_is_undefined_when_q_is_not_above_1():
    fit = GammaGammaFit(GammaGammaParams(p=6.0, q=0.9, gamma=15.0), GammaGammaParams(0, 0, 0), 0.0, 1, 0.0, 0, "")
    with pytest.raises(InvalidInput, match="q = 0.9 is not above 1"):
        fit.expected_spend(np.array([1]), np.array([5.0]))


def test_the_penalizer_is_lifetimes_l2_penalty(cdnow_fit):
    data, _ = cdnow_fit
    shrunk = fit_gamma_gamma(data.x, data.zbar, penalizer=0.1)
    # lifetimes 0.11.3, GammaGammaFitter(penalizer_coef=0.1) on the same data
    assert list(shrunk.params.as_dict().values()) == pytest.approx([1.284762, 0.335947, 1.146925], rel=1e-4)


def test_a_large_currency_fits_the_same_model_scaled():
    data = cdnow.summary()
    in_fen = fit_gamma_gamma(data.x, data.zbar * 100)  # dollars -> cents: only gamma scales
    in_dollars = fit_gamma_gamma(data.x, data.zbar)
    assert in_fen.params.p == pytest.approx(in_dollars.params.p, rel=1e-5)
    assert in_fen.params.gamma == pytest.approx(in_dollars.params.gamma * 100, rel=1e-5)


@pytest.mark.parametrize(
    ("frequency", "monetary_value", "message"),
    [
        ([0, 0], [0, 0], "no customer bought more than once"),
        ([1, 2, 0], [5, 0, 0], "1 repeat customers have a monetary_value of 0"),
        ([1, 2], [5, -3], "cannot be negative"),
        ([1, 2], [5], "2 frequencies for 1 monetary values"),
    ],
)
def test_bad_input_is_refused(frequency, monetary_value, message):
    with pytest.raises(InvalidInput, match=message):
        fit_gamma_gamma(frequency, monetary_value)


def test_spend_without_variation_has_no_estimate():
    # every repeat customer spent exactly 10 each time: the likelihood rises without bound as p, q -> infinity
    with pytest.raises(FitDidNotConverge, match="Gamma-Gamma"):
        fit_gamma_gamma([1, 2, 3, 4], [10.0, 10.0, 10.0, 10.0])
