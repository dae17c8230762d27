"""Lifecycle rules make follow-up tasks once per stage entry; overdue tasks raise one alert each.

The clock is frozen: the services take ``now``, and the worker's job runs under a patched
``services.guide_tasks.utcnow``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from siyu.bootstrap import Context
from siyu.domain.access import Actor, Role
from siyu.domain.alerts import AlertKind
from siyu.domain.errors import InvalidInput, NotFound, PermissionDenied
from siyu.domain.guide_tasks import RuleDraft, TaskFilter, TaskKind, TaskSource
from siyu.services import alerts, guide_tasks, stages, staff
from tests import factories

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def _as(member, role: Role) -> Actor:  # type: ignore[no-untyped-def]
    return Actor(tenant_id=member.tenant_id, role=role, staff_id=member.id, store_id=member.store_id, name=member.name)


def _enter(context: Context, tenant_id: int, customer_id: int, stage_id: int | None, at: datetime, *, owner: int | None = None) -> None:
    """A stage move recorded at a chosen time (the history a rule reads)."""
    with context.uow() as uow:
        current = uow.customers.get_any(tenant_id, customer_id)
        assert current is not None
        values: dict[str, object] = {"stage_id": stage_id}
        if owner is not None:
            values["owner_staff_id"] = owner
        uow.customers.update(tenant_id, customer_id, now=at, **values)
        uow.stages.record_change(tenant_id, customer_id, current.stage_id, stage_id, actor="test", now=at)
        uow.commit()


def _setup(context: Context):  # type: ignore[no-untyped-def]
    _, admin = factories.tenant(context)
    store = factories.store(context, admin)
    guide = factories.member(context, admin, store_id=store.id)
    intent = stages.create_stage(context.uow(), admin, f"意向{factories.uid(4)}")
    later = stages.create_stage(context.uow(), admin, f"成交{factories.uid(4)}")
    rule = guide_tasks.create_rule(context.uow(), admin, RuleDraft.parse(stage_id=intent.id, days=3, kind="follow_up",
                                                                         title="意向客户跟进", script="您好，上次聊到的…"))
    return admin, store, guide, intent, later, rule


def _rule_tasks(context: Context, admin: Actor) -> list[tuple[int | None, int]]:
    page = guide_tasks.list_tasks(context.uow(), admin, TaskFilter(source_kind=TaskSource.LIFECYCLE_RULE))
    return sorted((t.customer_id, t.staff_id) for t in page.items)


def test_a_rule_makes_one_task_per_stage_entry_after_its_days(context: Context) -> None:
    admin, store, guide, intent, later, rule = _setup(context)
    resigned = factories.member(context, admin, store_id=store.id)
    staying, leaving, ownerless, gone_owner, ancient = (c.id for c in factories.customers_of(context, admin, 5))
    _enter(context, admin.tenant_id, staying, intent.id, T0, owner=guide.id)
    _enter(context, admin.tenant_id, leaving, intent.id, T0, owner=guide.id)
    _enter(context, admin.tenant_id, leaving, later.id, T0 + timedelta(days=1))
    _enter(context, admin.tenant_id, ownerless, intent.id, T0)
    _enter(context, admin.tenant_id, gone_owner, intent.id, T0, owner=resigned.id)
    staff.resign_staff(context.uow(), admin, resigned.id)
    _enter(context, admin.tenant_id, ancient, intent.id, T0 - timedelta(days=30), owner=guide.id)

    assert guide_tasks.run_lifecycle_rules(context.uow(), now=T0 + timedelta(days=3) - timedelta(minutes=1)) == 0
    due_run = T0 + timedelta(days=3, minutes=1)
    assert guide_tasks.run_lifecycle_rules(context.uow(), now=due_run) == 1
    assert guide_tasks.run_lifecycle_rules(context.uow(), now=due_run + timedelta(hours=1)) == 0  # idempotent
    assert _rule_tasks(context, admin) == [(staying, guide.id)]
    task = guide_tasks.list_tasks(context.uow(), admin, TaskFilter(source_kind=TaskSource.LIFECYCLE_RULE)).items[0]
    assert (task.kind, task.title, task.script) == (TaskKind.FOLLOW_UP, "意向客户跟进", "您好，上次聊到的…")
    assert task.due_at == datetime(2026, 12, 4, 16, 0, tzinfo=UTC)  # the end of 4 December in Shanghai
    assert task.source_key == f"rule:{rule.id}:customer:{staying}:entry:" + task.source_key.rsplit(":", 1)[1]  # type: ignore[union-attr]

    # Leaving the stage and coming back is a new entry: a new task three days after it.
    _enter(context, admin.tenant_id, staying, later.id, T0 + timedelta(days=4))
    _enter(context, admin.tenant_id, staying, intent.id, T0 + timedelta(days=5))
    assert guide_tasks.run_lifecycle_rules(context.uow(), now=T0 + timedelta(days=8, minutes=1)) == 1
    assert _rule_tasks(context, admin) == [(staying, guide.id), (staying, guide.id)]


def test_the_worker_job_runs_the_rules_on_the_frozen_clock(context: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    admin, _, guide, intent, _, rule = _setup(context)
    customer = factories.customers_of(context, admin, 1)[0].id
    _enter(context, admin.tenant_id, customer, intent.id, T0, owner=guide.id)
    monkeypatch.setattr(guide_tasks, "utcnow", lambda: T0 + timedelta(days=3, hours=2))
    assert context.tasks["run_guide_task_rules"].call_local() == 1
    assert _rule_tasks(context, admin) == [(customer, guide.id)]
    assert context.tasks["run_guide_task_rules"].call_local() == 0
    # An inactive rule makes nothing.
    other = factories.customers_of(context, admin, 1)[0].id
    _enter(context, admin.tenant_id, other, intent.id, T0, owner=guide.id)
    guide_tasks.update_rule(context.uow(), admin, rule.id, RuleDraft.parse(stage_id=intent.id, days=3, kind="follow_up",
                                                                           title="意向客户跟进", script="", active=False))
    assert context.tasks["run_guide_task_rules"].call_local() == 0


def test_rules_are_the_tenants_settings(context: Context) -> None:
    admin, store, guide, intent, _, rule = _setup(context)
    _, other = factories.tenant(context)
    assert [r.id for r in guide_tasks.list_rules(context.uow(), admin)] == [rule.id]
    assert rule.stage_name == intent.name and rule.days == 3
    assert guide_tasks.list_rules(context.uow(), other) == []
    with pytest.raises(NotFound):
        guide_tasks.delete_rule(context.uow(), other, rule.id)
    with pytest.raises(PermissionDenied):
        guide_tasks.create_rule(context.uow(), _as(guide, Role.GUIDE), RuleDraft.parse(stage_id=intent.id, days=3, kind="greet",
                                                                                      title="x", script=""))
    with pytest.raises(InvalidInput) as caught:
        RuleDraft.parse(stage_id=intent.id, days=0, kind="greet", title="x", script="")
    assert caught.value.code == "guide_task.bad_rule_days"
    foreign_stage = stages.create_stage(context.uow(), other, f"意向{factories.uid(4)}")
    with pytest.raises(InvalidInput):
        guide_tasks.create_rule(context.uow(), admin, RuleDraft.parse(stage_id=foreign_stage.id, days=3, kind="greet", title="x",
                                                                      script=""))
    guide_tasks.delete_rule(context.uow(), admin, rule.id)
    assert guide_tasks.list_rules(context.uow(), admin) == []


def test_an_overdue_task_alerts_the_guide_and_their_store_managers_once(context: Context) -> None:
    _, admin = factories.tenant(context)
    store, far = factories.store(context, admin), factories.store(context, admin)
    guide = factories.member(context, admin, store_id=store.id)
    manager = factories.user_actor(context, admin, role=Role.STORE_MANAGER, store_id=store.id,
                                   staff_id=factories.member(context, admin, store_id=store.id, role=Role.STORE_MANAGER).id)
    far_manager = factories.user_actor(context, admin, role=Role.STORE_MANAGER, store_id=far.id,
                                       staff_id=factories.member(context, admin, store_id=far.id, role=Role.STORE_MANAGER).id)
    as_guide = factories.user_actor(context, admin, role=Role.GUIDE, staff_id=guide.id, store_id=store.id)
    customer = factories.customers_of(context, admin, 1)[0].id
    with context.uow() as uow:
        late = guide_tasks.add_source_task_in(uow, admin.tenant_id, staff_id=guide.id, customer_id=customer, kind="follow_up",
                                              title="回访", script="", due_at=T0, source_kind="journey", source_key="late")
        done = guide_tasks.add_source_task_in(uow, admin.tenant_id, staff_id=guide.id, customer_id=None, kind="greet",
                                              title="已做", script="", due_at=T0, source_kind="journey", source_key="done")
        guide_tasks.add_source_task_in(uow, admin.tenant_id, staff_id=guide.id, customer_id=None, kind="greet", title="明天",
                                       script="", due_at=T0 + timedelta(days=1), source_kind="journey", source_key="later")
        uow.commit()
    guide_tasks.complete_task(context.uow(), admin, done, now=T0 - timedelta(hours=1))

    assert guide_tasks.remind_overdue(context.uow(), now=T0 - timedelta(minutes=1)) == 0
    assert guide_tasks.remind_overdue(context.uow(), now=T0 + timedelta(minutes=5)) == 1
    assert guide_tasks.remind_overdue(context.uow(), now=T0 + timedelta(minutes=10)) == 0  # once per task
    for reader in (as_guide, manager):
        found = [a for a in alerts.list_alerts(context.uow(), reader).items if a.kind is AlertKind.TASK_OVERDUE]
        assert [(a.data["task_id"], a.data["title"], a.staff_id, a.customer_id) for a in found] == [(late, "回访", guide.id, customer)]
    assert alerts.list_alerts(context.uow(), far_manager).total == 0
    assert guide_tasks.get_task(context.uow(), admin, late).reminded_at == T0 + timedelta(minutes=5)
