"""A question asked of one store, region or channel: the one way every dashboard narrows.

A :class:`Scope` is a field of each query (a frozen dataclass, so the cache key holds it).
Two things can be narrowed, and each query's docstring says which it uses:

- **the customer base** (:func:`in_scope_customers`): live customers whose *first relation*
  (earliest ``added_at``, then relation id; merged customers' relations included) was with a
  staff member of the store (``staff.store_id``), of a store of the region
  (``stores.region_id``), and/or made through the channel (``channel_state`` -> the channel's
  ``state``). The same first relation the funnel's breakdowns and the cohorts attribute by. A
  customer with no relation is in no store, region or channel.
- **orders credited** (:func:`credited_orders`): orders whose store is the store (or in the
  region) — the order's ``store_id``, or when it has none the store of the staff member it is
  credited to — and whose ``channel_id`` is the channel.
- **relations** (:func:`scoped_relations`): staff relations with a staff member of the store
  or region, made through the channel.
- **rows of a staff member** (:func:`with_staff_in_places`): any rows whose staff column is a
  staff member of the store or region (channel ROI's group joins: the group's owner).

Empty fields narrow nothing; set fields all apply (a store *and* a channel: both).
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from siyu.adapters.warehouse import Warehouse
from siyu.analytics.frame import relations


@dataclass(frozen=True)
class Scope:
    store_id: int | None = None
    region_id: int | None = None
    channel_id: int | None = None

    @property
    def everything(self) -> bool:
        return self.store_id is None and self.region_id is None and self.channel_id is None

    @property
    def places(self) -> bool:
        """A store or a region is chosen."""
        return self.store_id is not None or self.region_id is not None


EVERYTHING = Scope()


def _staff_places(wh: Warehouse, tenant_id: int) -> ir.Table:
    """Each staff member's store and that store's region."""
    st = wh.table("staff")
    st = st.filter(st.tenant_id == tenant_id).select(p_staff="staff_id", p_store="store_id")
    so = wh.table("stores")
    so = so.filter(so.tenant_id == tenant_id).select(q_store="store_id", p_region="region_id")
    joined = st.left_join(so, st.p_store == so.q_store)
    return joined.select("p_staff", "p_store", "p_region")


def _place_matches(store: ir.IntegerValue, region: ir.IntegerValue, scope: Scope) -> ir.BooleanValue:
    condition = ibis.literal(True)
    if scope.store_id is not None:
        condition &= (store == scope.store_id).fill_null(False)
    if scope.region_id is not None:
        condition &= (region == scope.region_id).fill_null(False)
    return condition


def _channel_state(wh: Warehouse, tenant_id: int, channel_id: int) -> ir.Table:
    ch = wh.table("channels")
    return ch.filter((ch.tenant_id == tenant_id) & (ch.channel_id == channel_id)).select(c_state="state")


def with_staff_in_places(table: ir.Table, staff_column: str, wh: Warehouse, tenant_id: int, scope: Scope) -> ir.Table:
    """The rows of ``table`` whose ``staff_column`` is a staff member of the scope's store or
    region (every row when neither is chosen; a row with no staff member is in no place)."""
    if not scope.places:
        return table
    places = _staff_places(wh, tenant_id)
    joined = table.left_join(places, table[staff_column] == places.p_staff)
    return joined.filter(_place_matches(joined.p_store, joined.p_region, scope)).drop("p_staff", "p_store", "p_region")


def scoped_relations(rel: ir.Table, wh: Warehouse, tenant_id: int, scope: Scope) -> ir.Table:
    """``rel`` (relations of :func:`siyu.analytics.frame.relations`) with a staff member of the
    scope's store or region, made through its channel."""
    rel = with_staff_in_places(rel, "staff_id", wh, tenant_id, scope)
    if scope.channel_id is not None:
        state = _channel_state(wh, tenant_id, scope.channel_id)
        rel = rel.semi_join(state, rel.channel_state == state.c_state)
    return rel


def first_relations(wh: Warehouse, tenant_id: int) -> ir.Table:
    """Each live customer's first relation (earliest ``added_at``, then relation id)."""
    rel = relations(wh, tenant_id)
    first = ibis.row_number().over(group_by=rel.live_customer_id, order_by=[rel.added_at, rel.relation_id])
    return rel.mutate(pos=first).filter(lambda t: t.pos == 0).drop("pos")


def in_scope_customers(wh: Warehouse, tenant_id: int, scope: Scope) -> ir.Table:
    """``scoped_customer``: the live customers whose first relation is in the scope."""
    first = scoped_relations(first_relations(wh, tenant_id), wh, tenant_id, scope)
    return first.select(scoped_customer=first.live_customer_id)


def restrict_customers(table: ir.Table, column: str, wh: Warehouse, tenant_id: int, scope: Scope) -> ir.Table:
    """The rows of ``table`` whose live customer ``column`` is in the scope's customer base."""
    if scope.everything:
        return table
    base = in_scope_customers(wh, tenant_id, scope)
    return table.semi_join(base, table[column] == base.scoped_customer)


def credited_orders(orders: ir.Table, wh: Warehouse, tenant_id: int, scope: Scope) -> ir.Table:
    """The rows of ``orders`` (with ``store_id``, ``staff_id``, ``channel_id``) credited to the
    scope: the order's store, else its staff member's, is the store or in the region; its
    channel is the channel."""
    if scope.places:
        places = _staff_places(wh, tenant_id)
        so = wh.table("stores")
        so = so.filter(so.tenant_id == tenant_id).select(r_store="store_id", r_region="region_id")
        o = orders.left_join(places, orders.staff_id == places.p_staff)
        o = o.mutate(credit_store=ibis.coalesce(o.store_id, o.p_store)).drop("p_staff", "p_store", "p_region")
        o = o.left_join(so, o.credit_store == so.r_store)
        orders = o.filter(_place_matches(o.credit_store, o.r_region, scope)).drop("credit_store", "r_store", "r_region")
    if scope.channel_id is not None:
        orders = orders.filter((orders.channel_id == scope.channel_id).fill_null(False))
    return orders
