"""The order summary the sync keeps for the segment rules (``customer_orders``, per live buyer;
``customer_order_days``, per buyer and Shanghai business day) is right after every kind of
change, through incremental syncs: new orders, refunds (partial and full), an unmatched order
matched later, a merge (with and without the orders moved), a chain and its undo. After each
sync it equals the hand-worked figures and a rebuild from scratch, and only the customers whose
orders or live customer changed were recomputed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import update

from siyu.adapters.db.tables.commerce import orders
from siyu.adapters.warehouse import Warehouse
from siyu.bootstrap import Context
from siyu.services import merging, order_summary, warehouse_sync
from tests import factories
from tests.analytics import history as h
from tests.analytics.test_warehouse_sync import _move_commerce


def _rows(wh: Warehouse, tenant_id: int, name: str) -> list[tuple[Any, ...]]:
    t = wh.table(name)
    rows = wh.rows(t.filter(t.tenant_id == tenant_id))
    return sorted(tuple(v for k, v in r.items() if k != "tenant_id") for r in rows)


def _summary(wh: Warehouse, tenant_id: int) -> dict[int, tuple[int, Decimal, datetime, datetime]]:
    return {r[0]: r[1:] for r in _rows(wh, tenant_id, "customer_orders")}


def _days(wh: Warehouse, tenant_id: int) -> dict[tuple[int, date], tuple[int, Decimal]]:
    return {(r[0], r[1]): (r[2], r[3]) for r in _rows(wh, tenant_id, "customer_order_days")}


def _naive(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None)


def _sync_and_check(ctx: Context, wh: Warehouse, tenant_id: int) -> warehouse_sync.SyncReport:
    """Sync, then hold the incremental summary to one rebuilt from scratch."""
    report = warehouse_sync.sync_tenant(ctx.uow(), wh, tenant_id)
    incremental = (_rows(wh, tenant_id, "customer_orders"), _rows(wh, tenant_id, "customer_order_days"))
    order_summary.refresh(wh, tenant_id, None)
    assert (_rows(wh, tenant_id, "customer_orders"), _rows(wh, tenant_id, "customer_order_days")) == incremental
    return report


def _set_customer(ctx: Context, order_id: int, customer_id: int | None) -> None:
    with ctx.uow() as uow:
        uow.session.execute(update(orders).where(orders.c.id == order_id)
                            .values(customer_id=customer_id, updated_at=datetime.now(UTC)))
        uow.commit()


def test_summary_follows_orders_refunds_and_merges_through_incremental_syncs(context: Context, warehouse: Warehouse) -> None:
    tenant, admin = factories.tenant(context)
    other, other_admin = factories.tenant(context)
    a, b, c, d, e = factories.customers_of(context, admin, 5)
    (x,) = factories.customers_of(context, other_admin, 1)
    late = h.sh(2026, 4, 1, 7, 30)  # 2026-03-31 23:30 UTC: a purchase of Shanghai's 1 April
    h.order(context, tenant.id, a.id, h.sh(2026, 3, 5, 9), "100.00")
    h.order(context, tenant.id, a.id, h.sh(2026, 3, 5, 20), "50.00")  # the same business day
    h.order(context, tenant.id, a.id, late, "30.00", refunded="10.00")  # net 20
    order_b = h.order(context, tenant.id, b.id, h.sh(2026, 3, 6), "80.00")
    h.order(context, tenant.id, c.id, h.sh(2026, 3, 7), "60.00", refunded="60.00")  # fully refunded: no purchase
    stray = h.order(context, tenant.id, None, h.sh(2026, 3, 8), "40.00")  # matched nobody: no buyer
    h.order(context, tenant.id, e.id, h.sh(2026, 2, 1), "10.00")  # never changes: never recomputed
    h.order(context, other.id, x.id, h.sh(2026, 3, 8), "999.00")

    first = _sync_and_check(context, warehouse, tenant.id)
    assert first.by_source["customer_orders"] == 3  # a whole rebuild: every buyer
    assert _summary(warehouse, tenant.id) == {
        a.id: (3, Decimal("170.00"), _naive(h.sh(2026, 3, 5, 9)), _naive(late)),
        b.id: (1, Decimal("80.00"), _naive(h.sh(2026, 3, 6)), _naive(h.sh(2026, 3, 6))),
        e.id: (1, Decimal("10.00"), _naive(h.sh(2026, 2, 1)), _naive(h.sh(2026, 2, 1))),
    }
    assert _days(warehouse, tenant.id) == {
        (a.id, date(2026, 3, 5)): (2, Decimal("150.00")), (a.id, date(2026, 4, 1)): (1, Decimal("20.00")),
        (b.id, date(2026, 3, 6)): (1, Decimal("80.00")), (e.id, date(2026, 2, 1)): (1, Decimal("10.00")),
    }
    assert list(_summary(warehouse, other.id)) == []  # another tenant is synced on its own

    again = _sync_and_check(context, warehouse, tenant.id)
    assert (again.rows_written, again.version) == (0, first.version)  # nothing changed, nothing recomputed

    # a new order for c, b's order refunded in full, the unmatched order matched to d
    h.order(context, tenant.id, c.id, h.sh(2026, 3, 9), "25.00")
    h.refund(context, tenant.id, order_b, "80.00", "refunded")
    _set_customer(context, stray, d.id)
    second = _sync_and_check(context, warehouse, tenant.id)
    assert second.by_source["customer_orders"] == 3  # b, c and d; a and e untouched
    assert _summary(warehouse, tenant.id) == {
        a.id: (3, Decimal("170.00"), _naive(h.sh(2026, 3, 5, 9)), _naive(late)),
        c.id: (1, Decimal("25.00"), _naive(h.sh(2026, 3, 9)), _naive(h.sh(2026, 3, 9))),
        d.id: (1, Decimal("40.00"), _naive(h.sh(2026, 3, 8)), _naive(h.sh(2026, 3, 8))),
        e.id: (1, Decimal("10.00"), _naive(h.sh(2026, 2, 1)), _naive(h.sh(2026, 2, 1))),
    }

    # d merged into c, its order not moved yet: the summary counts it for c already (customer_links)
    record = merging.merge_customers(context.uow(), admin, c.id, d.id)
    survivor, merged = record.survivor_id, record.merged_id
    _sync_and_check(context, warehouse, tenant.id)
    both = (2, Decimal("65.00"), _naive(h.sh(2026, 3, 8)), _naive(h.sh(2026, 3, 9)))
    assert _summary(warehouse, tenant.id)[survivor] == both and merged not in _summary(warehouse, tenant.id)
    _move_commerce(context, tenant.id, merged, survivor)  # then the orders move: the same summary
    _sync_and_check(context, warehouse, tenant.id)
    assert _summary(warehouse, tenant.id)[survivor] == both and merged not in _summary(warehouse, tenant.id)

    # a chain: the survivor merged into a; then undone, and the moved order goes back
    chain = merging.merge_customers(context.uow(), admin, a.id, survivor)
    _sync_and_check(context, warehouse, tenant.id)
    assert set(_summary(warehouse, tenant.id)) == {chain.survivor_id, e.id}
    assert _summary(warehouse, tenant.id)[chain.survivor_id][:2] == (5, Decimal("235.00"))
    merging.undo_merge(context.uow(), admin, chain.id)
    _sync_and_check(context, warehouse, tenant.id)
    assert _summary(warehouse, tenant.id)[a.id][:2] == (3, Decimal("170.00"))
    assert _summary(warehouse, tenant.id)[survivor] == both


def test_a_sync_that_died_before_its_summary_is_finished_by_the_next_one(context: Context, warehouse: Warehouse) -> None:
    tenant, admin = factories.tenant(context)
    (a,) = factories.customers_of(context, admin, 1)
    h.order(context, tenant.id, a.id, h.sh(2026, 3, 5), "100.00")
    warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)
    # as if a sync had written orders and died before the summary: the mark is gone, the rows stale
    h.order(context, tenant.id, a.id, h.sh(2026, 3, 6), "10.00")
    order_summary.begin(warehouse, tenant.id)
    warehouse.delete_tenant("customer_orders", tenant.id)
    assert not order_summary.is_current(warehouse, tenant.id)
    report = warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)
    assert report.by_source["customer_orders"] == 1 and order_summary.is_current(warehouse, tenant.id)
    assert _summary(warehouse, tenant.id)[a.id][:2] == (2, Decimal("110.00"))
