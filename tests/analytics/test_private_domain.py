"""Private-domain share on a hand-built history; the expected numbers are worked out in the comments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from siyu.adapters.warehouse import Warehouse
from siyu.analytics.private_domain import PrivateDomainShareQuery
from siyu.bootstrap import Context
from siyu.services import merging, warehouse_sync
from tests import factories
from tests.analytics import history as h


def test_private_domain_share_by_month(context: Context, warehouse: Warehouse) -> None:
    admin, g1, _ = h.brand_with_two_guides(context)
    t = admin.tenant_id
    friend, late, gone, kept, other_half = factories.customers_of(context, admin, 5)
    h.follow(context, t, friend.id, g1.id, h.sh(2026, 1, 1))
    h.follow(context, t, late.id, g1.id, h.sh(2026, 1, 20))
    h.follow(context, t, gone.id, g1.id, h.sh(2026, 1, 2))
    h.delete(context, t, gone.id, g1.id, h.sh(2026, 1, 15))
    h.follow(context, t, kept.id, g1.id, h.sh(2026, 1, 1))
    h.order(context, t, friend.id, h.sh(2026, 1, 5), "100.00")  # a friend: private
    h.order(context, t, friend.id, h.sh(2026, 1, 6), "999.00", refunded="999.00")  # fully refunded: no GMV at all
    h.order(context, t, late.id, h.sh(2026, 1, 10), "50.00")  # before their add on 01-20: not private
    h.order(context, t, gone.id, h.sh(2026, 1, 10), "20.00")  # while still a friend: private
    h.order(context, t, gone.id, h.sh(2026, 1, 25), "30.00")  # after the deletion: not private
    h.order(context, t, None, h.sh(2026, 1, 12), "40.00")  # matched nobody: GMV, not private
    # other_half and kept are merged: the order of one counts through the relation of the other
    merging.merge_customers(context.uow(), admin, kept.id, other_half.id)
    h.order(context, t, other_half.id, h.sh(2026, 1, 8), "10.00")
    # 02-01 00:30 in Shanghai is still 01-31 in UTC: a February order
    h.order(context, t, friend.id, h.sh(2026, 2, 1, 0, 30), "60.00")
    warehouse_sync.sync_tenant(context.uow(), warehouse, t)

    result = PrivateDomainShareQuery(tenant_id=t, since=date(2026, 1, 1), until=date(2026, 2, 28)).run(warehouse)
    jan, feb = result.of(date(2026, 1, 1)), result.of(date(2026, 2, 1))
    assert jan is not None and feb is not None
    # January GMV: 100 + 50 + 20 + 30 + 40 + 10 = 250.00 over 6 orders; private: 100 + 20 + 10 = 130.00 over 3
    assert (jan.orders, jan.private_orders, jan.gmv, jan.private_gmv) == (6, 3, Decimal("250.00"), Decimal("130.00"))
    assert jan.share == 0.52  # 130 / 250
    assert (feb.orders, feb.private_orders, feb.gmv, feb.private_gmv, feb.share) == (1, 1, Decimal("60.00"), Decimal("60.00"), 1.0)
    assert len(result.months) == 2
