"""Cohorts on a hand-built history; every expected number is worked out in the comments."""

from __future__ import annotations

from datetime import date

from siyu.adapters.warehouse import Warehouse
from siyu.analytics.cohorts import CohortQuery
from siyu.bootstrap import Context
from siyu.services import merging, warehouse_sync
from tests import factories
from tests.analytics import history as h


def test_cohorts_by_month_of_add_and_channel(context: Context, warehouse: Warehouse) -> None:
    admin, g1, g2 = h.brand_with_two_guides(context)
    t = admin.tenant_id
    gzh = h.channel(context, t, "公众号", "gzh")
    md = h.channel(context, t, "门店", "md")
    p, q, r, s, u1, u2 = factories.customers_of(context, admin, 6)
    # P: added 01-31 23:30 Shanghai via gzh (January), deleted 02-15
    h.follow(context, t, p.id, g1.id, h.sh(2026, 1, 31, 23, 30), "gzh")
    h.delete(context, t, p.id, g1.id, h.sh(2026, 2, 15))
    # Q: added 02-01 00:10 Shanghai (= 01-31 16:10 UTC) via gzh: a February cohort.
    #    Orders 01-20 (before the add: not counted), 02-05, 03-02 -> the second purchase is in March
    h.follow(context, t, q.id, g1.id, h.sh(2026, 2, 1, 0, 10), "gzh")
    h.order(context, t, q.id, h.sh(2026, 1, 20), "70.00")
    h.order(context, t, q.id, h.sh(2026, 2, 5), "100.00")
    h.order(context, t, q.id, h.sh(2026, 3, 2), "50.00")
    # R: added 01-10 via gzh; 01-12 bought, 01-20 fully refunded (no purchase), 03-15 bought -> second in March
    h.follow(context, t, r.id, g1.id, h.sh(2026, 1, 10), "gzh")
    h.order(context, t, r.id, h.sh(2026, 1, 12), "30.00")
    h.order(context, t, r.id, h.sh(2026, 1, 20), "40.00", refunded="40.00")
    h.order(context, t, r.id, h.sh(2026, 3, 15), "20.00")
    # S: added 01-05 via md, deleted 01-20; added by another guide 03-03 (no channel)
    h.follow(context, t, s.id, g1.id, h.sh(2026, 1, 5), "md")
    h.delete(context, t, s.id, g1.id, h.sh(2026, 1, 20))
    h.follow(context, t, s.id, g2.id, h.sh(2026, 3, 3))
    # U1 and U2 are one person (merged): U1 added 01-08 via gzh, U2 01-15 via gzh with another guide;
    #   U1 bought 01-09, U2 bought 02-20 -> together, the second purchase is in February
    h.follow(context, t, u1.id, g1.id, h.sh(2026, 1, 8), "gzh")
    h.follow(context, t, u2.id, g2.id, h.sh(2026, 1, 15), "gzh")
    h.order(context, t, u1.id, h.sh(2026, 1, 9), "10.00")
    h.order(context, t, u2.id, h.sh(2026, 2, 20), "10.00")
    merging.merge_customers(context.uow(), admin, u1.id, u2.id)
    warehouse_sync.sync_tenant(context.uow(), warehouse, t)

    result = CohortQuery(tenant_id=t, since=date(2026, 1, 1), until=date(2026, 3, 1), months=3, as_of=date(2026, 4, 30)).run(warehouse)

    def table(month: date, channel: int | None) -> list[tuple[int, int, int]]:
        cohort = result.find(month, channel)
        assert cohort is not None
        return [(m.offset, m.still_friends, m.repurchasers) for m in cohort.months]

    jan_gzh = result.find(date(2026, 1, 1), gzh)
    assert jan_gzh is not None and jan_gzh.size == 3 and jan_gzh.channel_name == "公众号"  # P, R, U1+U2
    # end of Jan: P, R, U all friends; nobody has two purchases (R's second order was refunded)
    # end of Feb: P deleted 02-15 -> 2; U's second purchase 02-20 -> 1
    # end of Mar: 2 friends; R's second purchase 03-15 -> 2.   end of Apr (as_of 04-30 is its last day): same
    assert table(date(2026, 1, 1), gzh) == [(0, 3, 0), (1, 2, 1), (2, 2, 2), (3, 2, 2)]
    assert [round(m.still_friend_rate, 4) for m in jan_gzh.months] == [1.0, 0.6667, 0.6667, 0.6667]
    assert [round(m.repurchase_rate, 4) for m in jan_gzh.months] == [0.0, 0.3333, 0.6667, 0.6667]
    # Feb gzh: Q alone. Feb: friend, one purchase since the add; Mar: second purchase; Apr: same.
    # Month 3 (May) is not over on 04-30, so it is not reported.
    assert table(date(2026, 2, 1), gzh) == [(0, 1, 0), (1, 1, 1), (2, 1, 1)]
    # Jan md: S. Deleted 01-20 -> not a friend at the end of Jan or Feb; back (another guide) in March.
    assert table(date(2026, 1, 1), md) == [(0, 0, 0), (1, 0, 0), (2, 1, 0), (3, 1, 0)]
    assert len(result.cohorts) == 3  # no other cohort: U2's own add belongs to the merged person

    # as_of inside April: April is not over, so Jan cohorts stop at month 2
    mid = CohortQuery(tenant_id=t, since=date(2026, 1, 1), until=date(2026, 1, 31), months=6, as_of=date(2026, 4, 29)).run(warehouse)
    assert {c.channel_id for c in mid.cohorts} == {gzh, md}
    assert all(c.months[-1].offset == 2 for c in mid.cohorts)
