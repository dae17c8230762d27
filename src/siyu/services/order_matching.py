"""Matching orders and events to customers after the fact (Permission ``orders.manage``).

An order or event whose identities matched nobody when it arrived is kept with no customer;
:func:`match_unmatched` gives it its customer once one of its identities is known (the worker
runs it after every customer import; ``POST /api/v1/orders:match`` and ``siyu orders match``
run it on demand). It also moves orders and events still on a merged-away customer (a merge
path that did not move them) to the live customer. Safe to run any time, as often as wanted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Actor, Permission, Scope
from siyu.domain.identities import IdentityKey
from siyu.domain.orders import keys_from_stored, pick_customer
from siyu.services import journey_triggers
from siyu.services.auth import system_actor
from siyu.services.clock import utcnow
from siyu.services.customers import actor_label
from siyu.services.orders import placed_row, refunded_row

MATCH_BATCH = 1000


@dataclass(frozen=True, slots=True)
class MatchCounts:
    orders_matched: int
    events_matched: int
    orders_followed: int  # moved off a merged-away customer onto the live one
    events_followed: int


def match_unmatched(uow: SqlUnitOfWork, actor: Actor, *, batch: int = MATCH_BATCH) -> MatchCounts:
    """Match what can be matched now; the counts of what moved."""
    actor.require(Permission.ORDERS_MANAGE)
    tenant_id, label = actor.tenant_id, actor_label(actor)
    orders_matched = events_matched = 0
    after = 0
    while True:
        with uow:
            rows = uow.orders.unmatched_after(tenant_id, after, batch)
            if not rows:
                break
            keyed = [(order_id, keys_from_stored(identities)) for order_id, identities in rows]
            owners = uow.identities.owners(tenant_id, sorted({k for _, keys in keyed for k in keys}))
            orders_matched += _assign_orders(uow, tenant_id, keyed, owners, label)
            uow.commit()
        after = rows[-1][0]
    cursor = ("", "")
    while True:
        with uow:
            pairs = uow.events.unmatched_keys(tenant_id, cursor, batch)
            if not pairs:
                break
            keys = [IdentityKey.parse(kind, value) for kind, value in pairs]
            owners = uow.identities.owners(tenant_id, keys)
            by_kind: dict[str, dict[str, int]] = defaultdict(dict)
            for key, owner in owners.items():
                by_kind[key.kind.value][key.value] = owner
            for kind, values in by_kind.items():
                events_matched += uow.events.assign(tenant_id, kind, values, now=utcnow())
            uow.commit()
        cursor = pairs[-1]
    orders_followed, events_followed = _follow_merges(uow, tenant_id, batch)
    return MatchCounts(orders_matched, events_matched, orders_followed, events_followed)


def _assign_orders(
    uow: SqlUnitOfWork, tenant_id: int, keyed: list[tuple[int, list[IdentityKey]]], owners: dict[IdentityKey, int], actor: str
) -> int:
    by_customer: dict[int, list[int]] = defaultdict(list)
    for order_id, keys in keyed:
        customer_id = pick_customer(keys, owners)
        if customer_id is not None:
            by_customer[customer_id].append(order_id)
    now = utcnow()
    timeline = []
    for customer_id, ids in by_customer.items():
        uow.orders.move(tenant_id, ids, customer_id, now=now)
        for order_id in ids:
            order = uow.orders.get(Scope(tenant_id), order_id)
            assert order is not None
            timeline.append(placed_row(tenant_id, customer_id, order.source, order.source_order_id, order.ordered_at,
                                       order.amount, actor))
            timeline += [refunded_row(tenant_id, customer_id, order.source, order.source_order_id, r.source_refund_id,
                                      r.refunded_at, r.amount, actor) for r in order.refunds]
    uow.timeline.add_many(timeline)
    journey_triggers.purchased(uow, tenant_id, [(c, o) for c, ids in by_customer.items() for o in ids])
    return sum(len(ids) for ids in by_customer.values())


def _live(uow: SqlUnitOfWork, tenant_id: int, customer_id: int) -> int:
    seen = {customer_id}
    current = uow.customers.get_any(tenant_id, customer_id)
    while current is not None and current.merged_into_id is not None and current.merged_into_id not in seen:
        seen.add(current.merged_into_id)
        current = uow.customers.get_any(tenant_id, current.merged_into_id)
    assert current is not None
    return current.id


def _follow_merges(uow: SqlUnitOfWork, tenant_id: int, batch: int) -> tuple[int, int]:
    moved_orders = moved_events = 0
    while True:
        with uow:
            orders = uow.orders.orders_of_merged_away(tenant_id, batch)
            events = uow.events.of_merged_away(tenant_id, batch)
            if not orders and not events:
                return moved_orders, moved_events
            now = utcnow()
            live: dict[int, int] = {}
            for _, customer_id in orders + events:
                if customer_id not in live:
                    live[customer_id] = _live(uow, tenant_id, customer_id)
            for target, ids in _group(orders, live).items():
                uow.orders.move(tenant_id, ids, target, now=now)
            for target, ids in _group(events, live).items():
                uow.events.move(tenant_id, ids, target, now=now)
            moved_orders += len(orders)
            moved_events += len(events)
            uow.commit()


def _group(rows: list[tuple[int, int]], live: dict[int, int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for row_id, customer_id in rows:
        out[live[customer_id]].append(row_id)
    return out


def match_everywhere(new_uow: Callable[[], SqlUnitOfWork]) -> dict[int, MatchCounts]:
    """The worker's sweep: :func:`match_unmatched` for every tenant with something unmatched,
    as the system actor. Catches identities that arrived any way at all (API, WeCom, console)."""
    with new_uow() as uow:
        tenant_ids = uow.orders.tenants_with_unmatched()
    return {tenant_id: match_unmatched(new_uow(), system_actor(tenant_id)) for tenant_id in tenant_ids}
