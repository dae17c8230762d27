"""The funnel, staff-and-stores and lifetime-value dashboards: the numbers of a small synced
history worked out by hand, CSV exports equal to the page's tables, the LTV fit that cannot be
made yet said in the person's language, and who may see them."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from siyu.analytics import periods
from siyu.analytics.funnel import Breakdown
from siyu.analytics.lifetime_value import LtvQuery
from siyu.analytics.staff import Level
from siyu.domain.access import Role
from siyu.services import warehouse_sync
from siyu.web import dashboards_ltv as dl
from tests.analytics import history as h
from tests.analytics.test_lifetime_value import AS_OF, ltv_history
from tests.web.conftest import Browser, Org

MARCH = "start=2026-03-01&end=2026-03-31"


def _sync(org: Org) -> None:
    with org.context.warehouse() as wh:
        warehouse_sync.sync_tenant(org.context.uow(), wh, org.tenant.id)


def _run(org: Org, query: Any) -> Any:
    with org.context.warehouse() as wh:
        return query.run(wh)


def _csv_rows(response: Any) -> list[list[str]]:
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.fixture
def shops(org: Org) -> dict[str, Any]:
    """March 2026, two stores: 静安店 (region 华东) with guide 王, 天河店 (no region) with guide 李.

    - one: views a page 03-02, adds 王 03-03 through 公众号, buys 88 on 03-04 and 50 on 03-10,
      both credited to 王 -> A, I, P, L
    - two: views 03-05, adds 李 03-06, buys 12 on 03-07 credited to 李 -> A, I, P
    - three: views 03-04, adds 王 03-05 through 公众号, deletes him 03-08 -> A, I
    - four: views 03-09, nothing more -> A
    """
    ctx, t = org.context, org.tenant.id
    east = org.region("华东")
    jingan, tianhe = org.store("静安店", region=east), org.store("天河店")
    wang, li = org.member("王导购", store=jingan), org.member("李导购", store=tianhe)
    gzh = h.channel(ctx, t, "公众号", "gzh")
    one, two, three, four = (org.customer(n) for n in ("一号", "二号", "三号", "四号"))
    h.event(ctx, t, one, h.sh(2026, 3, 2))
    h.follow(ctx, t, one, wang.id, h.sh(2026, 3, 3), "gzh")
    h.order(ctx, t, one, h.sh(2026, 3, 4), "88.00", staff_id=wang.id, channel_id=gzh)
    h.order(ctx, t, one, h.sh(2026, 3, 10), "50.00", staff_id=wang.id, channel_id=gzh)
    h.event(ctx, t, two, h.sh(2026, 3, 5))
    h.follow(ctx, t, two, li.id, h.sh(2026, 3, 6))
    h.order(ctx, t, two, h.sh(2026, 3, 7), "12.00", staff_id=li.id)
    h.event(ctx, t, three, h.sh(2026, 3, 4))
    h.follow(ctx, t, three, wang.id, h.sh(2026, 3, 5), "gzh")
    h.delete(ctx, t, three, wang.id, h.sh(2026, 3, 8))
    h.event(ctx, t, four, h.sh(2026, 3, 9))
    _sync(org)
    return {"east": east, "jingan": jingan, "tianhe": tianhe, "wang": wang, "li": li, "gzh": gzh}


# -- funnel ------------------------------------------------------------------------------------

def test_funnel_page_shows_the_stages_and_their_conversion(signed_in: Browser, org: Org, shops: dict[str, Any]) -> None:
    page = signed_in.get(f"/analytics/funnel?{MARCH}&window_days=30")
    assert page.status_code == 200
    text = page.text
    # by hand: A 4, I 3 (one, two, three), P 2 (one, two), L 1 (one): 75.0 %, 66.7 %, 50.0 % and 25.0 % overall
    for shown in ("AIPL 漏斗", "认知", "兴趣", "购买", "忠诚", "75.0%", "66.7%", "50.0%", "25.0%", "data-chart", '"type": "funnel"'):
        assert shown in text, shown
    assert 'title="该阶段客户数 / 认知阶段客户数。"' in text  # every number says how it is computed
    assert 'id="funnel-groups"' not in text  # no breakdown asked for

    rows = _csv_rows(signed_in.get(f"/analytics/funnel.csv?table=stages&{MARCH}&window_days=30"))
    assert rows[0] == ["阶段", "客户", "相对上一阶段", "相对认知"]
    assert [r[:2] for r in rows[1:]] == [["认知", "4"], ["兴趣", "3"], ["购买", "2"], ["忠诚", "1"]]
    assert rows[1][2] == "" and float(rows[2][2]) == 0.75 and float(rows[4][3]) == 0.25


def test_funnel_breaks_down_by_store_and_region(signed_in: Browser, org: Org, shops: dict[str, Any]) -> None:
    page = signed_in.get(f"/analytics/funnel?{MARCH}&by=store")
    assert page.status_code == 200 and 'id="funnel-groups"' in page.text and "静安店" in page.text and "无门店" in page.text
    rows = _csv_rows(signed_in.get(f"/analytics/funnel.csv?table=groups&{MARCH}&by=store"))
    # 静安店: one and three (王's customers); 天河店: two; four has no relation at all
    assert {r[0]: r[1:5] for r in rows[1:]} == {"静安店": ["2", "2", "1", "1"], "天河店": ["1", "1", "1", "0"], "无门店": ["1", "0", "0", "0"]}
    result = _run(org, periods.funnel_query(org.tenant.id, date(2026, 3, 1), date(2026, 3, 31), 30, Breakdown.STORE))
    assert len(rows) - 1 == len(result.groups)
    region = _csv_rows(signed_in.get(f"/analytics/funnel.csv?table=groups&{MARCH}&by=region"))
    assert {r[0]: r[1] for r in region[1:]} == {"华东": "2", "不属于任何区域": "2"}


def test_funnel_window_is_checked_on_the_page(signed_in: Browser, org: Org) -> None:
    page = signed_in.get(f"/analytics/funnel?{MARCH}&window_days=0")
    assert page.status_code == 400 and "转化窗口" in page.text


def test_a_bad_day_on_the_ltv_page_is_not_taken_for_too_little_history(signed_in: Browser, org: Org) -> None:
    page = signed_in.get("/analytics/ltv?as_of=2026-02-30")
    assert page.status_code == 400 and "2026-02-30" in page.text and "模型暂时无法拟合" not in page.text


# -- staff and stores --------------------------------------------------------------------------

def test_staff_page_ranks_staff_members(signed_in: Browser, org: Org, shops: dict[str, Any]) -> None:
    page = signed_in.get(f"/analytics/staff?{MARCH}")
    assert page.status_code == 200
    text = page.text
    for shown in ("王导购", "李导购", "静安店", "华东", "¥138.00", "¥12.00", "100.0%", "data-chart"):
        assert shown in text, shown
    assert 'title="复购客户数 / 购买客户数（没有购买客户时为空）。"' in text
    rows = _csv_rows(signed_in.get(f"/analytics/staff.csv?{MARCH}"))
    assert rows[0][:5] == ["排名", "区域排名", "门店排名", "员工", "门店"]
    # rank, rank in region, rank in store, name, store, region, GMV, adds, deletions, served, buyers, repurchasers, rate
    assert rows[1:] == [["1", "1", "1", "王导购", "静安店", "华东", "138.00", "2", "1", "2", "1", "1", "1.0"],
                        ["2", "1", "1", "李导购", "天河店", "", "12.00", "1", "0", "1", "1", "0", "0.0"]]


def test_staff_page_filters_by_region_and_store_and_sums_levels(signed_in: Browser, org: Org, shops: dict[str, Any]) -> None:
    east, tianhe = shops["east"].id, shops["tianhe"].id
    only_east = _csv_rows(signed_in.get(f"/analytics/staff.csv?{MARCH}&region={east}"))
    assert [r[3] for r in only_east[1:]] == ["王导购"]
    only_tianhe = signed_in.get(f"/analytics/staff?{MARCH}&store={tianhe}")
    assert "李导购" in only_tianhe.text and "王导购" not in only_tianhe.text
    assert f'<option value="{tianhe}" selected>天河店</option>' in only_tianhe.text

    stores = _csv_rows(signed_in.get(f"/analytics/staff.csv?{MARCH}&level=store"))
    assert [(r[0], r[2], r[4]) for r in stores[1:]] == [("1", "静安店", "138.00"), ("2", "天河店", "12.00")]
    regions = _csv_rows(signed_in.get(f"/analytics/staff.csv?{MARCH}&level=region"))
    assert [(r[1], r[2]) for r in regions[1:]] == [("华东", "138.00"), ("不属于任何区域", "12.00")]
    # the nation: 3 adds, 1 deletion, 3 served, 2 buyers, 1 repurchaser, 150 GMV; filters do not narrow it
    nation = _csv_rows(signed_in.get(f"/analytics/staff.csv?{MARCH}&level=nation&region={east}"))
    assert nation[1:] == [["1", "全品牌", "150.00", "3", "1", "3", "2", "1", "0.5"]]
    result = _run(org, periods.staff_query(org.tenant.id, date(2026, 3, 1), date(2026, 3, 31), Level.NATION))
    assert result.rows[0].gmv == Decimal("150.00")


# -- lifetime value ----------------------------------------------------------------------------

def test_ltv_page_shows_the_fit_and_every_customer(signed_in: Browser, org: Org) -> None:
    _, ids = ltv_history(org.context, org.system)
    _sync(org)
    result = _run(org, LtvQuery(tenant_id=org.tenant.id, as_of=AS_OF))
    page = signed_in.get("/analytics/ltv?as_of=2026-06-30")
    assert page.status_code == 200
    text = page.text
    assert "截至 2026-06-30：6 位购买客户，其中 5 位复购过。" in text and "data-chart" in text
    for customer in ("a", "b", "c", "de", "f", "k"):
        assert f'href="/customers/{ids[customer]}"' in text
    assert f'href="/customers/{ids["g"]}"' not in text  # bought after the day asked about
    total = sum((c.value_365d for c in result.customers), Decimal("0.00"))
    assert f"¥{total:,.2f}" in text and 'title="365 天内的预期购买次数 × Gamma-Gamma 估计的每次购买金额。"' in text
    assert f"{result.fit.bgnbd['r']:.4g}" in text

    summary = _csv_rows(signed_in.get("/analytics/ltv.csv?table=summary&as_of=2026-06-30"))
    assert summary[1] == ["参与拟合的客户", "6"] and summary[2] == ["复购客户", "5"]
    assert summary[6] == ["365 天预测价值", str(total)]
    fit = _csv_rows(signed_in.get("/analytics/ltv.csv?table=fit&as_of=2026-06-30"))
    assert [r[:2] for r in fit[1:]] == [["BG/NBD", "r"], ["BG/NBD", "alpha"], ["BG/NBD", "a"], ["BG/NBD", "b"],
                                        ["BG/NBD", "log-likelihood"], ["Gamma-Gamma", "p"], ["Gamma-Gamma", "q"],
                                        ["Gamma-Gamma", "gamma"], ["Gamma-Gamma", "log-likelihood"]]
    assert float(fit[1][2]) == pytest.approx(result.fit.bgnbd["r"])
    alive = _csv_rows(signed_in.get("/analytics/ltv.csv?table=alive&as_of=2026-06-30"))
    assert sum(int(r[1]) for r in alive[1:]) == 6 and int(alive[10][1]) >= 1  # B, a one-time buyer, has P(alive) 1
    customers = _csv_rows(signed_in.get("/analytics/ltv.csv?table=customers&as_of=2026-06-30"))
    assert [int(r[0]) for r in customers[1:]] == sorted(c.customer_id for c in result.customers)
    by_id = {int(r[0]): r for r in customers[1:]}
    assert by_id[ids["a"]][1:5] == ["2", "59", "176", "60.00"]  # frequency, recency, T, monetary (test_lifetime_value)
    by_value = _csv_rows(signed_in.get("/analytics/ltv.csv?table=customers&as_of=2026-06-30&sort=value"))
    assert [int(r[0]) for r in by_value[1:]] == [c.customer_id for c in sorted(result.customers, key=lambda c: (-c.value_365d, c.customer_id))]
    by_alive = signed_in.get("/analytics/ltv?as_of=2026-06-30&sort=alive")
    listed = [int(i) for i in re.findall(r'<a href="/customers/(\d+)">', by_alive.text)]
    assert listed == [c.customer_id for c in sorted(result.customers, key=lambda c: (c.probability_alive, c.customer_id))]
    assert listed != sorted(listed) and '<option value="alive" selected>' in by_alive.text


def test_ltv_page_lists_the_customers_at_churn_risk(signed_in: Browser, org: Org) -> None:
    _, ids = ltv_history(org.context, org.system)
    _sync(org)
    result = _run(org, LtvQuery(tenant_id=org.tenant.id, as_of=AS_OF))
    risky = {c.customer_id for c in result.customers if c.probability_alive < 0.3}
    rows = _csv_rows(signed_in.get("/analytics/ltv.csv?table=customers&as_of=2026-06-30&risk=1"))
    assert {int(r[0]) for r in rows[1:]} == risky
    page = signed_in.get("/analytics/ltv?as_of=2026-06-30&risk=1")
    assert page.status_code == 200 and "有流失风险的客户" in page.text
    for customer_id in ids.values():
        assert (f'href="/customers/{customer_id}"' in page.text) == (customer_id in risky)
    assert dl.headline_values(result)[-1] == len(risky)
    churn = re.search(r'data-measure="churn_risk">.*?<strong class="stat-value">([^<]*)</strong>', page.text, re.S)
    assert churn is not None and churn.group(1) == str(len(risky))


@pytest.mark.parametrize("locale, said", [
    ("zh_CN", "现有购买数据还无法拟合生命周期价值模型：没有客户复购过，无法区分购买频率与流失"),
    ("en", "the purchases so far cannot fit the lifetime-value models: no customer bought more than once"),
])
def test_ltv_that_cannot_be_fitted_yet_is_said_in_the_persons_language(browser: Browser, org: Org, locale: str, said: str) -> None:
    one = org.customer("一号")
    h.order(org.context, org.tenant.id, one, h.sh(2026, 3, 1), "10.00")  # one purchase: no repeat buyer
    _sync(org)
    browser.sign_in(org.user(Role.ADMIN, locale=locale).login)
    page = browser.get("/analytics/ltv?as_of=2026-06-30")
    assert page.status_code == 400 and said in page.text
    assert 'role="alert"' in page.text and "Traceback" not in page.text
    assert ("模型暂时无法拟合" if locale == "zh_CN" else "The models cannot be fitted yet") in page.text
    export = browser.get("/analytics/ltv.csv?as_of=2026-06-30")
    assert export.status_code == 400 and said in export.text


# -- who may see them --------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.GUIDE, Role.STORE_MANAGER])
def test_roles_without_analytics_view_get_403(browser: Browser, org: Org, role: Role) -> None:
    member = org.member(store=org.store(), role=role)
    browser.sign_in(org.user(role, member=member).login)
    for path in ("/analytics/funnel", "/analytics/funnel.csv", "/analytics/staff", "/analytics/staff.csv",
                 "/analytics/ltv", "/analytics/ltv.csv"):
        assert browser.get(path).status_code == 403, path


def test_an_operator_sees_them(browser: Browser, org: Org, shops: dict[str, Any]) -> None:
    browser.sign_in(org.user(Role.OPERATOR).login)
    assert "王导购" in browser.get(f"/analytics/staff?{MARCH}").text
    assert browser.get(f"/analytics/funnel?{MARCH}").status_code == 200
    ltv = browser.get("/analytics/ltv")  # two buyers, one of them repeat: whether it fits or not, the page answers
    assert ltv.status_code in (200, 400) and "生命周期价值" in ltv.text and "Traceback" not in ltv.text


def test_the_new_pages_are_in_the_analytics_navigation(signed_in: Browser, org: Org) -> None:
    page = signed_in.get("/analytics")
    for href, label in (("/analytics/funnel", "漏斗"), ("/analytics/ltv", "生命周期价值"), ("/analytics/staff", "员工与门店")):
        assert f'href="{href}"' in page.text and label in page.text
    assert 'aria-current="page">漏斗<' in signed_in.get("/analytics/funnel").text


def test_another_tenants_admin_sees_none_of_it(context: Any, browser: Browser, shops: dict[str, Any]) -> None:
    from siyu.services import auth, tenants
    from tests.web.conftest import unique

    other = tenants.create_tenant(context.uow(), slug=unique("b-"), name="乙品牌")
    b = Org(context=context, tenant=other, system=auth.system_actor(other.id))
    browser.sign_in(b.user(Role.ADMIN).login)
    _sync(b)
    assert "王导购" not in browser.get(f"/analytics/staff?{MARCH}").text
    assert _csv_rows(browser.get(f"/analytics/staff.csv?{MARCH}"))[1:] == []
    assert [r[1] for r in _csv_rows(browser.get(f"/analytics/funnel.csv?{MARCH}"))[1:]] == ["0", "0", "0", "0"]
    assert "静安店" not in browser.get(f"/analytics/staff?{MARCH}").text  # nor its store names in the filter
