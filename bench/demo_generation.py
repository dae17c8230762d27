"""Demo brand generation: how fast, and in how much memory, `siyu demo --customers N` loads.

    .venv/bin/python bench/demo_generation.py                        # 1,000,000 people, SQLite
    .venv/bin/python bench/demo_generation.py --customers 100000     # a quicker run
    SIYU_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/demo_generation.py

SQLite goes to a fresh file under --data-dir; PostgreSQL (when SIYU_BENCH_DATABASE_URL is set)
to a fresh schema, dropped afterwards unless --keep. --keep leaves both for
bench/customer_list.py. Each backend runs in its own child process, so its peak memory
(ru_maxrss, of the loader and of the process that generates people beside it) is its own.

Baselines, in the same process, on the first 200,000 customer rows the load wrote, inserted
into a bare table (no keys, no indexes) inside a transaction that is rolled back:
- plain DB-API ``executemany`` of ready-made tuples: the floor for any Python loader;
- SQLAlchemy Core ``session.execute(insert(table), rows)``: what the load would cost if every
  value went through SQLAlchemy's per-row parameter processing;
- the loader's own ``BulkRepository.insert`` (Core's compiled INSERT, values converted here).
And the reference: the same brand loaded with ``oneid.resolve`` one record at a time, at
--reference people (it is two orders of magnitude slower).
Nothing here passes or fails on time: it prints figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import BENCH_SCHEMA, Backend, backends  # noqa: E402

BASELINE_ROWS = 200_000
TODAY = date(2026, 11, 23)  # fixed, so every run generates the same brand


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="people to generate")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reference", type=int, default=2_000, help="people for the one-by-one reference (0: skip)")
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench"))
    parser.add_argument("--schema", default=BENCH_SCHEMA, help="PostgreSQL schema (fresh)")
    parser.add_argument("--keep", action="store_true", help="keep the databases for bench/customer_list.py")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="one backend, in this process")
    args = parser.parse_args()
    if args.only:
        print(json.dumps(run(Backend.named(args.only, args.data_dir, args.schema), args)))
        return
    print(f"demo generation: {args.customers:,} people, seed {args.seed}", flush=True)
    results = []
    for backend in backends(args.data_dir, args.schema):
        command = [sys.executable, __file__, "--only", backend.name, "--customers", str(args.customers), "--seed", str(args.seed),
                   "--reference", str(args.reference), "--data-dir", str(args.data_dir), "--schema", args.schema]
        if args.keep:
            command.append("--keep")
        done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print()
    print("| backend | people | customers | rows written | elapsed | rows/s | people/s | peak RSS loader + generator |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['backend']} | {r['people']:,} | {r['customers']:,} | {r['rows']:,} | {r['elapsed']:.0f} s | {r['rows_per_s']:,.0f} | "
              f"{r['people_per_s']:,.0f} | {r['rss_mb']:,} MB + {r['child_rss_mb']:,} MB |")
    print()
    print(f"| backend | baseline on {BASELINE_ROWS:,} customer rows into a bare table | rows/s | load's rows/s vs this |")
    print("|---|---|---:|---:|")
    for r in results:
        for name, rate in r["baselines"].items():
            print(f"| {r['backend']} | {name} | {rate:,.0f} | {r['rows_per_s'] / rate:.2f} |")
    print()
    print("| backend | reference: oneid.resolve one record at a time | people | elapsed | people/s | batched is faster by |")
    print("|---|---|---:|---:|---:|---:|")
    for r in results:
        ref = r.get("reference")
        if ref:
            print(f"| {r['backend']} | demo brand, one_by_one=True | {ref['people']:,} | {ref['elapsed']:.1f} s | {ref['people_per_s']:,.0f} | "
                  f"{r['people_per_s'] / ref['people_per_s']:.0f}x |")


def run(backend: Backend, args: argparse.Namespace) -> dict:
    from siyu.services.demo import load_demo_brand

    context = backend.fresh_context()
    step = max(args.customers // 10, 1)
    state = {"done": 0, "next": step}
    started, cpu = time.perf_counter(), time.process_time()

    def progress(n: int) -> None:
        state["done"] += n
        if state["done"] >= state["next"] or state["done"] == args.customers:
            rate = state["done"] / (time.perf_counter() - started)
            print(f"  {backend.name}: {state['done']:>10,} people  {time.perf_counter() - started:7.1f} s  {rate:,.0f} people/s",
                  file=sys.stderr, flush=True)
            state["next"] += step

    summary = load_demo_brand(context.uow, customers=args.customers, seed=args.seed, today=TODAY, progress=progress)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    loaded = summary.customers
    assert loaded is not None
    rows = (loaded.customers + loaded.merged + loaded.identities + loaded.relations + loaded.tags_applied + loaded.stage_changes
            + loaded.timeline_events + loaded.merged)  # the last: one customer_merges row per customer merged away
    result = {
        "backend": backend.name, "people": loaded.people, "customers": loaded.customers, "merged": loaded.merged,
        "records": loaded.records, "rows": rows, "elapsed": elapsed, "cpu": cpu, "rows_per_s": rows / elapsed,
        "people_per_s": loaded.people / elapsed,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "child_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024,
        "baselines": baselines(context, summary.tenant_id),
    }
    print(f"  {backend.name}: {rows:,} rows in {elapsed:.1f} s (CPU {cpu:.1f} s): {rows / elapsed:,.0f} rows/s", file=sys.stderr, flush=True)
    context.close()
    if not args.keep:
        backend.drop()
    if args.reference:
        result["reference"] = reference(backend, args)
    return result


def baselines(context, tenant_id: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from sqlalchemy import JSON, Column, Date, Integer, MetaData, SmallInteger, String, Table, insert, select

    from siyu.adapters.db.repositories.bulk import BulkRepository
    from siyu.adapters.db.tables import UTCDateTime, customers

    bare = Table(
        "bench_bare_customers", MetaData(),
        Column("id", Integer), Column("tenant_id", Integer), Column("name", String(64)), Column("gender", SmallInteger),
        Column("avatar", String(500)), Column("birthday", Date), Column("region", String(64)), Column("stage_id", Integer),
        Column("owner_staff_id", Integer), Column("fields", JSON), Column("added_at", UTCDateTime()),
        Column("merged_into_id", Integer), Column("created_at", UTCDateTime()), Column("updated_at", UTCDateTime()),
    )
    names = [c.name for c in bare.c]
    rates: dict[str, float] = {}
    with context.session_factory() as session:
        rows = [dict(r._mapping) for r in session.execute(
            select(*[customers.c[n] for n in names]).where(customers.c.tenant_id == tenant_id).order_by(customers.c.id).limit(BASELINE_ROWS))]
        bulk = BulkRepository(session)
        plan_sql, raw = _ready_made(session, bare, rows)

        def timed(label: str, write) -> None:  # type: ignore[no-untyped-def]
            bare.create(session.connection())
            start = time.perf_counter()
            write()
            rates[label] = len(rows) / (time.perf_counter() - start)
            session.rollback()

        timed("plain DB-API executemany", lambda: [
            session.connection().connection.dbapi_connection.cursor().executemany(plan_sql, raw[i : i + 5000])
            for i in range(0, len(raw), 5000)
        ])
        timed("SQLAlchemy Core insert() executemany", lambda: [session.execute(insert(bare), rows[i : i + 5000]) for i in range(0, len(rows), 5000)])
        timed("the loader's BulkRepository.insert", lambda: bulk.insert(bare, rows))
    return rates


def _ready_made(session, bare, rows):  # type: ignore[no-untyped-def]
    """The INSERT for the driver, and the rows already converted to what it binds."""
    from sqlalchemy import insert

    from siyu.adapters.db.repositories.bulk import _InsertPlan

    dialect = session.get_bind().dialect
    plan = _InsertPlan(bare, tuple(c.name for c in bare.c), dialect)
    raw = plan.parameters(rows)
    sql = plan.sql
    if not dialect.positional:  # psycopg: the same statement with positional placeholders
        compiled = insert(bare).inline().compile(dialect=dialect, column_keys=[c.name for c in bare.c])
        sql = compiled.string
        for name in plan.order:
            sql = sql.replace(f"%({name})s", "%s")
        raw = [tuple(r[n] for n in plan.order) for r in raw]
    return sql, raw


def reference(backend: Backend, args: argparse.Namespace) -> dict:
    from siyu.services.demo import load_demo_brand

    target = backend.sibling("reference")
    context = target.fresh_context()
    started = time.perf_counter()
    load_demo_brand(context.uow, customers=args.reference, seed=args.seed, today=TODAY, one_by_one=True)
    elapsed = time.perf_counter() - started
    context.close()
    target.drop()
    return {"people": args.reference, "elapsed": elapsed, "people_per_s": args.reference / elapsed}


if __name__ == "__main__":
    os.environ.setdefault("SIYU_ENV", "dev")
    main()
