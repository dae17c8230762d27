"""The statistics of an experiment report: plain functions over counts and sums.

Where they live: here, in the domain, because they are pure arithmetic on numbers a query
already counted (no data access, no framework); the counting is
:meth:`siyu.adapters.db.repositories.experiments.ExperimentRepository.window_outcomes` and the
assembly is :func:`siyu.services.experiments.experiment_report`. The distributions come from
``scipy.stats`` (already a dependency for lifetime value; statsmodels is not installed and
not needed for two tests):

- **conversion** — a two-sided *pooled* two-proportion z-test (the textbook test of
  H0: p1 = p2, whose standard error uses the pooled rate), and a 95% confidence interval of
  the difference p1 - p2 with the *unpooled* standard error (the interval does not assume
  H0). Worked example (tests/unit/test_experiment_stats.py): 120/1000 vs 90/1000 ->
  z = 2.188, p = 0.0287, difference 0.03, 95% CI [0.0032, 0.0568].
- **GMV per customer** — Welch's t-test (``scipy.stats.ttest_ind_from_stats`` with
  ``equal_var=False``) from each arm's mean and sample standard deviation over *every*
  customer of the arm (non-converters count as 0), so it needs only n, sum and sum of squares.

When a test cannot be made it is ``None`` with a reason code (``no_customers``,
``no_converters``, ``all_converted``, ``too_few``, ``no_variance``) the report explains.
A test whose normal approximation is doubtful (fewer than 5 expected converters or
non-converters in an arm) is made but flagged ``small_sample``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from scipy import stats

ALPHA = 0.05  # two-sided: "significant at 95%"
MIN_EXPECTED = 5  # the usual rule for the normal approximation of a proportion


@dataclass(frozen=True, slots=True)
class ProportionTest:
    """Variant (1) against control (2)."""

    rate_1: float
    rate_2: float
    difference: float  # rate_1 - rate_2, in absolute terms (0.03 = 3 percentage points)
    relative_uplift: float | None  # difference / rate_2; None when the control converted nobody
    z: float
    p_value: float
    ci_low: float
    ci_high: float
    small_sample: bool

    @property
    def significant(self) -> bool:
        return self.p_value < ALPHA


@dataclass(frozen=True, slots=True)
class MeanTest:
    mean_1: float
    mean_2: float
    difference: float
    t: float
    p_value: float
    degrees_of_freedom: float

    @property
    def significant(self) -> bool:
        return self.p_value < ALPHA


@dataclass(frozen=True, slots=True)
class NoTest:
    reason: str  # a stable code: no_customers, no_converters, all_converted, too_few, no_variance


def two_proportions(converted_1: int, n_1: int, converted_2: int, n_2: int, *, confidence: float = 0.95) -> ProportionTest | NoTest:
    """Pooled two-sided z-test of p1 = p2 and the unpooled confidence interval of p1 - p2."""
    if n_1 <= 0 or n_2 <= 0:
        return NoTest("no_customers")
    if not (0 <= converted_1 <= n_1 and 0 <= converted_2 <= n_2):
        raise ValueError("converted counts must lie between 0 and the arm's size")
    p1, p2 = converted_1 / n_1, converted_2 / n_2
    pooled = (converted_1 + converted_2) / (n_1 + n_2)
    if pooled == 0:
        return NoTest("no_converters")
    if pooled == 1:
        return NoTest("all_converted")
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n_1 + 1 / n_2))
    z = (p1 - p2) / se_pooled
    p_value = float(2 * stats.norm.sf(abs(z)))
    se = math.sqrt(p1 * (1 - p1) / n_1 + p2 * (1 - p2) / n_2)
    half = float(stats.norm.ppf(0.5 + confidence / 2)) * se
    small = any(min(n * pooled, n * (1 - pooled)) < MIN_EXPECTED for n in (n_1, n_2))
    return ProportionTest(rate_1=p1, rate_2=p2, difference=p1 - p2, relative_uplift=(p1 - p2) / p2 if p2 else None, z=z,
                          p_value=p_value, ci_low=p1 - p2 - half, ci_high=p1 - p2 + half, small_sample=small)


@dataclass(frozen=True, slots=True)
class Moments:
    """n, sum and sum of squares of a per-customer value: enough for a mean and a variance."""

    n: int
    total: Decimal
    squares: Decimal

    @property
    def mean(self) -> float:
        return float(self.total / self.n) if self.n else 0.0

    @property
    def sd(self) -> float:
        """The sample standard deviation (n - 1 in the denominator), computed in exact decimals."""
        if self.n < 2:
            return 0.0
        variance = (self.squares - self.total * self.total / self.n) / (self.n - 1)
        return math.sqrt(max(float(variance), 0.0))


def welch(one: Moments, two: Moments) -> MeanTest | NoTest:
    """Welch's unequal-variance t-test of mean 1 = mean 2, two-sided."""
    if one.n < 2 or two.n < 2:
        return NoTest("too_few" if one.n and two.n else "no_customers")
    sd1, sd2 = one.sd, two.sd
    if sd1 == 0 and sd2 == 0:
        return NoTest("no_variance")
    result = stats.ttest_ind_from_stats(one.mean, sd1, one.n, two.mean, sd2, two.n, equal_var=False)
    v1, v2 = sd1 * sd1 / one.n, sd2 * sd2 / two.n
    dof = (v1 + v2) ** 2 / (v1 * v1 / (one.n - 1) + v2 * v2 / (two.n - 1))  # Welch–Satterthwaite, as scipy uses
    return MeanTest(mean_1=one.mean, mean_2=two.mean, difference=one.mean - two.mean, t=float(result.statistic),
                    p_value=float(result.pvalue), degrees_of_freedom=dof)
