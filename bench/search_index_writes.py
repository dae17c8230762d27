"""What the search index costs writers: rows/s inserting customers, identities and relations
with remarks into a freshly migrated SQLite database, with the index's triggers (migration
0005, which note the changed rows) and the refresh a commit runs (the noted rows into the FTS5
tables), against, in the same process, a second database whose triggers were dropped.

    .venv/bin/python bench/search_index_writes.py                 # 100,000 customers
    .venv/bin/python bench/search_index_writes.py --customers 20000

PostgreSQL maintains its pg_trgm GIN indexes itself (no triggers). Prints figures only.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        with_index = run(Path(folder) / "with.db", args.customers, keep_triggers=True)
        without = run(Path(folder) / "without.db", args.customers, keep_triggers=False)
    print(f"| SQLite, {args.customers:,} customers (+2 identities, +1 relation with a remark each) | rows | elapsed | rows/s |")
    print("|---|---:|---:|---:|")
    for label, (rows, elapsed) in (("with the search index's triggers", with_index), ("triggers dropped (baseline)", without)):
        print(f"| {label} | {rows:,} | {elapsed:.1f} s | {rows / elapsed:,.0f} |")
    print(f"\nthe index costs writers {with_index[1] / without[1]:.2f}x the baseline's time")


def run(path: Path, n: int, *, keep_triggers: bool) -> tuple[int, float]:
    from sqlalchemy.orm import Session

    from siyu.adapters.db import migrate
    from siyu.adapters.db.engine import make_engine
    from siyu.adapters.db.repositories import customer_search

    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = make_engine(url)
    now = datetime(2026, 11, 23, tzinfo=UTC).replace(tzinfo=None)
    with engine.begin() as connection:
        raw = connection.connection.dbapi_connection
        if not keep_triggers:
            for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'customer_search_%'").fetchall():
                raw.execute(f"DROP TRIGGER {name}")
        raw.execute("INSERT INTO tenants (id, slug, name, created_at) VALUES (1, 'bench', 'bench', ?)", (now,))
        raw.execute("INSERT INTO staff (id, tenant_id, wecom_userid, name, status, role, created_at) "
                    "VALUES (1, 1, 'g1', 'guide', 'active', 'guide', ?)", (now,))
        started = time.perf_counter()
        raw.executemany("INSERT INTO customers (id, tenant_id, name, gender, fields, added_at, created_at, updated_at) "
                        "VALUES (?, 1, ?, 0, '{}', ?, ?, ?)", ((i, f"客户{i:06d}", now, now, now) for i in range(1, n + 1)))
        raw.executemany("INSERT INTO customer_identities (tenant_id, customer_id, kind, value, source, created_at) VALUES (1, ?, ?, ?, 'import', ?)",
                        ((i, kind, value, now) for i in range(1, n + 1)
                         for kind, value in (("phone", f"139{i:08d}"), ("unionid", f"oUnion{i:022d}"))))
        raw.executemany("INSERT INTO staff_relations (tenant_id, customer_id, staff_id, state, added_at, remark) VALUES (1, ?, 1, 'active', ?, ?)",
                        ((i, now, f"老客户{i % 1000}") for i in range(1, n + 1)))
        inserted = time.perf_counter() - started
        if keep_triggers:  # what the unit of work's commit does: the noted rows into the FTS tables
            customer_search.refresh(Session(bind=connection))
        elapsed = time.perf_counter() - started
        print(f"{'with' if keep_triggers else 'without'} the index: inserts (and notes) {inserted:.1f} s, refresh {elapsed - inserted:.1f} s",
              flush=True)
    engine.dispose()
    return n * 4, elapsed


if __name__ == "__main__":
    os.environ.setdefault("SIYU_ENV", "dev")
    main()
