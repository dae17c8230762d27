"""Experiments as people enter them: a holdout in percent and variants whose shares make up the rest,
and a send's own holdout and variant B."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from siyu.domain.errors import InvalidInput
from siyu.domain.experiments import BUCKETS, Arm, Experiment, ExperimentDraft, Variant
from siyu.domain.send_experiments import SendExperiment

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _experiment(draft: ExperimentDraft) -> Experiment:
    return Experiment(id=1, name=draft.name, salt="s", arms=draft.arms, window_days=draft.window_days, started_at=NOW, created_at=NOW)


def test_a_holdout_and_given_shares_become_weights_in_hundredths_of_a_percent():
    draft = ExperimentDraft.split(name="春季", holdout_percent=10, variants=[Variant("a", 60), Variant("b", 30)])
    assert draft.arms == (Arm("holdout", 1000, control=True), Arm("a", 6000), Arm("b", 3000))
    made = _experiment(draft)
    assert made.holdout == made.control and made.holdout.key == "holdout"
    assert [made.percent(a) for a in made.arms] == [10, 60, 30]


def test_shares_left_out_split_the_rest_evenly_and_add_up_to_every_bucket():
    draft = ExperimentDraft.split(name="三变体", holdout_percent=5, variants=[Variant("a"), Variant("b"), Variant("c")])
    assert [a.weight for a in draft.arms] == [500, 3167, 3167, 3166] and sum(a.weight for a in draft.arms) == BUCKETS


def test_without_a_holdout_the_first_variant_is_a_control_that_is_sent():
    made = _experiment(ExperimentDraft.split(name="AB", holdout_percent=0, variants=[Variant("a"), Variant("b")]))
    assert made.control.key == "a" and made.control.baseline and made.holdout is None
    assert [a.key for a in made.variants] == ["b"]


@pytest.mark.parametrize(
    ("holdout", "variants", "code"),
    [
        (51, [Variant("send")], "experiment.bad_holdout"),
        (-1, [Variant("send")], "experiment.bad_holdout"),
        (0, [Variant("send")], "experiment.arm_count"),  # no holdout and one variant: nothing to compare
        (10, [], "experiment.arm_count"),
        (10, [Variant("a", 50), Variant("b")], "experiment.some_shares"),
        (10, [Variant("a", 50), Variant("b", 30)], "experiment.shares_sum"),
        (10, [Variant("a", 0), Variant("b", 90)], "experiment.bad_share"),
        (10, [Variant("a", 45), Variant("a", 45)], "experiment.arm_twice"),
        (10, [Variant("A", 90)], "experiment.bad_arm_key"),
        (10, [Variant("holdout", 90)], "experiment.arm_twice"),
    ],
)
def test_bad_shares_are_refused_with_a_code(holdout: int, variants: list[Variant], code: str):
    with pytest.raises(InvalidInput) as caught:
        ExperimentDraft.split(name="x", holdout_percent=holdout, variants=variants)
    assert caught.value.code == code


def test_only_the_control_can_be_a_sent_baseline():
    with pytest.raises(InvalidInput) as caught:
        ExperimentDraft.parse(name="x", arms=[Arm("holdout", 1, control=True), Arm("a", 1, baseline=True)])
    assert caught.value.code == "experiment.baseline_not_control"


def test_the_send_forms_holdout_and_variant_b_make_the_three_shapes():
    holdout = SendExperiment.parse(holdout_percent=20)
    assert holdout.draft("x").arms == (Arm("holdout", 2000, control=True), Arm("send", 8000)) and holdout.variant_texts == {}
    both = SendExperiment.parse(holdout_percent=10, variant_b_text="  B 文案  ")
    assert [(a.key, a.weight, a.control) for a in both.draft("x").arms] == [("holdout", 1000, True), ("a", 4500, False),
                                                                            ("b", 4500, False)]
    assert both.variant_texts == {"b": "B 文案"}
    ab = SendExperiment.parse(variant_b_text="B 文案")
    assert ab.draft("x").arms == (Arm("a", 5000, control=True, baseline=True), Arm("b", 5000))


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({}, "experiment.nothing_to_test"),
        ({"variant_b_text": "   "}, "experiment.nothing_to_test"),
        ({"holdout_percent": 60}, "experiment.bad_holdout"),
        ({"holdout_percent": 10, "window_days": 0}, "experiment.bad_window"),
        ({"variant_b_text": "您好 {customer_name}"}, "mass_send.per_customer_field"),
    ],
)
def test_a_bad_send_experiment_is_refused_before_anything_is_stored(kw: dict[str, object], code: str):
    with pytest.raises(InvalidInput) as caught:
        SendExperiment.parse(**kw)  # type: ignore[arg-type]
    assert caught.value.code == code
