"""Guide-task leaderboards and daily lists, computed live from the operational store.

A brand of 5 regions, 100 stores, 1,000 guides and 50,000 customers with ``--tasks`` tasks
due over 30 days (60% done, 15% skipped, 5% cancelled, 20% open), ``--orders`` orders and
``--events`` behaviour events over 35 days (half of them ``message_replied``: the replies);
prints the median time of each leaderboard (7 and 30 days), a guide's daily list (page 1),
and the overdue-reminder job's first batch. Prints figures; passes or fails on nothing.

    .venv/bin/python bench/guide_task_boards.py --tasks 300000 --orders 100000 --events 200000
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import BENCH_SCHEMA, Backend, backends  # noqa: E402

NOW = datetime(2026, 12, 10, 4, 0, tzinfo=UTC)
CHUNK = 5_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=300_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench-guide-tasks"))
    parser.add_argument("--schema", default=f"{BENCH_SCHEMA}_guide_tasks")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    for backend in backends(args.data_dir, args.schema):
        if args.only in (None, backend.name):
            args.data_dir.mkdir(parents=True, exist_ok=True)
            run(backend, args)


def _insert(uow, table, rows) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import insert

    for i in range(0, len(rows), CHUNK):
        uow.session.execute(insert(table), rows[i : i + CHUNK])


def seed(context, args: argparse.Namespace) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    from siyu.adapters.db.tables import customers, events, guide_tasks, orders, regions, staff, stores
    from siyu.services import tenants

    rng = random.Random(7)
    tenant = tenants.create_tenant(context.uow(), slug="bench-guides", name="导购基准")
    t = tenant.id
    with context.uow() as uow:
        _insert(uow, regions, [{"tenant_id": t, "name": f"区域{r}", "created_at": NOW} for r in range(5)])
        region_ids = [r.id for r in uow.session.execute(regions.select().where(regions.c.tenant_id == t))]
        _insert(uow, stores, [{"tenant_id": t, "name": f"门店{s}", "region_id": region_ids[s % 5], "is_open": True, "created_at": NOW}
                              for s in range(100)])
        store_ids = [s.id for s in uow.session.execute(stores.select().where(stores.c.tenant_id == t))]
        _insert(uow, staff, [{"tenant_id": t, "wecom_userid": f"g{g}", "name": f"导购{g}", "store_id": store_ids[g % 100],
                              "role": "guide", "status": "active", "created_at": NOW} for g in range(1000)])
        guides = [(g.id, g.store_id) for g in uow.session.execute(staff.select().where(staff.c.tenant_id == t))]
        _insert(uow, customers, [{"tenant_id": t, "name": f"客户{c}", "gender": 0, "fields": {}, "added_at": NOW, "created_at": NOW,
                                  "updated_at": NOW} for c in range(50_000)])
        customer_ids = [c for (c,) in uow.session.execute(customers.select().with_only_columns(customers.c.id)
                                                          .where(customers.c.tenant_id == t))]
        tasks = []
        for n in range(args.tasks):
            staff_id, store_id = rng.choice(guides)
            due = NOW - timedelta(days=30) + timedelta(seconds=rng.randrange(30 * 86400 + 86400))
            roll = rng.random()
            state = "done" if roll < .6 else "skipped" if roll < .75 else "cancelled" if roll < .8 else "open"
            closed = due - timedelta(hours=rng.randrange(1, 48)) if state != "open" else None
            tasks.append({"tenant_id": t, "staff_id": staff_id, "store_id": store_id, "customer_id": rng.choice(customer_ids),
                          "kind": "follow_up", "title": "跟进", "script": "", "due_at": due, "state": state, "source_kind": "journey",
                          "source_key": f"k{n}", "created_by": "journey", "created_at": due - timedelta(days=2), "closed_at": closed,
                          "outcome_until": closed + timedelta(days=7) if state == "done" else None, "updated_at": NOW,
                          "reminded_at": NOW if state == "open" and due < NOW - timedelta(days=1) else None})
        _insert(uow, guide_tasks, tasks)
        _insert(uow, orders, [{"tenant_id": t, "source": "mall", "source_order_id": f"o{n}", "customer_id": rng.choice(customer_ids),
                               "identities": {}, "ordered_at": NOW - timedelta(seconds=rng.randrange(35 * 86400)),
                               "amount": Decimal(rng.randrange(50, 2000)), "refunded_amount": Decimal(0), "status": "paid",
                               "digest": "x", "created_at": NOW, "updated_at": NOW} for n in range(args.orders)])
        _insert(uow, events, [{"tenant_id": t, "event_id": f"e{n}", "name": "message_replied" if n % 2 else "miniprogram_visit",
                               "occurred_at": NOW - timedelta(seconds=rng.randrange(35 * 86400)), "customer_id": rng.choice(customer_ids),
                               "identity_kind": "phone", "identity_value": "13900000000", "properties": {}, "received_at": NOW,
                               "created_at": NOW, "updated_at": NOW} for n in range(args.events)])
        uow.commit()
    return t, guides[0][0]


def timed(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return median(times)


def run(backend: Backend, args: argparse.Namespace) -> None:
    from siyu.domain.access import Actor, Role
    from siyu.domain.guide_tasks import BoardLevel
    from siyu.services import guide_tasks
    from siyu.services.auth import system_actor

    context = backend.fresh_context()
    started = time.perf_counter()
    tenant_id, guide_id = seed(context, args)
    print(f"{backend.name}: seeded {args.tasks:,} tasks, {args.orders:,} orders and {args.events:,} events in "
          f"{time.perf_counter() - started:.0f} s")
    admin = system_actor(tenant_id)
    guide = Actor(tenant_id=tenant_id, role=Role.GUIDE, staff_id=guide_id, store_id=None)
    print(f"| query ({backend.name}) | rows | median of {args.runs} (ms) |")
    print("|---|---:|---:|")
    for days in (7, 30):
        for level in BoardLevel:
            board = guide_tasks.leaderboard(context.uow(), admin, level, days=days, now=NOW)
            ms = timed(lambda: guide_tasks.leaderboard(context.uow(), admin, level, days=days, now=NOW), args.runs)
            print(f"| leaderboard {level.value}, {days} days | {len(board.rows):,} | {ms:.0f} |")
        ms = timed(lambda: guide_tasks.boards(context.uow(), admin, days=days, now=NOW), args.runs)
        print(f"| all four boards (the home page), {days} days | | {ms:.0f} |")
    page = guide_tasks.daily_tasks(context.uow(), guide, now=NOW)
    print(f"| a guide's daily list, page 1 | {len(page.items)} of {page.total} | "
          f"{timed(lambda: guide_tasks.daily_tasks(context.uow(), guide, now=NOW), args.runs):.0f} |")
    started = time.perf_counter()
    raised = guide_tasks.remind_overdue(context.uow(), now=NOW)
    print(f"| overdue reminders, first batch | {raised:,} | {(time.perf_counter() - started) * 1000:.0f} |")


if __name__ == "__main__":
    main()
