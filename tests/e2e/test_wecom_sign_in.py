"""The demo's "open as guide in WeCom" in Chromium: the same menu link and redirects as in WeCom
(the sandbox standing in for open.weixin.qq.com), ending signed in as the guide on /m/tasks."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.e2e.test_browser import page  # noqa: F401  (the Chromium page fixture)
from tests.e2e.conftest import sign_in_as_admin

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("SIYU_SCREENSHOT_DIR", "")) if os.environ.get("SIYU_SCREENSHOT_DIR") else None


def test_an_admin_opens_the_demo_as_a_guide_in_wecom(demo_server, page, tmp_path):  # noqa: F811
    visited: list[str] = []
    page.on("request", lambda request: visited.append(request.url) if request.is_navigation_request() else None)
    sign_in_as_admin(page, demo_server, "/wecom")
    assert "/m/wecom/" in page.locator("#sign-in-url").inner_text()
    guide = page.locator("#sandbox-guide option").first.inner_text()
    page.click("form[action='/wecom/sandbox/open-as-guide'] button[type=submit]")
    # The browser keeps WeCom's #wechat_redirect through the sandbox's redirects (WeCom's client consumes it).
    page.wait_for_url(re.compile(re.escape(f"{demo_server.url}/m/tasks") + "(#.*)?$"))
    paths = [url.removeprefix(demo_server.url).split("?")[0] for url in visited]
    assert paths[-4:] == ["/m/wecom/demo/login", "/sandbox/wecom/authorize", "/m/wecom/demo/callback", "/m/tasks"], paths
    page.set_viewport_size({"width": 390, "height": 844})
    assert guide in page.locator(".m-head").inner_text()
    assert "我的任务" in page.locator("body").inner_text()
    page.screenshot(path=str((SHOTS or tmp_path) / "m-tasks-wecom.png"), full_page=True)
