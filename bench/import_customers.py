"""Customer import: rows/s, peak memory and elapsed time for a generated CSV.

    .venv/bin/python bench/import_customers.py                 # 1,000,000 rows, SQLite (+ PostgreSQL)
    .venv/bin/python bench/import_customers.py --rows 50000    # a quick run

The file is generated with a fixed seed: about 1% bad rows (bad phone, bad date, unknown tag),
0.5% duplicates inside the file, 5% rows that attach to customers already known, and 0.5% that
carry the identities of two known customers (so they merge them). Each backend runs in its own
child process, so the peak memory (ru_maxrss) is that run's. PostgreSQL runs when
SIYU_BENCH_DATABASE_URL is set, in a fresh schema dropped afterwards.

The baseline is what a naive loader does: the same CSV read with the csv module and inserted
with one ``executemany`` into a bare table, with no validation, no OneID and no history.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import naive_load  # noqa: E402

HEADER = ["姓名", "手机", "性别", "生日", "会员号", "标签", "阶段", "归属员工", "会员等级"]
STAFF = [f"guide{i:03d}" for i in range(50)]
TAGS = ["VIP", "老客", "会员/金卡", "会员/银卡", "渠道/门店"]
STAGES = ["新客", "意向", "首购", "复购"]
LEVELS = ["金", "银", "铜"]


def _phone(i: int) -> str:
    return f"13{i:09d}"


def generate(path: Path, rows: int, seed: int) -> int:
    """The main file; returns how many known customers to seed first (the first `known` phones)."""
    rng = random.Random(seed)
    known = max(rows // 20, 10)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for i in range(rows):
            roll = rng.random()
            phone = _phone(known + i)
            member = f"M{known + i:08d}"
            birthday = f"19{rng.randint(60, 99)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            if roll < 0.05:  # a customer already known: attach
                k = rng.randrange(known)
                phone, member = _phone(k), ""
            elif roll < 0.055:  # identities of two known customers: merge
                a, b = rng.randrange(known), rng.randrange(known)
                phone, member = _phone(a), f"M{b:08d}"
            elif roll < 0.06 and i > 0:  # the same person twice in the file
                phone = _phone(known + rng.randrange(i))
                member = ""
            elif roll < 0.064:
                phone = "12" + phone[2:]  # bad phone
            elif roll < 0.067:
                birthday = "1990-13-01"  # bad date
            tags = ";".join(rng.sample(TAGS, rng.randint(0, 2)))
            if rng.random() < 0.003:
                tags = "不存在的标签"  # unknown tag
            out.writerow([f"客户{i}", phone, rng.choice("男女"), birthday, member, tags, rng.choice(STAGES),
                          rng.choice(STAFF), rng.choice(LEVELS)])
    return known


def seed_file(path: Path, known: int) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["姓名", "手机", "会员号"])
        for k in range(known):
            out.writerow([f"老客户{k}", _phone(k), f"M{k:08d}"])


def child(backend: str, url: str, csv_path: Path, seed_path: Path, *, again: bool = True) -> dict[str, object]:
    from siyu import bootstrap
    from siyu.adapters.db import migrate
    from siyu.adapters.db.engine import make_engine
    from siyu.config import Settings
    from siyu.domain.access import Role
    from siyu.domain.organisation import StaffDraft
    from siyu.services import fields, imports, stages, staff, tags, tenants
    from siyu.services.auth import system_actor

    migrate.upgrade(url)
    context = bootstrap.build(Settings(env="test", secret_key="b" * 40, data_dir=csv_path.parent, database_url=url, queue_url="memory://"),
                              engine=make_engine(url))
    tenant = tenants.create_tenant(context.uow(), slug=f"bench-{uuid.uuid4().hex[:6]}", name="Bench")
    actor = system_actor(tenant.id)
    for label in TAGS:
        group, _, name = label.partition("/") if "/" in label else ("导入", "", label)
        tags.create_tag(context.uow(), actor, group=group, name=name)
    for name in STAGES:
        stages.create_stage(context.uow(), actor, name)
    for userid in STAFF:
        staff.create_staff(context.uow(), actor, StaffDraft.parse(wecom_userid=userid, name=userid, mobile=None, store_id=None, role=Role.OPERATOR))
    fields.define_field(context.uow(), actor, key="level", label="会员等级", kind="single", options=LEVELS)
    imports.import_customers(context.uow(), actor, seed_path)

    started, cpu_started = time.perf_counter(), time.process_time()
    run = imports.import_customers(context.uow(), actor, csv_path)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    second: dict[str, object] = {}
    if again:
        again_started = time.perf_counter()
        rerun = imports.import_customers(context.uow(), actor, csv_path)
        again_elapsed = time.perf_counter() - again_started
        second = {"reimport_s": round(again_elapsed, 1), "reimport_rows_per_s": round(rerun.rows_total / again_elapsed),
                  "reimport_created": rerun.customers_created, "reimport_updated": rerun.customers_updated}

    baseline = naive_load(context.engine, csv_path, table="bench_naive")
    context.close()
    return {
        "backend": backend, "rows": run.rows_total, "good": run.rows_good, "bad": run.rows_bad, "errors": run.errors,
        "created": run.customers_created, "updated": run.customers_updated, "merged": run.customers_merged,
        "elapsed_s": round(elapsed, 1), "rows_per_s": round(run.rows_total / elapsed), "peak_rss_mb": round(peak_mb),
        "cpu_s": round(cpu, 1), "load": round(os.getloadavg()[0], 1),
        **second,
        "baseline_s": round(baseline, 1), "baseline_rows_per_s": round(run.rows_total / baseline),
        "ratio": round(elapsed / baseline, 1),
    }



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--backends", default="sqlite,postgresql", help="which of sqlite,postgresql to run (PostgreSQL needs the URL)")
    parser.add_argument("--no-again", action="store_true", help="skip importing the same file a second time")
    parser.add_argument("--child", nargs=4, metavar=("BACKEND", "URL", "CSV", "SEED_CSV"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        backend, url, csv_path, seed_path = args.child
        print(json.dumps(child(backend, url, Path(csv_path), Path(seed_path), again=not args.no_again)))
        return

    with tempfile.TemporaryDirectory(prefix="siyu-bench-") as folder:
        run_all(args, Path(folder))


def run_all(args: argparse.Namespace, work: Path) -> None:
    csv_path, seed_path = work / "customers.csv", work / "known.csv"
    known = generate(csv_path, args.rows, args.seed)
    seed_file(seed_path, known)
    size_mb = csv_path.stat().st_size / 1e6
    print(f"generated {args.rows:,} rows ({size_mb:.0f} MB), {known:,} known customers seeded first; seed {args.seed}", flush=True)

    wanted = set(args.backends.split(","))
    targets = [("sqlite", f"sqlite:///{work / 'bench.db'}")] if "sqlite" in wanted else []
    pg_url = os.environ.get("SIYU_BENCH_DATABASE_URL")
    schema = None
    if pg_url and "postgresql" in wanted:
        from sqlalchemy import text

        from siyu.adapters.db.engine import make_engine

        schema = f"siyu_bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(pg_url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        targets.append(("postgresql", f"{pg_url}{'&' if '?' in pg_url else '?'}options=-csearch_path%3D{schema}"))
    try:
        for backend, url in targets:
            done = subprocess.run([sys.executable, __file__, "--child", backend, url, str(csv_path), str(seed_path),
                                   *(["--no-again"] if args.no_again else [])],
                                  capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(done.stderr, file=sys.stderr)
                raise SystemExit(f"{backend}: the run failed")
            result = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"\n{backend}: {result['rows']:,} rows in {result['elapsed_s']} s = {result['rows_per_s']:,} rows/s, "
                  f"peak RSS {result['peak_rss_mb']} MB (importer CPU {result['cpu_s']} s; load average {result['load']})")
            print(f"  good {result['good']:,}, bad {result['bad']:,} ({result['errors']:,} errors); "
                  f"created {result['created']:,}, updated {result['updated']:,}, merged {result['merged']:,}")
            if "reimport_s" in result:
                print(f"  same file again: {result['reimport_s']} s = {result['reimport_rows_per_s']:,} rows/s, "
                      f"created {result['reimport_created']}, updated {result['reimport_updated']}")
            print(f"  naive executemany baseline: {result['baseline_s']} s = {result['baseline_rows_per_s']:,} rows/s; "
                  f"import / baseline = {result['ratio']}x", flush=True)
    finally:
        if schema:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
