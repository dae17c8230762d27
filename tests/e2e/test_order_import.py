"""A person imports an order file in Chromium: the real worker beside the server runs it, the
run's page follows it by itself (htmx polling) to done, with its counts and its bad row."""

from __future__ import annotations

import os

import pytest

from tests.e2e.conftest import sign_in_as_admin
from tests.e2e.test_browser import page  # noqa: F401  (the Chromium page fixture)

pytestmark = pytest.mark.browser

FILE = ("来源,订单号,下单时间,实付金额,手机号,商品编码,商品金额\n"
        + "".join(f"mall,E2E{i},2026-11-01 10:00,{10 + i},1700000{i:04d},LATTE,{10 + i}\n" for i in range(40))
        + "mall,E2EBAD,2026-13-01 10:00,10,,LATTE,10\n")


def test_an_order_file_uploaded_in_the_console_is_imported_by_the_worker(demo_server, page, tmp_path):  # noqa: F811
    page.set_viewport_size({"width": 1440, "height": 1000})
    upload = tmp_path / "门店订单.csv"
    upload.write_text(FILE, encoding="utf-8")
    sign_in_as_admin(page, demo_server, "/orders")
    page.click("a[href='/orders/imports']")
    page.wait_for_url(f"{demo_server.url}/orders/imports")
    page.set_input_files("input[name=file]", str(upload))
    page.click("form[action='/orders/imports'] button[type=submit]")
    page.wait_for_url(f"{demo_server.url}/orders/imports/*")
    page.wait_for_selector("#import-status .badge-green", timeout=60_000)  # the page polls until the worker is done
    status = page.locator("#import-status").inner_text()
    assert "门店订单.csv" in status and "下单时间" in status
    assert page.locator(".run-stats div").nth(3).inner_text().split() == ["新建订单", "40"]
    if os.environ.get("SIYU_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["SIYU_SCREENSHOTS"], "order-import.png"), full_page=True)
