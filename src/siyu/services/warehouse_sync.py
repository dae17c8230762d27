"""Copy new and changed operational rows into the analytics warehouse, incrementally.

Two ways of finding what changed, chosen per table by what the operational store can promise:

- **Watermarks** (``orders.updated_at``, ``events.updated_at``): the big, append-mostly
  tables. Rows at or after the last mark *minus a lookback* (:data:`LOOKBACK`, which covers
  transactions that committed after the read began: their rows were written at most that long
  before) are re-read and replaced by id, so reading a row twice is harmless. The mark is when
  the last read began (the writers stamp ``updated_at`` with the same clock), so with nothing
  new a sync reads only what was written in the lookback before its previous one.
- **Block fingerprints** (customers, relations, customer tags, channels, channel costs,
  group-code joins, member levels, regions, stores, staff): tables
  that change without a trustworthy watermark column — a relation ends or moves to a survivor
  by merge without any timestamp of its own, a tag removed is a row deleted, and
  ``customers.updated_at`` may be set to the time of the event being recorded (not the time it
  was written). The operational database itself hashes every row and sums the hashes per block
  of :data:`BLOCK` keys in one aggregate query (PostgreSQL ``hashtextextended``, 64 bits;
  SQLite a registered BLAKE2b function, 48 bits; with the row count folded in), so only one
  small row per block crosses to Python. Blocks whose fingerprint differs from the one stored
  with their last copy are re-read and re-copied; a block that vanished is deleted.

  Which blocks to fingerprint: only those the operational store's triggers marked as written
  since the last sync (``warehouse_changes``, :mod:`siyu.adapters.db.repositories.warehouse_changes`),
  so a sync costs what changed, not the table. The marks are read before any data and consumed
  (deleted exactly as read) after the warehouse has the data, so a write landing during a sync is
  copied by the next one. Every block is fingerprinted instead (the *full pass*) when the
  source's token in the warehouse is not the one the operational store holds (the first sync, a
  warehouse restored, replaced or shared, a sync that died before its bookkeeping), when the
  source was last re-checked whole more than :data:`RECHECK` ago, or when asked (``full``,
  ``siyu warehouse sync --full``): correctness never rests on the triggers alone. A block the full
  pass finds changed without a mark is logged.

A merge (or its undo) moves orders and events between customers: the customers whose
``merged_into_id`` changed, with the survivors on both sides, have their orders and events
re-read. ``customer_links`` (every merged customer -> its live customer, chains followed) is
rebuilt whenever a customer block changed, so analytics map any customer id to the live one.
The order summary (``customer_orders``, ``customer_order_days``: ``siyu.services.order_summary``)
is then recomputed for the customers whose orders were written (before and after) or whose live
customer changed.

Every step writes its data before its bookkeeping (blocks, marks), so a sync that dies half
way is simply finished by the next one. Each sync that changed something raises the tenant's
*sync version*, which keys the analytics caches.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any


import structlog

from siyu.adapters.db.repositories.warehouse_changes import Change, WarehouseChanges
from siyu.adapters.db.repositories.warehouse_feed import SOURCES, WarehouseFeed, key_ranges
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.warehouse import Warehouse, naive_utc
from siyu.adapters.warehouse.schema import TABLES
from siyu.domain.errors import NotFound
from siyu.services import clock, order_summary, warehouse_freshness

BLOCK = 256  # the triggers of migration 0031 mark blocks of 256 keys too
RECHECK = timedelta(days=1)  # every block of a source is fingerprinted at least this often
FLUSH_ROWS = 50_000
LOOKBACK = timedelta(minutes=10)
BLOCK_SOURCES = ("regions", "stores", "staff", "channels", "channel_costs", "group_joins", "member_levels", "customers",
                 "relations", "customer_tags", "customer_identities", "customer_scores")
MARK_SOURCES = ("orders", "events")
MASK = (1 << 63) - 1
log = structlog.get_logger("siyu.warehouse_sync")


@dataclass(frozen=True)
class SyncReport:
    tenant_id: int
    version: int
    rows_read: int
    rows_written: int
    blocks_changed: int
    started_at: datetime
    finished_at: datetime
    seconds: float
    by_source: dict[str, int] = field(default_factory=dict)  # rows written
    read_by_source: dict[str, int] = field(default_factory=dict)  # rows hashed or fetched
    full_sources: tuple[str, ...] = ()  # the block sources fingerprinted whole this time


def _key_column(name: str) -> str:
    return TABLES[SOURCES[name].table].names[1]


class _Run:
    """One sync of one tenant."""

    def __init__(self, feed: WarehouseFeed, warehouse: Warehouse, tenant_id: int) -> None:
        self.feed, self.wh, self.tenant_id = feed, warehouse, tenant_id
        self.rows_read = self.rows_written = self.blocks_changed = 0
        self.by_source: dict[str, int] = {}
        self.read_by_source: dict[str, int] = {}
        self.moved: set[int] = set()
        self.customers_changed = False
        self.touched: set[int] | None = None  # customers whose order summary may have changed (None: not tracked)
        self.changed_blocks: dict[str, set[int]] = {}

    # -- block fingerprints ------------------------------------------------------------------
    def _stored_blocks(self, name: str) -> dict[int, int]:
        rows = self.wh.fetch(f"SELECT block, fingerprint FROM sync_blocks WHERE tenant_id = {self.tenant_id} AND source = '{name}'")
        return dict(rows)  # type: ignore[arg-type]

    def _read(self, name: str, rows: int) -> None:
        self.rows_read += rows
        self.read_by_source[name] = self.read_by_source.get(name, 0) + rows

    def reconcile(self, name: str, marked: set[int] | None) -> None:
        """Copy the blocks of ``name`` that changed: among the ``marked`` ones, or among all (None)."""
        if marked is not None and not marked:
            return
        stored = self._stored_blocks(name)
        current = self.feed.block_fingerprints(self.tenant_id, name, BLOCK, marked)
        fingerprints = {b: (n * 1_000_003 + fp) & MASK for b, (n, fp) in current.items()}
        self._read(name, sum(n for n, _ in current.values()))
        changed = sorted(b for b, fp in fingerprints.items() if stored.get(b) != fp)
        per_write = max(1, FLUSH_ROWS // BLOCK)
        for i in range(0, len(changed), per_write):
            blocks = changed[i : i + per_write]
            rows = list(self.feed.rows_in_blocks(self.tenant_id, name, blocks, BLOCK))
            self._read(name, len(rows))
            self._write_blocks(name, blocks, {b: fingerprints[b] for b in blocks}, rows)
        vanished = sorted((set(stored) if marked is None else set(stored) & marked) - set(fingerprints))
        if vanished:
            self._write_blocks(name, vanished, {}, [])
        self.changed_blocks[name] = set(changed) | set(vanished)

    def _write_blocks(self, name: str, blocks: list[int], fingerprints: dict[int, int], rows: list[tuple[Any, ...]]) -> None:
        """Replace the warehouse's rows of ``blocks`` with ``rows``; remember the blocks' fingerprints."""
        table, key = SOURCES[name].table, _key_column(name)
        ranges = key_ranges(blocks, BLOCK)
        if name == "customers":
            self._note_moves(ranges, rows)
        self.wh.delete_ranges(table, self.tenant_id, key, ranges)
        written = self.wh.insert(table, rows)
        if name == "customers":  # their extended fields, one row per value, for the segment rules
            self.wh.delete_ranges("customer_fields", self.tenant_id, "customer_id", ranges)
            self.wh.insert("customer_fields", [f for row in rows for f in field_rows(row)])
        self.wh.delete_tenant("sync_blocks", self.tenant_id,
                              f"source = '{name}' AND block IN ({','.join(str(b) for b in blocks)})")
        self.wh.insert("sync_blocks", [(self.tenant_id, name, b, fp) for b, fp in fingerprints.items()])
        self.rows_written += written + (len(blocks) - len(fingerprints))
        self.blocks_changed += len(blocks)
        self.by_source[name] = self.by_source.get(name, 0) + written

    def _note_moves(self, ranges: list[tuple[int, int]], rows: list[tuple[Any, ...]]) -> None:
        """Customers whose merge target changed (merged, unmerged, re-pointed), with both targets."""
        self.customers_changed = True
        inside = " OR ".join(f"customer_id BETWEEN {lo} AND {hi}" for lo, hi in ranges)
        old: dict[int, int] = dict(self.wh.fetch(  # type: ignore[arg-type]
            f"SELECT customer_id, merged_into_id FROM customers WHERE tenant_id = {self.tenant_id} "
            f"AND merged_into_id IS NOT NULL AND ({inside})"))
        merged_at = TABLES["customers"].names.index("merged_into_id")
        new = {row[1]: row[merged_at] for row in rows}
        for customer_id in set(old) | {c for c, target in new.items() if target is not None}:
            before, after = old.get(customer_id), new.get(customer_id)
            if before != after:
                self.moved.update(x for x in (customer_id, before, after) if x is not None)

    # -- watermarks --------------------------------------------------------------------------
    def _mark(self, name: str) -> datetime | None:
        rows = self.wh.fetch(f"SELECT mark FROM sync_marks WHERE tenant_id = {self.tenant_id} AND source = '{name}'")
        return rows[0][0] if rows else None

    def follow(self, name: str, read_from: datetime) -> None:
        """Rows written since the last read of ``name`` began, minus :data:`LOOKBACK`; the mark kept
        is when this read began (``read_from``), not the newest row's time: rows written in one
        burst long ago (a load, an import) are not re-read by every sync after."""
        mark = self._mark(name)
        since = None if mark is None else _aware(mark - LOOKBACK)
        table, key = SOURCES[name].table, _key_column(name)
        window = None if since is None else ("updated_at", since)
        batch: list[tuple[Any, ...]] = []
        for row in self.feed.changed_since(self.tenant_id, name, since):
            batch.append(row)
            if len(batch) >= FLUSH_ROWS:
                self._replace(name, table, key, batch, compare=window)
                batch = []
        self._replace(name, table, key, batch, compare=window)
        if self.moved:
            moved_rows = self.feed.of_customers(self.tenant_id, name, self.moved)
            self.wh.delete_keys(table, self.tenant_id, "customer_id", self.moved)
            self._replace(name, table, key, moved_rows)
        if mark != naive_utc(read_from):
            self.wh.delete_tenant("sync_marks", self.tenant_id, f"source = '{name}'")
            self.wh.insert("sync_marks", [(self.tenant_id, name, naive_utc(read_from))])

    def _replace(
        self, name: str, table: str, key: str, rows: list[tuple[Any, ...]], *, compare: tuple[str, datetime] | None = None
    ) -> None:
        if not rows:
            return
        self._read(name, len(rows))
        if compare is not None:  # rows re-read inside the lookback: write only those that really differ
            have = self._existing(table, key, compare)
            rows = [row for row in rows if have.get(row[1]) != row]
            if not rows:
                return
        if name == "orders" and self.touched is not None:  # the order's customer before and after
            self.touched.update(self._customers_of_orders([row[1] for row in rows]))
            self.touched.update(row[2] for row in rows if row[2] is not None)
        self.wh.delete_keys(table, self.tenant_id, key, [row[1] for row in rows])
        self.rows_written += self.wh.insert(table, rows)
        self.by_source[name] = self.by_source.get(name, 0) + len(rows)

    def _customers_of_orders(self, order_ids: list[int]) -> set[int]:
        out: set[int] = set()
        for i in range(0, len(order_ids), 2_000):
            keys = ",".join(str(int(k)) for k in order_ids[i : i + 2_000])
            out.update(int(r[0]) for r in self.wh.fetch(
                f"SELECT DISTINCT customer_id FROM orders WHERE tenant_id = {self.tenant_id} AND order_id IN ({keys}) "
                "AND customer_id IS NOT NULL"))
        return out

    def _existing(self, table: str, key: str, window: tuple[str, datetime]) -> dict[int, tuple[Any, ...]]:
        """The warehouse's rows whose watermark column is inside the window, by key. A row changed
        since has a newer mark, so it is either here (and compared) or absent (and written)."""
        column, since = window
        t = self.wh.table(table)
        found = t.filter((t.tenant_id == self.tenant_id) & (t[column] >= since.replace(tzinfo=None)))
        return {row[1]: row for row in (tuple(r.values()) for r in self.wh.rows(found))}

    # -- merged customers --------------------------------------------------------------------
    def relink(self) -> None:
        merged: dict[int, int] = dict(self.wh.fetch(  # type: ignore[arg-type]
            f"SELECT customer_id, merged_into_id FROM customers WHERE tenant_id = {self.tenant_id} AND merged_into_id IS NOT NULL"))
        links = [(self.tenant_id, customer_id, live_customer(customer_id, merged)) for customer_id in merged]
        if self.touched is not None:  # a customer whose live customer changed moves its orders' summary
            old: dict[int, int] = dict(self.wh.fetch(  # type: ignore[arg-type]
                f"SELECT customer_id, live_customer_id FROM customer_links WHERE tenant_id = {self.tenant_id}"))
            new = {customer_id: live for _, customer_id, live in links}
            for customer_id in set(old) | set(new):
                if old.get(customer_id, customer_id) != new.get(customer_id, customer_id):
                    self.touched.update((customer_id, old.get(customer_id, customer_id), new.get(customer_id, customer_id)))
        self.wh.delete_tenant("customer_links", self.tenant_id)
        self.wh.insert("customer_links", links)


def field_rows(customer_row: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """A warehouse customer row's extended fields as ``customer_fields`` rows: a multi-choice
    field gives one row per option; a text that is an ISO date also fills ``date_value``."""
    tenant_id, customer_id, text = customer_row[0], customer_row[1], customer_row[-1]
    out: list[tuple[Any, ...]] = []
    for key, value in (json.loads(text) if text else {}).items():
        for item in value if isinstance(value, list) else [value]:
            if item is None or item == "":
                continue
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                out.append((tenant_id, customer_id, key, None, float(item), None))
                continue
            try:
                day = date.fromisoformat(str(item))
            except ValueError:
                day = None
            out.append((tenant_id, customer_id, key, str(item), None, day))
    return out


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


def live_customer(customer_id: int, merged_into: dict[int, int]) -> int:
    """Follow merges to the live customer (a cycle, which merges cannot make, stops the walk)."""
    seen = {customer_id}
    while customer_id in merged_into:
        customer_id = merged_into[customer_id]
        if customer_id in seen:
            break
        seen.add(customer_id)
    return customer_id


def sync_tenant(uow: SqlUnitOfWork, warehouse: Warehouse, tenant_id: int, *, full: bool = False) -> SyncReport:
    """Bring the tenant's warehouse copy up to date with the operational store (``full``: every
    block fingerprinted, whatever the change marks say)."""
    return _sync(uow, warehouse, tenant_id, BLOCK_SOURCES, MARK_SOURCES, full=full)


def sync_sources(uow: SqlUnitOfWork, warehouse: Warehouse, tenant_id: int, sources: tuple[str, ...]) -> SyncReport:
    """Only some block-fingerprinted sources (``customer_scores``, ``customer_tags`` ...), the same
    way a full sync copies them: after the smart tags wrote scores or tags, so segment rules read
    them on the warehouse without a whole sync."""
    unknown = [name for name in sources if name not in BLOCK_SOURCES or name == "customers"]
    if unknown:
        raise ValueError(f"not a source synced alone: {unknown[0]}")
    return _sync(uow, warehouse, tenant_id, sources, ())


def _checked(warehouse: Warehouse, tenant_id: int) -> dict[str, tuple[int, datetime]]:
    """Per source, the warehouse's token of the sync that consumed the change marks, and when the
    source was last fingerprinted whole."""
    rows = warehouse.fetch(f"SELECT source, token, checked_at FROM sync_tokens WHERE tenant_id = {int(tenant_id)}")
    return {str(source): (int(token), checked_at) for source, token, checked_at in rows}


def _whole(name: str, full: bool, held: dict[str, int], checked: dict[str, tuple[int, datetime]], now: datetime) -> bool:
    """Whether ``name`` is fingerprinted whole this time, not just its marked blocks."""
    if full or name not in held or name not in checked:
        return True
    token, checked_at = checked[name]
    return token != held[name] or _aware(checked_at) + RECHECK <= now


def _sync(uow: SqlUnitOfWork, warehouse: Warehouse, tenant_id: int, block_sources: tuple[str, ...],
          mark_sources: tuple[str, ...], *, full: bool = False) -> SyncReport:
    started, clock_start = clock.utcnow(), time.perf_counter()
    summarise = "orders" in mark_sources  # the order summary follows orders and merges (customers)
    checked = _checked(warehouse, tenant_id)
    with uow.reading():  # a long read: on SQLite it must not hold the write lock
        changes = WarehouseChanges(uow.session)
        held = changes.tokens(tenant_id, block_sources)
        marks = changes.marked(tenant_id, block_sources)  # before any data: a later write keeps its mark
        whole = tuple(name for name in block_sources if _whole(name, full, held, checked, started))
        run = _Run(WarehouseFeed(uow.session), warehouse, tenant_id)
        if summarise and order_summary.begin(warehouse, tenant_id):
            run.touched = set()
        for name in block_sources:
            marked = {m.block for m in marks if m.source == name}
            run.reconcile(name, None if name in whole else marked)
            trusted = name in held and name in checked and checked[name][0] == held[name]
            if name in whole and trusted and run.changed_blocks.get(name, set()) - marked:
                log.warning("blocks changed without a change mark", tenant_id=tenant_id, source=name,
                            blocks=len(run.changed_blocks[name] - marked))
        if run.customers_changed:
            run.relink()
        for name in mark_sources:
            run.follow(name, started)  # `started` is before the read began
    if summarise:
        touched = None if run.touched is None else run.touched | run.moved
        recomputed = order_summary.refresh(warehouse, tenant_id, touched)
        order_summary.finish(warehouse, tenant_id, clock.utcnow())
        run.rows_written += recomputed
        if recomputed:
            run.by_source[order_summary.MARK] = recomputed
    _consume(uow, warehouse, tenant_id, block_sources, marks, whole, checked, started)
    previous = warehouse_freshness.sync_status(warehouse, tenant_id)
    version = previous.version + 1 if run.rows_written or previous.version == 0 else previous.version
    finished = clock.utcnow()
    warehouse.insert("sync_runs", [(tenant_id, version, naive_utc(started), naive_utc(finished), run.rows_written)])
    return SyncReport(
        tenant_id=tenant_id, version=version, rows_read=run.rows_read, rows_written=run.rows_written,
        blocks_changed=run.blocks_changed, started_at=started, finished_at=finished,
        seconds=time.perf_counter() - clock_start, by_source=dict(run.by_source),
        read_by_source=dict(run.read_by_source), full_sources=whole,
    )


def _consume(uow: SqlUnitOfWork, warehouse: Warehouse, tenant_id: int, sources: tuple[str, ...], marks: list[Change],
             whole: tuple[str, ...], checked: dict[str, tuple[int, datetime]], started: datetime) -> None:
    """The warehouse has the marked blocks: forget the marks read and hand both sides a new token
    (a crash between the two leaves the tokens different: the next sync re-checks whole)."""
    if not sources or not (marks or whole):
        return  # nothing consumed, nothing re-checked: both sides keep their token
    token = secrets.randbits(63)
    with uow:
        WarehouseChanges(uow.session).consume(tenant_id, marks, sources, token)
        uow.commit()
    names = ",".join(f"'{name}'" for name in sources)
    warehouse.delete_tenant("sync_tokens", tenant_id, f"source IN ({names})")
    warehouse.insert("sync_tokens", [(tenant_id, name, token, naive_utc(started) if name in whole else checked[name][1])
                                     for name in sources])


def tenant_ids(uow: SqlUnitOfWork) -> list[int]:
    """Every tenant a sync covers."""
    with uow:
        return list(WarehouseFeed(uow.session).tenant_ids())


def sync_all_tenants(uow: SqlUnitOfWork, warehouse: Warehouse, *, full: bool = False) -> list[SyncReport]:
    """Sync every tenant (the worker's schedule)."""
    return [sync_tenant(uow, warehouse, tenant_id, full=full) for tenant_id in tenant_ids(uow)]


def sync_tenant_by_slug(uow: SqlUnitOfWork, warehouse: Warehouse, slug: str, *, full: bool = False) -> SyncReport:
    with uow:
        tenant = uow.tenants.find_by_slug(slug)
    if tenant is None:
        raise NotFound("tenant.not_found", "no such tenant")
    return sync_tenant(uow, warehouse, tenant.id, full=full)
