"""Experiment arithmetic against worked examples (tests/unit, no database)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from scipy import stats

from siyu.domain.experiment_reports import build_report
from siyu.domain.experiment_stats import MeanTest, Moments, NoTest, ProportionTest, two_proportions, welch
from siyu.domain.experiments import Arm, Experiment

START = datetime(2026, 11, 1, tzinfo=UTC)


def test_two_proportions_matches_the_worked_example() -> None:
    # By hand: p1 = 0.12, p2 = 0.09, pooled p = 210 / 2000 = 0.105
    # pooled SE = sqrt(0.105 * 0.895 * (1/1000 + 1/1000)) = 0.013710; z = 0.03 / 0.013710 = 2.188
    # p = 2 * (1 - Phi(2.188)) = 0.0287
    # unpooled SE = sqrt(0.12 * 0.88 / 1000 + 0.09 * 0.91 / 1000) = 0.013693; 1.96 * SE = 0.02684
    pooled_se = math.sqrt(0.105 * 0.895 * 0.002)
    z_by_hand = 0.03 / pooled_se
    p_by_hand = math.erfc(z_by_hand / math.sqrt(2))  # = 2 * (1 - Phi(z))
    se = math.sqrt(0.12 * 0.88 / 1000 + 0.09 * 0.91 / 1000)

    test = two_proportions(120, 1000, 90, 1000)
    assert isinstance(test, ProportionTest)
    assert test.z == pytest.approx(z_by_hand, rel=1e-12) and round(test.z, 3) == 2.188
    assert test.p_value == pytest.approx(p_by_hand, rel=1e-9) and round(test.p_value, 4) == 0.0287
    assert test.difference == pytest.approx(0.03)
    assert test.ci_low == pytest.approx(0.03 - 1.959964 * se, abs=1e-6) and round(test.ci_low, 4) == 0.0032
    assert round(test.ci_high, 4) == 0.0568
    assert test.relative_uplift == pytest.approx(1 / 3)
    assert test.significant and not test.small_sample


def test_the_test_is_symmetric_and_a_small_difference_is_not_significant() -> None:
    flipped = two_proportions(90, 1000, 120, 1000)
    assert isinstance(flipped, ProportionTest) and round(flipped.z, 3) == -2.188 and round(flipped.ci_high, 4) == -0.0032
    close = two_proportions(100, 1000, 95, 1000)
    assert isinstance(close, ProportionTest) and not close.significant and close.ci_low < 0 < close.ci_high


def test_no_test_without_customers_or_converters() -> None:
    assert two_proportions(0, 0, 5, 100) == NoTest("no_customers")
    assert two_proportions(0, 100, 0, 100) == NoTest("no_converters")
    assert two_proportions(10, 10, 20, 20) == NoTest("all_converted")
    with pytest.raises(ValueError):
        two_proportions(11, 10, 0, 10)


def test_tiny_samples_are_tested_but_flagged() -> None:
    tiny = two_proportions(2, 10, 0, 10)
    assert isinstance(tiny, ProportionTest) and tiny.small_sample
    assert tiny.relative_uplift is None  # the control converted nobody: no relative uplift


def test_welch_from_moments_equals_scipy_on_the_raw_values() -> None:
    one = [Decimal(v) for v in ("0", "0", "99.90", "0", "250.00", "0", "30.50")]
    two = [Decimal(v) for v in ("0", "10.00", "0", "0", "0")]

    def moments(values: list[Decimal]) -> Moments:
        return Moments(len(values), sum(values, Decimal(0)), sum((v * v for v in values), Decimal(0)))

    test = welch(moments(one), moments(two))
    expected = stats.ttest_ind([float(v) for v in one], [float(v) for v in two], equal_var=False)
    assert isinstance(test, MeanTest)
    assert test.t == pytest.approx(expected.statistic) and test.p_value == pytest.approx(expected.pvalue)
    assert test.mean_1 == pytest.approx(380.4 / 7) and test.mean_2 == pytest.approx(2.0)
    assert moments(one).sd == pytest.approx(float(stats.tstd([float(v) for v in one])))


def test_welch_needs_two_customers_and_some_spread() -> None:
    assert welch(Moments(1, Decimal(5), Decimal(25)), Moments(10, Decimal(0), Decimal(0))) == NoTest("too_few")
    assert welch(Moments(0, Decimal(0), Decimal(0)), Moments(10, Decimal(0), Decimal(0))) == NoTest("no_customers")
    assert welch(Moments(5, Decimal(0), Decimal(0)), Moments(10, Decimal(0), Decimal(0))) == NoTest("no_variance")


def _experiment(window_days: int = 14) -> Experiment:
    arms = (Arm("holdout", 2000, control=True), Arm("a", 4000), Arm("b", 4000))
    return Experiment(id=1, name="双十二", salt="s", arms=arms, window_days=window_days, started_at=START, created_at=START)


def test_report_folds_counts_and_converters_per_arm() -> None:
    converters = [("a", Decimal("100.00")), ("a", Decimal("50.00")), ("holdout", Decimal("20.00"))]
    report = build_report(_experiment(), 14, {"holdout": 10, "a": 20}, converters, now=START + timedelta(days=3),
                          repliers={"holdout": 2, "a": 8, "gone": 5})
    holdout, a, b = report.arms
    assert (holdout.customers, holdout.converters, holdout.gmv) == (10, 1, Decimal("20.00"))
    assert (a.customers, a.converters, a.gmv, a.gmv_per_customer) == (20, 2, Decimal("150.00"), Decimal("7.50"))
    assert a.conversion_rate == pytest.approx(0.1) and holdout.conversion_rate == pytest.approx(0.1)
    assert (b.customers, b.conversion_rate, b.gmv_per_customer) == (0, None, None)  # an empty arm: no rate, no test
    assert report.window_end == START + timedelta(days=14) and not report.complete
    against_a, against_b = report.comparisons
    assert against_a.arm == "a" and against_a.control == "holdout" and isinstance(against_a.conversion, ProportionTest)
    assert not against_a.significant
    assert against_b.conversion == NoTest("no_customers") and against_b.gmv_per_customer == NoTest("no_customers")
    assert (holdout.repliers, a.repliers, b.repliers) == (2, 8, 0)  # an arm since removed ("gone") is left out
    assert holdout.reply_rate == pytest.approx(0.2) and a.reply_rate == pytest.approx(0.4) and b.reply_rate is None
    assert isinstance(against_a.replies, ProportionTest) and against_a.replies.difference == pytest.approx(0.2)
    assert against_b.replies == NoTest("no_customers")


def test_replies_are_tested_like_conversion_and_say_why_there_is_no_test() -> None:
    # By hand: a 30/100 replied, holdout 15/100; pooled p = 45/200 = 0.225
    # pooled SE = sqrt(0.225 * 0.775 * (1/100 + 1/100)) = 0.059055; z = 0.15 / 0.059055 = 2.540; p = 0.0111
    # (checked against scipy: 2 * stats.norm.sf(2.540) = 0.01109)
    report = build_report(_experiment(), 7, {"holdout": 100, "a": 100, "b": 100}, [], now=START,
                          repliers={"holdout": 15, "a": 30, "b": 0})
    against_a, against_b = report.comparisons
    assert isinstance(against_a.replies, ProportionTest)
    assert against_a.replies.z == pytest.approx(2.540, abs=5e-4) and against_a.replies.p_value == pytest.approx(0.0111, abs=5e-5)
    assert against_a.replies.significant and not against_a.replies.small_sample
    assert against_a.conversion == NoTest("no_converters")  # the two tests are independent
    assert isinstance(against_b.replies, ProportionTest) and against_b.replies.rate_1 == 0.0
    nobody = build_report(_experiment(), 7, {"holdout": 5, "a": 5}, [], now=START, repliers={})
    assert nobody.comparisons[0].replies == NoTest("no_repliers")
    everybody = build_report(_experiment(), 7, {"holdout": 5, "a": 5}, [], now=START, repliers={"holdout": 5, "a": 5})
    assert everybody.comparisons[0].replies == NoTest("all_replied")
