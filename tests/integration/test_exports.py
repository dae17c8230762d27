"""Exporting customer lists: CSV Excel can open, XLSX, scope, filters and masked phones."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from siyu.adapters.files.writers import SheetFormat
from siyu.domain.access import MATRIX, Permission, Role
from siyu.domain.errors import PermissionDenied
from siyu.services import exports, tags as tag_service
from siyu.services.customers import CustomerFilter
from siyu.services.relations import follow_in
from siyu.services.clock import utcnow
from tests import factories as f
from tests.integration.import_brand import brand, run_import, write

FILE = ("姓名,手机,会员号,性别,生日,标签,阶段,归属员工,会员等级\n"
        "张三,13800138000,M1,男,1990-01-02,VIP;会员/金卡,复购,guide01,金\n"
        "李四,13900139000,,女,,会员/金卡,新客,,\n"
        "=HYPERLINK(\"x\"),13700137000,,,,,,,\n")


def _export(context, actor, flt=CustomerFilter(), fmt=SheetFormat.CSV) -> bytes:
    out = io.BytesIO()
    exports.export_customers(context.uow(), actor, flt, out, fmt=fmt)
    return out.getvalue()


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_export_is_utf8_with_bom_and_lists_every_column(context, tmp_path):
    b = brand(context)
    run_import(context, b.actor, write(tmp_path, FILE))
    data = _export(context, b.actor)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = {r["name"]: r for r in _csv_rows(data)}
    assert list(next(iter(rows.values()))) == [*exports.HEADER, "会员等级"]
    zhang = rows["张三"]
    assert (zhang["phone"], zhang["identities"], zhang["gender"], zhang["birthday"]) == ("13800138000", "member_no:M1", "男", "1990-01-02")
    assert (zhang["tags"], zhang["stage"], zhang["owner"], zhang["会员等级"]) == ("会员/金卡; 导入/VIP", "复购", "导购一", "金")
    assert len(zhang["added_at"]) == 19 and zhang["added_at"][10] == " "
    assert "'=HYPERLINK(\"x\")" in rows  # a formula typed as a name stays text in Excel


def test_a_guide_exports_the_customers_they_follow_with_phones_masked(context, tmp_path):
    b = brand(context)
    run_import(context, b.actor, write(tmp_path, FILE))
    guide = f.user_actor(context, b.actor, role=Role.GUIDE, staff_id=b.guide.id, store_id=b.guide.store_id)
    rows = _csv_rows(_export(context, guide))
    assert [(r["name"], r["phone"]) for r in rows] == [("张三", "138****8000")]
    admin_rows = {r["name"]: r["phone"] for r in _csv_rows(_export(context, b.actor))}
    assert admin_rows["张三"] == "13800138000"


def test_a_store_manager_exports_the_store_s_customers(context, tmp_path):
    b = brand(context)
    run_import(context, b.actor, write(tmp_path, FILE))
    manager = f.user_actor(context, b.actor, role=Role.STORE_MANAGER, staff_id=b.other.id, store_id=b.other.store_id)
    with context.uow() as uow:
        lisi = next(c for c in uow.customers.list(b.actor.scope, CustomerFilter(q="李四"), f.PageRequest()).items)
        follow_in(uow, b.actor.tenant_id, lisi.id, b.other.id, at=utcnow(), actor="test")
        uow.commit()
    assert sorted(r["name"] for r in _csv_rows(_export(context, manager))) == ["张三", "李四"]


def test_a_filtered_list_exports_only_its_customers(context, tmp_path):
    b = brand(context)
    run_import(context, b.actor, write(tmp_path, FILE))
    vip = next(t for t in tag_service.list_tags(context.uow(), b.actor) if t.label == "导入/VIP")
    assert [r["name"] for r in _csv_rows(_export(context, b.actor, CustomerFilter(tag_ids=(vip.id,))))] == ["张三"]
    assert [r["name"] for r in _csv_rows(_export(context, b.actor, CustomerFilter(q="13900139000")))] == ["李四"]


def test_xlsx_export_opens_with_the_same_rows(context, tmp_path):
    b = brand(context)
    run_import(context, b.actor, write(tmp_path, FILE))
    book = load_workbook(io.BytesIO(_export(context, b.actor, fmt=SheetFormat.XLSX)), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    assert list(rows[0]) == [*exports.HEADER, "会员等级"]
    by_name = {r[1]: r for r in rows[1:]}
    assert by_name["张三"][5] == "13800138000" and by_name["张三"][7] == "会员/金卡; 导入/VIP"
    assert '=HYPERLINK("x")' in by_name  # stored as text, not as a formula


def test_the_whole_tenant_at_once_needs_customers_manage(context, tmp_path, monkeypatch):
    b = brand(context)
    run_import(context, b.actor, write(tmp_path, FILE))
    # A role that sees the whole tenant but may not manage customers (none ships like that today).
    monkeypatch.setitem(MATRIX, Role.OPERATOR, MATRIX[Role.OPERATOR] - {Permission.CUSTOMERS_MANAGE})
    viewer = f.user_actor(context, b.actor, role=Role.OPERATOR)
    with pytest.raises(PermissionDenied):
        _export(context, viewer)
    assert [r["name"] for r in _csv_rows(_export(context, viewer, CustomerFilter(q="张三")))] == ["张三"]
