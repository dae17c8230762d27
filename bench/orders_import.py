"""Order import: rows/s, peak memory and elapsed time for a generated order CSV.

    .venv/bin/python bench/orders_import.py                    # 200,000 rows, SQLite (+ PostgreSQL)
    .venv/bin/python bench/orders_import.py --rows 20000       # a quick run

The file (fixed seed) has one row per order line: ~1.6 lines per order, 60% of orders carry
the phone of a customer seeded first (the rest match nobody and stay unmatched), 4% carry a
refund, 1% of rows are bad (bad amount, bad time, unknown store). The orders name one of 8
stores and one of 40 guides. Each backend runs in its own child process, so the peak memory
(ru_maxrss) is that run's. PostgreSQL runs when SIYU_BENCH_DATABASE_URL is set, in a fresh
schema dropped afterwards. The file is imported, then imported again (nothing changes), each
as a stored run (``services.order_imports.import_orders``: the path the worker takes for an
upload, with its counts and bad rows committed batch by batch).

The baseline, in the same process, is what a naive loader does: the same CSV read with the
csv module and inserted with one ``executemany`` into a bare table, no validation, no OneID.
Nothing here passes or fails on time: it prints figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import backends, naive_load  # noqa: E402

HEADER = ["source", "order_id", "ordered_at", "amount", "phone", "store_code", "staff_userid", "sku", "line_name", "quantity",
          "line_amount", "refund_id", "refund_amount", "refunded_at"]
STORES = [f"S{i:02d}" for i in range(8)]
GUIDES = [f"guide{i:03d}" for i in range(40)]
MENU = [("LATTE", "拿铁", 32), ("AMERICANO", "美式", 26), ("CAKE", "蛋糕", 38), ("BEANS", "咖啡豆", 98)]
START = datetime(2025, 1, 1, 8, 0)


def _phone(i: int) -> str:
    return f"13{i:09d}"


def generate(path: Path, rows: int, seed: int) -> int:
    """Write about ``rows`` rows; returns how many customers to seed (phones 0..known-1)."""
    rng = random.Random(seed)
    known = max(rows // 8, 10)
    written = n = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        while written < rows:
            n += 1
            lines = [rng.choice(MENU) for _ in range(1 + int(rng.random() < 0.45) + int(rng.random() < 0.15))]
            amount = sum(p for _, _, p in lines)
            at = START + timedelta(minutes=n * 3)
            phone = _phone(rng.randrange(known)) if rng.random() < 0.6 else f"170{rng.randrange(10**8):08d}"
            in_store = rng.random() < 0.6
            store = rng.choice(STORES) if in_store else ""
            guide = rng.choice(GUIDES) if in_store else ""
            refund = rng.random() < 0.04
            for i, (sku, name, price) in enumerate(lines):
                row = ["store" if in_store else "mall", f"O{n:08d}", at.isoformat(sep=" "), str(amount) if i == 0 else "",
                       phone if i == 0 else "", store if i == 0 else "", guide if i == 0 else "", sku, name, "1", str(price),
                       "", "", ""]
                if refund and i == 0:
                    row[11:] = [f"R{n}", str(price), (at + timedelta(days=1)).isoformat(sep=" ")]
                bad = rng.random()
                if i == 0 and bad < 0.004:
                    row[3] = "12,3x"
                elif i == 0 and bad < 0.007:
                    row[2] = "2025-13-40"
                elif i == 0 and bad < 0.01:
                    row[5] = "NOPE"
                out.writerow(row)
                written += 1
    return known


def child(backend: str, url: str, csv_path: Path, known: int) -> dict[str, object]:
    from siyu import bootstrap
    from siyu.adapters.db import migrate
    from siyu.adapters.db.engine import make_engine
    from siyu.config import Settings
    from siyu.domain.access import Role
    from siyu.domain.organisation import StaffDraft, StoreDraft
    from siyu.services import imports, order_imports, staff, stores, tenants
    from siyu.services.auth import system_actor

    migrate.upgrade(url)
    context = bootstrap.build(Settings(env="test", secret_key="b" * 40, data_dir=csv_path.parent, database_url=url, queue_url="memory://"),
                              engine=make_engine(url))
    tenant = tenants.create_tenant(context.uow(), slug=f"bench-{uuid.uuid4().hex[:6]}", name="Bench")
    actor = system_actor(tenant.id)
    made = [stores.create_store(context.uow(), actor, StoreDraft.parse(name=code, code=code)) for code in STORES]
    for i, userid in enumerate(GUIDES):
        staff.create_staff(context.uow(), actor, StaffDraft.parse(wecom_userid=userid, name=userid, mobile=None,
                                                                   store_id=made[i % len(made)].id, role=Role.GUIDE))
    seed_path = csv_path.with_name("known.csv")
    with open(seed_path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["姓名", "手机"])
        out.writerows([f"客户{k}", _phone(k)] for k in range(known))
    imports.import_customers(context.uow(), actor, seed_path)

    started, cpu_started = time.perf_counter(), time.process_time()
    report = order_imports.import_orders(context.uow(), actor, csv_path).counts
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    again_started = time.perf_counter()
    again = order_imports.import_orders(context.uow(), actor, csv_path).counts
    again_elapsed = time.perf_counter() - again_started
    baseline = naive_load(context.engine, csv_path, table="bench_naive_orders")
    context.close()
    return {
        "backend": backend, "rows": report.rows_total, "good": report.rows_good, "bad": report.rows_bad,
        "orders": report.orders_created, "unmatched": report.orders_unmatched, "refunds": report.refunds_added,
        "rejected": report.orders_rejected, "elapsed_s": round(elapsed, 1), "rows_per_s": round(report.rows_total / elapsed),
        "cpu_s": round(cpu, 1), "peak_rss_mb": round(peak_mb), "load": round(os.getloadavg()[0], 1),
        "again_s": round(again_elapsed, 1), "again_rows_per_s": round(again.rows_total / again_elapsed),
        "again_created": again.orders_created, "again_updated": again.orders_updated, "again_unchanged": again.orders_unchanged,
        "baseline_s": round(baseline, 2), "baseline_rows_per_s": round(report.rows_total / baseline),
        "ratio": round(elapsed / baseline, 1),
    }



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--backends", default="sqlite,postgresql", help="which of sqlite,postgresql to run (PostgreSQL needs the URL)")
    parser.add_argument("--child", nargs=4, metavar=("BACKEND", "URL", "CSV", "KNOWN"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        backend, url, csv_path, known = args.child
        print(json.dumps(child(backend, url, Path(csv_path), int(known))))
        return
    with tempfile.TemporaryDirectory(prefix="siyu-bench-") as folder:
        run_all(args, Path(folder))


def run_all(args: argparse.Namespace, work: Path) -> None:
    csv_path = work / "orders.csv"
    known = generate(csv_path, args.rows, args.seed)
    print(f"generated {args.rows:,} rows ({csv_path.stat().st_size / 1e6:.0f} MB), {known:,} customers seeded first; "
          f"seed {args.seed}", flush=True)
    wanted = set(args.backends.split(","))
    for backend in backends(work / "db", f"siyu_bench_orders_{uuid.uuid4().hex[:8]}"):
        if backend.name not in wanted:
            continue
        backend.data_dir.mkdir(exist_ok=True)
        backend.fresh_context().close()  # an empty, migrated database (a fresh schema on PostgreSQL)
        try:
            done = subprocess.run([sys.executable, __file__, "--child", backend.name, backend.url, str(csv_path), str(known)],
                                  capture_output=True, text=True, check=False)
        finally:
            backend.drop()
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            raise SystemExit(f"{backend.name}: the run failed")
        _print(backend.name, json.loads(done.stdout.strip().splitlines()[-1]))


def _print(backend: str, r: dict[str, object]) -> None:
    print(f"\n{backend}: {r['rows']:,} rows in {r['elapsed_s']} s = {r['rows_per_s']:,} rows/s, peak RSS {r['peak_rss_mb']} MB "
          f"(importer CPU {r['cpu_s']} s; load average {r['load']})")
    print(f"  good {r['good']:,}, bad {r['bad']:,}; orders created {r['orders']:,} ({r['unmatched']:,} unmatched), "
          f"{r['refunds']:,} refunds, {r['rejected']:,} rejected")
    print(f"  same file again: {r['again_s']} s = {r['again_rows_per_s']:,} rows/s; created {r['again_created']}, "
          f"updated {r['again_updated']}, unchanged {r['again_unchanged']:,}")
    print(f"  naive executemany baseline: {r['baseline_s']} s = {r['baseline_rows_per_s']:,} rows/s; "
          f"import / baseline = {r['ratio']}x", flush=True)

if __name__ == "__main__":
    main()
