"""Experiment arms and the deterministic assignment of customers to them."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime

import pytest
from scipy import stats

from siyu.domain.errors import InvalidInput
from siyu.domain.experiments import Arm, Experiment, ExperimentDraft, bucket

NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)


def experiment(*arms: Arm, salt: str = "s3cret") -> Experiment:
    return Experiment(id=1, name="双十二召回", salt=salt, arms=arms, window_days=7, started_at=NOW, created_at=NOW)


def test_bucket_is_sha256_of_salt_and_customer_so_it_is_the_same_on_every_machine():
    # SHA-256("s3cret:1")[:8] = 17770891078912996489 -> mod 10,000 = 6489 (pinned: a change would move customers)
    assert int.from_bytes(hashlib.sha256(b"s3cret:1").digest()[:8], "big") == 17770891078912996489
    assert [bucket("s3cret", i) for i in (1, 2, 3, 1_000_000)] == [6489, 9689, 1480, 2131]


def test_arm_slices_follow_the_weights_in_order():
    # holdout [0, 1000), a [1000, 5500), b [5500, 10000): buckets 6489 -> b, 9689 -> b, 1480 -> a, 2131 -> a
    e = experiment(Arm("holdout", 10, control=True), Arm("a", 45), Arm("b", 45))
    assert [e.arm_of(i) for i in (1, 2, 3, 1_000_000)] == ["b", "b", "a", "a"]
    assert e.control.key == "holdout" and [a.key for a in e.variants] == ["a", "b"]


def test_assignment_is_stable_and_depends_on_the_salt():
    e = experiment(Arm("holdout", 1, control=True), Arm("send", 1))
    first = [e.arm_of(i) for i in range(1, 501)]
    assert first == [e.arm_of(i) for i in range(1, 501)]
    other = experiment(Arm("holdout", 1, control=True), Arm("send", 1), salt="other")
    assert first != [other.arm_of(i) for i in range(1, 501)]


def test_shares_match_the_weights_within_sampling_error():
    e = experiment(Arm("holdout", 10, control=True), Arm("a", 45), Arm("b", 45))
    n = 20_000
    counts = Counter(e.arm_of(i) for i in range(1, n + 1))
    # 10% of 20,000 = 2,000 with sd sqrt(20000 * 0.1 * 0.9) = 42.4; 45% = 9,000 with sd 70.4
    assert abs(counts["holdout"] - 2_000) < 5 * 42.4
    assert abs(counts["a"] - 9_000) < 5 * 70.4 and abs(counts["b"] - 9_000) < 5 * 70.4
    # and the whole split passes a chi-square goodness-of-fit test against 10/45/45
    observed = [counts["holdout"], counts["a"], counts["b"]]
    assert stats.chisquare(observed, [2_000, 9_000, 9_000]).pvalue > 0.001


def test_holdout_shape_splits_the_rest_evenly_between_variants():
    d = ExperimentDraft.holdout(name=" 召回  实验 ", holdout_percent=10, variants=("a", "b", "c"))
    assert d.name == "召回 实验"
    assert [(a.key, a.weight, a.control) for a in d.arms] == [("holdout", 1000, True), ("a", 3000, False), ("b", 3000, False),
                                                               ("c", 3000, False)]
    assert sum(a.weight for a in d.arms) == 10_000


@pytest.mark.parametrize(
    ("arms", "window", "code"),
    [
        ([Arm("holdout", 1, control=True)], 7, "experiment.arm_count"),
        ([Arm("holdout", 1, control=True), Arm("A", 1)], 7, "experiment.bad_arm_key"),
        ([Arm("holdout", 1, control=True), Arm("a", 1), Arm("a", 2)], 7, "experiment.arm_twice"),
        ([Arm("holdout", 0, control=True), Arm("a", 1)], 7, "experiment.bad_weight"),
        ([Arm("holdout", 6000, control=True), Arm("a", 6000)], 7, "experiment.weights_too_large"),
        ([Arm("holdout", 1), Arm("a", 1)], 7, "experiment.one_control"),
        ([Arm("holdout", 1, control=True), Arm("a", 1, control=True)], 7, "experiment.one_control"),
        ([Arm("holdout", 1, control=True), Arm("a", 1)], 0, "experiment.bad_window"),
        ([Arm("holdout", 1, control=True), Arm("a", 1)], 366, "experiment.bad_window"),
    ],
)
def test_bad_drafts_are_refused_with_a_code(arms: list[Arm], window: int, code: str):
    with pytest.raises(InvalidInput) as caught:
        ExperimentDraft.parse(name="x", arms=arms, window_days=window)
    assert caught.value.code == code


def test_bad_holdout_share_is_refused():
    with pytest.raises(InvalidInput) as caught:
        ExperimentDraft.holdout(name="x", holdout_percent=100)
    assert caught.value.code == "experiment.bad_holdout"
