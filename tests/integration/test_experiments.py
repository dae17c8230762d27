"""Experiments in the operational store: created, assigned once, kept inside their tenant."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from siyu.adapters.db.tables import experiment_assignments
from siyu.bootstrap import Context
from siyu.domain.access import Actor, Role
from siyu.domain.errors import InvalidInput, NotFound, PermissionDenied
from siyu.domain.experiments import ExperimentDraft
from siyu.domain.paging import PageRequest
from siyu.services import experiments
from tests import factories


def test_assignment_follows_the_hash_and_keeps_the_first_arm(context: Context) -> None:
    _, admin = factories.tenant(context)
    people = [c.id for c in factories.customers_of(context, admin, 6)]
    made = experiments.create_experiment(context.uow(), admin, ExperimentDraft.holdout(name="双十二", holdout_percent=50))
    assert len(made.salt) == 32 and made.window_days == 7

    first = experiments.assign(context.uow(), admin, made.id, people[:4])
    assert first == {c: made.arm_of(c) for c in people[:4]}
    again = experiments.assign(context.uow(), admin, made.id, people)  # 4 known, 2 new
    assert again == {c: made.arm_of(c) for c in people}

    with context.uow() as uow:  # a stored arm wins over the hash (e.g. the weights were different then)
        moved = {people[0]: "send" if first[people[0]] == "holdout" else "holdout"}
        a = experiment_assignments.c
        uow.session.execute(update(experiment_assignments).where(a.tenant_id == admin.tenant_id, a.customer_id == people[0])
                            .values(arm=moved[people[0]]))
        uow.commit()
    assert experiments.assign(context.uow(), admin, made.id, [people[0]]) == moved
    counts = experiments.arm_counts(context.uow(), admin, made.id)
    assert sum(counts.values()) == 6 and list(counts) == ["holdout", "send"]


def test_unknown_or_foreign_customers_are_refused_whole(context: Context) -> None:
    _, admin = factories.tenant(context)
    _, other = factories.tenant(context)
    mine = factories.customers_of(context, admin, 1)[0].id
    theirs = factories.customers_of(context, other, 1)[0].id
    made = experiments.create_experiment(context.uow(), admin, ExperimentDraft.holdout(name="x", holdout_percent=10))
    with pytest.raises(InvalidInput) as caught:
        experiments.assign(context.uow(), admin, made.id, [mine, theirs])
    assert caught.value.code == "experiment.unknown_customers" and caught.value.params == {"count": 1, "example": theirs}
    assert experiments.arm_counts(context.uow(), admin, made.id) == {"holdout": 0, "send": 0}


def test_experiments_are_private_to_their_tenant_and_listed_newest_first(context: Context) -> None:
    _, admin = factories.tenant(context)
    _, other = factories.tenant(context)
    one = experiments.create_experiment(context.uow(), admin, ExperimentDraft.holdout(name="一", holdout_percent=10))
    two = experiments.create_experiment(context.uow(), admin, ExperimentDraft.holdout(name="二", holdout_percent=20))
    page = experiments.list_experiments(context.uow(), admin, PageRequest())
    assert [e.id for e in page.items] == [two.id, one.id] and page.total == 2
    assert experiments.list_experiments(context.uow(), other).total == 0
    with pytest.raises(NotFound):
        experiments.get_experiment(context.uow(), other, one.id)
    with pytest.raises(NotFound):
        experiments.assign(context.uow(), other, one.id, [])


def test_guides_may_not_create_or_assign(context: Context) -> None:
    _, admin = factories.tenant(context)
    guide = Actor(tenant_id=admin.tenant_id, role=Role.GUIDE, staff_id=1, store_id=1)
    with pytest.raises(PermissionDenied):
        experiments.create_experiment(context.uow(), guide, ExperimentDraft.holdout(name="x", holdout_percent=10))
