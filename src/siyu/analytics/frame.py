"""Building blocks every question shares: the business day, live customers, purchases.

- **Business day**: Asia/Shanghai. China has kept UTC+8 all year since 1991, so the business
  day of a UTC timestamp is ``date(ts + 8 hours)`` exactly, and that is one portable
  expression on every engine (no time-zone database needed in the warehouse).
- **Live customer**: merged-away customers map to the customer they were merged into
  (``customer_links``, chains already followed by the sync); everything is counted per live
  customer, so a merge never counts a person twice.
- **Loyal member**: a live customer one of whose records (their own, or one merged into them)
  holds a member level that counts as loyal (``member_levels.loyal``: the tenant's threshold
  and the levels above it). A level not in the tenant's list is no level.
- **Purchase**: an order with a customer whose net amount (``amount - refunded_amount``) is
  above zero. A fully refunded order is not a purchase; a partly refunded one counts its net.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from siyu.adapters.warehouse import Warehouse
from siyu.domain.days import SHANGHAI, day_start_utc, today_in_shanghai  # the query modules import them from here
from siyu.domain.errors import InvalidInput
DELETED_STATES = ("deleted_by_customer", "deleted_by_staff")


def check_period(start: date, end: date) -> None:
    """A period of business days: forwards, and at most ten years."""
    if end < start:
        raise InvalidInput("analytics.period_backwards", "the period ends before it starts", field="end")
    if (end - start).days > 3660:
        raise InvalidInput("analytics.period_too_long", "a period is at most %(years)s years", field="end", years=10)


def flag(condition: ir.BooleanValue) -> ir.IntegerValue:
    """1 or 0 (PostgreSQL casts no boolean to a number)."""
    return ibis.cases((condition, 1), else_=0)


def business_day(ts: ir.TimestampValue) -> ir.DateValue:
    return (ts + ibis.interval(hours=8)).date()


def month_index(day: ir.DateValue) -> ir.IntegerValue:
    """Months since year 0: consecutive months differ by one."""
    return day.year() * 12 + day.month() - 1


def live_map(wh: Warehouse, tenant_id: int) -> ir.Table:
    links = wh.table("customer_links")
    return links.filter(links.tenant_id == tenant_id).select(link_customer_id="customer_id", live_id="live_customer_id")


def with_live_customer(table: ir.Table, wh: Warehouse, tenant_id: int) -> ir.Table:
    """``table`` (already filtered to the tenant) plus ``live_customer_id``."""
    links = live_map(wh, tenant_id)
    joined = table.left_join(links, table.customer_id == links.link_customer_id)
    return joined.mutate(live_customer_id=ibis.coalesce(joined.live_id, joined.customer_id)).drop("link_customer_id", "live_id")


def purchases(wh: Warehouse, tenant_id: int, *, matched_only: bool = True) -> ir.Table:
    """Orders that count as purchases, with ``live_customer_id``, ``day`` and ``net``; with
    ``matched_only=False`` orders that matched no customer too (their customer is empty)."""
    o = wh.table("orders")
    o = o.filter((o.tenant_id == tenant_id) & (o.amount > o.refunded_amount))
    if matched_only:
        o = o.filter(o.customer_id.notnull())
    o = with_live_customer(o, wh, tenant_id)
    return o.mutate(day=business_day(o.ordered_at), net=o.amount - o.refunded_amount)


def relations(wh: Warehouse, tenant_id: int) -> ir.Table:
    """Staff relations with ``live_customer_id`` and the business day of the add."""
    r = wh.table("relations")
    r = with_live_customer(r.filter(r.tenant_id == tenant_id), wh, tenant_id)
    return r.mutate(add_day=business_day(r.added_at), deleted=r.state.isin(DELETED_STATES))


def loyal_members(wh: Warehouse, tenant_id: int) -> ir.Table:
    """``loyal_customer``: live customers whose member level counts as loyal."""
    c = wh.table("customers")
    c = c.filter((c.tenant_id == tenant_id) & c.member_level.notnull())
    levels = wh.table("member_levels")
    levels = levels.filter((levels.tenant_id == tenant_id) & levels.loyal)
    c = with_live_customer(c.semi_join(levels, c.member_level == levels.name).select("customer_id"), wh, tenant_id)
    return c.select(loyal_customer=c.live_customer_id).distinct()
