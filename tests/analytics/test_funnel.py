"""The AIPL funnel on a hand-built history; every expected number is worked out in the comments."""

from __future__ import annotations

from datetime import date

import pytest

from siyu.adapters.warehouse import Warehouse
from siyu.analytics.funnel import Breakdown, FunnelQuery
from siyu.bootstrap import Context
from siyu.domain.customers import Profile
from siyu.domain.errors import InvalidInput
from siyu.domain.member_levels import MemberLevels
from siyu.services import customers, member_levels, merging, warehouse_sync
from tests import factories
from tests.analytics import history as h

START, END = date(2026, 3, 1), date(2026, 3, 31)


def test_funnel_steps_in_order_within_the_window_by_every_breakdown(context: Context, warehouse: Warehouse) -> None:
    tenant, admin = factories.tenant(context)
    t = tenant.id
    north = factories.region(context, admin)
    s1 = factories.store(context, admin, region_id=north.id)
    s2 = factories.store(context, admin)  # no region
    g1, g2 = factories.member(context, admin, store_id=s1.id), factories.member(context, admin, store_id=s2.id)
    poster = h.channel(context, t, "海报", "st-poster")
    a, b, c, d, e, f, g = factories.customers_of(context, admin, 7)
    # A: aware 03-02 10:00, adds g1 through the poster 03-03 (interest), buys 03-04 and 03-06:
    #    both inside 7 days of 03-02 10:00 -> A, I, P, L
    h.event(context, t, a.id, h.sh(2026, 3, 2, 10), "page_view")
    h.follow(context, t, a.id, g1.id, h.sh(2026, 3, 3), state="st-poster")
    h.order(context, t, a.id, h.sh(2026, 3, 4), "100.00")
    h.order(context, t, a.id, h.sh(2026, 3, 6), "50.00")
    # B: added g2 on 03-01 (before awareness: not an interest step), aware 03-05 09:00 (link_open),
    #    mini-program visit 03-05 18:00 (interest), buys 03-20: after the window (03-12 09:00) -> A, I
    h.follow(context, t, b.id, g2.id, h.sh(2026, 3, 1))
    h.event(context, t, b.id, h.sh(2026, 3, 5, 9), "link_open")
    h.event(context, t, b.id, h.sh(2026, 3, 5, 18), "miniprogram_visit")
    h.order(context, t, b.id, h.sh(2026, 3, 20), "80.00")
    # C: added g1 on 03-09, aware only on 03-10: the add came before -> A only
    h.follow(context, t, c.id, g1.id, h.sh(2026, 3, 9))
    h.event(context, t, c.id, h.sh(2026, 3, 10), "page_view")
    # D: aware 03-01 00:30 Shanghai (02-28 16:30 UTC: inside the period), coupon used 03-02 (interest),
    #    an order 03-03 fully refunded (not a purchase); no relation -> A, I; group "none"
    h.event(context, t, d.id, h.sh(2026, 3, 1, 0, 30), "page_view")
    h.event(context, t, d.id, h.sh(2026, 3, 2), "coupon_used")
    h.order(context, t, d.id, h.sh(2026, 3, 3), "60.00", refunded="60.00")
    # E and F are one person: E aware 03-15, F adds g1 03-16, E buys 03-17 -> A, I, P, counted once
    h.event(context, t, e.id, h.sh(2026, 3, 15), "page_view")
    h.follow(context, t, f.id, g1.id, h.sh(2026, 3, 16))
    h.order(context, t, e.id, h.sh(2026, 3, 17), "40.00")
    merging.merge_customers(context.uow(), admin, e.id, f.id)
    # G: aware 04-01 00:30 Shanghai (03-31 16:30 UTC): after the period. An unmatched page view, and an
    #    event whose name is not in the mapping: neither counts.
    h.event(context, t, g.id, h.sh(2026, 4, 1, 0, 30), "page_view")
    h.event(context, t, None, h.sh(2026, 3, 3), "page_view")
    h.event(context, t, g.id, h.sh(2026, 3, 3), "something_else")
    warehouse_sync.sync_tenant(context.uow(), warehouse, t)

    def run(by: Breakdown):  # type: ignore[no-untyped-def]
        result = FunnelQuery(tenant_id=t, start=START, end=END, window_days=7, by=by).run(warehouse)
        return result, {x.key_id: (x.awareness, x.interest, x.purchase, x.loyalty) for x in result.groups}

    # total: aware A B C D EF = 5; interest A B D EF = 4; purchase A EF = 2; loyalty A = 1
    total, groups = run(Breakdown.NONE)
    assert (total.total.awareness, total.total.interest, total.total.purchase, total.total.loyalty) == (5, 4, 2, 1)
    assert total.total.interest_rate == 4 / 5 and total.total.purchase_rate == 2 / 4 and total.total.loyalty_rate == 1 / 2
    assert total.total.overall_rate == 1 / 5 and groups == {}
    # staff (first relation): g1 = A, C, EF -> (3, 2, 2, 1); g2 = B -> (1, 1, 0, 0); none = D -> (1, 1, 0, 0)
    result, groups = run(Breakdown.STAFF)
    assert groups == {g1.id: (3, 2, 2, 1), g2.id: (1, 1, 0, 0), None: (1, 1, 0, 0)}
    assert result.of(g1.id).key_name == g1.name and result.total.awareness == 5  # type: ignore[union-attr]
    # store: s1 = g1's customers, s2 = g2's; region: north = s1's, none = B (s2 has none) + D
    assert run(Breakdown.STORE)[1] == {s1.id: (3, 2, 2, 1), s2.id: (1, 1, 0, 0), None: (1, 1, 0, 0)}
    assert run(Breakdown.REGION)[1] == {north.id: (3, 2, 2, 1), None: (2, 2, 0, 0)}
    # channel: the poster = A -> (1, 1, 1, 1); none = B, C, D, EF -> (4, 3, 1, 0)
    assert run(Breakdown.CHANNEL)[1] == {poster: (1, 1, 1, 1), None: (4, 3, 1, 0)}

    # a window of 1 day: A's interest (03-03 12:00) is 26 hours after 03-02 10:00 -> A stops at awareness;
    # B's visit is 9 hours after (interest), D's coupon 35.5 hours after (no), EF's add 24 h after: exactly
    # on the edge (03-16 12:00 <= 03-15 12:00 + 1 day): interest, and the order 03-17 is past the window.
    one_day = FunnelQuery(tenant_id=t, start=START, end=END, window_days=1).run(warehouse).total
    assert (one_day.awareness, one_day.interest, one_day.purchase, one_day.loyalty) == (5, 2, 0, 0)


def test_funnel_refuses_a_bad_window_or_period() -> None:
    with pytest.raises(InvalidInput) as window:
        FunnelQuery(tenant_id=1, start=START, end=END, window_days=0)
    assert window.value.code == "analytics.window_out_of_range"
    with pytest.raises(InvalidInput) as period:
        FunnelQuery(tenant_id=1, start=END, end=START)
    assert period.value.code == "analytics.period_backwards"


def test_loyalty_is_a_repeat_purchase_or_a_loyal_member_level(context: Context, warehouse: Warehouse) -> None:
    tenant, admin = factories.tenant(context)
    t = tenant.id
    guide = factories.member(context, admin, store_id=factories.store(context, admin).id)
    member_levels.set_member_levels(context.uow(), admin, MemberLevels.parse(["普通", "银卡", "金卡"], "银卡"))
    a, b, c, d, e, f, g = factories.customers_of(context, admin, 7)

    def level(customer_id: int, name: str) -> None:
        customers.update_profile(context.uow(), admin, customer_id, Profile.parse(member_level=name))

    # everyone: aware 03-02, adds the guide 03-03 (interest); then
    for x in (a, b, c, d, e, f):
        h.event(context, t, x.id, h.sh(2026, 3, 2))
        h.follow(context, t, x.id, guide.id, h.sh(2026, 3, 3))
    # A: one purchase, 金卡 (above 银卡) -> loyal; B: one purchase, 普通 (below) -> not
    # C: 金卡 but no purchase -> not even a purchaser; D: two purchases, no level -> loyal (repeat)
    # E: one purchase, 钻石: not a listed level -> not; F+G one person: F buys once, G holds 银卡 -> loyal
    for x in (a, b, d, e, f):
        h.order(context, t, x.id, h.sh(2026, 3, 4), "10.00")
    h.order(context, t, d.id, h.sh(2026, 3, 5), "10.00")
    level(a.id, "金卡"), level(b.id, "普通"), level(c.id, "金卡"), level(e.id, "钻石"), level(g.id, "银卡")
    merging.merge_customers(context.uow(), admin, f.id, g.id)
    warehouse_sync.sync_tenant(context.uow(), warehouse, t)

    def stages() -> tuple[int, int, int, int]:
        total = FunnelQuery(tenant_id=t, start=START, end=END).run(warehouse).total
        return total.awareness, total.interest, total.purchase, total.loyalty

    # aware and interested: A B C D E FG = 6; purchase A B D E FG = 5; loyalty A D FG = 3
    assert stages() == (6, 6, 5, 3)
    # the threshold raised to 金卡: FG's 银卡 no longer counts -> A D
    member_levels.set_member_levels(context.uow(), admin, MemberLevels.parse(["普通", "银卡", "金卡"], "金卡"))
    warehouse_sync.sync_tenant(context.uow(), warehouse, t)
    assert stages() == (6, 6, 5, 2)
    # no level counts: the repeat buyer D alone
    member_levels.set_member_levels(context.uow(), admin, MemberLevels.parse(["普通", "银卡", "金卡"], None))
    warehouse_sync.sync_tenant(context.uow(), warehouse, t)
    assert stages() == (6, 6, 5, 1)
