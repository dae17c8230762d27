"""The analytics API takes store_id, region_id and channel_id; the customers API sets a member level."""

from __future__ import annotations

from siyu.services import warehouse_sync
from tests import factories as f
from tests.analytics import history as h
from tests.api.conftest import api_tenant, client  # noqa: F401  (the client fixture)

MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


def test_the_api_narrows_by_store_and_channel_and_sets_member_levels(context, client) -> None:  # noqa: F811
    a = api_tenant(context)
    t = a.actor.tenant_id
    east, west = f.store(context, a.actor), f.store(context, a.actor)
    g_east, g_west = f.member(context, a.actor, store_id=east.id), f.member(context, a.actor, store_id=west.id)
    gzh = h.channel(context, t, "公众号", "gzh")
    one, two = f.customers_of(context, a.actor, 2)
    for customer, guide, state in ((one, g_east, "gzh"), (two, g_west, None)):
        h.event(context, t, customer.id, h.sh(2026, 3, 1))
        h.follow(context, t, customer.id, guide.id, h.sh(2026, 3, 2), state)
        h.order(context, t, customer.id, h.sh(2026, 3, 3), "10.00")
    patched = client.patch(f"/api/v1/customers/{two.id}", json={"member_level": "金卡"}, headers=a.headers)
    assert patched.status_code == 200 and patched.json()["member_level"] == "金卡"
    with context.warehouse() as wh:
        warehouse_sync.sync_tenant(context.uow(), wh, t)

    def funnel(**scope: int) -> tuple[int, int, int, int]:
        total = client.get("/api/v1/analytics/funnel", params={**MARCH, **scope}, headers=a.headers).json()["total"]
        return total["awareness"], total["interest"], total["purchase"], total["loyalty"]

    # both aware, interested (the add) and buying once; no level counts as loyal yet
    assert funnel() == (2, 2, 2, 0)
    assert funnel(store_id=east.id) == (1, 1, 1, 0) and funnel(channel_id=gzh) == (1, 1, 1, 0)
    assert funnel(store_id=west.id, channel_id=gzh) == (0, 0, 0, 0)  # two's first add came through no channel
    staff = client.get("/api/v1/analytics/staff", params={**MARCH, "store_id": west.id}, headers=a.headers).json()
    assert [r["key_id"] for r in staff["rows"]] == [g_west.id]
    channels = client.get("/api/v1/analytics/channels", params={**MARCH, "store_id": east.id}, headers=a.headers).json()
    (row,) = channels["channels"]
    assert row["adds"] == 1 and row["cost"] is None and row["roi"] is None  # costs are not per store
