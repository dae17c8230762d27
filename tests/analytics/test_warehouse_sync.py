"""The sync keeps the warehouse exactly equal to the operational store, incrementally: after
every kind of change — including those no watermark column sees (a tag removed, a relation
ending, a merge and its undo, a tag definition deleted) — the warehouse holds exactly the rows
a from-scratch read of the operational store gives."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import update

from siyu.adapters.db.repositories.warehouse_feed import SOURCES, WarehouseFeed
from siyu.adapters.db.tables.commerce import events, orders
from siyu.adapters.warehouse import Warehouse
from siyu.adapters.warehouse.schema import TABLES
from siyu.bootstrap import Context
from siyu.services import merging, tags, warehouse_freshness, warehouse_sync
from tests import factories
from tests.analytics import history as h


def _warehouse_rows(wh: Warehouse, tenant_id: int, name: str) -> list[tuple[object, ...]]:
    t = wh.table(SOURCES[name].table)
    cols = TABLES[SOURCES[name].table].names
    return sorted(tuple(r[c] for c in cols) for r in wh.rows(t.filter(t.tenant_id == tenant_id)))


def _operational_rows(ctx: Context, tenant_id: int, name: str) -> list[tuple[object, ...]]:
    with ctx.uow() as uow:
        return sorted(WarehouseFeed(uow.session).all_rows(tenant_id, name))


def assert_mirrors(ctx: Context, wh: Warehouse, tenant_id: int) -> None:
    for name in SOURCES:
        assert _warehouse_rows(wh, tenant_id, name) == _operational_rows(ctx, tenant_id, name), name


def _links(wh: Warehouse, tenant_id: int) -> dict[int, int]:
    t = wh.table("customer_links")
    return {r["customer_id"]: r["live_customer_id"] for r in wh.rows(t.filter(t.tenant_id == tenant_id))}


def _move_commerce(ctx: Context, tenant_id: int, from_id: int, to_id: int) -> None:
    """What the orders side of a merge does (if the merge service has not already): orders and
    events move, their updated_at bumped."""
    with ctx.uow() as uow:
        uow.session.execute(update(orders).where(orders.c.tenant_id == tenant_id, orders.c.customer_id == from_id)
                            .values(customer_id=to_id, updated_at=datetime.now(UTC)))
        uow.session.execute(update(events).where(events.c.tenant_id == tenant_id, events.c.customer_id == from_id)
                            .values(customer_id=to_id, updated_at=datetime.now(UTC)))
        uow.commit()


def test_sync_mirrors_every_kind_of_change(context: Context, warehouse: Warehouse) -> None:
    tenant, admin = factories.tenant(context)
    other, other_admin = factories.tenant(context)
    shop = factories.store(context, admin)
    guide = factories.member(context, admin, store_id=shop.id)
    guide2 = factories.member(context, admin, store_id=shop.id)
    a, b, c, d = factories.customers_of(context, admin, 4)
    factories.customers_of(context, other_admin, 2)  # another tenant's rows never reach this tenant's copy
    wechat = h.channel(context, tenant.id, "公众号", "gzh")
    h.cost(context, tenant.id, wechat, date(2026, 3, 1), date(2026, 3, 31), "300.00")
    h.follow(context, tenant.id, a.id, guide.id, h.sh(2026, 3, 1), "gzh")
    h.follow(context, tenant.id, b.id, guide.id, h.sh(2026, 3, 2), "gzh")
    h.follow(context, tenant.id, b.id, guide2.id, h.sh(2026, 3, 2))
    h.follow(context, tenant.id, c.id, guide.id, h.sh(2026, 3, 3))
    vip = tags.create_tag(context.uow(), admin, group="等级", name="VIP")
    old = tags.create_tag(context.uow(), admin, group="等级", name="旧")
    tags.apply_tags(context.uow(), admin, [a.id, b.id, c.id], [vip.id, old.id])
    order_b = h.order(context, tenant.id, b.id, h.sh(2026, 3, 5), "100.00")
    stray = h.order(context, tenant.id, None, h.sh(2026, 3, 6), "50.00")
    h.event(context, tenant.id, b.id, h.sh(2026, 3, 5))

    first = warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)
    assert first.version == 1 and first.rows_written > 0
    assert_mirrors(context, warehouse, tenant.id)
    assert _warehouse_rows(warehouse, other.id, "customers") == []

    # nothing changed: nothing is written, the version stays (caches stay valid)
    again = warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)
    assert (again.rows_written, again.version, again.blocks_changed) == (0, 1, 0)

    # a tag removed from one customer, a tag definition deleted (rows cascade away)
    tags.remove_tags(context.uow(), admin, [a.id], [vip.id])
    tags.delete_tag(context.uow(), admin, old.id)
    # a relation ends, another is re-added through a channel
    h.delete(context, tenant.id, c.id, guide.id, h.sh(2026, 3, 10))
    h.delete(context, tenant.id, a.id, guide.id, h.sh(2026, 3, 11))
    h.follow(context, tenant.id, a.id, guide.id, h.sh(2026, 3, 12), "gzh")
    # a refund, and an unmatched order resolved to a customer
    h.refund(context, tenant.id, order_b, "40.00", "partially_refunded")
    with context.uow() as uow:
        uow.session.execute(update(orders).where(orders.c.id == stray).values(customer_id=d.id, updated_at=datetime.now(UTC)))
        uow.commit()
    second = warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)
    assert second.version == 2
    assert_mirrors(context, warehouse, tenant.id)

    # b merged into a: relations, tags, orders and events move; then a chain onto the survivor
    record = merging.merge_customers(context.uow(), admin, a.id, b.id)
    survivor, merged = record.survivor_id, record.merged_id
    _move_commerce(context, tenant.id, merged, survivor)
    warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)
    assert_mirrors(context, warehouse, tenant.id)
    assert _links(warehouse, tenant.id) == {merged: survivor}

    chain = merging.merge_customers(context.uow(), admin, survivor, d.id)
    _move_commerce(context, tenant.id, chain.merged_id, chain.survivor_id)
    warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)
    assert_mirrors(context, warehouse, tenant.id)
    live = chain.survivor_id
    assert _links(warehouse, tenant.id) == {merged: live if survivor == chain.merged_id else survivor, chain.merged_id: live}

    # undo the second merge: d's order moves back, its link disappears
    merging.undo_merge(context.uow(), admin, chain.id)
    with context.uow() as uow:
        uow.session.execute(update(orders).where(orders.c.id == stray).values(customer_id=chain.merged_id, updated_at=datetime.now(UTC)))
        uow.commit()
    warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)
    assert_mirrors(context, warehouse, tenant.id)
    assert _links(warehouse, tenant.id) == {merged: survivor}

    status = warehouse_freshness.sync_status(warehouse, tenant.id)
    assert status.version >= 4 and status.last_synced_at is not None
    assert warehouse_freshness.sync_status(warehouse, other.id).version == 0


def test_group_joins_follow_their_code_channel_and_group_owner(context: Context, warehouse: Warehouse) -> None:
    _, admin = factories.tenant(context)
    t = admin.tenant_id
    shop = factories.store(context, admin)
    g1, g2 = factories.member(context, admin, store_id=shop.id), factories.member(context, admin, store_id=shop.id)
    first, second = h.channel(context, t, "海报", "poster"), h.channel(context, t, "展台", "booth")
    code = h.group_code(context, t, first, {"wrA": g1.id, "wrGone": None})
    h.group_join(context, t, code, "wrA", 2, h.sh(2026, 3, 1))
    h.group_join(context, t, code, "wrGone", 1, h.sh(2026, 3, 2))
    warehouse_sync.sync_tenant(context.uow(), warehouse, t)
    assert_mirrors(context, warehouse, t)
    shape = [(r[2], r[3], r[4], r[5]) for r in _warehouse_rows(warehouse, t, "group_joins")]
    assert shape == [(code, first, g1.id, 2), (code, first, None, 1)]

    # the code moves to another channel and the group to another owner: the block is copied again
    with context.uow() as uow:
        uow.group_codes.update(t, code, now=datetime.now(UTC), channel_id=second)
        row = uow.wecom_sync.group_chat(t, "wrA")
        assert row is not None
        uow.wecom_sync.update_group_chat(t, row["id"], owner_staff_id=g2.id)
        uow.commit()
    report = warehouse_sync.sync_tenant(context.uow(), warehouse, t)
    assert report.by_source.get("group_joins") == 2
    assert_mirrors(context, warehouse, t)
    assert [(r[3], r[4]) for r in _warehouse_rows(warehouse, t, "group_joins")] == [(second, g2.id), (second, None)]
