"""Bulk add-friend batches: the import and its report, assignment, matching, completion rates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from openpyxl import Workbook

from siyu.bootstrap import Context
from siyu.domain.access import Role
from siyu.domain.add_friend import BatchDraft, NumberState
from siyu.domain.alerts import AlertKind
from siyu.domain.customers import CustomerRecord, RelationState
from siyu.domain.errors import Conflict, InvalidInput, PermissionDenied
from siyu.domain.guide_tasks import TaskFilter, TaskKind, TaskSource, TaskState
from siyu.domain.identities import IdentityKey, IdentityKind
from siyu.domain.paging import PageRequest
from siyu.services import add_friend, add_friend_matching, alerts, customers, guide_tasks, imports, relations, staff
from siyu.services.add_friend import Assignment
from siyu.services.clock import utcnow
from tests import factories as f

ALL = PageRequest(page_size=200)


def _csv(tmp_path, text: str, name: str = "list.csv"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _org(context: Context):  # type: ignore[no-untyped-def]
    _, admin = f.tenant(context)
    store = f.store(context, admin)
    a, b, c = (f.member(context, admin, store_id=store.id) for _ in range(3))
    return admin, store, a, b, c


def _numbers(context: Context, admin, batch_id: int, **kw):  # type: ignore[no-untyped-def]
    return add_friend.list_numbers(context.uow(), admin, batch_id, ALL, **kw).items


def _follow(context: Context, tenant_id: int, customer_id: int, staff_id: int) -> None:
    with context.uow() as uow:
        relations.follow_in(uow, tenant_id, customer_id, staff_id, at=utcnow(), actor="test")
        uow.commit()


def _customer(context: Context, admin, *keys: IdentityKey) -> int:  # type: ignore[no-untyped-def]
    return customers.create_customer(context.uow(), admin, CustomerRecord(keys=keys)).customer_id


def test_the_report_names_every_bad_row_with_its_column_and_reason_and_good_rows_go_in(context, tmp_path):
    admin, _, a, b, _ = _org(context)
    gone = f.member(context, admin, store_id=a.store_id)
    staff.resign_staff(context.uow(), admin, gone.id)
    path = _csv(tmp_path, "手机号,姓名,员工,备注,颜色\n"
                          f"138 0013 8000,张三,{a.wecom_userid},老客,红\n"
                          "12345,李四,,,\n"
                          f"+86 139-0013-9000,王五,nobody,,\n"
                          ",,,,\n"
                          f"13800138000,张三again,{b.wecom_userid},,\n"
                          f"13700137000,赵六,{gone.wecom_userid},,\n"
                          f"13600136000,钱七,{b.id},,\n")
    report = add_friend.create_batch(context.uow(), admin, BatchDraft.parse(name="双十一回流"), path)
    assert (report.rows_total, report.rows_new, report.rows_bad, report.rows_already_in_batch) == (6, 2, 4, 0)
    assert [(e.row, e.column, e.code) for e in report.errors] == [
        (1, "颜色", "add_friend.unknown_column"),
        (3, "手机号", "phone.invalid"), (3, "员工", "add_friend.no_staff"),
        (4, "员工", "add_friend.unknown_staff"),
        (6, "手机号", "add_friend.duplicate_phone"),
        (7, "员工", "add_friend.staff_resigned"),
    ]
    assert report.errors[4].reason == "the same phone as row 2"
    numbers = _numbers(context, admin, report.batch_id)
    assert [(n.row_number, n.phone, n.name, n.note, n.staff_id, n.state) for n in numbers] == [
        (2, "13800138000", "张三", "老客", a.id, NumberState.PENDING), (8, "13600136000", "钱七", "", b.id, NumberState.PENDING)]
    detail = add_friend.get_batch(context.uow(), admin, report.batch_id)
    assert (detail.batch.name, detail.batch.assigned, detail.batch.created_by) == ("双十一回流", 2, "system")


def test_a_file_without_a_phone_column_is_refused_and_leaves_no_batch(context, tmp_path):
    admin, *_ = _org(context)
    with pytest.raises(InvalidInput) as error:
        add_friend.create_batch(context.uow(), admin, BatchDraft.parse(name="无手机"), _csv(tmp_path, "姓名\n张三\n"))
    assert error.value.code == "add_friend.no_phone_column"
    assert add_friend.list_batches(context.uow(), admin).total == 0


def test_each_new_number_gets_an_add_friend_task_with_the_phone_and_name_in_its_script(context, tmp_path):
    admin, _, a, *_ = _org(context)
    report = add_friend.create_batch(context.uow(), admin, BatchDraft.parse(name="门店会员", due_days=2),
                                     _csv(tmp_path, f"phone,name,staff,note\n13800138000,张三,{a.wecom_userid},周末来过\n"))
    [task] = guide_tasks.list_tasks(context.uow(), admin, TaskFilter(staff_id=a.id)).items
    assert (task.kind, task.source_kind, task.state, task.title) == (TaskKind.ADD_FRIEND, TaskSource.ADD_FRIEND, TaskState.OPEN,
                                                                     "加好友 张三")
    assert "13800138000" in task.script and "张三" in task.script and "周末来过" in task.script and "门店会员" in task.script
    assert task.due_at == guide_tasks.end_of_day(utcnow() + timedelta(days=2)) - timedelta(seconds=1)
    [number] = _numbers(context, admin, report.batch_id)
    assert number.task_id == task.id


def test_importing_the_same_file_into_the_batch_twice_creates_nothing_new(context, tmp_path):
    admin, _, a, b, _ = _org(context)
    path = _csv(tmp_path, "phone\n13800138000\n13900139000\n13700137000\n")
    pool = Assignment(staff_ids=(a.id, b.id))
    first = add_friend.create_batch(context.uow(), admin, BatchDraft.parse(name="复导"), path, assignment=pool)
    again = add_friend.import_numbers(context.uow(), admin, first.batch_id, path, assignment=pool)
    assert (again.rows_total, again.rows_new, again.rows_already_in_batch, again.errors) == (3, 0, 3, [])
    assert len(_numbers(context, admin, first.batch_id)) == 3
    assert guide_tasks.list_tasks(context.uow(), admin).total == 3
    # ... and a new phone in the file goes in, continuing the round robin (a, b, a, then b)
    more = add_friend.import_numbers(context.uow(), admin, first.batch_id,
                                     _csv(tmp_path, "phone\n13800138000\n13600136000\n", "more.csv"), assignment=pool)
    assert (more.rows_new, more.rows_already_in_batch) == (1, 1)
    assert [n.staff_id for n in _numbers(context, admin, first.batch_id)] == [a.id, b.id, a.id, b.id]


def test_rows_without_staff_go_round_robin_over_the_chosen_staff_and_rows_naming_one_go_to_them(context, tmp_path):
    admin, _, a, b, c = _org(context)
    rows = [f"1380013800{i},,{c.wecom_userid if i == 3 else ''}" for i in range(8)]
    path = _csv(tmp_path, "phone,name,staff\n" + "\n".join(rows) + "\n")
    report = add_friend.create_batch(context.uow(), admin, BatchDraft.parse(name="轮流"), path,
                                     assignment=Assignment(staff_ids=(b.id, a.id, b.id)))
    assert [n.staff_id for n in _numbers(context, admin, report.batch_id)] == [b.id, a.id, b.id, c.id, a.id, b.id, a.id, b.id]
    assert report.assigned == {b.id: 4, a.id: 3, c.id: 1}


def test_a_stores_active_guides_share_the_list_and_a_pool_of_resigned_staff_is_refused(context, tmp_path):
    admin, store, a, b, c = _org(context)
    f.member(context, admin, store_id=store.id, role=Role.STORE_MANAGER)  # not a guide: gets none
    staff.resign_staff(context.uow(), admin, c.id)
    path = _csv(tmp_path, "phone\n13800138000\n13900139000\n13700137000\n")
    report = add_friend.create_batch(context.uow(), admin, BatchDraft.parse(name="门店"), path, assignment=Assignment(store_id=store.id))
    assert [n.staff_id for n in _numbers(context, admin, report.batch_id)] == [a.id, b.id, a.id]
    with pytest.raises(InvalidInput) as error:
        add_friend.create_batch(context.uow(), admin, BatchDraft.parse(name="离职"), path, assignment=Assignment(staff_ids=(c.id,)))
    assert error.value.code == "add_friend.pool_staff_resigned"


def test_a_dry_run_reports_and_saves_nothing(context, tmp_path):
    admin, _, a, *_ = _org(context)
    report = add_friend.create_batch(context.uow(), admin, BatchDraft.parse(name="预览"), _csv(tmp_path, "phone\n13800138000\n1\n"),
                                     assignment=Assignment(staff_ids=(a.id,)), dry_run=True)
    assert (report.batch_id, report.rows_new, report.rows_bad, report.assigned) == (None, 1, 1, {a.id: 1})
    assert add_friend.list_batches(context.uow(), admin).total == 0
    assert guide_tasks.list_tasks(context.uow(), admin).total == 0


def test_an_xlsx_list_reads_like_a_csv(context, tmp_path):
    admin, _, a, *_ = _org(context)
    book = Workbook()
    book.active.append(["手机", "姓名"])
    book.active.append([13800138000, "张三"])
    path = tmp_path / "list.xlsx"
    book.save(path)
    report = add_friend.create_batch(context.uow(), admin, BatchDraft.parse(name="表格"), path, assignment=Assignment(staff_ids=(a.id,)))
    assert [(n.phone, n.name) for n in _numbers(context, admin, report.batch_id)] == [("13800138000", "张三")]


def test_an_add_by_the_assigned_staff_flips_the_number_to_added_and_closes_its_task(context, tmp_path):
    admin, _, a, b, _ = _org(context)
    customer_id = _customer(context, admin, IdentityKey(IdentityKind.PHONE, "13800138000"))
    report = add_friend.create_batch(context.uow(), admin, BatchDraft.parse(name="回访"), _csv(tmp_path, "phone\n13800138000\n"),
                                     assignment=Assignment(staff_ids=(a.id,)))
    [number] = _numbers(context, admin, report.batch_id)
    assert number.state is NumberState.PENDING
    _follow(context, admin.tenant_id, customer_id, b.id)  # someone else first
    [number] = _numbers(context, admin, report.batch_id)
    assert (number.state, number.added_by_staff_id, number.customer_id) == (NumberState.ADDED_BY_OTHER_STAFF, b.id, customer_id)
    assert guide_tasks.get_task(context.uow(), admin, number.task_id).state is TaskState.CANCELLED
    _follow(context, admin.tenant_id, customer_id, a.id)  # then the assigned staff member
    [number] = _numbers(context, admin, report.batch_id)
    assert (number.state, number.added_by_staff_id) == (NumberState.ADDED, a.id) and number.added_at is not None


def test_the_assigned_staff_adding_first_marks_the_task_done(context, tmp_path):
    admin, _, a, *_ = _org(context)
    customer_id = _customer(context, admin, IdentityKey(IdentityKind.PHONE, "13800138000"))
    report = add_friend.create_batch(context.uow(), admin, BatchDraft.parse(name="回访"), _csv(tmp_path, "phone\n13800138000\n"),
                                     assignment=Assignment(staff_ids=(a.id,)))
    _follow(context, admin.tenant_id, customer_id, a.id)
    [number] = _numbers(context, admin, report.batch_id)
    assert number.state is NumberState.ADDED
    assert guide_tasks.get_task(context.uow(), admin, number.task_id).state is TaskState.DONE


def test_a_phone_learned_later_is_matched_by_the_sweep(context, tmp_path):
    admin, _, a, *_ = _org(context)
    customer_id = _customer(context, admin, IdentityKey(IdentityKind.WECOM_EXTERNAL, "wmLater0001"))
    _follow(context, admin.tenant_id, customer_id, a.id)  # added in WeCom before Siyu knew their phone
    report = add_friend.create_batch(context.uow(), admin, BatchDraft.parse(name="后识别"), _csv(tmp_path, "phone\n13800138000\n"),
                                     assignment=Assignment(staff_ids=(a.id,)))
    assert add_friend_matching.rematch_everywhere(context.uow()) == 0
    customers.add_identity(context.uow(), admin, customer_id, IdentityKey(IdentityKind.PHONE, "13800138000"))
    assert add_friend_matching.rematch_everywhere(context.uow(), size=1) == 1
    [number] = _numbers(context, admin, report.batch_id)
    assert (number.state, number.customer_id) == (NumberState.ADDED, customer_id)
    assert guide_tasks.get_task(context.uow(), admin, number.task_id).state is TaskState.DONE
    assert add_friend_matching.rematch_everywhere(context.uow()) == 0  # nothing left to change


def test_a_number_whose_customer_is_added_already_is_settled_at_import_without_a_task(context, tmp_path):
    admin, _, a, *_ = _org(context)
    customer_id = _customer(context, admin, IdentityKey(IdentityKind.PHONE, "13800138000"))
    _follow(context, admin.tenant_id, customer_id, a.id)
    report = add_friend.create_batch(context.uow(), admin, BatchDraft.parse(name="已加"), _csv(tmp_path, "phone\n13800138000\n"),
                                     assignment=Assignment(staff_ids=(a.id,)))
    assert report.already_added == 1
    [number] = _numbers(context, admin, report.batch_id)
    assert (number.state, number.task_id) == (NumberState.ADDED, None)


def test_completion_rates_per_batch_and_per_staff(context, tmp_path):
    """Hand-worked: a has 3 numbers (2 added by a, 1 pending), b has 2 (1 added by a, 1 invalid).
    Batch: added 2 / assigned 5 = 0.4; reached (by anyone) 3 / 5 = 0.6.
    a: 2/3 completed, 2/3 reached; b: 0/2 completed, 1/2 reached."""
    admin, _, a, b, _ = _org(context)
    phones = ["13800000001", "13800000002", "13800000003", "13800000004", "13800000005"]
    ids = [_customer(context, admin, IdentityKey(IdentityKind.PHONE, p)) for p in phones[:4]]
    rows = [f"{phones[0]},{a.wecom_userid}", f"{phones[1]},{a.wecom_userid}", f"{phones[2]},{a.wecom_userid}",
            f"{phones[3]},{b.wecom_userid}", f"{phones[4]},{b.wecom_userid}"]
    report = add_friend.create_batch(context.uow(), admin, BatchDraft.parse(name="完成率"),
                                     _csv(tmp_path, "phone,staff\n" + "\n".join(rows) + "\n"))
    for customer_id in (ids[0], ids[1], ids[3]):
        _follow(context, admin.tenant_id, customer_id, a.id)
    invalid = _numbers(context, admin, report.batch_id)[4]
    add_friend.mark_invalid(context.uow(), admin, invalid.id)
    detail = add_friend.get_batch(context.uow(), admin, report.batch_id)
    batch = detail.batch
    assert (batch.assigned, batch.added, batch.added_by_other_staff, batch.invalid, batch.pending) == (5, 2, 1, 1, 1)
    assert (batch.completion_rate, batch.reached_rate) == (0.4, 0.6)
    by_staff = {p.staff_id: p for p in detail.staff}
    assert (by_staff[a.id].assigned, by_staff[a.id].completion_rate, by_staff[a.id].reached_rate) == (3, 2 / 3, 2 / 3)
    assert (by_staff[b.id].assigned, by_staff[b.id].completion_rate, by_staff[b.id].reached_rate) == (2, 0.0, 0.5)
    assert [n.phone for n in _numbers(context, admin, report.batch_id, state=NumberState.PENDING)] == [phones[2]]
    assert guide_tasks.get_task(context.uow(), admin, invalid.task_id).state is TaskState.CANCELLED
    with pytest.raises(Conflict):
        add_friend.mark_invalid(context.uow(), admin, _numbers(context, admin, report.batch_id)[0].id)


def test_an_overdue_add_friend_task_is_reminded_like_any_task(context, tmp_path):
    admin, _, a, *_ = _org(context)
    add_friend.create_batch(context.uow(), admin, BatchDraft.parse(name="逾期", due_days=0), _csv(tmp_path, "phone\n13800138000\n"),
                            assignment=Assignment(staff_ids=(a.id,)))
    later = guide_tasks.end_of_day(utcnow()) + timedelta(minutes=1)
    guide_tasks.remind_overdue(context.uow(), now=later)
    [alert] = [x for x in alerts.list_alerts(context.uow(), admin).items if x.kind is AlertKind.TASK_OVERDUE]
    assert (alert.staff_id, alert.data["title"]) == (a.id, "加好友 13800138000")


def test_batches_need_customers_manage(context, tmp_path):
    admin, store, a, *_ = _org(context)
    guide = f.user_actor(context, admin, role=Role.GUIDE, staff_id=a.id, store_id=store.id)
    with pytest.raises(PermissionDenied):
        add_friend.create_batch(context.uow(), guide, BatchDraft.parse(name="越权"), _csv(tmp_path, "phone\n13800138000\n"))
    with pytest.raises(PermissionDenied):
        add_friend.list_batches(context.uow(), guide)


def test_a_relation_ending_does_not_undo_an_add_by_another_staff_member(context, tmp_path):
    admin, _, a, b, _ = _org(context)
    customer_id = _customer(context, admin, IdentityKey(IdentityKind.PHONE, "13800138000"))
    report = add_friend.create_batch(context.uow(), admin, BatchDraft.parse(name="删除"), _csv(tmp_path, "phone\n13800138000\n"),
                                     assignment=Assignment(staff_ids=(a.id,)))
    _follow(context, admin.tenant_id, customer_id, b.id)
    with context.uow() as uow:
        relations.end_in(uow, admin.tenant_id, customer_id, b.id, RelationState.DELETED_BY_CUSTOMER, at=utcnow(), actor="test")
        uow.commit()
    add_friend_matching.rematch_everywhere(context.uow())
    [number] = _numbers(context, admin, report.batch_id)
    assert number.state is NumberState.ADDED_BY_OTHER_STAFF


def test_a_customer_import_that_brings_the_phone_lets_the_sweep_match_the_number(context, tmp_path):
    admin, _, a, *_ = _org(context)
    customer_id = _customer(context, admin, IdentityKey(IdentityKind.WECOM_EXTERNAL, "wmImported01"))
    _follow(context, admin.tenant_id, customer_id, a.id)
    report = add_friend.create_batch(context.uow(), admin, BatchDraft.parse(name="导入识别"), _csv(tmp_path, "phone\n13800138000\n"),
                                     assignment=Assignment(staff_ids=(a.id,)))
    imports.import_customers(context.uow(), admin, _csv(tmp_path, "external_userid,手机\nwmImported01,13800138000\n", "crm.csv"))
    assert add_friend_matching.rematch_everywhere(context.uow()) == 1
    [number] = _numbers(context, admin, report.batch_id)
    assert (number.state, number.customer_id, number.added_by_staff_id) == (NumberState.ADDED, customer_id, a.id)
