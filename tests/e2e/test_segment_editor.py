"""A person builds a segment in Chromium on the demo brand: the live count follows each change
(htmx, debounced), a bad value is marked on its condition in Chinese, and the saved segment's
page shows the same count with its members."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.e2e.test_browser import page  # noqa: F401  (the Chromium page fixture)
from tests.e2e.conftest import sign_in_as_admin

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("SIYU_SCREENSHOT_DIR", "")) if os.environ.get("SIYU_SCREENSHOT_DIR") else None


def _count(page) -> int:  # type: ignore[no-untyped-def]
    page.wait_for_selector("#preview [data-count]")
    return int(page.locator("#preview [data-count]").get_attribute("data-count"))


def test_the_live_count_follows_the_editor_and_matches_the_saved_segment(demo_server, page, tmp_path):  # noqa: F811
    page.set_viewport_size({"width": 1440, "height": 1000})
    sign_in_as_admin(page, demo_server, "/segments/new")
    page.wait_for_selector("#preview:has-text('选择条件后')")  # opened: a hint, no errors yet

    # stage "is one of" every stage: the customers with a stage
    page.select_option("select[name=g0c0_kind]", "stage")
    page.wait_for_selector("select[name=g0c0_op] option[value=in][selected]", state="attached")
    for box in page.locator(".rule-condition[data-condition=g0c0] .chip-check").all():
        box.click()
    staged = _count(page)
    assert staged > 0

    # OR a second group: everyone who bought at least once -> at least as many
    page.click("button[value=add_group]")
    page.wait_for_selector("select[name=g1c0_kind]")
    page.select_option("select[name=g1c0_kind]", "orders")
    page.wait_for_selector("select[name=g1c0_attribute]")
    page.select_option("select[name=g1c0_op]", "gte")
    page.wait_for_selector("input[name=g1c0_value]")
    page.fill("input[name=g1c0_value]", "abc")  # not a number: marked on its condition, in Chinese
    page.wait_for_selector("#err-g1c0:not([hidden])")
    assert "不是数字" in page.locator("#err-g1c0").inner_text()
    assert "请修正" in page.locator("#preview").inner_text()
    page.fill("input[name=g1c0_value]", "1")
    page.wait_for_selector("#err-g1c0[hidden]", state="attached")
    either = _count(page)
    assert either >= staged

    page.fill("input[name=name]", "有阶段或买过")
    if SHOTS:
        page.screenshot(path=str(SHOTS / "segment-editor.png"), full_page=True)
    page.click("button.btn-primary[type=submit]")
    page.wait_for_url(re.compile(r".*/segments/\d+$"))
    assert int(page.locator(".stat [data-count]").get_attribute("data-count")) == either
    assert page.locator("tr[data-member]").count() == min(either, 20)
    body = page.locator("body").inner_text()
    assert "最近同步" in body and "导出 Excel" in body
    page.screenshot(path=str((SHOTS or tmp_path) / "segment.png"), full_page=True)
