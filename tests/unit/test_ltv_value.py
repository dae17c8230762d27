"""Customer lifetime value over 90 and 365 days: expected purchases times expected spend, discounted monthly."""

from __future__ import annotations

import numpy as np
import pytest

from siyu.analytics.ltv.bgnbd import BgNbdFit, BgNbdParams
from siyu.analytics.ltv.gamma_gamma import GammaGammaFit, GammaGammaParams
from siyu.analytics.ltv.model import fit_ltv
from siyu.analytics.ltv.summary import summary_from_columns
from siyu.analytics.ltv.value import predict_customer_value
from siyu.domain.errors import InvalidInput
from tests.unit import cdnow

PURCHASES = BgNbdFit(BgNbdParams(r=0.8, alpha=30.0, a=1.6, b=4.0), BgNbdParams(0, 0, 0, 0), 0.0, 1, 1, 0.0, 0, "")
SPEND = GammaGammaFit(GammaGammaParams(p=6.0, q=4.0, gamma=15.0), GammaGammaParams(0, 0, 0), 0.0, 1, 0.0, 0, "")
SUMMARY = summary_from_columns([3, 0], [40, 0], [60, 60], monetary_value=[20, 0], customers=["A", "B"])


def test_undiscounted_value_is_expected_purchases_times_expected_spend():
    value = predict_customer_value(SUMMARY, PURCHASES, SPEND)
    spend = np.array([450 / 21, 30.0])  # p (gamma + m x) / (p x + q - 1); the population mean for B
    for horizon in (90, 365):
        purchases = PURCHASES.expected_purchases(horizon, SUMMARY.frequency, SUMMARY.recency, SUMMARY.T)
        assert list(value.expected_purchases[horizon]) == pytest.approx(list(purchases), rel=1e-12)
        assert list(value.value[horizon]) == pytest.approx(list(purchases * spend), rel=1e-12)
    assert list(value.expected_spend) == pytest.approx(list(spend), rel=1e-12)
    assert list(value.probability_alive) == pytest.approx(
        [1 / (1 + 1.6 / 6 * (90 / 70) ** 3.8), 1.0], rel=1e-12
    )  # 1 / (1 + a / (b + x - 1) ((alpha + T) / (alpha + t_x)) ^ (r + x))
    assert list(value.customers) == ["A", "B"]


def test_each_month_of_purchases_is_discounted_at_its_end():
    rate = 0.01
    value = predict_customer_value(SUMMARY, PURCHASES, SPEND, monthly_discount_rate=rate)

    def purchases(days):
        return PURCHASES.expected_purchases(days, SUMMARY.frequency, SUMMARY.recency, SUMMARY.T)

    spend = np.array([450 / 21, 30.0])
    # 90 days = three months of 30 days
    by_hand_90 = (purchases(30) / 1.01 + (purchases(60) - purchases(30)) / 1.01**2 + (purchases(90) - purchases(60)) / 1.01**3) * spend
    # 365 days = twelve months of 30 days and a 13th of 5 days (360 -> 365)
    ends = [30 * i for i in range(1, 13)] + [365]
    by_hand_365 = sum((purchases(end) - purchases(start)) / 1.01 ** (i + 1) for i, (start, end) in enumerate(zip([0, *ends[:-1]], ends, strict=True)))
    assert list(value.value[90]) == pytest.approx(list(by_hand_90), rel=1e-12)
    assert list(value.value[365]) == pytest.approx(list(by_hand_365 * spend), rel=1e-12)
    assert np.all(value.value[365] < predict_customer_value(SUMMARY, PURCHASES, SPEND).value[365])


def test_a_summary_in_weeks_predicts_over_days():
    weeks = summary_from_columns([3, 0], [40 / 7, 0], [60 / 7, 60 / 7], monetary_value=[20, 0])
    value = predict_customer_value(weeks, PURCHASES, SPEND, horizons=(91,), days_per_period=7)
    assert list(value.expected_purchases[91]) == pytest.approx(list(PURCHASES.expected_purchases(13, weeks.frequency, weeks.recency, weeks.T)), rel=1e-12)


@pytest.mark.parametrize(
    ("options", "message"),
    [({"monthly_discount_rate": -0.1}, "discount rate"), ({"monthly_discount_rate": 1.5}, "discount rate"), ({"horizons": (0,)}, "horizon")],
)
def test_bad_options_are_refused(options, message):
    with pytest.raises(InvalidInput, match=message):
        predict_customer_value(SUMMARY, PURCHASES, SPEND, **options)


def test_the_cdnow_model_predicts_every_customer():
    data = cdnow.summary()
    summary = summary_from_columns(data.x, data.t_x * 7, data.T * 7, monetary_value=data.zbar, customers=data.customers)
    model = fit_ltv(summary)
    value = model.predict(summary)
    assert len(value.customers) == 2357
    assert np.all(np.isfinite(value.value[365])) and np.all(value.value[365] >= value.value[90]) and np.all(value.value[90] > 0)
    # customer 1 (x = 2, t_x = 30.43 weeks, T = 38.86 weeks, zbar = 22.35): purchases and value agree with the parts
    purchases = model.purchases.expected_purchases(365, summary.frequency[:1], summary.recency[:1], summary.T[:1])[0]
    spend = model.spend.expected_spend(summary.frequency[:1], summary.monetary_value[:1])[0]
    assert value.value[365][0] == pytest.approx(purchases * spend, rel=1e-12)


def test_customers_with_the_same_history_get_the_same_prediction_in_their_own_row():
    rng = np.random.default_rng(3)
    histories = np.array([[3, 40, 60], [0, 0, 60], [1, 5, 30], [3, 40, 61]], dtype=float)
    rows = histories[rng.integers(0, 4, 50)]
    money = rng.uniform(1, 50, 50) * (rows[:, 0] > 0)
    summary = summary_from_columns(rows[:, 0], rows[:, 1], rows[:, 2], monetary_value=money)
    value = predict_customer_value(summary, PURCHASES, SPEND, monthly_discount_rate=0.02)
    one_by_one = [
        predict_customer_value(summary_from_columns([f], [r], [t], monetary_value=[m]), PURCHASES, SPEND, monthly_discount_rate=0.02)
        for f, r, t, m in zip(rows[:, 0], rows[:, 1], rows[:, 2], money, strict=True)
    ]
    for horizon in (90, 365):
        assert list(value.value[horizon]) == pytest.approx([v.value[horizon][0] for v in one_by_one], rel=1e-12)
    assert list(value.probability_alive) == pytest.approx([v.probability_alive[0] for v in one_by_one], rel=1e-12)
