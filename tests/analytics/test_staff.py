"""Staff and stores on a hand-built history; every expected number is worked out in the comments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from siyu.adapters.warehouse import Warehouse
from siyu.analytics.staff import Level, StaffQuery
from siyu.bootstrap import Context
from siyu.services import merging, warehouse_sync
from tests import factories
from tests.analytics import history as h

START, END = date(2026, 3, 1), date(2026, 3, 31)


def test_staff_stores_regions_and_nation(context: Context, warehouse: Warehouse) -> None:
    tenant, admin = factories.tenant(context)
    t = tenant.id
    north = factories.region(context, admin)
    s1, s2 = factories.store(context, admin, region_id=north.id), factories.store(context, admin, region_id=north.id)
    s3 = factories.store(context, admin)  # no region
    g1, g2 = factories.member(context, admin, store_id=s1.id), factories.member(context, admin, store_id=s1.id)
    g3, g4 = factories.member(context, admin, store_id=s2.id), factories.member(context, admin, store_id=s3.id)
    a, b, c, d, e, f, g, k = factories.customers_of(context, admin, 8)
    # A adds g1 03-02; buys 100 (03-05) and 50 (03-10) credited to g1: a repurchaser
    h.follow(context, t, a.id, g1.id, h.sh(2026, 3, 2))
    h.order(context, t, a.id, h.sh(2026, 3, 5), "100.00", staff_id=g1.id)
    h.order(context, t, a.id, h.sh(2026, 3, 10), "50.00", staff_id=g1.id)
    # B added g1 02-20 (served in March), deleted 03-03; buys 30 with 10 refunded (net 20) credited to g2
    h.follow(context, t, b.id, g1.id, h.sh(2026, 2, 20))
    h.delete(context, t, b.id, g1.id, h.sh(2026, 3, 3))
    h.order(context, t, b.id, h.sh(2026, 3, 4), "30.00", refunded="10.00", staff_id=g2.id)
    # C adds g2 03-31 23:30 Shanghai (inside the period); buys 04-01 00:30 Shanghai (outside)
    h.follow(context, t, c.id, g2.id, h.sh(2026, 3, 31, 23, 30))
    h.order(context, t, c.id, h.sh(2026, 4, 1, 0, 30), "999.00", staff_id=g2.id)
    # D added g3 01-10, deleted 02-15 (not served in March); buys 200 credited to g3 on 03-15
    h.follow(context, t, d.id, g3.id, h.sh(2026, 1, 10))
    h.delete(context, t, d.id, g3.id, h.sh(2026, 2, 15))
    h.order(context, t, d.id, h.sh(2026, 3, 15), "200.00", staff_id=g3.id)
    # E adds g3 03-20; its order 03-21 is fully refunded: not a buyer
    h.follow(context, t, e.id, g3.id, h.sh(2026, 3, 20))
    h.order(context, t, e.id, h.sh(2026, 3, 21), "300.00", refunded="300.00", staff_id=g3.id)
    # F adds g4 03-05, buys 500 twice (03-06, 03-07) credited to g4
    h.follow(context, t, f.id, g4.id, h.sh(2026, 3, 5))
    h.order(context, t, f.id, h.sh(2026, 3, 6), "500.00", staff_id=g4.id)
    h.order(context, t, f.id, h.sh(2026, 3, 7), "500.00", staff_id=g4.id)
    # G and K are one person who added g1 twice (03-08, 03-09): one add, one served
    h.follow(context, t, g.id, g1.id, h.sh(2026, 3, 8))
    h.follow(context, t, k.id, g1.id, h.sh(2026, 3, 9))
    merging.merge_customers(context.uow(), admin, g.id, k.id)
    # an order credited to g1 that matched nobody: no buyer and (matched purchases only) no GMV
    h.order(context, t, None, h.sh(2026, 3, 5), "70.00", staff_id=g1.id)
    warehouse_sync.sync_tenant(context.uow(), warehouse, t)

    def run(level: Level):  # type: ignore[no-untyped-def]
        result = StaffQuery(tenant_id=t, start=START, end=END, level=level).run(warehouse)
        return {r.key_id: (r.adds, r.deletions, r.customers_served, r.buyers, r.repurchasers, r.gmv, r.rank,
                           r.rank_in_region, r.rank_in_store) for r in result.rows}, result

    # (adds, deletions, served, buyers, repurchasers, GMV, rank, rank in region, rank in store)
    # g1: adds A, GK; deleted B; served A B GK; buyer A (twice) 150. g2: adds C; served C; buyer B 20.
    # g3: adds E; served E (D ended before March); buyer D 200. g4: F, F, F twice 1000.
    # nation ranks by GMV: g4 1000, g3 200, g1 150, g2 20; north: g3, g1, g2; s1: g1, g2
    staff, result = run(Level.STAFF)
    assert staff == {
        g4.id: (1, 0, 1, 1, 1, Decimal("1000.00"), 1, 1, 1),
        g3.id: (1, 0, 1, 1, 0, Decimal("200.00"), 2, 1, 1),
        g1.id: (2, 1, 3, 1, 1, Decimal("150.00"), 3, 2, 1),
        g2.id: (1, 0, 1, 1, 0, Decimal("20.00"), 4, 3, 2),
    }
    assert [r.key_id for r in result.rows] == [g4.id, g3.id, g1.id, g2.id]
    assert result.of(g1.id).repurchase_rate == 1.0 and result.of(g1.id).name == g1.name  # type: ignore[union-attr]
    # s1 = g1 + g2: adds A GK C = 3, deleted B, served A B GK C = 4, buyers A B = 2, repurchaser A, 170
    stores, _ = run(Level.STORE)
    assert stores == {
        s3.id: (1, 0, 1, 1, 1, Decimal("1000.00"), 1, 1, None),
        s2.id: (1, 0, 1, 1, 0, Decimal("200.00"), 2, 1, None),
        s1.id: (3, 1, 4, 2, 1, Decimal("170.00"), 3, 2, None),
    }
    # north = s1 + s2: adds 4, deleted 1, served 5, buyers A B D = 3, repurchaser A, 370; no region = s3
    regions, _ = run(Level.REGION)
    assert regions == {None: (1, 0, 1, 1, 1, Decimal("1000.00"), 1, None, None),
                       north.id: (4, 1, 5, 3, 1, Decimal("370.00"), 2, None, None)}
    # nation: adds 5, deleted 1, served 6, buyers 4 (A B D F), repurchasers 2 (A F), 1370
    nation, _ = run(Level.NATION)
    assert nation == {None: (5, 1, 6, 4, 2, Decimal("1370.00"), 1, None, None)}
