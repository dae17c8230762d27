"""RFM on a hand-built history; every expected number is worked out in the comments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from siyu.adapters.warehouse import Warehouse
from siyu.analytics.base import QueryCache
from siyu.analytics.rfm import RfmQuery, Segment, segment_of
from siyu.bootstrap import Context
from siyu.services import merging, warehouse_sync
from tests import factories
from tests.analytics import history as h

AS_OF = date(2026, 3, 31)


def test_segment_map_covers_the_rf_grid() -> None:
    grid = {(r, f): segment_of(r, f) for r in range(1, 6) for f in range(1, 6)}
    assert set(grid.values()) == set(Segment)  # all ten segments, each reachable
    assert grid[5, 5] is Segment.CHAMPIONS and grid[5, 1] is Segment.NEW and grid[4, 1] is Segment.PROMISING
    assert grid[3, 3] is Segment.NEED_ATTENTION and grid[1, 5] is Segment.CANT_LOSE and grid[2, 4] is Segment.AT_RISK
    assert grid[3, 1] is Segment.ABOUT_TO_SLEEP and grid[1, 1] is Segment.HIBERNATING and grid[4, 4] is Segment.LOYAL
    assert grid[4, 2] is Segment.POTENTIAL_LOYALISTS


def test_rfm_scores_and_segments(context: Context, warehouse: Warehouse) -> None:
    tenant, admin = factories.tenant(context)
    a, b, c, d, e, f, g = factories.customers_of(context, admin, 7)
    t = tenant.id
    # A: 03-01 100.00, and 03-31 07:00 Shanghai (= 03-30 23:00 UTC: the business day is 03-31)
    h.order(context, t, a.id, h.sh(2026, 3, 1), "100.00")
    h.order(context, t, a.id, h.sh(2026, 3, 31, 7), "200.00")
    # B: 03-31 50.00
    h.order(context, t, b.id, h.sh(2026, 3, 31, 20), "50.00")
    # C: 02-01 80.00; 02-10 500.00 fully refunded (not a purchase)
    h.order(context, t, c.id, h.sh(2026, 2, 1), "80.00")
    h.order(context, t, c.id, h.sh(2026, 2, 10), "500.00", refunded="500.00")
    # D and E are one person: D 01-15 120.00, E 03-20 30.00 of which 10.00 refunded (net 20.00)
    h.order(context, t, d.id, h.sh(2026, 1, 15), "120.00")
    h.order(context, t, e.id, h.sh(2026, 3, 20), "30.00", refunded="10.00")
    merge = merging.merge_customers(context.uow(), admin, d.id, e.id)
    de = merge.survivor_id
    # F: 03-10 60.00; and 04-01 00:30 Shanghai (= 03-31 16:30 UTC): after AS_OF in Shanghai, not counted
    h.order(context, t, f.id, h.sh(2026, 3, 10), "60.00")
    h.order(context, t, f.id, h.sh(2026, 4, 1, 0, 30), "999.00")
    # G: only a fully refunded order; and an order that matched nobody: neither is in RFM
    h.order(context, t, g.id, h.sh(2026, 3, 5), "70.00", refunded="70.00")
    h.order(context, t, None, h.sh(2026, 3, 5), "70.00")
    warehouse_sync.sync_tenant(context.uow(), warehouse, t)

    result = RfmQuery(tenant_id=t, as_of=AS_OF).run(warehouse)
    # n = 5 customers: A, B, C, D+E, F.     score = 1 + floor(5 * position / 5) = 1 + position
    # recency (days to 03-31): A 0, B 0, C 58 (02-01), D+E 11 (03-20), F 21 (03-10)
    # R, longest ago first, ties share: C pos 0 -> 1, F 1 -> 2, D+E 2 -> 3, A and B pos 3 -> 4, 4
    # frequency: A 2, B 1, C 1, D+E 2, F 1; ranked (freq, more recent higher, more GMV higher, id):
    #   C(1, 58 days) 0 -> 1, F(1, 21) 1 -> 2, B(1, 0) 2 -> 3, D+E(2, 11) 3 -> 4, A(2, 0) 4 -> 5
    #   (three one-time buyers spread over three bins: ties do not collapse them)
    # monetary: B 50, F 60, C 80, D+E 140 (120 + 20), A 300 -> m 1, 2, 3, 4, 5
    expected = {
        a.id: (0, 2, Decimal("300.00"), 4, 5, 5, Segment.LOYAL),  # (4, 5) loyal
        b.id: (0, 1, Decimal("50.00"), 4, 3, 1, Segment.POTENTIAL_LOYALISTS),  # (4, 3)
        c.id: (58, 1, Decimal("80.00"), 1, 1, 3, Segment.HIBERNATING),  # (1, 1)
        de: (11, 2, Decimal("140.00"), 3, 4, 4, Segment.LOYAL),  # (3, 4)
        f.id: (21, 1, Decimal("60.00"), 2, 2, 2, Segment.HIBERNATING),  # (2, 2)
    }
    got = {s.customer_id: (s.recency_days, s.frequency, s.monetary, s.r, s.f, s.m, s.segment) for s in result.customers}
    assert got == expected
    assert result.of(a.id).last_purchase_day == date(2026, 3, 31)  # type: ignore[union-attr]
    counts = {s.segment: (s.customers, s.monetary) for s in result.segments}
    assert counts[Segment.LOYAL] == (2, Decimal("440.00"))  # A 300 + D+E 140
    assert counts[Segment.HIBERNATING] == (2, Decimal("140.00"))  # C 80 + F 60
    assert counts[Segment.CHAMPIONS] == (0, Decimal("0.00"))


def test_rfm_cache_keys_on_the_sync_version(context: Context, warehouse: Warehouse) -> None:
    tenant, admin = factories.tenant(context)
    (a,) = factories.customers_of(context, admin, 1)
    h.order(context, tenant.id, a.id, h.sh(2026, 3, 1), "10.00")
    warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)
    cache = QueryCache()
    query = RfmQuery(tenant_id=tenant.id, as_of=AS_OF)
    first = query.run_timed(warehouse, cache)
    second = query.run_timed(warehouse, cache)
    assert (first.cached, second.cached) == (False, True)
    assert second.result == first.result and first.result.customers[0].frequency == 1

    h.order(context, tenant.id, a.id, h.sh(2026, 3, 2), "10.00")
    warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)
    third = query.run_timed(warehouse, cache)
    assert not third.cached and third.sync_version == first.sync_version + 1
    assert third.result.customers[0].frequency == 2


def test_the_compiled_sql_is_kept_across_syncs_and_gives_the_fresh_answer(context: Context, warehouse: Warehouse,
                                                                          monkeypatch) -> None:  # type: ignore[no-untyped-def]
    tenant, admin = factories.tenant(context)
    a, b = factories.customers_of(context, admin, 2)
    h.order(context, tenant.id, a.id, h.sh(2026, 3, 1), "10.00")
    warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)
    builds = []
    build = RfmQuery.build
    monkeypatch.setattr(RfmQuery, "build", lambda self, wh: builds.append(self) or build(self, wh))
    cache = QueryCache()
    query = RfmQuery(tenant_id=tenant.id, as_of=AS_OF)
    first = query.run(warehouse, cache)
    assert [c.frequency for c in first.customers] == [1] and len(builds) == 1

    h.order(context, tenant.id, a.id, h.sh(2026, 3, 2), "10.00")
    h.order(context, tenant.id, b.id, h.sh(2026, 3, 5), "99.00")
    warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)
    after = query.run_timed(warehouse, cache)
    assert not after.cached and len(builds) == 1  # answered again from the new data, with the SQL compiled before
    assert after.result == query.run(warehouse)  # the same answer as building and compiling afresh
    assert {c.customer_id: (c.frequency, c.monetary) for c in after.result.customers} == {
        a.id: (2, Decimal("20.00")), b.id: (1, Decimal("99.00"))}
    assert len(builds) == 2

    other = RfmQuery(tenant_id=tenant.id, as_of=date(2026, 3, 3))
    assert [c.customer_id for c in other.run(warehouse, cache).customers] == [a.id]  # other parameters, other SQL
    assert len(builds) == 3
