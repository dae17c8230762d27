"""The store, region and channel pickers on the dashboards: a chosen store narrows the numbers on
the page and in its CSV (links keep it); the member-level settings page saves the list."""

from __future__ import annotations

import csv
import io
from typing import Any

from siyu.domain.access import Role
from siyu.services import member_levels, warehouse_sync
from tests.analytics import history as h
from tests.web.conftest import Browser, Org


def _csv_rows(response: Any) -> list[list[str]]:
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_a_chosen_store_narrows_the_page_and_its_csv(signed_in: Browser, org: Org) -> None:
    ctx, t = org.context, org.tenant.id
    east, west = org.store("东店"), org.store("西店")
    g_east, g_west = org.member(store=east), org.member(store=west)
    one, two = org.customer("一号"), org.customer("二号")
    h.follow(ctx, t, one, g_east.id, h.sh(2026, 3, 2))
    h.follow(ctx, t, two, g_west.id, h.sh(2026, 3, 2))
    h.order(ctx, t, one, h.sh(2026, 3, 3), "88.00", staff_id=g_east.id)  # credited to 东店 through its guide
    h.order(ctx, t, two, h.sh(2026, 3, 4), "12.00", store_id=west.id)
    with ctx.warehouse() as wh:
        warehouse_sync.sync_tenant(ctx.uow(), wh, t)

    page = signed_in.get(f"/analytics/private-domain?since=2026-03&until=2026-03&store={east.id}")
    assert page.status_code == 200
    # the picker shows every store, the chosen one selected; exports keep the store
    assert f'<option value="{east.id}" selected>东店</option>' in page.text and "西店" in page.text
    assert f"/analytics/private-domain.csv?since=2026-03&amp;until=2026-03&amp;store={east.id}" in page.text
    # by hand: 东店's orders are one's 88 (its guide's); all March: 88 + 12
    (row,) = _csv_rows(signed_in.get(f"/analytics/private-domain.csv?since=2026-03&until=2026-03&store={east.id}"))[1:]
    assert row[1:] == ["1", "1", "88.00", "88.00", "1.0"]
    (whole,) = _csv_rows(signed_in.get("/analytics/private-domain.csv?since=2026-03&until=2026-03"))[1:]
    assert whole[1:4] == ["2", "2", "100.00"]
    # RFM of 西店's customers (by first relation): two alone
    customers = _csv_rows(signed_in.get(f"/analytics/rfm.csv?table=customers&as_of=2026-03-31&store={west.id}"))[1:]
    assert [r[0] for r in customers] == [str(two)]


def test_member_levels_are_saved_in_settings(signed_in: Browser, org: Org) -> None:
    form = signed_in.get("/settings/member-levels")
    assert form.status_code == 200 and "从此等级起算忠诚" in form.text
    refused = signed_in.post("/settings/member-levels", {"names": "银卡\n金卡", "loyal_from": "黑金"})
    assert refused.status_code == 422 and "“黑金”不在等级列表中" in refused.text
    saved = signed_in.post("/settings/member-levels", {"names": "普通\n银卡\n金卡\n", "loyal_from": "银卡"})
    assert saved.status_code == 303
    levels = member_levels.get_member_levels(org.context.uow(), org.system)
    assert levels.names == ("普通", "银卡", "金卡") and levels.loyal == ("银卡", "金卡")
    again = signed_in.get("/settings/member-levels")
    assert '<option value="银卡" selected>银卡</option>' in again.text


def test_a_guide_may_not_edit_member_levels(browser: Browser, org: Org) -> None:
    browser.sign_in(org.user(Role.GUIDE, member=org.member(store=org.store())).login)
    assert browser.get("/settings/member-levels").status_code == 403
