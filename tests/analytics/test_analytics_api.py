"""The analytics API: numbers through HTTP, a tenant sees only its own, the sync status."""

from __future__ import annotations

from datetime import date

import pytest

from siyu.analytics.rfm import RfmQuery
from siyu.domain.access import Role
from siyu.domain.errors import PermissionDenied
from siyu.services import warehouse_freshness, warehouse_sync
from tests import factories as f
from tests.analytics import history as h
from tests.api.conftest import api_tenant, client  # noqa: F401  (the client fixture)


def test_rfm_cohorts_channels_and_status_through_the_api(context, client) -> None:  # noqa: F811
    a = api_tenant(context)
    b = api_tenant(context)
    t = a.actor.tenant_id
    shop = f.store(context, a.actor)
    guide = f.member(context, a.actor, store_id=shop.id)
    gzh = h.channel(context, t, "公众号", "gzh")
    one, two = f.customers_of(context, a.actor, 2)
    h.follow(context, t, one.id, guide.id, h.sh(2026, 3, 2), "gzh")
    h.order(context, t, one.id, h.sh(2026, 3, 3), "88.00", channel_id=gzh)
    h.order(context, t, two.id, h.sh(2026, 3, 4), "12.00")

    before = client.get("/api/v1/warehouse/status", headers=a.headers).json()
    assert before == {"version": 0, "last_synced_at": None, "rows_changed": 0}
    with context.warehouse() as wh:
        warehouse_sync.sync_tenant(context.uow(), wh, t)
        warehouse_sync.sync_tenant(context.uow(), wh, b.actor.tenant_id)
    status = client.get("/api/v1/warehouse/status", headers=a.headers).json()
    assert status["version"] == 1 and status["last_synced_at"] is not None

    rfm = client.get("/api/v1/analytics/rfm", params={"as_of": "2026-03-31", "page_size": 1}, headers=a.headers).json()
    # two buyers; page size 1 -> two pages, the first customer by id
    assert rfm["customers"]["total"] == 2 and rfm["customers"]["pages"] == 2
    assert rfm["customers"]["items"][0]["customer_id"] == min(one.id, two.id)
    assert sum(s["customers"] for s in rfm["segments"]) == 2 and rfm["answered"]["cached"] is False
    again = client.get("/api/v1/analytics/rfm", params={"as_of": "2026-03-31", "page": 2, "page_size": 1}, headers=a.headers).json()
    assert again["answered"]["cached"] is True and again["customers"]["items"][0]["customer_id"] == max(one.id, two.id)

    channels = client.get("/api/v1/analytics/channels", params={"start": "2026-03-01", "end": "2026-03-31", "as_of": "2026-04-30"},
                          headers=a.headers).json()
    (row,) = channels["channels"]
    assert (row["name"], row["adds"], row["buyers"], row["gmv"], row["group_joins"]) == ("公众号", 1, 1, "88.00", 0)
    cohorts = client.get("/api/v1/analytics/cohorts", params={"since": "2026-03-01", "until": "2026-03-31", "months": 1,
                                                              "as_of": "2026-04-30"}, headers=a.headers).json()
    (cohort,) = cohorts["cohorts"]
    assert (cohort["month"], cohort["size"], [m["still_friends"] for m in cohort["months"]]) == ("2026-03-01", 1, [1, 1])

    share = client.get("/api/v1/analytics/private-domain", params={"since": "2026-03-01", "until": "2026-03-31"},
                       headers=a.headers).json()
    # 88.00 by a friend (added 03-02, bought 03-03) + 12.00 by a customer nobody follows -> 88 / 100
    assert [(m["month"], m["gmv"], m["private_gmv"], m["share"]) for m in share["months"]] == [("2026-03-01", "100.00", "88.00", 0.88)]

    # tenant B sees none of it
    other = [client.get(path, headers=b.headers).json() for path in
             ("/api/v1/analytics/rfm?as_of=2026-03-31", "/api/v1/analytics/channels?start=2026-03-01&end=2026-03-31")]
    assert other[0]["customers"]["total"] == 0 and other[1]["channels"] == []

    bad = client.get("/api/v1/analytics/channels", params={"start": "2026-03-31", "end": "2026-03-01"}, headers=a.headers)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "end"


def test_analytics_need_the_analytics_permission(context) -> None:
    _, admin = f.tenant(context)
    shop = f.store(context, admin)
    member = f.member(context, admin, store_id=shop.id)
    guide = f.user_actor(context, admin, role=Role.GUIDE, staff_id=member.id, store_id=shop.id)
    with context.warehouse() as wh:
        with pytest.raises(PermissionDenied):
            RfmQuery(tenant_id=admin.tenant_id, as_of=date(2026, 3, 31)).answer(guide, wh)
        with pytest.raises(PermissionDenied):
            warehouse_freshness.warehouse_status(guide, wh)
        operator = f.user_actor(context, admin, role=Role.OPERATOR)
        assert RfmQuery(tenant_id=admin.tenant_id, as_of=date(2026, 3, 31)).answer(operator, wh).result.customers == ()
