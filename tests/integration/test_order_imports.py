"""Order files: rows to orders, dry runs, idempotent re-imports, every bad row reported."""

from __future__ import annotations

from decimal import Decimal

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from siyu.cli import customers as customer_cli
from siyu.cli.main import app
from siyu.domain.customers import CustomerRecord, Profile
from siyu.domain.errors import InvalidInput
from siyu.domain.identities import IdentityKey
from siyu.domain.imports import ImportStatus
from siyu.domain.orders import OrderStatus
from siyu.domain.paging import PageRequest
from siyu.services import customers, order_imports, orders
from tests import factories as f

FILE = """来源,订单号,下单时间,实付金额,手机号,门店编码,商品编码,商品名称,数量,商品金额,退款单号,退款金额,退款时间,备注
mall,M1,2026-11-01 10:00:00,100,13800138000,,LATTE,拿铁,2,60,,,,
mall,M1,,,,,CAKE,蛋糕,1,40,R1,40,2026-11-02 10:00,
mall,M2,2026-11-01 10:00:00,abc,13800138001,,LATTE,拿铁,1,30,,,,
mall,M3,2026-11-01 11:00:00,50,12345,,,,,,,,,
store,M4,2026-11-01 11:00:00,20,,{store},LATTE,,x,20,,,,
store,M5,2026-11-01 11:00:00,20,13900000000,{store},,,,,R9,30,2026-11-03,
store,M6,2026-11-01 11:00:00,20,13900000000,NOPE,,,,,,,,
mall,M7,2026-11-01 12:00:00,10,13800138000,,LATTE,拿铁,1,10,,,,
mall,M7,2026-11-01 12:30:00,,,,CAKE,蛋糕,1,5,,,,
"""


def write(tmp_path, text, name="orders.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(context, actor, run):
    return order_imports.list_import_errors(context.uow(), actor, run.id, PageRequest(page_size=200)).items


def test_rows_become_orders_and_bad_rows_are_reported_with_row_and_column(context, tmp_path):
    _, admin = f.tenant(context)
    store = f.store(context, admin)
    record = CustomerRecord(keys=(IdentityKey.parse("phone", "13800138000"),), profile=Profile(name="张三"))
    known = customers.create_customer(context.uow(), admin, record).customer_id
    path = write(tmp_path, FILE.format(store=store.code))

    run = order_imports.import_orders(context.uow(), admin, path)
    report = run.counts
    assert run.status is ImportStatus.DONE and run.errors == 7
    assert (report.rows_total, report.rows_good, report.rows_bad) == (9, 2, 7)
    assert (report.orders_created, report.orders_rejected, report.refunds_added, report.orders_unmatched) == (1, 6, 1, 0)
    problems = [(e.row, e.column, e.reason) for e in errors_of(context, admin, run)]
    assert problems == [
        (1, "备注", "unknown column, ignored"),
        (4, "实付金额", "“abc” is not an amount"),
        (5, "手机号", "“12345” is not a mainland mobile number (11 digits, starting 13-19)"),
        (6, "数量", "quantity is a whole number from 1"),
        (7, "退款金额", "the refunds add up to more than the amount paid"),
        (8, "门店编码", "no store with code “NOPE”"),
        (10, "下单时间", "differs from row 9 of the same order"),
    ]
    unknown_store = next(e for e in errors_of(context, admin, run) if e.row == 8)
    assert (unknown_store.code, unknown_store.params) == ("order.unknown_store", {"store": "NOPE"})  # the console can translate it
    [m1] = orders.list_orders(context.uow(), admin).items
    stored = orders.get_order(context.uow(), admin, m1.id)
    assert stored.customer_id == known and stored.status is OrderStatus.PARTIALLY_REFUNDED
    assert [(x.sku, x.amount) for x in stored.lines] == [("LATTE", Decimal("60.00")), ("CAKE", Decimal("40.00"))]

    again = order_imports.import_orders(context.uow(), admin, path).counts
    assert (again.orders_created, again.orders_updated, again.orders_unchanged, again.refunds_added) == (0, 0, 1, 0)


def test_a_dry_run_counts_everything_and_saves_nothing(context, tmp_path):
    _, admin = f.tenant(context)
    path = write(tmp_path, "source,order_id,ordered_at,amount,openid\nmall,D1,2026-11-01T10:00:00+08:00,9.90,oX1\n")
    report = order_imports.import_orders(context.uow(), admin, path, dry_run=True).counts
    assert (report.orders_created, report.orders_unmatched) == (1, 1)
    assert orders.list_orders(context.uow(), admin).total == 0


def test_a_file_without_the_needed_columns_is_refused_whole(context, tmp_path):
    _, admin = f.tenant(context)
    with pytest.raises(InvalidInput, match="no source, amount column"):
        order_imports.import_orders(context.uow(), admin, write(tmp_path, "order_id,ordered_at\nA,2026-11-01\n"))
    run = order_imports.import_orders(
        context.uow(), admin, write(tmp_path, "order_id,ordered_at,amount\nP1,2026-11-01 09:00,12\n"), source="store"
    )
    assert (run.source, run.counts.orders_created) == ("store", 1)
    assert orders.list_orders(context.uow(), admin).items[0].source == "store"


def test_an_xlsx_file_imports_like_a_csv(context, tmp_path):
    _, admin = f.tenant(context)
    book = Workbook()
    sheet = book.active
    sheet.append(["source", "order_id", "ordered_at", "amount", "member_no", "sku", "quantity", "line_amount"])
    sheet.append(["mall", "X1", "2026-11-01 10:00:00", 59.9, "m001", "BEANS", 1, 59.9])
    path = tmp_path / "orders.xlsx"
    book.save(path)
    run = order_imports.import_orders(context.uow(), admin, path)
    assert run.counts.orders_created == 1 and not run.errors
    [placed] = orders.list_orders(context.uow(), admin).items
    assert placed.amount == Decimal("59.90") and placed.identities == {"member_no": "M001"}


def test_the_cli_imports_and_prints_the_report(context, tmp_path, monkeypatch):
    monkeypatch.setattr(customer_cli, "_context", lambda: context)
    made, admin = f.tenant(context)
    path = write(tmp_path, "source,order_id,ordered_at,amount,phone\nmall,C1,2026-11-01 10:00,10,13800138000\nmall,C2,bad,10,\n")
    runner = CliRunner()
    dry = runner.invoke(app, ["import", "orders", str(path), "--tenant", made.slug, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "orders that would be created: 1" in dry.output and "row 3, ordered_at" in dry.output
    assert orders.list_orders(context.uow(), admin).total == 0
    done = runner.invoke(app, ["import", "orders", str(path), "--tenant", made.slug])
    assert done.exit_code == 0 and "orders matching no customer yet: 1" in done.output
    matched = runner.invoke(app, ["orders", "match", "--tenant", made.slug])
    assert matched.exit_code == 0 and "orders matched: 0" in matched.output


def test_an_order_with_a_bad_cell_and_a_disagreeing_row_counts_its_rows_once(context, tmp_path):
    _, admin = f.tenant(context)
    path = write(tmp_path, "source,order_id,ordered_at,amount,sku\nmall,B1,2026-13-40,10,A\nmall,B1,2026-11-01 10:00,,B\n")
    run = order_imports.import_orders(context.uow(), admin, path)
    report = run.counts
    assert (report.rows_total, report.rows_good, report.rows_bad, report.orders_rejected) == (2, 0, 2, 1)
    assert [(e.row, e.column) for e in errors_of(context, admin, run)] == [(2, "ordered_at"), (3, "ordered_at")]
