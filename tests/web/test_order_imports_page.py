"""Importing orders from the console (导入订单): upload, the run's page with its counts and bad rows, the CSV report."""

from __future__ import annotations

import csv
import io

from siyu.services import order_imports, orders
from tests.web.conftest import Browser, Org

FILE = ("来源,订单号,下单时间,实付金额,手机号,商品编码,商品金额\n"
        "mall,K1,2026-11-01 10:00,10,13800000001,LATTE,10\n"
        "mall,K2,2026-13-01 10:00,10,,LATTE,10\n"
        "store,K3,2026-11-01 10:00,10,,LATTE,10\n")


def _upload(browser: Browser, content: bytes, name: str = "orders.csv", **form: str):
    if not browser.csrf:
        browser.get("/orders/imports")
    return browser.client.post("/orders/imports", data={"csrf_token": browser.csrf, **form},
                               files={"file": (name, content, "text/csv")}, follow_redirects=False)


def test_the_orders_list_links_to_the_import_page(signed_in: Browser, org: Org) -> None:
    listing = signed_in.get("/orders").text
    assert 'href="/orders/imports"' in listing and "导入订单" in listing
    page = signed_in.get("/orders/imports").text
    assert "还没有订单导入" in page and 'name="source"' in page and 'name="dry_run"' in page


def test_an_upload_is_imported_and_its_page_shows_counts_and_every_bad_row(signed_in: Browser, org: Org) -> None:
    org.customer("张三", "13800000001")
    response = _upload(signed_in, FILE.encode())
    assert response.status_code == 303
    text = signed_in.get(response.headers["location"]).text
    assert "orders.csv" in text and "完成" in text and 'hx-trigger="every 2s"' not in text
    assert "<td>3</td><td>下单时间</td>" in text
    assert "未匹配" in text and 'href="/orders?unmatched=1"' in text
    assert orders.list_orders(org.context.uow(), org.system).total == 2
    [run] = order_imports.list_imports(org.context.uow(), org.system).items
    assert (run.counts.orders_created, run.counts.orders_unmatched, run.counts.rows_bad) == (2, 1, 1)
    report = signed_in.get(f"/orders/imports/{run.id}/report.csv")
    assert report.headers["content-disposition"] == f'attachment; filename="order-import-{run.id}-report.csv"'
    [header, bad] = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert header == ["row", "column", "value", "reason"] and bad[:2] == ["3", "下单时间"]
    assert bad[3] != "" and not bad[3].isascii()  # the reason in the viewer's language
    listing = signed_in.get("/orders/imports").text
    assert f'href="/orders/imports/{run.id}"' in listing


def test_a_preview_changes_nothing_and_a_bad_file_is_refused_on_the_form(signed_in: Browser, org: Org) -> None:
    preview = _upload(signed_in, FILE.encode(), dry_run="true")
    assert "预览" in signed_in.get(preview.headers["location"]).text
    assert orders.list_orders(org.context.uow(), org.system).total == 0
    refused = _upload(signed_in, "订单号,实付金额\nK9,1\n".encode())
    assert refused.status_code == 422 and "文件缺少 source, ordered_at 列" in refused.text
    assert order_imports.list_imports(org.context.uow(), org.system).total == 1  # only the preview
    assert [p.name for p in (org.context.settings.data_dir / "uploads").iterdir()] == []


def test_a_running_order_import_shows_rows_read_and_polls(signed_in: Browser, org: Org) -> None:
    import_id = order_imports.start_import(org.context.uow(), org.system, filename="big.csv", dry_run=False, rows_expected=500)
    text = signed_in.get(f"/orders/imports/{import_id}").text
    assert "已读取 0 行，共约 500 行，本页会自动刷新。" in text
    assert f'hx-get="/orders/imports/{import_id}"' in text and 'hx-trigger="every 2s"' in text


def test_the_polled_status_of_a_run_renders_on_its_own(signed_in: Browser, org: Org) -> None:
    """What htmx swaps in every 2 s: the status block alone, for a running and a finished run."""
    running = order_imports.start_import(org.context.uow(), org.system, filename="big.csv", dry_run=False, rows_expected=500)
    polled = signed_in.client.get(f"/orders/imports/{running}", headers={"HX-Request": "true"})
    assert polled.status_code == 200 and polled.text.startswith('<div id="import-status" hx-get=')
    done = signed_in.client.get(_upload(signed_in, FILE.encode()).headers["location"], headers={"HX-Request": "true"})
    assert done.status_code == 200 and "<td>3</td><td>下单时间</td>" in done.text and "hx-trigger" not in done.text
