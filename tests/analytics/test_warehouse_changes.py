"""The sync's change capture (migration 0031): triggers mark the blocks each write touches, an
incremental sync fingerprints and copies only those, and the full pass is the fallback.

- a sync with nothing new reads no block row (``read_by_source``), and no order or event once
  the lookback has passed;
- a deleted tag row, a merge and its undo reach the warehouse through marks alone;
- a write that lands while a sync reads is copied by the next sync (on a database of its own,
  so the write really commits from another connection while the sync's read is open);
- a warehouse that is not the one the marks were consumed for, a day-old check, ``full=True``
  fingerprint every block, and a change the triggers never saw is found and logged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog
from sqlalchemy import delete, text, update

from siyu import bootstrap
from siyu.adapters.db.repositories.warehouse_feed import WarehouseFeed
from siyu.adapters.db.tables import customer_tags
from siyu.adapters.db.tables.commerce import orders
from siyu.adapters.db.tables.warehouse import warehouse_changes
from siyu.adapters.warehouse import Warehouse, open_warehouse
from siyu.bootstrap import Context
from siyu.services import clock, merging, tags, warehouse_sync
from siyu.services.warehouse_sync import BLOCK_SOURCES
from tests import factories
from tests.analytics import history as h
from tests.analytics.test_warehouse_sync import _links, _warehouse_rows, assert_mirrors
from tests.conftest import BACKENDS
from tests.own_database import own_database


def _block_reads(report: warehouse_sync.SyncReport) -> dict[str, int]:
    return {name: n for name, n in report.read_by_source.items() if name in BLOCK_SOURCES and n}


def _brand(context: Context) -> tuple[Any, Any, list[Any], Any]:
    tenant, admin = factories.tenant(context)
    shop = factories.store(context, admin)
    guide = factories.member(context, admin, store_id=shop.id)
    people = factories.customers_of(context, admin, 3)
    for person in people:
        h.follow(context, tenant.id, person.id, guide.id, h.sh(2026, 3, 1))
    vip = tags.create_tag(context.uow(), admin, group="等级", name="VIP")
    tags.apply_tags(context.uow(), admin, [p.id for p in people], [vip.id])
    h.order(context, tenant.id, people[1].id, h.sh(2026, 3, 5), "100.00")
    return tenant, admin, people, vip


def test_every_block_source_has_its_triggers(context: Context) -> None:
    with context.uow() as uow:
        if uow.session.get_bind().dialect.name == "postgresql":
            names = set(uow.session.execute(text("SELECT tgname FROM pg_trigger")).scalars())
        else:
            names = set(uow.session.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
    assert {f"siyu_wh_{s}_{op}" for s in BLOCK_SOURCES for op in ("ins", "upd", "del")} <= names


def test_a_sync_with_nothing_new_reads_no_block_rows(context: Context, warehouse: Warehouse) -> None:
    tenant, _, _, _ = _brand(context)
    first = warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)
    assert set(first.full_sources) == set(BLOCK_SOURCES)  # the first sync checks every block
    again = warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)
    assert again.full_sources == ()
    assert _block_reads(again) == {}
    assert (again.rows_written, again.blocks_changed, again.version) == (0, 0, first.version)
    assert_mirrors(context, warehouse, tenant.id)


def test_with_nothing_new_the_watermarks_read_only_the_lookback(context: Context, warehouse: Warehouse,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    tenant, _, people, _ = _brand(context)
    h.event(context, tenant.id, people[0].id, h.sh(2026, 3, 5))
    warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)
    soon = warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)  # inside the lookback: re-read, not written
    assert soon.read_by_source.get("orders") == 1 and soon.rows_written == 0
    later = clock.utcnow() + warehouse_sync.LOOKBACK + timedelta(minutes=1)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)
    quiet = warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)  # the mark is when the last read began
    assert quiet.rows_read == 0 and quiet.read_by_source == {}
    order = h.order(context, tenant.id, people[0].id, h.sh(2026, 3, 9), "20.00")
    with context.uow() as uow:  # written with the writers' clock
        uow.session.execute(update(orders).where(orders.c.id == order).values(updated_at=later))
        uow.commit()
    new = warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)
    assert new.read_by_source.get("orders") == 1 and new.by_source.get("orders") == 1
    assert_mirrors(context, warehouse, tenant.id)


def test_a_deleted_tag_row_is_copied_through_its_mark(context: Context, warehouse: Warehouse) -> None:
    tenant, admin, people, vip = _brand(context)
    warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)
    tags.remove_tags(context.uow(), admin, [people[0].id], [vip.id])
    report = warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)
    assert report.full_sources == ()
    assert set(_block_reads(report)) == {"customer_tags"}  # only the marked block of the tags was read
    assert (people[0].id, vip.id) not in {(r[1], r[2]) for r in _warehouse_rows(warehouse, tenant.id, "customer_tags")}
    assert_mirrors(context, warehouse, tenant.id)


def test_a_merge_and_its_undo_still_move_the_orders(context: Context, warehouse: Warehouse) -> None:
    tenant, admin, people, _ = _brand(context)
    a, b = people[0], people[1]  # b has the order
    warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)
    record = merging.merge_customers(context.uow(), admin, a.id, b.id)
    merged = warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)
    assert merged.full_sources == ()
    assert _links(warehouse, tenant.id) == {record.merged_id: record.survivor_id}
    summary = {r[1]: r[2] for r in warehouse.fetch(f"SELECT tenant_id, customer_id, orders FROM customer_orders "
                                                   f"WHERE tenant_id = {tenant.id}")}
    assert summary == {record.survivor_id: 1}  # b's order counts for the survivor
    assert_mirrors(context, warehouse, tenant.id)

    merging.undo_merge(context.uow(), admin, record.id)
    undone = warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)
    assert undone.full_sources == ()
    assert _links(warehouse, tenant.id) == {}
    summary = {r[1]: r[2] for r in warehouse.fetch(f"SELECT tenant_id, customer_id, orders FROM customer_orders "
                                                   f"WHERE tenant_id = {tenant.id}")}
    assert summary == {b.id: 1}
    assert_mirrors(context, warehouse, tenant.id)


def test_the_full_pass_finds_what_no_trigger_marked(context: Context, warehouse: Warehouse, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    tenant, admin, people, vip = _brand(context)
    warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)
    with context.uow() as uow:  # a tag row goes without its mark (as if written around the triggers)
        uow.session.execute(delete(customer_tags).where(customer_tags.c.tenant_id == tenant.id,
                                                        customer_tags.c.customer_id == people[2].id))
        uow.session.execute(delete(warehouse_changes).where(warehouse_changes.c.tenant_id == tenant.id))
        uow.commit()
    blind = warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)
    assert blind.rows_written == 0  # the incremental sync cannot know
    with structlog.testing.capture_logs() as logs:
        checked = warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id, full=True)
    assert set(checked.full_sources) == set(BLOCK_SOURCES) and checked.blocks_changed == 1
    assert [e["source"] for e in logs if e["event"] == "blocks changed without a change mark"] == ["customer_tags"]
    assert_mirrors(context, warehouse, tenant.id)

    # a day later every source is re-checked whole by the ordinary sync
    later = clock.utcnow() + warehouse_sync.RECHECK + timedelta(minutes=1)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    assert set(warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id).full_sources) == set(BLOCK_SOURCES)
    assert warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id).full_sources == ()

    # another warehouse synced from the same store consumes the marks: each then re-checks whole
    with open_warehouse(f"duckdb:///{tmp_path / 'other.duckdb'}") as other:
        assert set(warehouse_sync.sync_tenant(context.uow(), other, tenant.id).full_sources) == set(BLOCK_SOURCES)
        tags.remove_tags(context.uow(), admin, [people[1].id], [vip.id])  # marked, then consumed by `other`
        warehouse_sync.sync_tenant(context.uow(), other, tenant.id)
        assert_mirrors(context, other, tenant.id)
    back = warehouse_sync.sync_tenant(context.uow(), warehouse, tenant.id)
    assert set(back.full_sources) == set(BLOCK_SOURCES)
    assert_mirrors(context, warehouse, tenant.id)


@pytest.fixture(params=BACKENDS)
def own_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[bootstrap.Context]:
    """A database of its own (not the rolled-back test transaction): writes really commit."""
    with own_database(request.param, tmp_path, "changes") as ctx:
        yield ctx


def test_a_write_during_a_sync_is_not_lost(own_db: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant, admin, people, vip = _brand(own_db)
    gold = tags.create_tag(own_db.uow(), admin, group="等级", name="金")
    with open_warehouse(f"duckdb:///{tmp_path / 'warehouse.duckdb'}") as wh:
        warehouse_sync.sync_tenant(own_db.uow(), wh, tenant.id)
        tags.remove_tags(own_db.uow(), admin, [people[0].id], [vip.id])  # marks the tags' block

        fingerprints = WarehouseFeed.block_fingerprints
        wrote: list[str] = []

        def write_meanwhile(self: WarehouseFeed, tenant_id: int, name: str, *args: Any) -> Any:
            found = fingerprints(self, tenant_id, name, *args)  # the sync has read its marks and this block
            if name == "customer_tags" and not wrote:
                wrote.append(name)  # the same block written again, from another connection, committed
                tags.apply_tags(own_db.uow(), admin, [people[2].id], [gold.id])
            return found

        monkeypatch.setattr(WarehouseFeed, "block_fingerprints", write_meanwhile)
        during = warehouse_sync.sync_tenant(own_db.uow(), wh, tenant.id)
        assert wrote and during.full_sources == ()
        monkeypatch.setattr(WarehouseFeed, "block_fingerprints", fingerprints)

        after = warehouse_sync.sync_tenant(own_db.uow(), wh, tenant.id)
        assert after.full_sources == ()
        assert (people[2].id, gold.id) in {(r[1], r[2]) for r in _warehouse_rows(wh, tenant.id, "customer_tags")}
        assert_mirrors(own_db, wh, tenant.id)
        assert _block_reads(warehouse_sync.sync_tenant(own_db.uow(), wh, tenant.id)) == {}
