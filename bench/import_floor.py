"""What SQLite alone costs for the rows an imported customer needs: the floor under
bench/import_customers.py.

    .venv/bin/python bench/import_floor.py --customers 100000

A fresh migrated SQLite database (the schema, indexes, foreign keys and search-index triggers
an import writes into), one tenant with its tags, stages and staff, then per customer exactly
the rows the import writes for a new one: the customer, two identities (phone, member number),
one tag, one stage change, one staff relation and one CREATED timeline event, as ready-made
tuples, 5,000 customers per transaction, in multi-row ``INSERT`` statements through the raw
sqlite3 connection (what ``BulkRepository.insert`` sends), and the search index refreshed before
each commit (``customer_search.refresh``). No Python beyond building the tuples, which is
timed apart. Variants drop what a customer costs on top of its bare rows:

- ``full``: as above;
- ``notes-only``: the search-index triggers note the rows, but no FTS row is written;
- ``direct``: the insert triggers skip while the loader holds a row in a (new) table
  ``customer_search_paused`` (``WHEN NOT EXISTS (...)``), and the loader writes the batch's FTS
  rows itself, one ``INSERT ... SELECT`` per FTS table over the batch's id range;
- ``no-search``: without the search-index triggers and refresh;
- ``no-search-no-fk``: and ``PRAGMA foreign_keys = OFF``;
- ``bare``: and only the primary keys and unique constraints (every other index dropped).

Nothing here passes or fails on time: it prints CPU seconds and customers per CPU second.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from itertools import chain
from pathlib import Path

BATCH = 5_000
MAX_PARAMETERS = 999
VARIANTS = ("full", "notes-only", "direct", "no-search", "no-search-no-fk", "bare")


def _prepare(path: Path) -> tuple[int, int, int, int]:
    from siyu import bootstrap
    from siyu.adapters.db import migrate
    from siyu.adapters.db.engine import make_engine
    from siyu.config import Settings
    from siyu.domain.access import Role
    from siyu.domain.organisation import StaffDraft
    from siyu.services import stages, staff, tags, tenants
    from siyu.services.auth import system_actor

    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    context = bootstrap.build(Settings(env="test", secret_key="b" * 40, data_dir=path.parent, database_url=url, queue_url="memory://"),
                              engine=make_engine(url))
    tenant = tenants.create_tenant(context.uow(), slug="floor", name="Floor")
    actor = system_actor(tenant.id)
    tag = tags.create_tag(context.uow(), actor, group="导入", name="VIP")
    stage = stages.create_stage(context.uow(), actor, "新客")
    member = staff.create_staff(context.uow(), actor, StaffDraft.parse(wecom_userid="g1", name="g1", mobile=None, store_id=None,
                                                                        role=Role.OPERATOR))
    context.close()
    return tenant.id, tag.id, stage.id, member.id


def _strip(db: sqlite3.Connection, variant: str) -> None:
    if variant == "direct":  # insert triggers skip while a loader says so; the loader writes the FTS rows
        db.execute("CREATE TABLE customer_search_paused (x INTEGER)")
        for (name, sql) in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'customer_search_%_insert'").fetchall():
            db.execute(f'DROP TRIGGER "{name}"')
            head, _, body = sql.partition(" BEGIN ")
            condition = " AND " if " WHEN " in head else " WHEN "
            db.execute(f"{head}{condition}NOT EXISTS (SELECT 1 FROM customer_search_paused) BEGIN {body}")
        return
    if variant in ("full", "notes-only"):
        return
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'customer_search_%'").fetchall():
        db.execute(f'DROP TRIGGER "{name}"')
    if variant == "bare":
        tables = ("customers", "customer_identities", "customer_tags", "staff_relations", "stage_changes", "timeline_events")
        for (name,) in db.execute(f"SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN {tables}").fetchall():
            db.execute(f'DROP INDEX "{name}"')


def _insert(db: sqlite3.Connection, table: str, columns: tuple[str, ...], rows: list[tuple[object, ...]]) -> None:
    per = max(1, min(100, MAX_PARAMETERS // len(columns)))
    one = "(" + ", ".join("?" * len(columns)) + ")"
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    for start in range(0, len(rows), per):
        part = rows[start : start + per]
        db.execute(head + ", ".join([one] * len(part)), tuple(chain.from_iterable(part)))


def run(variant: str, customers: int) -> dict[str, object]:
    from siyu.adapters.db.repositories.customer_search import FTS_TABLES

    with tempfile.TemporaryDirectory(prefix="siyu-floor-") as folder:
        return _run(variant, customers, Path(folder) / "floor.db")


def _run(variant: str, customers: int, path: Path) -> dict[str, object]:
    from siyu.adapters.db.repositories.customer_search import FTS_TABLES

    tenant, tag, stage, member = _prepare(path)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute(f"PRAGMA foreign_keys = {'OFF' if variant in ('no-search-no-fk', 'bare') else 'ON'}")
    _strip(db, variant)
    now = "2026-12-04 10:00:00.000000"
    build = write = 0.0
    for first in range(1, customers + 1, BATCH):
        started = time.process_time()
        ids = range(first, min(first + BATCH, customers + 1))
        rows = {
            "customers": [(i, tenant, f"客户{i}", 1, None, "1980-01-01", None, stage, member, '{"level": "金"}', now, None, now, now, "金")
                          for i in ids],
            "customer_identities": [r for i in ids for r in ((2 * i, tenant, i, "phone", f"13{i:09d}", "import", now),
                                                              (2 * i + 1, tenant, i, "member_no", f"M{i:08d}", "import", now))],
            "customer_tags": [(tenant, i, tag, "import", "system", now) for i in ids],
            "stage_changes": [(i, tenant, i, None, stage, "system", now) for i in ids],
            "staff_relations": [(i, tenant, i, member, "active", now, None, None, None, None, None) for i in ids],
            "timeline_events": [(i, tenant, i, "created", now, "system", json.dumps(
                {"source": "import", "identities": [f"phone:13*****{i % 10000:04d}", f"member_no:M*****{i % 1000:03d}"],
                 "tags": ["VIP"], "stage": "新客", "staff_id": member, "fields": {"level": "金"}})) for i in ids],
        }
        built = time.process_time()
        db.execute("BEGIN IMMEDIATE")
        if variant == "direct":
            db.execute("INSERT INTO customer_search_paused VALUES (1)")
        _insert(db, "customers", ("id", "tenant_id", "name", "gender", "avatar", "birthday", "region", "stage_id", "owner_staff_id",
                                  "fields", "added_at", "merged_into_id", "created_at", "updated_at", "member_level"), rows["customers"])
        _insert(db, "customer_identities", ("id", "tenant_id", "customer_id", "kind", "value", "source", "created_at"),
                rows["customer_identities"])
        _insert(db, "timeline_events", ("id", "tenant_id", "customer_id", "kind", "occurred_at", "actor", "data"), rows["timeline_events"])
        _insert(db, "staff_relations", ("id", "tenant_id", "customer_id", "staff_id", "state", "added_at", "add_way", "channel_state",
                                        "remark", "description", "ended_at"), rows["staff_relations"])
        _insert(db, "stage_changes", ("id", "tenant_id", "customer_id", "from_stage_id", "to_stage_id", "actor", "changed_at"),
                rows["stage_changes"])
        _insert(db, "customer_tags", ("tenant_id", "customer_id", "tag_id", "source", "applied_by", "applied_at"), rows["customer_tags"])
        if variant == "full":  # customer_search.refresh, as the unit of work's commit runs it
            for fts, (source, table, column, which) in FTS_TABLES.items():
                noted = f"SELECT id FROM customer_search_pending WHERE source = {source}"
                db.execute(f"DELETE FROM {fts} WHERE rowid IN ({noted})")
                db.execute(f"INSERT INTO {fts} (rowid, body) SELECT id, {column} FROM {table} WHERE id IN ({noted}) AND {which} ORDER BY id")
        if variant in ("full", "notes-only"):
            db.execute("DELETE FROM customer_search_pending")
        if variant == "direct":
            lo, hi = ids[0], ids[-1]
            db.execute(f"INSERT INTO customer_search_names (rowid, body) SELECT id, name FROM customers WHERE id BETWEEN {lo} AND {hi}")
            db.execute("INSERT INTO customer_search_identities (rowid, body) SELECT id, value FROM customer_identities "
                       f"WHERE id BETWEEN {2 * lo} AND {2 * hi + 1} AND kind IN ('phone', 'email', 'member_no', 'pos_id')")
            db.execute("DELETE FROM customer_search_paused")
        db.execute("COMMIT")
        build += built - started
        write += time.process_time() - built
    db.close()
    return {"variant": variant, "customers": customers, "build_cpu_s": round(build, 2), "sqlite_cpu_s": round(write, 2),
            "us_per_customer": round(write / customers * 1e6, 1), "customers_per_cpu_s": round(customers / write)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    for variant in args.variants.split(","):
        result = run(variant, args.customers)
        print(f"{variant:>16}: SQLite {result['sqlite_cpu_s']} s CPU = {result['us_per_customer']} µs a customer "
              f"({result['customers_per_cpu_s']:,} customers per CPU second); building the tuples {result['build_cpu_s']} s", flush=True)


if __name__ == "__main__":
    main()
