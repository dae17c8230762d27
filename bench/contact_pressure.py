"""Contact pressure at send scale: screen_in over 1,000,000 customer ids, record_in of 100,000 deliveries.

    .venv/bin/python bench/contact_pressure.py                      # SQLite, a fresh var/bench-pressure
    SIYU_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/contact_pressure.py

Loads a bare brand straight into the tables (--customers customers; every third got two
messages this month, one of them today; 1% opted out), then times ``screen_in`` of every
customer id once (all limits on, wecom_mass), and ``record_in`` of --deliveries deliveries in
one unit of work (rolled back). The tables are ANALYZEd after the load: without statistics
PostgreSQL scans the whole message log per chunk (80 s for 1M ids instead of ~20 s). The issue's goal is planning a mass send to 1M customers under
30 s; screening is one step of it. Prints figures only.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import Backend, backends  # noqa: E402

AT = datetime(2026, 12, 16, 4, 0, tzinfo=UTC)  # noon in Shanghai, a Wednesday


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--deliveries", type=int, default=100_000)
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench-pressure"))
    parser.add_argument("--schema", default="siyu_bench_pressure")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    for backend in backends(args.data_dir, args.schema):
        if args.only in (None, backend.name):
            run(backend, args)


def _load(context, n: int) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import insert, select, text

    from siyu.adapters.db.tables import customer_messages, customer_opt_outs, customers, tenants

    now = datetime.now(UTC)
    with context.engine.begin() as conn:
        tenant_id = conn.execute(insert(tenants).values(slug="pressure-bench", name="频控基准", created_at=now)
                                 .returning(tenants.c.id)).scalar_one()
        for start in range(0, n, 50_000):
            conn.execute(insert(customers), [{"tenant_id": tenant_id, "name": "", "gender": 0, "fields": {}, "added_at": now,
                                              "created_at": now, "updated_at": now} for _ in range(start, min(n, start + 50_000))])
        ids = list(conn.execute(select(customers.c.id).where(customers.c.tenant_id == tenant_id).order_by(customers.c.id)).scalars())
        rows = []
        for i, customer_id in enumerate(ids[::3]):
            rows.append({"tenant_id": tenant_id, "customer_id": customer_id, "staff_id": None, "source_kind": "mass_send",
                         "source_id": 1, "sent_at": AT - timedelta(days=10), "counts_toward_wecom_cap": True})
            rows.append({"tenant_id": tenant_id, "customer_id": customer_id, "staff_id": None, "source_kind": "journey",
                         "source_id": i, "sent_at": AT - timedelta(hours=2), "counts_toward_wecom_cap": False})
        for start in range(0, len(rows), 50_000):
            conn.execute(insert(customer_messages), rows[start : start + 50_000])
        conn.execute(insert(customer_opt_outs), [{"tenant_id": tenant_id, "customer_id": c, "source": "import", "actor": "bench",
                                                  "created_at": now} for c in ids[::100]])
    with context.engine.begin() as conn:  # statistics, as a live database has them (autovacuum; a fresh load has none)
        conn.execute(text("ANALYZE"))
    return tenant_id


def run(backend: Backend, args: argparse.Namespace) -> None:
    from sqlalchemy import select

    from siyu.adapters.db.tables import customers
    from siyu.domain.contact_pressure import ContactRules
    from siyu.services import contact_pressure as cp

    context = backend.fresh_context()
    started = time.perf_counter()
    tenant_id = _load(context, args.customers)
    print(f"{backend.name}: loaded {args.customers:,} customers in {time.perf_counter() - started:.0f} s")
    with context.uow() as uow:
        uow.contact_pressure.save_rules(tenant_id, ContactRules(per_day=1, per_week=3, per_month=8), now=AT, actor="bench")
        uow.commit()
    with context.uow() as uow:
        ids = list(uow.session.execute(select(customers.c.id).where(customers.c.tenant_id == tenant_id)).scalars())
    for run_number in range(2):
        started = time.perf_counter()
        with context.uow() as uow:
            screened = cp.screen_in(uow, tenant_id, ids, at=AT)
        elapsed = time.perf_counter() - started
        print(f"{backend.name}: screen_in of {len(ids):,} ids (run {run_number + 1}): {elapsed:.1f} s; {screened.counts()}")
    wanted = ids[: args.deliveries]
    started = time.perf_counter()
    with context.uow() as uow:
        added = cp.record_in(uow, tenant_id, [(c, None) for c in wanted], source_kind="mass_send", source_id=99, sent_at=AT)
        uow.session.flush()
    print(f"{backend.name}: record_in of {len(wanted):,} deliveries: {time.perf_counter() - started:.1f} s ({added:,} rows, rolled back)")
    context.close()
    backend.drop()


if __name__ == "__main__":
    main()
