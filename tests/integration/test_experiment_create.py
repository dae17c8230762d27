"""Experiments made by people and by sends: unique names, changes while unused, a send's own
experiment in the send's transaction (nothing left when the send is refused), an A/B split with
no holdout, and the report's per-send planned arms."""

from __future__ import annotations

from datetime import timedelta

import pytest

from siyu.bootstrap import Context
from siyu.domain.errors import Conflict, InvalidInput, NotFound
from siyu.domain.experiments import ExperimentDraft, Variant
from siyu.domain.mass_sends import MassSendDraft
from siyu.domain.paging import PageRequest
from siyu.domain.send_experiments import SendExperiment
from siyu.services import experiments, mass_send_plan, mass_sends
from tests import factories
from tests.integration.test_mass_sends import _advance, _targets, fake  # noqa: F401  (fake is a fixture)
from tests.mass_send_setup import T0, brand, customer


def _names(context: Context, actor) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(e.name for e in experiments.list_experiments(context.uow(), actor, PageRequest(page_size=100)).items)


def test_names_are_unique_per_brand(context: Context) -> None:
    _, admin = factories.tenant(context)
    _, other = factories.tenant(context)
    experiments.create_experiment(context.uow(), admin, ExperimentDraft.holdout(name="双十二", holdout_percent=10))
    with pytest.raises(Conflict) as caught:
        experiments.create_experiment(context.uow(), admin, ExperimentDraft.holdout(name=" 双十二 ", holdout_percent=20))
    assert caught.value.code == "experiment.name_taken" and caught.value.params == {"name": "双十二"}
    experiments.create_experiment(context.uow(), other, ExperimentDraft.holdout(name="双十二", holdout_percent=10))  # another brand
    assert _names(context, admin) == ["双十二"]


def test_an_unused_experiment_changes_and_a_used_one_does_not(context: Context) -> None:
    _, admin = factories.tenant(context)
    [person] = factories.customers_of(context, admin, 1)
    made = experiments.create_experiment(context.uow(), admin, ExperimentDraft.holdout(name="春季", holdout_percent=10))
    experiments.create_experiment(context.uow(), admin, ExperimentDraft.holdout(name="夏季", holdout_percent=10))
    changed = experiments.update_experiment(context.uow(), admin, made.id, ExperimentDraft.split(
        name="春季 AB", holdout_percent=20, variants=[Variant("a", 40), Variant("b", 40)], window_days=14))
    assert (changed.name, [a.weight for a in changed.arms], changed.window_days, changed.salt) == (
        "春季 AB", [2000, 4000, 4000], 14, made.salt)
    with pytest.raises(Conflict) as caught:
        experiments.update_experiment(context.uow(), admin, made.id, ExperimentDraft.holdout(name="夏季", holdout_percent=10))
    assert caught.value.code == "experiment.name_taken"

    experiments.assign(context.uow(), admin, made.id, [person.id])
    assert experiments.in_use(context.uow(), admin, made.id)
    with pytest.raises(Conflict) as used:
        experiments.update_experiment(context.uow(), admin, made.id, ExperimentDraft.holdout(name="改名", holdout_percent=30))
    assert used.value.code == "experiment.in_use"
    assert experiments.get_experiment(context.uow(), admin, made.id) == changed  # nothing lost

    _, other = factories.tenant(context)
    with pytest.raises(NotFound):
        experiments.update_experiment(context.uow(), other, made.id, ExperimentDraft.holdout(name="越权", holdout_percent=10))


def test_a_sends_holdout_and_variant_b_become_its_experiment_in_the_same_transaction(context, fake) -> None:  # noqa: F811
    b = brand(context, fake, staff_count=1)
    for _ in range(40):
        customer(context, fake, b, follows=[(b.staff[0], T0 - timedelta(days=1))])
    experiments.create_experiment(context.uow(), b.admin, ExperimentDraft.holdout(name="春季上新", holdout_percent=10))
    draft = MassSendDraft.parse(name="春季上新", text="默认文案", customer_ids=b.customer_ids)
    send = mass_sends.create_mass_send(context.uow(), b.admin, draft, now=T0,
                                       experiment=SendExperiment.parse(holdout_percent=20, variant_b_text="B 组文案"))
    made = experiments.get_experiment(context.uow(), b.admin, send.experiment_id)
    assert made.name == "春季上新 (2)" and made.started_at == T0 and [a.key for a in made.arms] == ["holdout", "a", "b"]
    assert send.variant_texts == {"b": "B 组文案"}

    _advance(context, b, send.id, T0, fake)
    arms = [r.arm for r in _targets(context, b, send.id).values()]
    texts = {m["text"]["content"]: len(m["customers"]) for m in fake.corp.mass_messages.values()}
    assert texts == {"默认文案": arms.count("a"), "B 组文案": arms.count("b")}
    report = experiments.experiment_report(context.uow(), b.admin, made.id, now=T0)
    [planned] = report.sends
    assert (planned.send_id, planned.name, planned.audience) == (send.id, "春季上新", 40)
    assert [(a.key, a.targeted, a.held_out, a.excluded) for a in planned.arms] == [
        ("holdout", 0, arms.count("holdout"), 0), ("a", arms.count("a"), 0, 0), ("b", arms.count("b"), 0, 0)]
    assert [a.customers for a in report.arms] == [arms.count("holdout"), arms.count("a"), arms.count("b")]


def test_a_refused_send_leaves_no_experiment(context: Context) -> None:
    _, admin = factories.tenant(context)
    people = [c.id for c in factories.customers_of(context, admin, 2)]
    with pytest.raises(NotFound):
        mass_sends.create_mass_send(context.uow(), admin, MassSendDraft.parse(name="群发", text="你好", segment_id=999_999),
                                    experiment=SendExperiment.parse(holdout_percent=10))
    with pytest.raises(InvalidInput) as caught:
        mass_sends.create_mass_send(context.uow(), admin, MassSendDraft.parse(
            name="群发", text="你好", customer_ids=people, scheduled_at=T0 - timedelta(days=3650)),
            experiment=SendExperiment.parse(holdout_percent=10))
    assert caught.value.code == "mass_send.in_the_past"
    existing = experiments.create_experiment(context.uow(), admin, ExperimentDraft.holdout(name="已有", holdout_percent=10))
    with pytest.raises(InvalidInput) as twice:
        mass_sends.create_mass_send(context.uow(), admin, MassSendDraft.parse(
            name="群发", text="你好", customer_ids=people, experiment_id=existing.id), experiment=SendExperiment.parse(holdout_percent=10))
    assert twice.value.code == "experiment.choose_one"
    assert _names(context, admin) == ["已有"] and mass_sends.list_mass_sends(context.uow(), admin).items == []


def test_an_ab_split_without_holdout_sends_both_texts_and_holds_nobody_out(context, fake) -> None:  # noqa: F811
    b = brand(context, fake, staff_count=1)
    for _ in range(20):
        customer(context, fake, b, follows=[(b.staff[0], T0 - timedelta(days=1))])
    send = mass_sends.create_mass_send(context.uow(), b.admin, MassSendDraft.parse(
        name="AB 测试", text="A 文案", customer_ids=b.customer_ids), now=T0, experiment=SendExperiment.parse(variant_b_text="B 文案"))
    counts = mass_send_plan.plan_mass_send(context.uow(), b.tenant_id, send.id, now=T0)
    assert counts is not None and counts.planned == 20 and counts.excluded == {}
    report = experiments.experiment_report(context.uow(), b.admin, send.experiment_id, now=T0)
    assert [c.arm for c in report.comparisons] == ["b"] and report.comparisons[0].control == "a"
    assert sum(a.targeted for a in report.sends[0].arms) == 20


def test_an_unused_experiment_attached_to_a_send_starts_with_it(context, fake) -> None:  # noqa: F811
    b = brand(context, fake, staff_count=1)
    customer(context, fake, b, follows=[(b.staff[0], T0 - timedelta(days=1))])
    made = experiments.create_experiment(context.uow(), b.admin, ExperimentDraft.holdout(name="预先建好", holdout_percent=10))
    later = T0 + timedelta(days=2)
    mass_sends.create_mass_send(context.uow(), b.admin, MassSendDraft.parse(
        name="定时", text="你好", customer_ids=b.customer_ids, experiment_id=made.id, scheduled_at=later), now=T0)
    assert experiments.get_experiment(context.uow(), b.admin, made.id).started_at == later
    mass_sends.create_mass_send(context.uow(), b.admin, MassSendDraft.parse(  # in use now: its start stays
        name="再发", text="你好", customer_ids=b.customer_ids, experiment_id=made.id), now=T0)
    assert experiments.get_experiment(context.uow(), b.admin, made.id).started_at == later


def test_a_name_taken_at_the_same_moment_is_a_conflict_not_a_crash(context: Context) -> None:
    _, admin = factories.tenant(context)
    experiments.create_experiment(context.uow(), admin, ExperimentDraft.holdout(name="同时", holdout_percent=10))
    draft = ExperimentDraft.holdout(name="同时", holdout_percent=10)
    uow = context.uow()
    with uow, pytest.raises(Conflict) as caught:  # past the service's check, as a second writer would be
        uow.experiments.add(admin.tenant_id, name=draft.name, salt="s" * 32, arms=draft.arms, window_days=7,
                            started_at=T0, now=T0)
    assert caught.value.code == "record.concurrent_write"
    assert _names(context, admin) == ["同时"]
