"""The analytics API refuses a store, region or channel that is not the tenant's (422, coded)."""

from __future__ import annotations

from siyu.services import warehouse_sync
from tests import factories as f
from tests.analytics import history as h
from tests.api.conftest import api_tenant, client  # noqa: F401  (the client fixture)


def test_a_scope_id_not_of_the_tenant_is_refused_with_its_code(context, client) -> None:  # noqa: F811
    a, other = api_tenant(context), api_tenant(context)
    region = f.region(context, a.actor)
    store = f.store(context, a.actor, region_id=region.id)
    theirs_store, theirs_region = f.store(context, other.actor), f.region(context, other.actor)
    channel = h.channel(context, a.actor.tenant_id, "公众号", "gzh")
    theirs_channel = h.channel(context, other.actor.tenant_id, "公众号", "gzh")
    with context.warehouse() as wh:
        warehouse_sync.sync_tenant(context.uow(), wh, a.actor.tenant_id)

    def ask(path: str, **scope: int) -> tuple[int, dict]:
        response = client.get(f"/api/v1/analytics/{path}", params={"as_of": "2026-03-31", **scope}, headers=a.headers)
        return response.status_code, response.json()

    assert ask("rfm", store_id=store.id, region_id=region.id, channel_id=channel)[0] == 200
    for path, scope, code, field in (
        ("rfm", {"store_id": theirs_store.id}, "analytics.scope_store_not_found", "store_id"),
        ("ltv", {"region_id": theirs_region.id}, "analytics.scope_region_not_found", "region_id"),
        ("funnel", {"channel_id": theirs_channel}, "analytics.scope_channel_not_found", "channel_id"),
        ("staff", {"store_id": store.id, "channel_id": theirs_channel + 1000}, "analytics.scope_channel_not_found", "channel_id"),
        ("cohorts", {"region_id": region.id + 1000}, "analytics.scope_region_not_found", "region_id"),
        ("channels", {"store_id": store.id + 1000}, "analytics.scope_store_not_found", "store_id"),
        ("private-domain", {"store_id": theirs_store.id}, "analytics.scope_store_not_found", "store_id"),
    ):
        status, body = ask(path, **scope)
        assert status == 422, (path, body)
        error = body.get("error", body)
        assert (error["code"], error["field"]) == (code, field), (path, body)
        assert error["params"] == {"id": next(iter(v for k, v in scope.items() if k == field))}
