"""Guide tasks in the operational store: generated once per source key, closed by the right people."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from siyu.bootstrap import Context
from siyu.domain.access import Actor, Role
from siyu.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from siyu.domain.guide_tasks import TaskFilter, TaskSource, TaskState
from siyu.domain.paging import PageRequest
from siyu.services import guide_tasks, staff
from tests import factories

DUE = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def _org(context: Context):  # type: ignore[no-untyped-def]
    _, admin = factories.tenant(context)
    store = factories.store(context, admin)
    other_store = factories.store(context, admin)
    guide = factories.member(context, admin, store_id=store.id)
    colleague = factories.member(context, admin, store_id=store.id)
    manager = factories.member(context, admin, store_id=store.id, role=Role.STORE_MANAGER)
    elsewhere = factories.member(context, admin, store_id=other_store.id)
    return admin, store, other_store, guide, colleague, manager, elsewhere


def _as(member, role: Role) -> Actor:  # type: ignore[no-untyped-def]
    return Actor(tenant_id=member.tenant_id, role=role, staff_id=member.id, store_id=member.store_id, name=member.name)


def _source(context: Context, tenant_id: int, staff_id: int, key: str, **kw: object) -> int:
    values: dict[str, object] = {"customer_id": None, "kind": "follow_up", "title": "跟进客户", "script": "您好", "due_at": DUE,
                                 "source_kind": "journey", "source_key": key, **kw}
    with context.uow() as uow:
        made = guide_tasks.add_source_task_in(uow, tenant_id, staff_id=staff_id, **values)  # type: ignore[arg-type]
        uow.commit()
    return made


def test_add_source_task_in_is_idempotent_on_its_source_key(context: Context) -> None:
    admin, store, _, guide, colleague, *_ = _org(context)
    customer = factories.customers_of(context, admin, 1)[0]
    first = _source(context, admin.tenant_id, guide.id, "journey:7:step:2:customer:9", customer_id=customer.id)
    again = _source(context, admin.tenant_id, colleague.id, "journey:7:step:2:customer:9", title="别的标题")
    assert again == first
    other_source = _source(context, admin.tenant_id, guide.id, "journey:7:step:2:customer:9", source_kind="mass_send")
    assert other_source != first  # the key is per source kind
    page = guide_tasks.list_tasks(context.uow(), admin)
    assert page.total == 2
    task = guide_tasks.get_task(context.uow(), admin, first)
    assert (task.staff_id, task.store_id, task.customer_id, task.title, task.script) == (guide.id, store.id, customer.id, "跟进客户", "您好")
    assert (task.state, task.source_kind, task.source_key, task.due_at) == (TaskState.OPEN, TaskSource.JOURNEY,
                                                                            "journey:7:step:2:customer:9", DUE)


def test_add_source_task_in_inside_the_callers_transaction_rolls_back_with_it(context: Context) -> None:
    admin, _, _, guide, *_ = _org(context)
    with context.uow() as uow:
        guide_tasks.add_source_task_in(uow, admin.tenant_id, staff_id=guide.id, customer_id=None, kind="greet", title="打招呼",
                                       script="", due_at=DUE, source_kind="journey", source_key="k1")
    assert guide_tasks.list_tasks(context.uow(), admin).total == 0
    assert _source(context, admin.tenant_id, guide.id, "k1") > 0


def test_add_source_task_in_refuses_bad_input_and_other_tenants_staff(context: Context) -> None:
    admin, _, _, guide, *_ = _org(context)
    _, other = factories.tenant(context)
    foreign = factories.customers_of(context, other, 1)[0]
    with pytest.raises(InvalidInput) as caught:
        _source(context, admin.tenant_id, guide.id, "k", kind="dance")
    assert caught.value.code == "guide_task.unknown_kind"
    with pytest.raises(InvalidInput) as caught:
        _source(context, admin.tenant_id, guide.id, "k", source_kind="nowhere")
    assert caught.value.code == "guide_task.unknown_source"
    with pytest.raises(InvalidInput):
        _source(context, admin.tenant_id, guide.id, "")
    with pytest.raises(InvalidInput):
        _source(context, admin.tenant_id, guide.id, "k", due_at=datetime(2026, 12, 3, 10))
    with pytest.raises(NotFound):
        _source(context, other.tenant_id, guide.id, "k")
    with pytest.raises(NotFound):
        _source(context, admin.tenant_id, guide.id, "k", customer_id=foreign.id)
    kept = _source(context, admin.tenant_id, guide.id, "before-resigning")
    staff.resign_staff(context.uow(), admin, guide.id)
    assert _source(context, admin.tenant_id, guide.id, "before-resigning") == kept  # a replay still answers
    with pytest.raises(InvalidInput) as caught:
        _source(context, admin.tenant_id, guide.id, "after-resigning")
    assert caught.value.code == "guide_task.staff_resigned"


def test_guides_add_tasks_for_themselves_and_managers_for_their_store(context: Context) -> None:
    admin, store, _, guide, colleague, manager, elsewhere = _org(context)
    as_guide, as_manager = _as(guide, Role.GUIDE), _as(manager, Role.STORE_MANAGER)
    own = guide_tasks.create_task(context.uow(), as_guide, staff_id=guide.id, customer_id=None, kind="other", title="整理货架", due_at=DUE)
    assert own.source_kind is TaskSource.MANUAL and own.created_by == guide.name
    with pytest.raises(PermissionDenied):
        guide_tasks.create_task(context.uow(), as_guide, staff_id=colleague.id, customer_id=None, kind="other", title="x", due_at=DUE)
    given = guide_tasks.create_task(context.uow(), as_manager, staff_id=colleague.id, customer_id=None, kind="greet", title="问候",
                                    due_at=DUE)
    assert given.source_kind is TaskSource.MANAGER_ASSIGNMENT and given.store_id == store.id
    with pytest.raises(NotFound):  # another store's guide is not the manager's to task
        guide_tasks.create_task(context.uow(), as_manager, staff_id=elsewhere.id, customer_id=None, kind="greet", title="x", due_at=DUE)
    assert guide_tasks.create_task(context.uow(), admin, staff_id=elsewhere.id, customer_id=None, kind="greet", title="总部任务",
                                   due_at=DUE).store_id == elsewhere.store_id
    with pytest.raises(InvalidInput) as caught:
        guide_tasks.create_task(context.uow(), admin, staff_id=guide.id, customer_id=None, kind="greet", title="  ", due_at=DUE)
    assert caught.value.code == "guide_task.title_required"


def test_only_the_assignee_or_their_manager_closes_a_task(context: Context) -> None:
    admin, _, _, guide, colleague, manager, elsewhere = _org(context)
    other_manager = factories.member(context, admin, store_id=elsewhere.store_id, role=Role.STORE_MANAGER)
    one = _source(context, admin.tenant_id, guide.id, "a")
    two = _source(context, admin.tenant_id, guide.id, "b")
    three = _source(context, admin.tenant_id, guide.id, "c")
    for outsider in (_as(colleague, Role.GUIDE), _as(other_manager, Role.STORE_MANAGER)):
        with pytest.raises(NotFound):
            guide_tasks.complete_task(context.uow(), outsider, one)
    done = guide_tasks.complete_task(context.uow(), _as(guide, Role.GUIDE), one, now=DUE)
    assert done.state is TaskState.DONE and done.closed_at == DUE
    with pytest.raises(Conflict):
        guide_tasks.skip_task(context.uow(), _as(guide, Role.GUIDE), one)
    assert guide_tasks.skip_task(context.uow(), _as(manager, Role.STORE_MANAGER), two).state is TaskState.SKIPPED
    with pytest.raises(PermissionDenied):
        guide_tasks.cancel_task(context.uow(), _as(guide, Role.GUIDE), three)
    assert guide_tasks.cancel_task(context.uow(), admin, three).state is TaskState.CANCELLED


def test_a_guide_sees_only_their_tasks_and_a_manager_their_stores(context: Context) -> None:
    admin, store, _, guide, colleague, manager, elsewhere = _org(context)
    mine = _source(context, admin.tenant_id, guide.id, "m")
    theirs = _source(context, admin.tenant_id, colleague.id, "t")
    far = _source(context, admin.tenant_id, elsewhere.id, "f")
    assert [t.id for t in guide_tasks.list_tasks(context.uow(), _as(guide, Role.GUIDE)).items] == [mine]
    assert {t.id for t in guide_tasks.list_tasks(context.uow(), _as(manager, Role.STORE_MANAGER)).items} == {mine, theirs}
    assert guide_tasks.list_tasks(context.uow(), admin).total == 3
    assert [t.id for t in guide_tasks.list_tasks(context.uow(), admin, TaskFilter(store_id=elsewhere.store_id)).items] == [far]
    with pytest.raises(NotFound):
        guide_tasks.get_task(context.uow(), _as(guide, Role.GUIDE), theirs)


def test_the_daily_list_is_todays_and_overdue_open_tasks(context: Context) -> None:
    admin, _, _, guide, *_ = _org(context)
    now = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, 3 December
    overdue = _source(context, admin.tenant_id, guide.id, "o", due_at=now - timedelta(days=2))
    today = _source(context, admin.tenant_id, guide.id, "t", due_at=datetime(2026, 12, 3, 15, 59, tzinfo=UTC))  # 23:59 Shanghai
    _source(context, admin.tenant_id, guide.id, "n", due_at=datetime(2026, 12, 3, 16, 0, tzinfo=UTC))  # tomorrow in Shanghai
    closed = _source(context, admin.tenant_id, guide.id, "c", due_at=now)
    guide_tasks.complete_task(context.uow(), _as(guide, Role.GUIDE), closed)
    page = guide_tasks.daily_tasks(context.uow(), _as(guide, Role.GUIDE), PageRequest(page_size=1), now=now)
    assert page.total == 2 and [t.id for t in page.items] == [overdue]
    assert [t.id for t in guide_tasks.daily_tasks(context.uow(), _as(guide, Role.GUIDE), PageRequest(page=2, page_size=1),
                                                  now=now).items] == [today]
    with pytest.raises(InvalidInput):
        guide_tasks.daily_tasks(context.uow(), admin, now=now)
