"""Channel ROI on a hand-built history; every expected number is worked out in the comments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from siyu.adapters.warehouse import Warehouse
from siyu.analytics.channels import ChannelQuery
from siyu.analytics.scope import EVERYTHING, Scope
from siyu.bootstrap import Context
from siyu.services import merging, warehouse_sync
from tests import factories
from tests.analytics import history as h


def test_channel_roi(context: Context, warehouse: Warehouse) -> None:
    admin, g1, g2 = h.brand_with_two_guides(context)
    t = admin.tenant_id
    gzh = h.channel(context, t, "公众号", "gzh")
    dy = h.channel(context, t, "抖音", "dy")
    idle = h.channel(context, t, "闲置", "idle")
    a, b, c, d, e, f, g, k = factories.customers_of(context, admin, 8)
    # costs: 300.00 for all of March; 60.00 for 02-15..03-16 (30 days, 16 in March -> 32.00). gzh cost = 332.00
    h.cost(context, t, gzh, date(2026, 3, 1), date(2026, 3, 31), "300.00")
    h.cost(context, t, gzh, date(2026, 2, 15), date(2026, 3, 16), "60.00")
    # gzh adds in March (as_of 04-15: "now" is 04-16 00:00 Shanghai)
    h.follow(context, t, a.id, g1.id, h.sh(2026, 3, 1, 0, 5), "gzh")  # A: 02-28 16:05 UTC, March in Shanghai
    h.follow(context, t, b.id, g1.id, h.sh(2026, 3, 10), "gzh")  # B: deleted 03-14, within 7 days
    h.delete(context, t, b.id, g1.id, h.sh(2026, 3, 14))
    h.follow(context, t, c.id, g1.id, h.sh(2026, 3, 20), "gzh")  # C: deleted 04-25, after as_of
    h.delete(context, t, c.id, g1.id, h.sh(2026, 4, 25))
    h.follow(context, t, d.id, g1.id, h.sh(2026, 4, 1, 0, 30), "gzh")  # D: 03-31 16:30 UTC, April in Shanghai: out
    h.follow(context, t, e.id, g1.id, h.sh(2026, 2, 28), "gzh")  # E: February: out
    h.follow(context, t, f.id, g1.id, h.sh(2026, 3, 5), "gzh")  # F and G: one person, added twice
    h.follow(context, t, g.id, g2.id, h.sh(2026, 3, 6), "gzh")
    h.follow(context, t, k.id, g1.id, h.sh(2026, 3, 15), "dy")  # K: through dy
    merging.merge_customers(context.uow(), admin, f.id, g.id)
    # purchases credited in March
    h.order(context, t, a.id, h.sh(2026, 3, 1, 0, 10), "10.00", channel_id=gzh)  # UTC February, Shanghai March
    h.order(context, t, a.id, h.sh(2026, 3, 2), "100.00", channel_id=gzh)
    h.order(context, t, a.id, h.sh(2026, 3, 20), "50.00", refunded="20.00", channel_id=gzh)  # net 30.00
    h.order(context, t, b.id, h.sh(2026, 3, 11), "200.00", refunded="200.00", channel_id=gzh)  # not a purchase
    h.order(context, t, f.id, h.sh(2026, 3, 6), "80.00", channel_id=gzh)
    h.order(context, t, g.id, h.sh(2026, 3, 8), "40.00", channel_id=gzh)
    h.order(context, t, None, h.sh(2026, 3, 9), "25.00", channel_id=gzh)  # GMV, but no buyer
    h.order(context, t, a.id, h.sh(2026, 4, 1, 0, 30), "500.00", channel_id=gzh)  # April in Shanghai: out
    h.order(context, t, k.id, h.sh(2026, 3, 16), "60.00", channel_id=dy)
    h.order(context, t, k.id, h.sh(2026, 3, 17), "60.00")  # credited to no channel
    warehouse_sync.sync_tenant(context.uow(), warehouse, t)

    result = ChannelQuery(tenant_id=t, start=date(2026, 3, 1), end=date(2026, 3, 31), as_of=date(2026, 4, 15)).run(warehouse)
    w = result.of(gzh)
    assert w is not None
    # adds: A, B, C, F+G = 4.
    # 7 days: all four matured; still: A, C, F+G = 3 (B deleted on day 4)
    # 30 days: matured when added before 03-17 00:00 Shanghai: A, B, F+G = 3; still: A, F+G = 2
    # deleted by the end of 04-15: B only (C's deletion on 04-25 is after as_of) -> 1 / 4
    assert (w.adds, w.matured_7d, w.still_friends_7d, w.matured_30d, w.still_friends_30d, w.deleted) == (4, 4, 3, 3, 2, 1)
    assert w.still_friend_rate_7d == pytest.approx(0.75) and w.still_friend_rate_30d == pytest.approx(2 / 3)
    assert w.deletion_rate == pytest.approx(0.25)
    # buyers: A, F+G = 2; GMV = 10 + 100 + 30 + 80 + 40 + 25 = 285.00
    assert (w.buyers, w.gmv, w.cost) == (2, Decimal("285.00"), Decimal("332.00"))
    # CAC = 332 / 4 = 83.00; cost per buyer = 332 / 2 = 166.00; ROI = 285 / 332 = 0.85843...
    assert (w.cac, w.cost_per_buyer) == (Decimal("83.00"), Decimal("166.00"))
    assert w.roi == pytest.approx(285 / 332)

    k_channel = result.of(dy)
    assert k_channel is not None
    # K: added 03-15: 7 and 30 days over by 04-16 00:00 (30 days -> 04-14), never deleted; 60.00, no cost
    assert (k_channel.adds, k_channel.matured_30d, k_channel.still_friends_30d, k_channel.buyers) == (1, 1, 1, 1)
    assert (k_channel.gmv, k_channel.cost, k_channel.cac, k_channel.roi) == (Decimal("60.00"), Decimal("0.00"), Decimal("0.00"), None)
    quiet = result.of(idle)
    assert quiet is not None and (quiet.adds, quiet.buyers, quiet.gmv, quiet.cac, quiet.deletion_rate) == (0, 0, Decimal("0.00"), None, None)


def test_group_joins_per_channel_period_and_store(context: Context, warehouse: Warehouse) -> None:
    _, admin = factories.tenant(context)
    t = admin.tenant_id
    s1, s2 = factories.store(context, admin), factories.store(context, admin)
    g1, g2 = factories.member(context, admin, store_id=s1.id), factories.member(context, admin, store_id=s2.id)
    gzh = h.channel(context, t, "公众号", "gzh")
    dy = h.channel(context, t, "抖音", "dy")
    idle = h.channel(context, t, "闲置", "idle")
    # gzh's code: wrA owned by g1 (S1), wrB by g2 (S2), wrC not known to Siyu (no owner, no store)
    x = h.group_code(context, t, gzh, {"wrA": g1.id, "wrB": g2.id, "wrC": None})
    y = h.group_code(context, t, dy, {"wrD": g2.id})
    h.group_join(context, t, x, "wrA", 2, h.sh(2026, 3, 1, 0, 5))  # 02-28 16:05 UTC, March in Shanghai: in
    h.group_join(context, t, x, "wrA", 1, h.sh(2026, 3, 31, 23, 50))  # in
    h.group_join(context, t, x, "wrB", 3, h.sh(2026, 3, 15))  # in
    h.group_join(context, t, x, "wrC", 4, h.sh(2026, 3, 20))  # in (no store)
    h.group_join(context, t, x, "wrA", 5, h.sh(2026, 4, 1, 0, 10))  # 03-31 16:10 UTC, April in Shanghai: out
    h.group_join(context, t, x, "wrB", 7, h.sh(2026, 2, 28, 23))  # February: out
    h.group_join(context, t, y, "wrD", 6, h.sh(2026, 3, 10))  # in
    warehouse_sync.sync_tenant(context.uow(), warehouse, t)

    def joins(scope: Scope = EVERYTHING) -> dict[int, int]:
        result = ChannelQuery(tenant_id=t, start=date(2026, 3, 1), end=date(2026, 3, 31), as_of=date(2026, 4, 15), scope=scope)
        return {c.channel_id: c.group_joins for c in result.run(warehouse).channels}

    # all: gzh 2 + 1 + 3 + 4 = 10; dy 6; idle none
    assert joins() == {gzh: 10, dy: 6, idle: 0}
    # S1: the joins into g1's group wrA: 2 + 1 = 3. S2: wrB 3 (gzh), wrD 6 (dy). wrC's 4 are in no store.
    assert joins(Scope(store_id=s1.id)) == {gzh: 3, dy: 0, idle: 0}
    assert joins(Scope(store_id=s2.id)) == {gzh: 3, dy: 6, idle: 0}
    assert joins(Scope(channel_id=dy)) == {dy: 6}
    # group joins change nothing else: no adds, buyers, GMV; CAC stays empty (no adds)
    quiet = ChannelQuery(tenant_id=t, start=date(2026, 3, 1), end=date(2026, 3, 31), as_of=date(2026, 4, 15)).run(warehouse).of(gzh)
    assert quiet is not None and (quiet.adds, quiet.buyers, quiet.gmv, quiet.cac) == (0, 0, Decimal("0.00"), None)
