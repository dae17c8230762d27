"""Planning a mass send to N customers: the durable plan written in one transaction.

    .venv/bin/python bench/mass_send_plan.py --customers 1000000
    SIYU_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/mass_send_plan.py --only postgresql

Loads a brand with bulk inserts (N customers, each with a WeCom external_userid; 200 staff;
every customer has an active relation, a fifth of them a second one, half an owner; 2% have
no relation at all, so the plan has exclusions to write; the rules allow one message a day, a
tenth got one earlier today and 1% opted out, so contact pressure excludes ~11%), then times
``services.mass_send_plan.plan_mass_send`` for one send to all N, hand-picked (the send row
is inserted directly: the API takes at most 100,000 hand-picked ids). The plan reads the
audience, every active relation, the WeCom ids, screens contact pressure, and writes N target
rows and one task per staff member and 10,000 customers. Prints rows/s, ms and the
peak resident memory of the process (not tracemalloc, which slows the plan itself). The issue's goal: 1M planned in under 30 s.

Then, in the same process on the same data, two baselines: the plan against a bare DB-API
executemany of the same number of 8-column rows into an unindexed scratch table (the least
any plan that writes its rows can cost: plan / bare write), and the contact-pressure screen
of the whole audience set-based (``screen_in`` from ``WHOLE_AUDIENCE`` ids on) against the
per-chunk screen it replaced (chunked / set-based).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import resource
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import BENCH_SCHEMA, backends  # noqa: E402

NOW = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)
STAFF = 200
BATCH = 20_000


def load(context, n: int) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import insert, select

    from siyu.adapters.db.tables import (
        contact_rules, customer_identities, customer_messages, customer_opt_outs, customers, staff, staff_relations,
    )
    from siyu.services import tenants

    made = tenants.create_tenant(context.uow(), slug=f"bench-ms-{int(time.time())}", name="群发压测")
    tenant_id = made.id
    rng = random.Random(7)
    with context.engine.begin() as db:
        db.execute(insert(staff), [{"tenant_id": tenant_id, "wecom_userid": f"u{i:04d}", "name": f"员工{i:04d}", "role": "guide",
                                    "status": "active", "created_at": NOW} for i in range(STAFF)])
        staff_ids = list(db.execute(select(staff.c.id).where(staff.c.tenant_id == tenant_id)).scalars())
        first = db.execute(select(customers.c.id).order_by(customers.c.id.desc()).limit(1)).scalar() or 0
        for start in range(0, n, BATCH):
            ids = range(first + 1 + start, first + 1 + min(n, start + BATCH))
            owners = {c: rng.choice(staff_ids) if rng.random() < 0.5 else None for c in ids}
            db.execute(insert(customers), [{"id": c, "tenant_id": tenant_id, "name": f"客户{c}", "gender": 0, "fields": {},
                                            "owner_staff_id": owners[c], "added_at": NOW, "created_at": NOW, "updated_at": NOW}
                                           for c in ids])
            db.execute(insert(customer_identities), [{"tenant_id": tenant_id, "customer_id": c, "kind": "wecom_external",
                                                      "value": f"wm{c:012d}", "source": "wecom", "created_at": NOW} for c in ids])
            relations = []
            for c in ids:
                if rng.random() < 0.02:
                    continue  # no relation: excluded
                mine = {owners[c] or rng.choice(staff_ids)}
                if rng.random() < 0.2:
                    mine.add(rng.choice(staff_ids))
                relations += [{"tenant_id": tenant_id, "customer_id": c, "staff_id": s, "state": "active",
                               "added_at": NOW - timedelta(days=rng.randrange(400))} for s in mine]
            db.execute(insert(staff_relations), relations)
            db.execute(insert(customer_messages), [{"tenant_id": tenant_id, "customer_id": c, "staff_id": None, "source_kind": "journey",
                                                    "source_id": c, "sent_at": NOW - timedelta(hours=1),
                                                    "counts_toward_wecom_cap": False} for c in ids if c % 10 == 3])
            db.execute(insert(customer_opt_outs), [{"tenant_id": tenant_id, "customer_id": c, "source": "import", "actor": "bench",
                                                    "created_at": NOW} for c in ids if c % 100 == 7])
        db.execute(insert(contact_rules).values(tenant_id=tenant_id, per_day=1, wecom_cap="month", updated_at=NOW, updated_by="bench"))
    if context.engine.dialect.name == "postgresql":
        with context.engine.begin() as db:
            db.exec_driver_sql("ANALYZE")
    return tenant_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench-mass-send"))
    parser.add_argument("--schema", default=BENCH_SCHEMA + "_ms")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    for backend in backends(args.data_dir, args.schema):
        if args.only not in (None, backend.name):
            continue
        backend.data_dir.mkdir(parents=True, exist_ok=True)
        context = backend.fresh_context()
        started = time.perf_counter()
        tenant_id = load(context, args.customers)
        print(f"{backend.name}: loaded {args.customers:,} customers in {time.perf_counter() - started:.1f} s", flush=True)
        run(context, tenant_id, args.customers, backend.name)
        context.close()


def run(context, tenant_id: int, n: int, name: str) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from siyu.adapters.db.tables import customers, mass_send_targets, mass_send_tasks
    from siyu.services import mass_send_plan

    with context.uow() as uow:
        ids = list(uow.session.execute(select(customers.c.id).where(customers.c.tenant_id == tenant_id)).scalars())
        send_id = uow.mass_sends.add(tenant_id, name="压测", text="{staff_name}：春季新品", material_ids=[], segment_id=None,
                                     customer_ids=ids, experiment_id=None, variant_texts={}, status="scheduled",
                                     scheduled_at=NOW, created_by="bench", created_at=NOW)
        uow.commit()
    del ids
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu = time.perf_counter(), time.process_time()
    counts = mass_send_plan.plan_mass_send(context.uow(), tenant_id, send_id, now=NOW)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB; tracemalloc would slow the plan itself
    assert counts is not None
    with context.uow() as uow:
        targets = uow.session.execute(select(func.count()).where(mass_send_targets.c.mass_send_id == send_id)).scalar_one()
        tasks = uow.session.execute(select(func.count()).where(mass_send_tasks.c.mass_send_id == send_id)).scalar_one()
    print(f"{name}: planned a send to {n:,} customers: {targets:,} target rows ({counts.planned:,} to send, "
          f"excluded {counts.excluded}), {tasks:,} WeCom tasks")
    print(f"{name}: {elapsed * 1000:,.0f} ms, {targets / elapsed:,.0f} rows/s, peak RSS {rss_after / 1024:,.0f} MB (was {rss_before / 1024:,.0f} MB before) "
          f"(goal: 1M in under 30 s); this process's CPU {cpu * 1000:,.0f} ms (on a loaded machine, wall minus CPU is mostly waiting for a core)")
    bare = bare_write(context, targets)
    print(f"{name}: baseline, a bare executemany of {targets:,} rows into an unindexed table: {bare * 1000:,.0f} ms "
          f"(plan / bare write: {elapsed / bare:.2f})")
    screens(context, tenant_id, name)


def bare_write(context, n: int) -> float:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with context.uow() as uow:
        uow.session.execute(text("CREATE TABLE bench_bare_targets (tenant_id integer, mass_send_id integer, customer_id integer, "
                                 "staff_id integer, task_id integer, arm varchar(32), status varchar(12), reason varchar(32))"))
        uow.commit()
    rows = [(1, 1, i, i % STAFF, i // 10_000, None, "planned", None) for i in range(n)]
    with context.uow() as uow:
        connection = uow.session.connection()
        mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        cursor = connection.connection.dbapi_connection.cursor()
        started = time.perf_counter()
        for i in range(0, n, 20_000):
            cursor.executemany(f"INSERT INTO bench_bare_targets VALUES ({', '.join([mark] * 8)})", rows[i : i + 20_000])
        uow.commit()
        elapsed = time.perf_counter() - started
        cursor.close()
    with context.uow() as uow:
        uow.session.execute(text("DROP TABLE bench_bare_targets"))
        uow.commit()
    return elapsed


def screens(context, tenant_id: int, name: str) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from siyu.adapters.db.tables import customers
    from siyu.services import contact_pressure

    with context.uow() as uow:
        ids = list(uow.session.execute(select(customers.c.id).where(customers.c.tenant_id == tenant_id)).scalars())
    timed = {}
    for label, threshold in (("set-based", contact_pressure.WHOLE_AUDIENCE), ("chunked", len(ids) + 1)):
        contact_pressure.WHOLE_AUDIENCE, saved = threshold, contact_pressure.WHOLE_AUDIENCE
        try:
            with context.uow() as uow:
                started = time.perf_counter()
                screened = contact_pressure.screen_in(uow, tenant_id, ids, at=NOW, wecom_mass=True)
                timed[label] = (time.perf_counter() - started, screened.counts())
        finally:
            contact_pressure.WHOLE_AUDIENCE = saved
    (whole, counts), (chunked, same) = timed["set-based"], timed["chunked"]
    print(f"{name}: screen_in of {len(ids):,} ids: set-based {whole * 1000:,.0f} ms, per chunk {chunked * 1000:,.0f} ms "
          f"(chunked / set-based: {chunked / whole:.2f}; same counts: {counts == same}; {counts})")


if __name__ == "__main__":
    main()
