"""A person makes a material in Chromium on the demo brand (an image uploaded through the form,
its fields switching with the kind), then a contact way's welcome message carrying it, and sees
the text filled with sample names as they type and press the placeholder buttons (htmx, debounced)."""

from __future__ import annotations

import pytest

from tests.channels.test_media import PNG
from tests.e2e.conftest import sign_in_as_admin
from tests.e2e.test_browser import page  # noqa: F401  (the Chromium page fixture)

pytestmark = pytest.mark.browser


def test_a_material_then_a_welcome_using_it_with_its_preview(demo_server, page, tmp_path):  # noqa: F811
    poster = tmp_path / "春季海报.png"
    poster.write_bytes(PNG)
    sign_in_as_admin(page, demo_server, "/materials/new")
    page.select_option("select[name=kind]", "miniprogram")
    assert page.locator("input[name=appid]").is_visible() and not page.locator("input[name=file]").is_visible()
    page.select_option("select[name=kind]", "image")
    assert page.locator("input[name=file]").is_visible() and not page.locator("input[name=appid]").is_visible()
    page.fill("input[name=title]", "E2E春季海报")
    page.set_input_files("input[name=file]", str(poster))
    page.click("form[action='/materials/new'] button[type=submit]")
    page.wait_for_url(f"{demo_server.url}/materials")
    page.wait_for_selector("text=素材“E2E春季海报”已创建")

    page.click("a.nav-link[href='/welcome-messages']")
    page.wait_for_url(f"{demo_server.url}/welcome-messages")
    page.goto(f"{demo_server.url}/welcome-messages/new")
    page.select_option("select[name=scope]", "way")  # the demo has a default and a channel's welcome already
    page.select_option("select[name=contact_way_id]", index=1)
    page.click("textarea[name=text]")
    page.click("button[data-insert='{customer_name}']")
    page.type("textarea[name=text]", "您好，我是")
    page.click("button[data-insert='{staff_name}']")
    page.wait_for_selector("#welcome-preview:has-text('韩梅梅您好，我是李雷')")
    page.fill("input[name=sample_customer]", "王小明")
    page.wait_for_selector("#welcome-preview:has-text('王小明您好，我是李雷')")
    page.check("label:has-text('E2E春季海报') input[name=material_ids]")
    page.wait_for_selector("#welcome-preview:has-text('1 个附件')")
    assert page.input_value("textarea[name=text]") == "{customer_name}您好，我是{staff_name}"

    page.click("form#welcome-form button[type=submit]")
    page.wait_for_url(f"{demo_server.url}/welcome-messages")
    row = page.locator("tr", has_text="{customer_name}您好，我是{staff_name}")
    assert row.count() == 1 and "活码" in row.inner_text()
    page.once("dialog", lambda dialog: dialog.accept())  # leave the shared demo brand as it was
    row.locator("button", has_text="删除").click()
    page.wait_for_selector("text=欢迎语已删除")
