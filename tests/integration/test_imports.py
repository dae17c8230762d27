"""Importing customers from CSV and XLSX: OneID on every row, every bad cell reported."""

from __future__ import annotations

import gc
from datetime import UTC, date, datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from siyu.adapters.db.tables import customers as customer_rows
from siyu.domain.access import Role
from siyu.domain.customers import CustomerRecord, Profile
from siyu.domain.errors import PermissionDenied
from siyu.domain.identities import IdentityKey
from siyu.domain.imports import ImportStatus
from siyu.domain.paging import PageRequest
from siyu.services import customers, imports, merging
from tests import factories as f
from tests.integration.import_brand import brand, errors_of, run_import, snapshot, write

PHONE_ERROR = "“12345” is not a mainland mobile number (11 digits, starting 13-19)"
UNKNOWN_COLUMN = ("unknown column “备注”: use a customer column (name, gender, birthday, region, avatar, member_level, tags, stage, owner), "
                  "an identity (wecom_external, unionid, openid, phone, email, member_no, pos_id) or an extended field's key or label")


def _live(context, tenant_id):
    return [c for c in snapshot(context, tenant_id) if not c[1]]


def test_good_rows_create_customers_with_profile_tags_stage_owner_and_fields(context, tmp_path):
    b = brand(context)
    path = write(tmp_path, "姓名,手机,性别,生日,地区,标签,阶段,归属员工,会员等级,会员号\n"
                           "张三,+86 138 0013 8000,男,1990/1/2,上海,VIP；会员/金卡,复购,GUIDE01,金,m-001\n")
    run = run_import(context, b.actor, path)
    assert (run.status, run.rows_total, run.rows_good, run.rows_bad, run.customers_created) == (ImportStatus.DONE, 1, 1, 0, 1)
    [customer] = snapshot(context, b.actor.tenant_id)
    keys, merged, name, gender, birthday, region, stage, owner, fields, tag_labels, relations, history, events = customer
    assert keys == (("member_no", "M-001", "import"), ("phone", "13800138000", "import"))
    assert (merged, name, gender, birthday, region, stage, owner) == (False, "张三", 1, date(1990, 1, 2), "上海", "复购", "guide01")
    assert fields == [("level", "金")] and tag_labels == ("会员/金卡", "导入/VIP")
    assert relations == (("guide01", "active"),) and history == ((None, "复购"),)
    assert dict(events) == {"created": 1}  # one event says what the import applied
    [customer_id] = [r.customer.id for r in customers.list_customers(context.uow(), b.actor).items]
    [event] = customers.timeline(context.uow(), b.actor, customer_id).items
    assert event.data == {"source": "import", "identities": ["member_no:M-001", "phone:138****8000"],
                          "tags": ["导入/VIP", "会员/金卡"], "stage": "复购", "staff_id": b.guide.id, "fields": {"level": "金"}}


def test_a_row_that_changes_a_known_customer_writes_an_event_per_change(context, tmp_path):
    b = brand(context)
    run_import(context, b.actor, write(tmp_path, "手机,姓名\n13800138000,张三\n", name="first.csv"))
    run_import(context, b.actor, write(tmp_path, "手机,标签,阶段,归属员工\n13800138000,VIP,复购,guide01\n", name="second.csv"))
    [customer] = snapshot(context, b.actor.tenant_id)
    assert dict(customer[-1]) == {"created": 1, "tagged": 1, "stage_changed": 1, "relation_added": 1}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("手机,姓名\n12345,张三\n", (2, "手机", "12345", PHONE_ERROR)),
        ("phone,tags\n13800138000,导入/不存在\n",
         (2, "tags", "导入/不存在", "unknown tag “导入/不存在”: create it first; an import does not create tags")),
        ("phone,生日\n13800138000,1990-02-30\n", (2, "生日", "1990-02-30", "“1990-02-30” is not a date (YYYY-MM-DD)")),
        ("name,phone\n张三,\n",
         (2, None, None, "no identity: fill at least one of wecom_external, unionid, openid, phone, email, member_no, pos_id")),
        ("phone,阶段\n13800138000,不存在\n", (2, "阶段", "不存在", "unknown stage “不存在” (the stages are 新客, 复购)")),
        ("phone,归属员工\n13800138000,nobody\n",
         (2, "归属员工", "nobody", "unknown staff member “nobody”: owner is a staff member's WeCom userid")),
        ("phone,会员等级\n13800138000,钻石\n", (2, "会员等级", "钻石", "会员等级: “钻石” is not one of 金, 银")),
        ("phone,性别\n13800138000,不男不女\n", (2, "性别", "不男不女", "“不男不女” is not a gender (男/女/未知, male/female, 1/2/0)")),
    ],
    ids=["bad-phone", "unknown-tag", "bad-date", "missing-identity", "unknown-stage", "unknown-owner", "bad-field", "bad-gender"],
)
def test_a_bad_cell_is_reported_with_its_row_column_value_and_reason(context, tmp_path, text, expected):
    b = brand(context)
    run = run_import(context, b.actor, write(tmp_path, text))
    assert (run.status, run.rows_total, run.rows_good, run.rows_bad, run.customers_created) == (ImportStatus.DONE, 1, 0, 1, 0)
    assert errors_of(context, b.actor, run) == [expected]
    assert snapshot(context, b.actor.tenant_id) == []


def test_an_unknown_column_is_reported_once_and_the_rows_still_go_in(context, tmp_path):
    b = brand(context)
    run = run_import(context, b.actor, write(tmp_path, "phone,备注\n13800138000,老客户\n13900139000,新客户\n"))
    assert (run.rows_good, run.rows_bad, run.customers_created, run.errors) == (2, 0, 2, 1)
    assert errors_of(context, b.actor, run) == [(1, "备注", "备注", UNKNOWN_COLUMN)]


def test_the_same_identity_twice_in_a_file_makes_the_second_row_a_duplicate(context, tmp_path):
    b = brand(context)
    run = run_import(context, b.actor, write(tmp_path, "phone,name\n13800138000,甲\n13900139000,乙\n138 0013 8000,丙\n"))
    assert (run.rows_good, run.rows_bad, run.customers_created) == (2, 1, 2)
    assert errors_of(context, b.actor, run) == [(4, "phone", "138 0013 8000", "duplicate of row 2 (same phone)")]


def test_a_row_with_several_bad_cells_reports_each_and_good_rows_around_it_go_in(context, tmp_path):
    b = brand(context)
    text = "姓名,手机,生日,标签\n甲,13800138000,,\n乙,12345,1990-13-01,VIP;不存在\n\n丙,13900139000,,VIP\n"
    run = run_import(context, b.actor, write(tmp_path, text))
    assert (run.rows_total, run.rows_good, run.rows_bad, run.customers_created) == (3, 2, 1, 2)
    assert errors_of(context, b.actor, run) == [
        (3, "手机", "12345", PHONE_ERROR),
        (3, "生日", "1990-13-01", "“1990-13-01” is not a date (YYYY-MM-DD)"),
        (3, "标签", "VIP;不存在", "unknown tag “导入/不存在”: create it first; an import does not create tags"),
    ]


def test_a_file_without_an_identity_column_fails_with_the_reason(context, tmp_path):
    b = brand(context)
    run = run_import(context, b.actor, write(tmp_path, "姓名,性别\n张三,男\n"))
    assert (run.status, run.rows_total) == (ImportStatus.FAILED, 0)
    assert run.message == ("the file has no identity column: add one of "
                           "wecom_external, unionid, openid, phone, email, member_no, pos_id")


def test_a_gbk_file_is_refused_with_advice_and_imports_with_encoding_gbk(context, tmp_path):
    b = brand(context)
    path = write(tmp_path, "姓名,手机,标签\n张三,13800138000,VIP\n", encoding="gbk")
    refused = run_import(context, b.actor, path)
    assert refused.status is ImportStatus.FAILED
    assert refused.message == "the file is not UTF-8 (it looks like GBK/GB18030): save it as UTF-8, or import with encoding gbk"
    assert snapshot(context, b.actor.tenant_id) == []

    run = run_import(context, b.actor, path, encoding="gbk")
    assert (run.status, run.customers_created) == (ImportStatus.DONE, 1)
    [customer] = snapshot(context, b.actor.tenant_id)
    assert customer[2] == "张三" and customer[9] == ("导入/VIP",)


def test_an_xlsx_file_imports_like_a_csv(context, tmp_path):
    b = brand(context)
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机", "生日", "性别", "会员号"])
    sheet.append(["李四", 13800138000, datetime(1988, 5, 6), "女", 12345])
    sheet.append(["王五", 13900139000.0, None, None, None])
    sheet.append([None, None, None, None, None])
    sheet.append(["赵六", "123", None, None, None])
    path = tmp_path / "customers.xlsx"
    book.save(path)
    run = run_import(context, b.actor, path)
    assert (run.status, run.rows_total, run.rows_good, run.customers_created) == (ImportStatus.DONE, 3, 2, 2)
    assert errors_of(context, b.actor, run) == [(5, "手机", "123", "“123” is not a mainland mobile number (11 digits, starting 13-19)")]
    li = next(c for c in snapshot(context, b.actor.tenant_id) if c[2] == "李四")
    assert li[0] == (("member_no", "12345", "import"), ("phone", "13800138000", "import")) and li[4] == date(1988, 5, 6) and li[3] == 2


def test_importing_the_same_file_twice_changes_nothing(context, tmp_path):
    b = brand(context)
    path = write(tmp_path, "姓名,手机,邮箱,标签,阶段,归属员工,会员等级\n"
                           "甲,13800138000,a@x.cn,VIP,新客,guide01,金\n乙,13900139000,,会员/金卡,,guide02,\n丙,,c@x.cn,,复购,,银\n")
    first = run_import(context, b.actor, path)
    before = snapshot(context, b.actor.tenant_id)
    again = run_import(context, b.actor, path)
    assert first.customers_created == 3
    assert (again.customers_created, again.customers_updated, again.customers_merged) == (0, 0, 0)
    assert snapshot(context, b.actor.tenant_id) == before


def test_a_known_identity_attaches_and_updates_newer_values(context, tmp_path):
    b = brand(context)
    customers.create_customer(context.uow(), b.actor, CustomerRecord(keys=(IdentityKey.parse("phone", "13800138000"),), profile=Profile(name="旧名")))
    run = run_import(context, b.actor, write(tmp_path, "phone,name,会员号\n13800138000,新名,M1\n"))
    assert (run.customers_created, run.customers_updated) == (0, 1)
    [customer] = snapshot(context, b.actor.tenant_id)
    assert customer[0] == (("member_no", "M1", "import"), ("phone", "13800138000", "api")) and customer[2] == "新名"


def test_a_row_with_identities_of_two_customers_merges_them(context, tmp_path):
    b = brand(context)
    for key in (("phone", "13800138000"), ("member_no", "M1")):
        customers.create_customer(context.uow(), b.actor, CustomerRecord(keys=(IdentityKey.parse(*key),)))
    run = run_import(context, b.actor, write(tmp_path, "phone,member_no\n13800138000,M1\n"))
    assert (run.customers_created, run.customers_merged) == (0, 1)
    live = _live(context, b.actor.tenant_id)
    assert [c[0] for c in live] == [(("member_no", "M1", "api"), ("phone", "13800138000", "api"))]


def test_reimporting_the_rows_of_two_merged_customers_creates_nothing(context, tmp_path):
    b = brand(context)
    first = customers.create_customer(context.uow(), b.actor, CustomerRecord(keys=(IdentityKey.parse("phone", "13800138000"),)))
    second = customers.create_customer(context.uow(), b.actor, CustomerRecord(keys=(IdentityKey.parse("member_no", "M1"),)))
    merging.merge_customers(context.uow(), b.actor, first.customer_id, second.customer_id)
    before = len(snapshot(context, b.actor.tenant_id))
    run = run_import(context, b.actor, write(tmp_path, "phone,member_no,name\n13800138000,,甲\n,M1,甲\n"))
    assert (run.rows_good, run.customers_created, run.customers_merged) == (2, 0, 0)
    assert len(snapshot(context, b.actor.tenant_id)) == before and len(_live(context, b.actor.tenant_id)) == 1


def test_a_dry_run_commits_nothing_but_reports_what_would_happen(context, tmp_path):
    b = brand(context)
    customers.create_customer(context.uow(), b.actor, CustomerRecord(keys=(IdentityKey.parse("phone", "13800138000"),)))
    path = write(tmp_path, "phone,name,tags\n13800138000,甲,VIP\n13900139000,乙,\n12345,丙,\n")
    before = snapshot(context, b.actor.tenant_id)
    dry = run_import(context, b.actor, path, dry_run=True)
    assert (dry.dry_run, dry.status, dry.customers_created, dry.customers_updated, dry.rows_bad) == (True, ImportStatus.DONE, 1, 1, 1)
    assert errors_of(context, b.actor, dry) == [(4, "phone", "12345", PHONE_ERROR)]
    assert snapshot(context, b.actor.tenant_id) == before
    real = run_import(context, b.actor, path)
    assert (real.customers_created, real.customers_updated, real.rows_bad) == (1, 1, 1)


def test_progress_is_reported_after_each_batch(context, tmp_path):
    b = brand(context)
    path = write(tmp_path, "phone\n" + "".join(f"1380013800{i}\n" for i in range(5)))
    seen = []
    run_import(context, b.actor, path, batch_size=2, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(2, 5), (4, 5), (5, 5)]


def test_the_cycle_collector_is_paused_while_a_batch_is_written_and_restored_after(context, tmp_path, monkeypatch):
    b = brand(context)
    path = write(tmp_path, "phone\n" + "".join(f"1380013800{i}\n" for i in range(3)))
    during = []
    run_import(context, b.actor, path, batch_size=2, progress=lambda done, total: during.append(gc.isenabled()))
    assert during == [True, True] and gc.isenabled()  # progress runs between batches, with the collector on
    seen_in_batch = []
    original = imports._Importer._write

    def spy(self, *args):
        seen_in_batch.append(gc.isenabled())
        return original(self, *args)
    monkeypatch.setattr(imports._Importer, "_write", spy)
    run_import(context, b.actor, path, batch_size=2)
    assert seen_in_batch == [False, False] and gc.isenabled()


def test_errors_are_stored_and_paged(context, tmp_path):
    b = brand(context)
    run = run_import(context, b.actor, write(tmp_path, "phone\n" + "12345\n" * 250), batch_size=100)
    assert (run.rows_bad, run.errors) == (250, 250)
    pages = [imports.list_import_errors(context.uow(), b.actor, run.id, PageRequest(page=n, page_size=200)) for n in (1, 2)]
    assert [len(p.items) for p in pages] == [200, 50] and pages[0].total == 250
    assert [e.row for p in pages for e in p.items] == list(range(2, 252))


def test_importing_needs_customers_manage(context, tmp_path):
    b = brand(context)
    guide = f.user_actor(context, b.actor, role=Role.GUIDE, staff_id=b.guide.id, store_id=b.guide.store_id)
    with pytest.raises(PermissionDenied):
        run_import(context, guide, write(tmp_path, "phone\n13800138000\n"))


def test_an_import_that_merges_moves_orders_and_events_and_undo_moves_them_back(context, tmp_path):
    """The batched merge moves the merged customer's orders and tracked events, as a merge by
    hand does (oneid.merge_pair), and records them so undo puts them back."""
    from siyu.services import events, orders

    b = brand(context)
    older = customers.create_customer(context.uow(), b.actor, CustomerRecord(
        keys=(IdentityKey.parse("phone", "13800000001"),), profile=Profile.parse(name="甲"))).customer_id
    younger = customers.create_customer(context.uow(), b.actor, CustomerRecord(
        keys=(IdentityKey.parse("member_no", "M2"),), profile=Profile.parse(name="乙"))).customer_id
    at = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    [placed] = orders.record_orders(context.uow(), b.actor, [
        {"source": "mall", "order_id": "B1", "ordered_at": "2026-11-01T10:00:00+08:00", "amount": "60.00",
         "identities": {"member_no": "M2"}, "lines": [{"sku": "LATTE", "name": "拿铁", "quantity": 2, "amount": "60"}]}], now=at)
    events.track_events(context.uow(), b.actor, [{"event_id": "ev-1", "name": "link_open", "occurred_at": "2026-11-01T09:00:00Z",
                                                  "identity": {"kind": "member_no", "value": "M2"}}], now=at)
    run = run_import(context, b.actor, write(tmp_path, "手机,会员号\n13800000001,M2\n"))
    assert run.customers_merged == 1
    assert orders.get_order(context.uow(), b.actor, placed.order_id).customer_id == older
    assert [e.event_id for e in events.customer_events(context.uow(), b.actor, older).items] == ["ev-1"]
    [merge] = merging.list_merges(context.uow(), b.actor).items
    merging.undo_merge(context.uow(), b.actor, merge.id)
    assert orders.get_order(context.uow(), b.actor, placed.order_id).customer_id == younger
    assert [e.event_id for e in events.customer_events(context.uow(), b.actor, younger).items] == ["ev-1"]


def test_the_member_level_column_sets_the_customers_level(context, tmp_path):
    b = brand(context)
    path = write(tmp_path, "姓名,手机,会员级别\n李四,13800138001,金卡\n王五,13800138002,\n")
    run = run_import(context, b.actor, path)
    assert (run.status, run.rows_good, run.rows_bad) == (ImportStatus.DONE, 2, 0)
    with context.uow() as uow:
        c = customer_rows.c
        levels = dict(uow.session.execute(select(c.name, c.member_level).where(c.tenant_id == b.actor.tenant_id)).all())
    assert levels == {"李四": "金卡", "王五": None}
