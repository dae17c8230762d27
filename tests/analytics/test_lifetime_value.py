"""Lifetime value per tenant on a hand-built history: the summary is worked out by hand in the
comments; the fit and predictions must be those of siyu.analytics.ltv on that summary."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from siyu.adapters.warehouse import Warehouse
from siyu.analytics.lifetime_value import DEFAULT_PENALIZER, LtvQuery
from siyu.analytics.ltv.model import fit_ltv
from siyu.analytics.ltv.summary import summary_from_columns
from siyu.bootstrap import Context
from siyu.domain.access import Actor
from siyu.domain.errors import InvalidInput
from siyu.domain.paging import PageRequest
from siyu.services import merging, warehouse_sync
from tests import factories
from tests.analytics import history as h

AS_OF = date(2026, 6, 30)


def ltv_history(context: Context, admin: Actor | None = None) -> tuple[int, dict[str, int]]:
    """Six buying customers (one of them two merged records) and one who buys after AS_OF, in
    ``admin``'s tenant (a new one by default)."""
    if admin is None:
        admin = factories.tenant(context)[1]
    t = admin.tenant_id
    a, b, c, d, e, f, g, k = factories.customers_of(context, admin, 8)
    # A: 01-05 100; 02-05 60; 03-05 40 + 20 (one day: 60) -> freq 2, recency 59, T 176, monetary (60 + 60) / 2 = 60
    for at, amount in ((h.sh(2026, 1, 5), "100.00"), (h.sh(2026, 2, 5), "60.00"), (h.sh(2026, 3, 5, 10), "40.00"),
                       (h.sh(2026, 3, 5, 15), "20.00")):
        h.order(context, t, a.id, at, amount)
    # B: 02-01 50 only -> freq 0, recency 0, T 149 (27 + 31 + 30 + 31 + 30), monetary 0
    h.order(context, t, b.id, h.sh(2026, 2, 1), "50.00")
    # C: 01-10 80; 04-01 500 fully refunded (left out); 06-20 40 with 10 refunded (net 30)
    #    -> freq 1, recency 161 (21 + 28 + 31 + 30 + 31 + 20), T 171, monetary 30
    h.order(context, t, c.id, h.sh(2026, 1, 10), "80.00")
    h.order(context, t, c.id, h.sh(2026, 4, 1), "500.00", refunded="500.00")
    h.order(context, t, c.id, h.sh(2026, 6, 20), "40.00", refunded="10.00")
    # D and E are one person: D 03-01 23:30 Shanghai (business day 03-01) 70; E 03-02 00:30 Shanghai
    #    (03-01 16:30 UTC, business day 03-02) 30 -> two days: freq 1, recency 1, T 121, monetary 30
    h.order(context, t, d.id, h.sh(2026, 3, 1, 23, 30), "70.00")
    h.order(context, t, e.id, h.sh(2026, 3, 2, 0, 30), "30.00")
    de = merging.merge_customers(context.uow(), admin, d.id, e.id).survivor_id
    # F: 40 on 05-01, 05-15, 06-01, 06-15 -> freq 3, recency 45, T 60, monetary 40
    for day in ((5, 1), (5, 15), (6, 1), (6, 15)):
        h.order(context, t, f.id, h.sh(2026, *day), "40.00")
    # K: 01-20 200; 01-25 100 -> freq 1, recency 5, T 161, monetary 100
    h.order(context, t, k.id, h.sh(2026, 1, 20), "200.00")
    h.order(context, t, k.id, h.sh(2026, 1, 25), "100.00")
    # G: first buys 07-01 00:30 Shanghai (06-30 16:30 UTC): after AS_OF, not in the summary
    h.order(context, t, g.id, h.sh(2026, 7, 1, 0, 30), "90.00")
    return t, {"a": a.id, "b": b.id, "c": c.id, "de": de, "f": f.id, "k": k.id, "g": g.id}


def test_ltv_fits_the_tenants_own_purchases(context: Context, warehouse: Warehouse) -> None:
    t, ids = ltv_history(context)
    warehouse_sync.sync_tenant(context.uow(), warehouse, t)
    result = LtvQuery(tenant_id=t, as_of=AS_OF).run(warehouse)

    by_hand = {  # (frequency, recency, T, monetary)
        ids["a"]: (2, 59, 176, Decimal("60.00")), ids["b"]: (0, 0, 149, Decimal("0.00")),
        ids["c"]: (1, 161, 171, Decimal("30.00")), ids["de"]: (1, 1, 121, Decimal("30.00")),
        ids["f"]: (3, 45, 60, Decimal("40.00")), ids["k"]: (1, 5, 161, Decimal("100.00")),
    }
    got = {c.customer_id: (c.frequency, c.recency_days, c.age_days, c.monetary) for c in result.customers}
    assert got == by_hand and result.of(ids["g"]) is None
    assert (result.fit.customers, result.fit.repeat_customers) == (6, 5)

    order = sorted(by_hand)
    columns = [np.array([float(by_hand[c][i]) for c in order]) for i in range(4)]
    expected_model = fit_ltv(summary_from_columns(*columns, customers=np.array(order)), penalizer=DEFAULT_PENALIZER)
    expected = expected_model.predict(summary_from_columns(*columns, customers=np.array(order)))
    assert result.fit.bgnbd == pytest.approx(expected_model.purchases.params.as_dict())
    assert result.fit.gamma_gamma == pytest.approx(expected_model.spend.params.as_dict())
    for i, customer in enumerate(order):
        row = result.of(customer)
        assert row is not None
        assert row.probability_alive == pytest.approx(expected.probability_alive[i])
        assert row.purchases_90d == pytest.approx(expected.expected_purchases[90][i])
        assert row.purchases_365d == pytest.approx(expected.expected_purchases[365][i])
        assert float(row.value_365d) == pytest.approx(expected.value[365][i], abs=0.005)
    # a one-time buyer is alive for BG/NBD; more purchases expected over a year than over 90 days
    assert result.of(ids["b"]).probability_alive == 1.0  # type: ignore[union-attr]
    assert all(c.purchases_365d > c.purchases_90d > 0 for c in result.customers)
    page = result.page(PageRequest(page=2, page_size=4))
    assert page.total == 6 and [c.customer_id for c in page.items] == order[4:]


def test_ltv_without_repeat_buyers_says_why(context: Context, warehouse: Warehouse) -> None:
    tenant, admin = factories.tenant(context)
    (a,) = factories.customers_of(context, admin, 1)
    h.order(context, tenant.id, a.id, h.sh(2026, 3, 1), "10.00")
    warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)
    with pytest.raises(InvalidInput) as err:
        LtvQuery(tenant_id=tenant.id, as_of=AS_OF).run(warehouse)
    assert err.value.code == "analytics.ltv_cannot_fit"
