"""The analytics dashboards: the numbers of a tiny synced history on each page, CSV exports
equal to the query results, the permission, the busy warehouse and "sync now"."""

from __future__ import annotations

import csv
import io
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest

from siyu.analytics import periods
from siyu.analytics.cohorts import CohortQuery
from siyu.analytics.rfm import RfmQuery, Segment
from siyu.domain.access import Role
from siyu.domain.errors import Unavailable
from siyu.services import warehouse_freshness, warehouse_sync
from siyu.services.clock import utcnow
from siyu.web import dashboards as d
from tests.analytics import history as h
from tests.web.conftest import Browser, Org


def _sync(org: Org) -> None:
    with org.context.warehouse() as wh:
        warehouse_sync.sync_tenant(org.context.uow(), wh, org.tenant.id)


@pytest.fixture
def march(org: Org) -> dict[str, int]:
    """March 2026: 公众号 (cost ¥310 for the month) brings two adds; one buys twice, the other
    deletes the guide three days later; a third customer, followed by nobody, buys once."""
    ctx, t = org.context, org.tenant.id
    guide = org.member(store=org.store())
    gzh = h.channel(ctx, t, "公众号", "gzh")
    h.cost(ctx, t, gzh, date(2026, 3, 1), date(2026, 3, 31), "310.00")
    one, two, three = org.customer("一号"), org.customer("二号"), org.customer("三号")
    h.follow(ctx, t, one, guide.id, h.sh(2026, 3, 2), "gzh")
    h.follow(ctx, t, three, guide.id, h.sh(2026, 3, 5), "gzh")
    h.delete(ctx, t, three, guide.id, h.sh(2026, 3, 8))
    h.order(ctx, t, one, h.sh(2026, 3, 3), "88.00", channel_id=gzh)
    h.order(ctx, t, one, h.sh(2026, 3, 20), "50.00", channel_id=gzh)
    h.order(ctx, t, two, h.sh(2026, 3, 4), "12.00")
    _sync(org)
    return {"one": one, "two": two, "three": three, "gzh": gzh}


def _csv_rows(response: Any) -> list[list[str]]:
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _as_csv(table: d.Table) -> list[list[str]]:
    return [["" if v is None else v.value if isinstance(v, Segment) else v.isoformat() if isinstance(v, date) else str(v)
             for v in row] for row in table.rows]


def _run(org: Org, query: Any) -> Any:
    with org.context.warehouse() as wh:
        return query.run(wh)


def test_channels_page_shows_the_roi_and_exports_the_same_rows(signed_in: Browser, org: Org, march: dict[str, int]) -> None:
    page = signed_in.get("/analytics/channels?start=2026-03-01&end=2026-03-31")
    assert page.status_code == 200
    text = page.text
    # by hand: 2 adds, 1 of them deleted within 7 days; 1 buyer, 88 + 50 = 138 GMV; cost 310;
    # CAC 310 / 2 = 155; ROI 138 / 310 = 0.45; deletion rate 1 / 2
    for shown in ("公众号", "¥138.00", "¥310.00", "¥155.00", "0.45", "50.0%", "data-chart"):
        assert shown in text, shown
    # every number says how it is computed: the column's definition is the title of its cells
    assert text.count('title="成本 / 添加数（没有添加时为空）。"') == 3  # the header, its info mark, the one row

    rows = _csv_rows(signed_in.get("/analytics/channels.csv?start=2026-03-01&end=2026-03-31"))
    result = _run(org, periods.channel_query(org.tenant.id, date(2026, 3, 1), date(2026, 3, 31)))
    assert rows[1:] == _as_csv(d.channel_table(result))
    (row,) = rows[1:]
    assert (row[0], row[1], row[4], row[5], row[6], row[7]) == ("公众号", "2", "1", "138.00", "310.00", "155.00")
    assert float(row[9]) == pytest.approx(138 / 310) and float(row[10]) == 0.5
    assert row[11] == "0"  # group joins: the fixture has no group code


def test_rfm_page_lists_segments_grid_and_customers_of_a_segment(signed_in: Browser, org: Org, march: dict[str, int]) -> None:
    result = _run(org, RfmQuery(tenant_id=org.tenant.id, as_of=date(2026, 3, 31)))
    assert len(result.customers) == 2  # one and two bought; three never did
    page = signed_in.get("/analytics/rfm?as_of=2026-03-31")
    assert page.status_code == 200
    assert f'href="/customers/{march["one"]}"' in page.text and f'href="/customers/{march["two"]}"' in page.text
    assert f'href="/customers/{march["three"]}"' not in page.text

    segment = result.of(march["one"]).segment
    only = signed_in.get(f"/analytics/rfm?as_of=2026-03-31&segment={segment.value}")
    expected = {c.customer_id for c in result.customers if c.segment is segment}
    for customer_id in (march["one"], march["two"]):
        assert (f'href="/customers/{customer_id}"' in only.text) == (customer_id in expected)

    segments = _csv_rows(signed_in.get("/analytics/rfm.csv?table=segments&as_of=2026-03-31"))
    assert segments[1:] == _as_csv(d.rfm_segments(result))
    assert sum(int(r[1]) for r in segments[1:]) == 2
    grid = _csv_rows(signed_in.get("/analytics/rfm.csv?table=grid&as_of=2026-03-31"))
    assert grid[1:] == _as_csv(d.rfm_grid(result)) and sum(int(v) for r in grid[1:] for v in r[1:]) == 2
    customers = _csv_rows(signed_in.get("/analytics/rfm.csv?table=customers&as_of=2026-03-31"))
    assert customers[1:] == _as_csv(d.rfm_customers(result.customers))
    assert {int(r[0]) for r in customers[1:]} == {march["one"], march["two"]}
    assert {r[4] for r in customers[1:] if int(r[0]) == march["one"]} == {"2"}  # two purchases


def test_cohorts_page_shows_the_rates_and_filters_by_channel(signed_in: Browser, org: Org, march: dict[str, int]) -> None:
    page = signed_in.get("/analytics/cohorts?since=2026-03&until=2026-03")
    assert page.status_code == 200 and "公众号" in page.text and "data-chart" in page.text
    query = CohortQuery(tenant_id=org.tenant.id, since=date(2026, 3, 1), until=date(2026, 3, 1))
    result = _run(org, query)
    (cohort,) = result.cohorts  # one and three added through 公众号 in March
    assert cohort.size == 2 and cohort.months[0].still_friends == 1  # three deleted in March
    assert "[0, 0, 50.0]" in page.text  # the still-friend heatmap's cell: month 0, first cohort, 1 of 2

    rows = _csv_rows(signed_in.get(f"/analytics/cohorts.csv?since=2026-03&until=2026-03&channel={march['gzh']}"))
    assert rows[1:] == _as_csv(d.cohort_table(_language(signed_in), result.cohorts))
    assert rows[1][:6] == ["2026-03-01", "公众号", "2", "0", "1", "0.5"]
    none = _csv_rows(signed_in.get("/analytics/cohorts.csv?since=2026-03&until=2026-03&channel=none"))
    assert none[1:] == []


def _language(browser: Browser) -> Any:
    return browser.client.app.state.console.languages["zh_CN"]  # type: ignore[attr-defined]


def test_private_domain_page_shows_the_share_by_month(signed_in: Browser, org: Org, march: dict[str, int]) -> None:
    page = signed_in.get("/analytics/private-domain?since=2026-03&until=2026-03")
    # 88 + 50 by a friend, 12 by nobody's friend: 138 / 150 = 92.0 %
    assert page.status_code == 200 and "¥150.00" in page.text and "¥138.00" in page.text and "92.0%" in page.text
    rows = _csv_rows(signed_in.get("/analytics/private-domain.csv?since=2026-03&until=2026-03"))
    result = _run(org, periods.private_domain_query(org.tenant.id, date(2026, 3, 1), date(2026, 3, 31)))
    assert rows[1:] == _as_csv(d.share_table(result)) == [["2026-03-01", "3", "2", "150.00", "138.00", str(138 / 150)]]


def test_overview_shows_headlines_and_the_last_sync(signed_in: Browser, org: Org, march: dict[str, int]) -> None:
    now = utcnow()
    h.order(org.context, org.tenant.id, march["two"], now, "40.00")  # this month, by nobody's friend
    before = signed_in.get("/analytics")
    assert "¥40.00" not in before.text  # not synced yet
    _sync(org)
    page = signed_in.get("/analytics")
    assert page.status_code == 200 and "¥40.00" in page.text and "0.0%" in page.text
    assert "最近同步" in page.text and 'action="/analytics/sync"' in page.text
    rows = _csv_rows(signed_in.get("/analytics/overview.csv"))
    assert rows[1] == ["购买客户数", "2"] and rows[3] == ["本月 GMV", "40.00"]
    assert '<a href="/analytics"' in page.text  # in the navigation


def test_sync_now_runs_a_sync_for_those_allowed(signed_in: Browser, org: Org) -> None:
    first = signed_in.get("/analytics")
    assert "尚未同步" in first.text
    response = signed_in.post("/analytics/sync")
    assert response.status_code == 303 and response.headers["location"] == "/analytics"
    with org.context.warehouse() as wh:
        assert warehouse_freshness.sync_status(wh, org.tenant.id).version == 1  # the test queue runs the task at once
    assert "尚未同步" not in signed_in.get("/analytics").text


@pytest.mark.parametrize("role", [Role.GUIDE, Role.STORE_MANAGER])
def test_roles_without_analytics_view_get_403(browser: Browser, org: Org, role: Role) -> None:
    member = org.member(store=org.store(), role=role)
    user = org.user(role, member=member)
    browser.sign_in(user.login)
    assert '<a href="/analytics"' not in browser.get("/").text
    for path in ("/analytics", "/analytics/rfm", "/analytics/cohorts", "/analytics/channels", "/analytics/private-domain",
                 "/analytics/channels.csv", "/analytics/rfm.csv"):
        assert browser.get(path).status_code == 403, path
    assert browser.post("/analytics/sync").status_code == 403


def test_a_busy_warehouse_gets_a_friendly_message(signed_in: Browser, org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    @contextmanager
    def busy():  # type: ignore[no-untyped-def]
        raise Unavailable("warehouse.busy", "the analytics warehouse is busy (another process is using it); try again shortly")
        yield

    monkeypatch.setattr(org.context, "warehouse", busy)
    page = signed_in.get("/analytics/channels")
    assert page.status_code == 503 and "分析数据仓库正忙" in page.text and "重试" in page.text
    export = signed_in.get("/analytics/channels.csv")
    assert export.status_code == 503 and "分析数据仓库正忙" in export.text


def test_a_bad_date_is_said_on_the_page(signed_in: Browser, org: Org) -> None:
    page = signed_in.get("/analytics/channels?start=2026-13-01")
    assert page.status_code == 400 and "2026-13-01" in page.text
    backwards = signed_in.get("/analytics/channels?start=2026-03-31&end=2026-03-01")
    assert backwards.status_code == 400 and "统计周期的结束日期早于开始日期" in backwards.text


def test_another_tenants_admin_sees_none_of_it(context: Any, browser: Browser, march: dict[str, int]) -> None:
    from siyu.services import auth, tenants
    from tests.web.conftest import unique

    other = tenants.create_tenant(context.uow(), slug=unique("b-"), name="乙品牌")
    b = Org(context=context, tenant=other, system=auth.system_actor(other.id))
    browser.sign_in(b.user(Role.ADMIN).login)
    _sync(b)
    page = browser.get("/analytics/channels?start=2026-03-01&end=2026-03-31")
    assert page.status_code == 200 and "公众号" not in page.text and "¥138.00" not in page.text
    assert _csv_rows(browser.get("/analytics/channels.csv?start=2026-03-01&end=2026-03-31"))[1:] == []
    assert f'href="/customers/{march["one"]}"' not in browser.get("/analytics/rfm?as_of=2026-03-31").text
    assert _csv_rows(browser.get("/analytics/private-domain.csv?since=2026-03&until=2026-03"))[1:] == []
