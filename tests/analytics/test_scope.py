"""Every dashboard narrowed to a store, a region or a channel (``siyu.analytics.scope``), on one
hand-built history; each expected number is worked out in the comments.

The history (March 2026, Beijing time), region N with store S1; store S2 in no region; guide g1
of S1, g2 of S2; channels poster and booth:

- A: aware 03-02; adds g1 through the poster 03-03 (first relation: g1, S1, N, poster);
  buys 100 on 03-04 (credited to g1 and the poster) and 50 on 03-06 (credited to g1).
- B: aware 03-05 09:00; adds g2 through the booth 03-05 18:00 (first relation: g2, S2, booth);
  buys 80 on 03-07 (store S2, staff g2, the booth).
- C: aware 03-07; adds g2 with no channel 03-08 (first relation: g2, S2, no channel), then g1
  through the poster 03-10; buys 30 on 03-12 (credited to g1 and the poster).
- D: aware 03-03, no relation; buys 60 on 03-04 at store S1 (no staff, no channel).
- an order nobody matched: 70 on 03-15 at store S1.
- the poster costs 300 for March.
"""

from __future__ import annotations

from dataclasses import astuple
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from siyu.adapters.warehouse import Warehouse
from siyu.analytics.channels import ChannelQuery
from siyu.analytics.cohorts import CohortQuery
from siyu.analytics.funnel import FunnelQuery
from siyu.analytics.lifetime_value import LtvQuery
from siyu.analytics.private_domain import PrivateDomainShareQuery
from siyu.analytics.rfm import RfmQuery
from siyu.analytics.scope import EVERYTHING, Scope
from siyu.analytics.staff import Level, StaffQuery
from siyu.bootstrap import Context
from siyu.services import warehouse_sync
from tests import factories
from tests.analytics import history as h
from tests.analytics.test_lifetime_value import AS_OF, ltv_history

START, END = date(2026, 3, 1), date(2026, 3, 31)


@pytest.fixture
def shop(context: Context, warehouse: Warehouse) -> dict[str, Any]:
    tenant, admin = factories.tenant(context)
    t = tenant.id
    north = factories.region(context, admin)
    s1, s2 = factories.store(context, admin, region_id=north.id), factories.store(context, admin)
    g1, g2 = factories.member(context, admin, store_id=s1.id), factories.member(context, admin, store_id=s2.id)
    poster, booth = h.channel(context, t, "海报", "st-poster"), h.channel(context, t, "展台", "st-booth")
    h.cost(context, t, poster, START, END, "300.00")
    a, b, c, d = factories.customers_of(context, admin, 4)
    h.event(context, t, a.id, h.sh(2026, 3, 2))
    h.follow(context, t, a.id, g1.id, h.sh(2026, 3, 3), state="st-poster")
    h.order(context, t, a.id, h.sh(2026, 3, 4), "100.00", staff_id=g1.id, channel_id=poster)
    h.order(context, t, a.id, h.sh(2026, 3, 6), "50.00", staff_id=g1.id)
    h.event(context, t, b.id, h.sh(2026, 3, 5, 9))
    h.follow(context, t, b.id, g2.id, h.sh(2026, 3, 5, 18), state="st-booth")
    h.order(context, t, b.id, h.sh(2026, 3, 7), "80.00", staff_id=g2.id, store_id=s2.id, channel_id=booth)
    h.event(context, t, c.id, h.sh(2026, 3, 7))
    h.follow(context, t, c.id, g2.id, h.sh(2026, 3, 8))
    h.follow(context, t, c.id, g1.id, h.sh(2026, 3, 10), state="st-poster")
    h.order(context, t, c.id, h.sh(2026, 3, 12), "30.00", staff_id=g1.id, channel_id=poster)
    h.event(context, t, d.id, h.sh(2026, 3, 3))
    h.order(context, t, d.id, h.sh(2026, 3, 4), "60.00", store_id=s1.id)
    h.order(context, t, None, h.sh(2026, 3, 15), "70.00", store_id=s1.id)
    warehouse_sync.sync_tenant(context.uow(), warehouse, t)
    return {"t": t, "north": north.id, "s1": s1.id, "s2": s2.id, "g1": g1.id, "g2": g2.id, "poster": poster, "booth": booth,
            "a": a.id, "b": b.id, "c": c.id, "d": d.id}


def _scopes(x: dict[str, Any]) -> dict[str, Scope]:
    return {"all": EVERYTHING, "s1": Scope(store_id=x["s1"]), "s2": Scope(store_id=x["s2"]), "north": Scope(region_id=x["north"]),
            "poster": Scope(channel_id=x["poster"]), "booth": Scope(channel_id=x["booth"])}


def test_the_scope_is_part_of_the_cache_key() -> None:
    plain, narrowed = RfmQuery(tenant_id=1), RfmQuery(tenant_id=1, scope=Scope(store_id=7))
    assert plain.cache_key(1) != narrowed.cache_key(1) and astuple(narrowed)[-1] == (7, None, None)


def test_funnel_narrows_its_customers_by_first_relation(shop: dict[str, Any], warehouse: Warehouse) -> None:
    x = shop

    def stages(scope: Scope) -> tuple[int, int, int, int]:
        total = FunnelQuery(tenant_id=x["t"], start=START, end=END, scope=scope).run(warehouse).total
        return total.awareness, total.interest, total.purchase, total.loyalty

    # all: A (A, I, P, L: two purchases), B (A, I, P), C (A, I by the add 03-08, P), D (aware only) -> 4, 3, 3, 1
    # S1 / N / poster: A alone; S2: B and C; booth: B (C's first relation has no channel)
    got = {name: stages(scope) for name, scope in _scopes(x).items()}
    assert got == {"all": (4, 3, 3, 1), "s1": (1, 1, 1, 1), "s2": (2, 2, 2, 0), "north": (1, 1, 1, 1),
                   "poster": (1, 1, 1, 1), "booth": (1, 1, 1, 0)}


def test_rfm_scores_only_the_scopes_customers(shop: dict[str, Any], warehouse: Warehouse) -> None:
    x = shop

    def scored(scope: Scope) -> set[int]:
        return {c.customer_id for c in RfmQuery(tenant_id=x["t"], as_of=END, scope=scope).run(warehouse).customers}

    got = {name: scored(scope) for name, scope in _scopes(x).items()}
    assert got == {"all": {x["a"], x["b"], x["c"], x["d"]}, "s1": {x["a"]}, "s2": {x["b"], x["c"]}, "north": {x["a"]},
                   "poster": {x["a"]}, "booth": {x["b"]}}
    # S2's quintiles are among B and C (n = 2): B last bought 03-07 (recency 24), C 03-12 (19).
    # R: B position 0 -> 1, C position 1 -> 1 + 5 // 2 = 3; F (one purchase each, the longer ago first):
    # B 1, C 3; M: C (30) position 0 -> 1, B (80) position 1 -> 3.
    s2 = RfmQuery(tenant_id=x["t"], as_of=END, scope=Scope(store_id=x["s2"])).run(warehouse)
    assert (s2.of(x["b"]).r, s2.of(x["b"]).f, s2.of(x["b"]).m) == (1, 1, 3)  # type: ignore[union-attr]
    assert (s2.of(x["c"]).r, s2.of(x["c"]).f, s2.of(x["c"]).m) == (3, 3, 1)  # type: ignore[union-attr]


def test_channels_narrow_adds_and_purchases_and_leave_costs_empty_for_a_store(shop: dict[str, Any], warehouse: Warehouse) -> None:
    x = shop

    def rows(scope: Scope) -> dict[int, tuple[Any, ...]]:
        result = ChannelQuery(tenant_id=x["t"], start=START, end=END, as_of=END, scope=scope).run(warehouse)
        return {c.channel_id: (c.adds, c.buyers, c.gmv, c.cost, c.cac) for c in result.channels}

    p, b = x["poster"], x["booth"]
    # all: poster adds A (g1) and C (g1, 03-10); buyers A (100) and C (30): GMV 130; cost 300, CAC 150.
    #      booth adds B, buys 80; no cost.
    assert rows(EVERYTHING) == {p: (2, 2, Decimal("130.00"), Decimal("300.00"), Decimal("150.00")),
                                b: (1, 1, Decimal("80.00"), Decimal("0.00"), Decimal("0.00"))}
    # S1: both poster adds were with g1; both poster orders are credited to g1 (of S1). B's add and order are S2's.
    # Costs are per channel, not per store: empty, and so is CAC.
    assert rows(Scope(store_id=x["s1"])) == {p: (2, 2, Decimal("130.00"), None, None), b: (0, 0, Decimal("0.00"), None, None)}
    assert rows(Scope(region_id=x["north"])) == rows(Scope(store_id=x["s1"]))
    # S2: no poster add with g2; the booth's add and order (store S2)
    assert rows(Scope(store_id=x["s2"])) == {p: (0, 0, Decimal("0.00"), None, None), b: (1, 1, Decimal("80.00"), None, None)}
    # a channel: its row only, costs kept
    assert rows(Scope(channel_id=b)) == {b: (1, 1, Decimal("80.00"), Decimal("0.00"), Decimal("0.00"))}


def test_cohorts_keep_the_customers_whose_first_add_is_in_scope(shop: dict[str, Any], warehouse: Warehouse) -> None:
    x = shop

    def cohorts(scope: Scope) -> dict[int | None, tuple[int, int]]:
        result = CohortQuery(tenant_id=x["t"], since=START, until=END, months=0, as_of=END, scope=scope).run(warehouse)
        # per channel of the first add: (size, repurchasers by the end of March)
        return {c.channel_id: (c.size, c.months[0].repurchasers) for c in result.cohorts}

    p, b = x["poster"], x["booth"]
    # A (poster: bought twice after the add -> a repurchaser), B (booth), C (no channel); D added nobody
    assert cohorts(EVERYTHING) == {p: (1, 1), b: (1, 0), None: (1, 0)}
    assert cohorts(Scope(store_id=x["s1"])) == {p: (1, 1)}
    assert cohorts(Scope(region_id=x["north"])) == {p: (1, 1)}
    assert cohorts(Scope(store_id=x["s2"])) == {b: (1, 0), None: (1, 0)}
    assert cohorts(Scope(channel_id=p)) == {p: (1, 1)}  # C added through the poster too, but not first


def test_staff_narrows_rows_by_place_and_counts_by_channel(shop: dict[str, Any], warehouse: Warehouse) -> None:
    x = shop

    def rows(scope: Scope, level: Level = Level.STAFF) -> dict[int | None, tuple[Any, ...]]:
        result = StaffQuery(tenant_id=x["t"], start=START, end=END, level=level, scope=scope).run(warehouse)
        return {r.key_id: (r.adds, r.buyers, r.repurchasers, r.gmv, r.rank) for r in result.rows}

    g1, g2 = x["g1"], x["g2"]
    # all: g1 adds A, C; orders A 100 + 50, C 30 -> buyers 2, one repurchaser, GMV 180, rank 1.
    #      g2 adds B, C; B's 80 -> rank 2
    assert rows(EVERYTHING) == {g1: (2, 2, 1, Decimal("180.00"), 1), g2: (2, 1, 0, Decimal("80.00"), 2)}
    # a store or region keeps its rows, ranks across the nation
    assert rows(Scope(store_id=x["s2"])) == {g2: (2, 1, 0, Decimal("80.00"), 2)}
    assert rows(Scope(region_id=x["north"])) == {g1: (2, 2, 1, Decimal("180.00"), 1)}
    # the poster: g1's two adds through it; its orders A 100 and C 30 -> no repurchaser, GMV 130; g2 has none
    assert rows(Scope(channel_id=x["poster"])) == {g1: (2, 2, 0, Decimal("130.00"), 1)}
    # the nation's row is never narrowed by a place
    assert rows(Scope(store_id=x["s2"]), Level.NATION) == rows(EVERYTHING, Level.NATION)


def test_private_domain_share_counts_the_orders_credited(shop: dict[str, Any], warehouse: Warehouse) -> None:
    x = shop

    def march(scope: Scope) -> tuple[int, int, Decimal, Decimal]:
        result = PrivateDomainShareQuery(tenant_id=x["t"], since=START, until=END, scope=scope).run(warehouse)
        (m,) = result.months
        return m.orders, m.private_orders, m.gmv, m.private_gmv

    # all: A 100, A 50, B 80, C 30 (each a friend when ordering), D 60 and the unmatched 70 (not) -> 6, 4, 390, 260
    assert march(EVERYTHING) == (6, 4, Decimal("390.00"), Decimal("260.00"))
    # S1: A's two and C's (g1's store), D's and the unmatched one (store S1) -> 5 orders, 310; private 180
    assert march(Scope(store_id=x["s1"])) == (5, 3, Decimal("310.00"), Decimal("180.00"))
    assert march(Scope(region_id=x["north"])) == march(Scope(store_id=x["s1"]))
    assert march(Scope(store_id=x["s2"])) == (1, 1, Decimal("80.00"), Decimal("80.00"))
    # the poster: A's 100 and C's 30
    assert march(Scope(channel_id=x["poster"])) == (2, 2, Decimal("130.00"), Decimal("130.00"))


def test_ltv_fits_the_brand_and_lists_the_scopes_customers(context: Context, warehouse: Warehouse) -> None:
    _, admin = factories.tenant(context)
    t, ids = ltv_history(context, admin)  # six buyers, none of them a friend yet
    s1, s2 = factories.store(context, admin), factories.store(context, admin)
    g1, g2 = factories.member(context, admin, store_id=s1.id), factories.member(context, admin, store_id=s2.id)
    # A and C first add g1 (S1); C adds g2 later; F adds g2 (S2)
    h.follow(context, t, ids["a"], g1.id, h.sh(2026, 1, 1))
    h.follow(context, t, ids["c"], g1.id, h.sh(2026, 1, 2))
    h.follow(context, t, ids["c"], g2.id, h.sh(2026, 2, 2))
    h.follow(context, t, ids["f"], g2.id, h.sh(2026, 4, 2))
    warehouse_sync.sync_tenant(context.uow(), warehouse, t)
    everyone = LtvQuery(tenant_id=t, as_of=AS_OF).run(warehouse)
    s1_only = LtvQuery(tenant_id=t, as_of=AS_OF, scope=Scope(store_id=s1.id)).run(warehouse)
    s2_only = LtvQuery(tenant_id=t, as_of=AS_OF, scope=Scope(store_id=s2.id)).run(warehouse)
    assert len(everyone.customers) == 6
    assert {c.customer_id for c in s1_only.customers} == {ids["a"], ids["c"]}
    assert {c.customer_id for c in s2_only.customers} == {ids["f"]}  # C's first add was g1's
    # one fit, the brand's: the same parameters and counts, the same predictions for A
    assert s1_only.fit == everyone.fit and s1_only.fit.customers == 6 and s1_only.of(ids["a"]) == everyone.of(ids["a"])
