"""A person signs in to the demo console in Chromium and sees it in Chinese."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser


@pytest.fixture
def page(tmp_path):
    if not CHROMIUM.exists():
        if os.environ.get("SIYU_REQUIRE_BROWSER"):
            pytest.fail("Chromium is missing at /usr/bin/chromium (apt-get install chromium fonts-wqy-microhei)")
        pytest.skip("Chromium not installed here; CI installs it and requires this test")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(locale="zh-CN")
        yield context.new_page()
        context.close()
        browser.close()


def test_admin_signs_in_and_sees_the_demo_brand_in_chinese(demo_server, page):
    page.goto(f"{demo_server.url}/stores")
    assert "/login" in page.url  # not signed in: sent to the sign-in page
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.fill("input[name=login]", "admin@demo.siyu")
    page.fill("input[name=password]", "siyu-demo-2026")
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{demo_server.url}/stores")
    assert "上海南京西路店" in page.content()
    page.goto(f"{demo_server.url}/")
    body = page.locator("body").inner_text()
    assert "概览" in body and "门店" in body and "员工" in body
    page.goto(f"{demo_server.url}/staff")
    assert "导购" in page.locator("body").inner_text()
