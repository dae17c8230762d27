"""The order summary: every live buyer's purchases, kept by the warehouse sync for the segment rules.

Two warehouse tables derived from ``orders`` and ``customer_links`` (never read from the
operational store), with the analytics' own definitions (``siyu.analytics.frame``):

- ``customer_order_days``: per live customer and Asia/Shanghai business day
  (``date(ordered_at + 8 hours)``) with a purchase — an order with a customer whose net
  (``amount - refunded_amount``) is above zero, a fully refunded order left out — the number of
  purchases, their net sum (GMV) and the first and last purchase times (UTC). A segment window of
  ``days`` starts at the start of the Shanghai day ``as_of - days``, so it is a whole number of
  these rows: every window is answered exactly from them.
- ``customer_orders``: the same per live customer over all time (their sum, min and max), the
  all-time order conditions' one row per buyer.

Rows are per *live* customer (``coalesce(live_customer_id, customer_id)``): a merged-away
customer's orders count for the customer they were merged into, whether or not the merge moved
them. The sync (``siyu.services.warehouse_sync``) collects the customers whose summary may have
changed — the old and new customer of every order row it wrote, the customers whose live
customer changed (a merge, a chain, an undo) — and :func:`refresh` recomputes exactly those
live customers' rows from the warehouse's orders. A refresh is bracketed by a ``sync_marks`` row
(source ``customer_orders``): the sync removes it before it writes anything and puts it back
after the refresh, so a sync that died half way leaves no mark and the next one rebuilds the
tenant's summary whole (as does the first sync, or a warehouse made by an older Siyu).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import ibis
import ibis.expr.types as ir

from siyu.adapters.warehouse import Warehouse, naive_utc
from siyu.adapters.warehouse.schema import TOTAL

MARK = "customer_orders"
TABLES = ("customer_order_days", "customer_orders")
REBUILD_ABOVE = 10_000  # more live customers to recompute than this: rebuild the tenant's summary whole (cheaper then)
CHUNK = 5_000  # live customers per recompute: each is one pass over the tenant's orders, their raw ids one IN list


def is_current(wh: Warehouse, tenant_id: int) -> bool:
    """Whether the tenant's summary was left in step with its orders by the last sync."""
    return bool(wh.fetch(f"SELECT 1 FROM sync_marks WHERE tenant_id = {int(tenant_id)} AND source = '{MARK}'"))


def begin(wh: Warehouse, tenant_id: int) -> bool:
    """Before a sync writes orders or customers: forget the mark (the summary may go out of step
    until :func:`finish`). Returns whether it was current, i.e. whether an incremental refresh
    will do."""
    current = is_current(wh, tenant_id)
    if current:
        wh.delete_tenant("sync_marks", tenant_id, f"source = '{MARK}'")
    return current


def finish(wh: Warehouse, tenant_id: int, at: datetime) -> None:
    wh.insert("sync_marks", [(tenant_id, MARK, naive_utc(at))])


def refresh(wh: Warehouse, tenant_id: int, touched: Iterable[int] | None) -> int:
    """Recompute the summary of the live customers of ``touched`` (customer ids, merged-away or
    live, whose orders or live customer changed); ``None``: the whole tenant. Returns the number
    of live customers recomputed (every buyer, for a whole rebuild)."""
    links: dict[int, int] = dict(wh.fetch(  # type: ignore[arg-type]
        f"SELECT customer_id, live_customer_id FROM customer_links WHERE tenant_id = {int(tenant_id)}"))
    if touched is not None:
        touched = set(touched)
        live = {links.get(c, c) for c in touched}
        if len(live) <= REBUILD_ABOVE:
            _recompute(wh, tenant_id, touched | live, live, links)
            return len(live)
    for name in TABLES:
        wh.delete_tenant(name, tenant_id)
    _insert(wh, tenant_id, None, None)
    return int(wh.fetch(f"SELECT count(*) FROM customer_orders WHERE tenant_id = {int(tenant_id)}")[0][0])


def _recompute(wh: Warehouse, tenant_id: int, stale: set[int], live: set[int], links: dict[int, int]) -> None:
    """Delete the rows of ``stale`` (the live customers and any id that is no longer live), then
    insert the live customers' rows again, from every order of every customer merged into them."""
    for name in TABLES:
        wh.delete_keys(name, tenant_id, "customer_id", stale)
    merged_into: dict[int, list[int]] = {}
    for customer_id, live_id in links.items():
        if live_id in live:
            merged_into.setdefault(live_id, []).append(customer_id)
    ordered = sorted(live)
    for i in range(0, len(ordered), CHUNK):
        chunk = ordered[i : i + CHUNK]
        _insert(wh, tenant_id, chunk, chunk + [c for live_id in chunk for c in merged_into.get(live_id, [])])


def _insert(wh: Warehouse, tenant_id: int, live: list[int] | None, raw_ids: list[int] | None) -> None:
    """The rows of the live customers ``live`` (None: all), from the orders of ``raw_ids``."""
    wh.backend.insert("customer_order_days", _days(wh, tenant_id, raw_ids))
    days = wh.table("customer_order_days")
    days = days.filter(days.tenant_id == tenant_id)
    if live is not None:
        days = days.filter(days.customer_id.isin(_ids(live)))
    per = days.group_by(["tenant_id", "customer_id"]).aggregate(
        orders=days.orders.sum(), gmv=days.gmv.sum().cast(TOTAL),
        first_purchase_at=days.first_purchase_at.min(), last_purchase_at=days.last_purchase_at.max())
    wh.backend.insert("customer_orders", per)


def _ids(ids: list[int]) -> ir.IntegerColumn:
    """Ids as a column of an in-memory table (a semi-join, not a list of literals: DuckDB filters
    3 M orders by a literal list of thousands of ids far slower)."""
    return ibis.memtable({"id": ids}, schema={"id": "int64"}).id


def _days(wh: Warehouse, tenant_id: int, raw_ids: list[int] | None) -> ir.Table:
    """Purchases per live customer and business day, of the orders of ``raw_ids`` (None: all)."""
    o = wh.table("orders")
    o = o.filter((o.tenant_id == tenant_id) & o.customer_id.notnull() & (o.amount > o.refunded_amount))
    if raw_ids is not None:
        o = o.filter(o.customer_id.isin(_ids(raw_ids)))
    links = wh.table("customer_links")
    links = links.filter(links.tenant_id == tenant_id).select(link_customer_id="customer_id", live_id="live_customer_id")
    j = o.left_join(links, o.customer_id == links.link_customer_id)
    p = j.select(tenant_id=j.tenant_id, customer_id=ibis.coalesce(j.live_id, j.customer_id),
                 day=(j.ordered_at + ibis.interval(hours=8)).date(), net=j.amount - j.refunded_amount, at=j.ordered_at)
    return p.group_by(["tenant_id", "customer_id", "day"]).aggregate(
        orders=p.count(), gmv=p.net.sum().cast(TOTAL), first_purchase_at=p.at.min(), last_purchase_at=p.at.max())
