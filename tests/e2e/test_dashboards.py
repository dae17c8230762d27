"""A person opens the channel ROI dashboard of the demo brand in Chromium: the ECharts charts
are drawn (a canvas of real size in each chart box) from the vendored library, no CDN."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.e2e.test_browser import page  # noqa: F401  (the Chromium page fixture)
from tests.e2e.conftest import sign_in_as_admin

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("SIYU_SCREENSHOT_DIR", "")) if os.environ.get("SIYU_SCREENSHOT_DIR") else None


def _charts_drawn(page) -> list[dict[str, float]]:  # type: ignore[no-untyped-def]
    return page.eval_on_selector_all(
        "[data-chart] canvas", "els => els.map(e => ({w: e.getBoundingClientRect().width, h: e.getBoundingClientRect().height}))")


def test_the_channel_and_rfm_dashboards_draw_their_charts(demo_server, page, tmp_path):  # noqa: F811
    page.set_viewport_size({"width": 1440, "height": 1000})
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    sign_in_as_admin(page, demo_server, "/analytics/channels")
    # the demo's orders and adds span the months before today: ask for the last year
    today = date.today()
    page.goto(f"{demo_server.url}/analytics/channels?start={today - timedelta(days=365)}&end={today}")
    page.wait_for_selector("#channel-adds [data-chart] canvas")
    sizes = _charts_drawn(page)
    assert len(sizes) == 2 and all(s["w"] > 100 and s["h"] > 100 for s in sizes), sizes
    body = page.locator("body").inner_text()
    assert "渠道 ROI" in body and "获客成本" in body and "最近同步于" in body
    assert page.locator("table[data-table=channels] tbody tr").count() >= 1
    assert all(url.startswith(demo_server.url) for url in requested), [u for u in requested if not u.startswith(demo_server.url)]
    page.screenshot(path=str((SHOTS or tmp_path) / "channels.png"), full_page=True)

    page.goto(f"{demo_server.url}/analytics/rfm")
    page.wait_for_selector("[data-chart] canvas")
    assert all(s["w"] > 100 and s["h"] > 100 for s in _charts_drawn(page))
    assert page.locator("table[data-table=rfm-customers] tbody tr a[href^='/customers/']").count() >= 1
    page.screenshot(path=str((SHOTS or tmp_path) / "rfm.png"), full_page=True)


def test_the_funnel_staff_and_ltv_dashboards_draw_their_charts(demo_server, page, tmp_path):  # noqa: F811
    page.set_viewport_size({"width": 1440, "height": 1000})
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    sign_in_as_admin(page, demo_server, "/analytics/funnel")
    today = date.today()
    year = f"start={today - timedelta(days=365)}&end={today}"

    page.goto(f"{demo_server.url}/analytics/funnel?{year}&window_days=60&by=store")
    page.wait_for_selector("#funnel-stages [data-chart] canvas")
    assert all(s["w"] > 100 and s["h"] > 100 for s in _charts_drawn(page))
    assert page.locator("table[data-table=funnel-stages] tbody tr").count() == 4
    page.screenshot(path=str((SHOTS or tmp_path) / "funnel.png"), full_page=True)

    page.goto(f"{demo_server.url}/analytics/staff?{year}")
    page.wait_for_selector("#staff-gmv [data-chart] canvas")
    assert len(_charts_drawn(page)) == 2 and all(s["w"] > 100 and s["h"] > 100 for s in _charts_drawn(page))
    assert page.locator("table[data-table=staff-staff] tbody tr").count() >= 1
    page.screenshot(path=str((SHOTS or tmp_path) / "staff.png"), full_page=True)

    page.goto(f"{demo_server.url}/analytics/ltv")
    page.wait_for_selector("#ltv-alive [data-chart] canvas")
    assert all(s["w"] > 100 and s["h"] > 100 for s in _charts_drawn(page))
    assert page.locator("table[data-table=ltv-customers] tbody tr a[href^='/customers/']").count() >= 1
    page.screenshot(path=str((SHOTS or tmp_path) / "ltv.png"), full_page=True)
    assert all(url.startswith(demo_server.url) for url in requested), [u for u in requested if not u.startswith(demo_server.url)]

    # before the demo's first purchase the models cannot be fitted: the page says why, in Chinese
    page.goto(f"{demo_server.url}/analytics/ltv?as_of=2020-01-01")
    alert = page.locator(".alert-error[role=alert]")
    assert "现有购买数据还无法拟合生命周期价值模型" in alert.inner_text()
    assert page.locator("text=模型暂时无法拟合").count() == 1
    page.screenshot(path=str((SHOTS or tmp_path) / "ltv-cannot-fit.png"), full_page=True)
