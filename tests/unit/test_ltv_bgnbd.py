"""BG/NBD: the CDNOW estimates of Fader, Hardie & Lee (2005), and the formulas worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from siyu.analytics.ltv.bgnbd import BgNbdParams, fit_bgnbd, log_likelihood
from siyu.analytics.ltv.errors import FitDidNotConverge
from siyu.analytics.ltv.mle import maximise
from siyu.domain.errors import InvalidInput
from tests.unit import cdnow

PARAMS = BgNbdParams(r=1.5, alpha=10.0, a=1.5, b=3.0)


@pytest.fixture(scope="module")
def cdnow_fit():
    data = cdnow.summary()
    return data, fit_bgnbd(data.x, data.t_x, data.T)


def test_the_cdnow_fit_matches_the_published_estimates(cdnow_fit):
    _, fit = cdnow_fit
    # FHL 2005, table 1 / Hardie's note 004: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4
    assert round(fit.params.r, 3) == 0.243
    assert round(fit.params.alpha, 3) == 4.414
    assert round(fit.params.a, 3) == 0.793
    assert round(fit.params.b, 3) == 2.426
    assert round(fit.log_likelihood, 1) == -9582.4
    assert (fit.n_customers, fit.n_repeat_customers, fit.converged) == (2357, 946, True)


def test_the_standard_errors_are_the_inverse_curvature_of_the_log_likelihood(cdnow_fit):
    data, fit = cdnow_fit
    theta = np.array(list(fit.params.as_dict().values()))

    def total(values):
        return float(np.sum(log_likelihood(BgNbdParams(*values), data.x, data.t_x, data.T)))

    # the observed information by central second differences in the natural parameters
    steps = theta * 1e-4
    information = np.empty((4, 4))
    for i in range(4):
        for j in range(4):
            ei, ej = np.eye(4)[i] * steps[i], np.eye(4)[j] * steps[j]
            information[i, j] = -(
                total(theta + ei + ej) - total(theta + ei - ej) - total(theta - ei + ej) + total(theta - ei - ej)
            ) / (4 * steps[i] * steps[j])
    expected = np.sqrt(np.diag(np.linalg.inv(information)))
    assert np.allclose(list(fit.standard_errors.as_dict().values()), expected, rtol=1e-3)
    # lifetimes 0.11.3's BetaGeoFitter on the same data prints se(coef) 0.012557, 0.378221, 0.185719, 0.705345
    assert np.allclose(list(fit.standard_errors.as_dict().values()), [0.012557, 0.378221, 0.185719, 0.705345], rtol=1e-4)


def test_the_log_likelihood_is_the_model_integrated_over_lambda_and_p():
    x, t_x, big_t = 2, 20.0, 30.0
    r, alpha, a, b = PARAMS.r, PARAMS.alpha, PARAMS.a, PARAMS.b

    log_gamma_norm = r * math.log(alpha) - math.lgamma(r)
    log_beta_norm = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)

    def given(lam, p):  # FHL 2005, eq. 3 for known lambda and p, times their Gamma(r, alpha) and Beta(a, b) densities
        likelihood = (1 - p) ** x * lam**x * math.exp(-lam * big_t) + p * (1 - p) ** (x - 1) * lam**x * math.exp(-lam * t_x)
        lambda_density = math.exp(log_gamma_norm + (r - 1) * math.log(lam) - alpha * lam)
        p_density = math.exp(log_beta_norm + (a - 1) * math.log(p) + (b - 1) * math.log1p(-p))
        return likelihood * lambda_density * p_density

    integral, _ = integrate.dblquad(given, 0, 1, 0, 5, epsabs=0, epsrel=1e-9)
    assert log_likelihood(PARAMS, [x], [t_x], [big_t])[0] == pytest.approx(math.log(integral), rel=1e-6)


def test_someone_who_never_bought_again_is_alive_for_sure():
    # dropout happens only after a repeat purchase: P(alive | x = 0) = 1 / (1 + 0) = 1, whatever T
    alive = fit_like(PARAMS).probability_alive([0, 0, 0], [0, 0, 0], [1, 50, 5000])
    assert list(alive) == [1.0, 1.0, 1.0]


def test_p_alive_by_hand():
    # x = 2, t_x = 20, T = 30: 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    by_hand = 1 / (1 + 1.5 / 4 * (40 / 30) ** 3.5)
    assert fit_like(PARAMS).probability_alive([2], [20], [30])[0] == pytest.approx(by_hand, rel=1e-12)


def _hyp2f1_series(a, b, c, z):
    term, total, n = 1.0, 1.0, 0
    while abs(term) > 1e-17:
        term *= (a + n) * (b + n) / ((c + n) * (n + 1)) * z
        total += term
        n += 1
    return total


def test_expected_purchases_for_one_customer_by_hand():
    r, alpha, a, b = PARAMS.r, PARAMS.alpha, PARAMS.a, PARAMS.b
    t, x, t_x, big_t = 15.0, 2, 20.0, 30.0
    # FHL 2005, eq. 10, with the Gauss series for 2F1 summed term by term
    z = t / (alpha + big_t + t)  # 15 / 55
    hyp = _hyp2f1_series(r + x, b + x, a + b + x - 1, z)
    numerator = (a + b + x - 1) / (a - 1) * (1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp)
    by_hand = numerator / (1 + a / (b + x - 1) * ((alpha + big_t) / (alpha + t_x)) ** (r + x))
    # and for someone who has not bought again (no second term in the denominator)
    hyp0 = _hyp2f1_series(r, b, a + b - 1, z)
    by_hand_0 = (a + b - 1) / (a - 1) * (1 - ((alpha + big_t) / (alpha + big_t + t)) ** r * hyp0)
    got = fit_like(PARAMS).expected_purchases(t, [x, 0], [t_x, 0], [big_t, big_t])
    assert got == pytest.approx([by_hand, by_hand_0], rel=1e-10)
    assert 0 < got[0] and 0 < got[1]


def test_the_cdnow_predictions_agree_with_lifetimes(cdnow_fit):
    data, fit = cdnow_fit
    # lifetimes 0.11.3 on the same fit: conditional_expected_number_of_purchases_up_to_time(39, ...)
    # and conditional_probability_alive for customers 1-3, expected_number_of_purchases_up_to_time(39)
    assert fit.expected_purchases(39, data.x[:3], data.t_x[:3], data.T[:3]) == pytest.approx([1.22591042, 0.20325062, 0.19478086], rel=1e-5)
    assert fit.probability_alive(data.x[:3], data.t_x[:3], data.T[:3]) == pytest.approx([0.72660914, 0.21222739, 1.0], rel=1e-5)
    assert fit.expected_purchases_of_new_customer(39) == pytest.approx(1.195016228446201, rel=1e-5)


def test_compressed_rows_and_weights_fit_the_same_as_every_customer(cdnow_fit):
    data, fit = cdnow_fit
    plain = fit_bgnbd(data.x, data.t_x, data.T, compress_rows=False)
    assert plain.params.as_dict() == pytest.approx(fit.params.as_dict(), rel=1e-6)
    assert plain.log_likelihood == pytest.approx(fit.log_likelihood, rel=1e-10)
    twice = fit_bgnbd(data.x, data.t_x, data.T, weights=np.full(len(data.x), 2.0))
    assert twice.params.as_dict() == pytest.approx(fit.params.as_dict(), rel=1e-5)
    assert twice.log_likelihood == pytest.approx(2 * fit.log_likelihood, rel=1e-9)
    assert twice.n_customers == 2 * 2357


def test_the_time_unit_only_rescales_alpha(cdnow_fit):
    data, fit = cdnow_fit
    in_days = fit_bgnbd(data.x, data.t_x * 7, data.T * 7)
    assert in_days.params.alpha == pytest.approx(fit.params.alpha * 7, rel=1e-5)
    assert in_days.params.r == pytest.approx(fit.params.r, rel=1e-5)
    assert in_days.params.b == pytest.approx(fit.params.b, rel=1e-5)


def test_the_penalizer_is_lifetimes_l2_penalty(cdnow_fit):
    data, fit = cdnow_fit
    shrunk = fit_bgnbd(data.x, data.t_x, data.T, penalizer=0.1)
    # lifetimes 0.11.3, BetaGeoFitter(penalizer_coef=0.1) on the same data
    assert list(shrunk.params.as_dict().values()) == pytest.approx([0.230947, 4.219288, 0.128655, 0.267127], rel=1e-4)
    assert shrunk.penalizer == 0.1
    assert shrunk.log_likelihood < fit.log_likelihood  # the unpenalised likelihood is lower away from the MLE


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "message"),
    [
        ([0, 0, 0], [0, 0, 0], [5, 6, 7], "no customer bought more than once"),
        ([1, -2], [3, 0], [5, 5], "row 2: frequency is negative"),
        ([1, 2], [3, 9], [5, 5], "row 2: recency is after T"),
    ],
)
def test_bad_input_is_refused(frequency, recency, T, message):
    with pytest.raises(InvalidInput, match=message):
        fit_bgnbd(frequency, recency, T)


def test_a_negative_penalizer_is_refused():
    with pytest.raises(InvalidInput, match="the penalizer must be a number of 0 or more"):
        fit_bgnbd([1, 0], [2, 0], [5, 5], penalizer=-1)


def test_a_likelihood_without_an_interior_maximum_does_not_converge():
    # everyone bought again right up to the end, so nobody looks gone: the likelihood keeps
    # rising as the dropout probability goes to 0, and there is no estimate to report
    rng = np.random.default_rng(1)
    big_t = rng.integers(50, 100, 500).astype(float)
    frequency = rng.integers(1, 10, 500).astype(float)
    with pytest.raises(FitDidNotConverge, match="no maximum inside the parameter space"):
        fit_bgnbd(frequency, big_t, big_t)
    penalised = fit_bgnbd(frequency, big_t, big_t, penalizer=0.01)  # what the message suggests
    assert penalised.converged and np.all(np.isfinite(list(penalised.standard_errors.as_dict().values())))


def test_an_optimiser_that_stops_on_a_slope_is_reported():
    def slope(log_params):  # a plane: no minimum anywhere, and the gradient never vanishes
        return float(np.sum(log_params)), np.ones_like(log_params)

    with pytest.raises(FitDidNotConverge, match="the plane fit did not converge"):
        maximise(slope, np.zeros(2), penalizer=0.0, n_customers=1, model="plane")


def fit_like(params: BgNbdParams):
    """A fit object carrying ``params``, to call the prediction methods with chosen parameters."""
    from siyu.analytics.ltv.bgnbd import BgNbdFit

    return BgNbdFit(params, params, 0.0, 1, 1, 0.0, 0, "")
