"""The demo brand's orders, channels, costs and events: a realistic mix, the same for the same seed."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import func, select

from siyu.adapters.db.tables import channel_costs, channels, events, orders, refunds
from siyu.services.demo import load_demo_brand
from siyu.services.demo.catalogue import CHANNELS

TODAY = date(2026, 11, 23)


def load(context, slug, seed=3):
    return load_demo_brand(context.uow, seed=seed, customers=300, slug=slug, today=TODAY)


def order_rows(context, tenant_id):
    o = orders.c
    with context.session_factory() as session:
        return session.execute(
            select(o.source, o.source_order_id, o.customer_id.is_(None).label("unmatched"), o.store_id.is_not(None).label("in_store"),
                   o.staff_id.is_not(None).label("credited"), o.channel_id.is_not(None).label("channel"), o.ordered_at, o.amount,
                   o.refunded_amount, o.status)
            .where(o.tenant_id == tenant_id).order_by(o.source, o.source_order_id)
        ).all()


def test_the_demo_brand_has_a_realistic_mix_of_orders(context):
    loaded = load(context, "demo-o")
    rows = order_rows(context, loaded.tenant_id)
    summary = loaded.orders
    assert summary is not None and summary.orders == len(rows) > 150
    assert summary.channels == len(CHANNELS) and summary.costs > len(CHANNELS) and summary.events > 0
    sources = Counter(r.source for r in rows)
    assert {"store", "mall", "miniprogram", "tmall"} <= set(sources)
    assert all(r.in_store and r.credited for r in rows if r.source == "store")
    assert any(r.credited for r in rows if r.source != "store")  # guides credited for online sales too
    statuses = Counter(r.status for r in rows)
    assert statuses["paid"] > statuses["refunded"] > 0 and statuses["partially_refunded"] > 0
    assert all(r.refunded_amount <= r.amount for r in rows)
    assert 0 < summary.unmatched == sum(r.unmatched for r in rows) < len(rows) // 10

    with context.session_factory() as session:
        o = orders.c
        per_customer = Counter(session.execute(
            select(o.customer_id).where(o.tenant_id == loaded.tenant_id, o.customer_id.is_not(None))
        ).scalars())
        assert any(n == 1 for n in per_customer.values()) and any(n >= 3 for n in per_customer.values())  # first and repeat
        refunded = session.execute(select(func.sum(refunds.c.amount)).where(refunds.c.tenant_id == loaded.tenant_id)).scalar()
        assert refunded == sum(r.refunded_amount for r in rows)
        states = set(session.execute(select(channels.c.state).where(channels.c.tenant_id == loaded.tenant_id)).scalars())
        assert states == {c.state for c in CHANNELS}
        cost_rows = session.execute(select(channel_costs).where(channel_costs.c.tenant_id == loaded.tenant_id)).all()
        assert all(c.period_start.day == 1 and c.period_end <= TODAY for c in cost_rows)
        matched_events = session.execute(
            select(func.count()).where(events.c.tenant_id == loaded.tenant_id, events.c.customer_id.is_not(None),
                                       events.c.name != "message_replied")  # replies: tests/integration/test_demo_replies.py
        ).scalar()
        assert matched_events == summary.events


def test_the_same_seed_gives_the_same_orders_and_another_seed_others(context):
    first, second, other = load(context, "demo-p"), load(context, "demo-q"), load(context, "demo-r", seed=4)
    assert first.orders == second.orders
    strip = lambda rows: [r[:2] + r[3:] for r in rows]  # noqa: E731  (customer ids differ between brands)
    assert strip(order_rows(context, first.tenant_id)) == strip(order_rows(context, second.tenant_id))
    assert strip(order_rows(context, first.tenant_id)) != strip(order_rows(context, other.tenant_id))
