"""A person builds a journey in Chromium on the demo brand, in Chinese: picks the trigger and its
tag, adds, fills and reorders steps (htmx swaps them in place), sees a mistake marked on its field
in Chinese with nothing typed lost, saves, and finds the journey on its page."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.e2e.test_browser import page  # noqa: F401  (the Chromium page fixture)
from tests.e2e.conftest import sign_in_as_admin

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("SIYU_SCREENSHOT_DIR", "")) if os.environ.get("SIYU_SCREENSHOT_DIR") else None


def _settled(page) -> None:  # type: ignore[no-untyped-def]
    """htmx has finished its swap: the new content's hx- attributes are live (htmx processes it
    while settling, after the new nodes are already in the page); a change before that is lost."""
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


def _add(page, kind: str, index: int) -> None:  # type: ignore[no-untyped-def]
    page.click(f"button[data-add={kind}]")
    page.wait_for_selector(f"fieldset[data-step='{index}'][data-kind={kind}]")
    _settled(page)


def test_a_journey_is_built_in_the_editor_and_saved_in_chinese(demo_server, page, tmp_path):  # noqa: F811
    page.set_viewport_size({"width": 1280, "height": 1000})
    sign_in_as_admin(page, demo_server, "/journeys")
    page.click("a[data-new-journey]")
    page.wait_for_url(f"{demo_server.url}/journeys/new")
    assert "旅程开始于" in page.locator("#journey-body").inner_text()

    # the trigger: a tag is applied, the first of the brand's tags
    page.select_option("select[name=trigger_kind]", "tag_applied")
    page.wait_for_selector("input[name=trigger_tag_ids]", state="attached")
    _settled(page)
    first_tag = page.locator("fieldset[data-trigger] .chip-check").first
    tag_name = first_tag.inner_text().strip()
    first_tag.click()

    # wait a day until 10:00, a message, a branch on purchases, a guide task, then a tag step moved up
    page.fill("input[name=s0_days]", "1")
    page.fill("input[name=s0_at]", "10:00")
    _add(page, "message", 1)
    page.fill("textarea[name=s1_text]", "欢迎关注！新客专享福利已放入您的账户。")
    _add(page, "branch", 2)
    page.select_option("select[name=s2g0c0_kind]", "orders")
    page.wait_for_selector("select[name=s2g0c0_attribute]")
    _settled(page)
    page.select_option("select[name=s2g0c0_op]", "gte")
    page.wait_for_selector("select[name=s2g0c0_op] option[value=gte][selected]", state="attached")
    _settled(page)
    page.fill("input[name=s2g0c0_value]", "1")
    _add(page, "guide_task", 3)
    _add(page, "tag", 4)
    page.locator("fieldset[data-step='4'] .chip-check").first.click()
    page.click("fieldset[data-step='4'] button[value='up:4']")
    page.wait_for_selector("fieldset[data-step='3'][data-kind=tag]")
    _settled(page)
    page.select_option("select[name=s2_else]", "guide_task1")
    assert page.locator("textarea[name=s1_text]").input_value().startswith("欢迎关注")  # typed text kept through the swaps

    # saved with the task title missing: refused on that field, in Chinese, with everything kept
    page.fill("input[name=name]", "新客关注培育")
    page.click("button[data-save]")
    page.wait_for_selector("#e-s4_title")
    assert "任务标题" in page.locator("#e-s4_title").inner_text() and "第 5 步" in page.locator("#e-s4_title").inner_text()
    assert page.locator("input[name=s0_at]").input_value() == "10:00"
    assert page.locator("input[name=s2g0c0_value]").input_value() == "1"
    page.fill("input[name=s4_title]", "新客未购回访")
    page.fill("textarea[name=s4_script]", "问问是否需要搭配建议")
    if SHOTS:
        page.screenshot(path=str(SHOTS / "journey-editor.png"), full_page=True)
    page.click("button[data-save]")
    page.wait_for_url(re.compile(r".*/journeys/\d+$"))

    body = page.locator("body").inner_text()
    assert "新客关注培育" in body and "草稿" in body and "已创建" in body
    assert [c.inner_text() for c in page.locator("tbody tr td.mono:first-child").all()] == [
        "wait1", "message1", "branch1", "tag1", "guide_task1"]
    stored = json.loads(page.locator("textarea[name=definition]").input_value())
    assert stored["trigger"]["kind"] == "tag_applied" and len(stored["trigger"]["tag_ids"]) == 1
    assert stored["steps"][0] == {"id": "wait1", "kind": "wait", "days": 1, "hours": 0, "minutes": 0, "at": "10:00"}
    assert stored["steps"][2]["else"] == "guide_task1" and stored["steps"][2]["then"] == "end"
    assert stored["steps"][4]["title"] == "新客未购回访"

    page.click("a[data-edit-journey]")  # opens in the editor again, as saved
    page.wait_for_selector("fieldset[data-step='4'][data-kind=guide_task]")
    assert page.locator("input[name=s4_title]").input_value() == "新客未购回访"
    checked = page.locator("fieldset[data-trigger] .chip-check:has(input:checked)")
    assert checked.count() == 1 and checked.inner_text().strip() == tag_name
    page.screenshot(path=str((SHOTS or tmp_path) / "journey.png"), full_page=True)

    page.goto(f"{demo_server.url}/journeys")  # listed with its trigger in words; a template opens in the editor, pre-filled
    row = page.locator("tr", has_text="新客关注培育")
    assert "被打上标签" in row.inner_text() and "草稿" in row.inner_text()
    page.click("a[data-template=silent_wakeup]")
    page.wait_for_url(re.compile(r".*/journeys/new\?template_key=silent_wakeup$"))
    assert page.locator("input[name=name]").input_value() == "沉睡唤醒"
    assert page.locator("input[name=trigger_days]").input_value() == "90"
    assert page.locator("fieldset[data-step]").count() == 4
    assert page.locator("select[name=s2_else]").input_value() == "call"
    if SHOTS:
        page.screenshot(path=str(SHOTS / "journey-template.png"), full_page=True)
