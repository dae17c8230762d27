"""What the warehouse sync reads from the operational store, already in the warehouse's shape.

Every row comes out as a tuple in the column order of the warehouse table of the same source
(``siyu.adapters.warehouse.schema.TABLES``), with UTC times made naive. Position 1 is always
the row's key (the column the sync blocks on). Rows stream in key order, so a whole table is
never held in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import hashlib
import json

from sqlalchemy import ColumnElement, Select, String, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from siyu.adapters.db.tables import (
    customer_identities,
    customer_tags,
    customers,
    member_levels,
    regions,
    staff,
    staff_relations,
    stores,
    tenants,
)
from siyu.adapters.db.tables.group_codes import group_code_joins, group_codes
from siyu.adapters.db.tables.segments import customer_scores
from siyu.adapters.db.tables.wecom import wecom_group_chats
from siyu.adapters.db.tables.commerce import channel_costs, channels, events, orders

STREAM_CHUNK = 10_000


def _naive(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Source:
    """One operational table as the warehouse sees it."""

    table: str  # the warehouse table
    select: Callable[[int], Select[Any]]  # rows of a tenant, in key order
    shape: Callable[[Any], tuple[Any, ...]]
    key: ColumnElement[int]
    changed_at: ColumnElement[datetime] | None = None  # the watermark column, where there is one
    customer: ColumnElement[int] | None = None  # to re-read rows of customers a merge moved


def _customers(tenant_id: int) -> Select[Any]:
    c = customers.c
    return (select(c.id, c.added_at, c.region, c.stage_id, c.owner_staff_id, c.merged_into_id, c.name, c.gender, c.birthday,
                   c.member_level, c.fields)
            .where(c.tenant_id == tenant_id).order_by(c.id))


def _identities(tenant_id: int) -> Select[Any]:
    i = customer_identities.c
    return select(i.id, i.customer_id, i.kind).where(i.tenant_id == tenant_id).order_by(i.id)


def _scores(tenant_id: int) -> Select[Any]:
    s = customer_scores.c
    return (select(s.customer_id, s.rfm_segment, s.p_alive, s.predicted_purchases_90, s.predicted_purchases_365,
                   s.predicted_value_90, s.predicted_value_365)
            .where(s.tenant_id == tenant_id).order_by(s.customer_id))


GENDERS = {0: "unknown", 1: "male", 2: "female"}


def _fields_text(fields: Any) -> str | None:
    return json.dumps(fields, ensure_ascii=False, sort_keys=True) if fields else None


def _relations(tenant_id: int) -> Select[Any]:
    r = staff_relations.c
    return (select(r.id, r.customer_id, r.staff_id, r.state, r.added_at, r.ended_at, r.channel_state)
            .where(r.tenant_id == tenant_id).order_by(r.id))


def _tags(tenant_id: int) -> Select[Any]:
    t = customer_tags.c
    return (select(t.customer_id, t.tag_id, t.source, t.applied_at)
            .where(t.tenant_id == tenant_id).order_by(t.customer_id, t.tag_id))


def _channels(tenant_id: int) -> Select[Any]:
    c = channels.c
    return select(c.id, c.name, c.group_name, c.state).where(c.tenant_id == tenant_id).order_by(c.id)


def _costs(tenant_id: int) -> Select[Any]:
    c = channel_costs.c
    return (select(c.id, c.channel_id, c.period_start, c.period_end, c.amount)
            .where(c.tenant_id == tenant_id).order_by(c.id))


def _group_joins(tenant_id: int) -> Select[Any]:
    """Each join with its code's channel and its group's owner (a group Siyu has no row for: none)."""
    j, g, w = group_code_joins.c, group_codes.c, wecom_group_chats.c
    joined = group_code_joins.join(group_codes, and_(g.tenant_id == j.tenant_id, g.id == j.group_code_id)).outerjoin(
        wecom_group_chats, and_(w.tenant_id == j.tenant_id, w.chat_id == j.chat_id))
    return (select(j.id, j.group_code_id, g.channel_id, w.owner_staff_id, j.members, j.occurred_at).select_from(joined)
            .where(j.tenant_id == tenant_id).order_by(j.id))


def _member_levels(tenant_id: int) -> Select[Any]:
    m = member_levels.c
    return select(m.id, m.name, m.position, m.loyal).where(m.tenant_id == tenant_id).order_by(m.id)


def _regions(tenant_id: int) -> Select[Any]:
    r = regions.c
    return select(r.id, r.name).where(r.tenant_id == tenant_id).order_by(r.id)


def _stores(tenant_id: int) -> Select[Any]:
    s = stores.c
    return select(s.id, s.name, s.region_id, s.city).where(s.tenant_id == tenant_id).order_by(s.id)


def _staff(tenant_id: int) -> Select[Any]:
    s = staff.c
    return select(s.id, s.name, s.store_id, s.status).where(s.tenant_id == tenant_id).order_by(s.id)


def _orders(tenant_id: int) -> Select[Any]:
    o = orders.c
    return (select(o.id, o.customer_id, o.source, o.store_id, o.staff_id, o.channel_id, o.ordered_at, o.amount,
                   o.refunded_amount, o.status, o.updated_at)
            .where(o.tenant_id == tenant_id).order_by(o.id))


def _events(tenant_id: int) -> Select[Any]:
    e = events.c
    return (select(e.id, e.name, e.occurred_at, e.customer_id, e.source, e.received_at, e.updated_at)
            .where(e.tenant_id == tenant_id).order_by(e.id))


SOURCES: dict[str, Source] = {
    "customers": Source(
        "customers", _customers,
        lambda r: (r.id, _naive(r.added_at), r.region, r.stage_id, r.owner_staff_id, r.merged_into_id, r.name,
                   GENDERS.get(r.gender, "unknown"), r.birthday, r.member_level, _fields_text(r.fields)),
        customers.c.id,
    ),
    "customer_identities": Source(
        "customer_identities", _identities, lambda r: (r.id, r.customer_id, r.kind), customer_identities.c.id,
    ),
    "customer_scores": Source(
        "customer_scores", _scores,
        lambda r: (r.customer_id, r.rfm_segment, r.p_alive, r.predicted_purchases_90, r.predicted_purchases_365,
                   r.predicted_value_90, r.predicted_value_365),
        customer_scores.c.customer_id,
    ),
    "relations": Source(
        "relations", _relations,
        lambda r: (r.id, r.customer_id, r.staff_id, r.state, _naive(r.added_at), _naive(r.ended_at), r.channel_state),
        staff_relations.c.id,
    ),
    "customer_tags": Source(
        "customer_tags", _tags, lambda r: (r.customer_id, r.tag_id, r.source, _naive(r.applied_at)), customer_tags.c.customer_id,
    ),
    "channels": Source("channels", _channels, lambda r: (r.id, r.name, r.group_name, r.state), channels.c.id),
    "channel_costs": Source(
        "channel_costs", _costs, lambda r: (r.id, r.channel_id, r.period_start, r.period_end, r.amount), channel_costs.c.id,
    ),
    "group_joins": Source(
        "group_joins", _group_joins,
        lambda r: (r.id, r.group_code_id, r.channel_id, r.owner_staff_id, r.members, _naive(r.occurred_at)), group_code_joins.c.id,
    ),
    "member_levels": Source("member_levels", _member_levels, lambda r: (r.id, r.name, r.position, bool(r.loyal)),
                            member_levels.c.id),
    "regions": Source("regions", _regions, lambda r: (r.id, r.name), regions.c.id),
    "stores": Source("stores", _stores, lambda r: (r.id, r.name, r.region_id, r.city), stores.c.id),
    "staff": Source("staff", _staff, lambda r: (r.id, r.name, r.store_id, r.status), staff.c.id),
    "orders": Source(
        "orders", _orders,
        lambda r: (r.id, r.customer_id, r.source, r.store_id, r.staff_id, r.channel_id, _naive(r.ordered_at), r.amount,
                   r.refunded_amount, r.status, _naive(r.updated_at)),
        orders.c.id, changed_at=orders.c.updated_at, customer=orders.c.customer_id,
    ),
    "events": Source(
        "events", _events,
        lambda r: (r.id, r.name, _naive(r.occurred_at), r.customer_id, r.source, _naive(r.received_at), _naive(r.updated_at)),
        events.c.id, changed_at=events.c.updated_at, customer=events.c.customer_id,
    ),
}


def _sqlite_fingerprint(text: str) -> int:
    """48 bits of BLAKE2b: 256 of them summed stay far inside SQLite's 64-bit integers."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=6).digest(), "big")


def key_ranges(blocks: Iterable[int], size: int) -> list[tuple[int, int]]:
    """Consecutive blocks joined into inclusive key ranges."""
    ranges: list[tuple[int, int]] = []
    for block in sorted(set(blocks)):
        lo, hi = block * size, block * size + size - 1
        if ranges and ranges[-1][1] + 1 == lo:
            ranges[-1] = (ranges[-1][0], hi)
        else:
            ranges.append((lo, hi))
    return ranges


class WarehouseFeed:
    """Reads for the warehouse sync, always inside one tenant."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _row_hash(self, stmt: Select[Any]) -> ColumnElement[int]:
        """A 64-bit (PostgreSQL) or 48-bit (SQLite) hash of every selected column, computed by the database."""
        parts = [func.coalesce(cast(column, String), "~") for column in stmt.selected_columns]
        text = parts[0]
        for part in parts[1:]:
            text = text.op("||")("|").op("||")(part)
        if self.session.get_bind().dialect.name == "postgresql":
            return func.hashtextextended(text, 0)  # type: ignore[no-any-return]
        raw = self.session.connection().connection.dbapi_connection
        raw.create_function("siyu_fingerprint", 1, _sqlite_fingerprint, deterministic=True)  # type: ignore[union-attr]
        return func.siyu_fingerprint(text)  # type: ignore[no-any-return]

    def block_fingerprints(self, tenant_id: int, name: str, size: int,
                           blocks: Iterable[int] | None = None) -> dict[int, tuple[int, int]]:
        """Per block of ``size`` keys: (rows, sum of row hashes), in one aggregate pass in the database;
        only the given ``blocks`` (by key range) when there are some. A block without rows is absent."""
        source = SOURCES[name]
        stmt = source.select(tenant_id).order_by(None)
        block = (source.key // size).label("block")
        agg = stmt.with_only_columns(block, func.count().label("n"), func.sum(self._row_hash(stmt)).label("fp")).group_by(block)
        if blocks is None:
            return {int(b): (int(n), int(fp)) for b, n, fp in self.session.execute(agg)}
        out: dict[int, tuple[int, int]] = {}
        ranges = key_ranges(blocks, size)
        for i in range(0, len(ranges), 100):
            inside = or_(*[and_(source.key >= lo, source.key <= hi) for lo, hi in ranges[i : i + 100]])
            out.update({int(b): (int(n), int(fp)) for b, n, fp in self.session.execute(agg.where(inside))})
        return out

    def rows_in_blocks(self, tenant_id: int, name: str, blocks: Iterable[int], size: int) -> Iterator[tuple[Any, ...]]:
        """The rows of the given blocks, in key order."""
        source = SOURCES[name]
        ranges = key_ranges(blocks, size)
        for i in range(0, len(ranges), 100):
            inside = or_(*[and_(source.key >= lo, source.key <= hi) for lo, hi in ranges[i : i + 100]])
            yield from self._stream(tenant_id, source, source.select(tenant_id).where(inside))

    def _stream(self, tenant_id: int, source: Source, stmt: Select[Any]) -> Iterator[tuple[Any, ...]]:
        result = self.session.execute(stmt.execution_options(yield_per=STREAM_CHUNK))
        for row in result:
            yield (tenant_id, *source.shape(row))

    def all_rows(self, tenant_id: int, name: str) -> Iterator[tuple[Any, ...]]:
        """Every row of the tenant, in key order."""
        source = SOURCES[name]
        return self._stream(tenant_id, source, source.select(tenant_id))

    def changed_since(self, tenant_id: int, name: str, since: datetime | None) -> Iterator[tuple[Any, ...]]:
        """Rows whose watermark column is at or after ``since`` (every row when ``since`` is None)."""
        source = SOURCES[name]
        assert source.changed_at is not None, f"{name} has no watermark column"
        stmt = source.select(tenant_id)
        if since is not None:
            stmt = stmt.where(source.changed_at >= since)
        return self._stream(tenant_id, source, stmt)

    def tenant_ids(self) -> list[int]:
        return list(self.session.execute(select(tenants.c.id).order_by(tenants.c.id)).scalars())

    def of_customers(self, tenant_id: int, name: str, customer_ids: Iterable[int]) -> list[tuple[Any, ...]]:
        source = SOURCES[name]
        assert source.customer is not None, f"{name} is not kept per customer"
        wanted = sorted(set(customer_ids))
        rows: list[tuple[Any, ...]] = []
        for i in range(0, len(wanted), 500):
            stmt = source.select(tenant_id).where(source.customer.in_(wanted[i : i + 500]))
            rows.extend(self._stream(tenant_id, source, stmt))
        return rows
