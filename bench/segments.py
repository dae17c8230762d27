"""Segments: the count preview on the DuckDB warehouse at 1,000,000 customers against the same
question written by hand in DuckDB SQL, and a 100,000-member segment materialised into a smart
tag on SQLite.

    .venv/bin/python bench/segments.py                          # 1,000,000 customers, 100,000 members
    .venv/bin/python bench/segments.py --customers 100000 --members 20000   # a quick run
    .venv/bin/python bench/segments.py --only summary           # the order summary's refreshes only

Part 1, the warehouse. The demo generator takes over 12 minutes for a million people (and
then a sync), so the warehouse tables are built directly in DuckDB with ``INSERT ... SELECT``
over ``range()``, every value drawn from ``hash(row, salt)`` (the same brand on every run),
in the warehouse schema the sync writes (``Warehouse.ensure_schema``):

- customers: N live, plus 2 % of N merged into a live one (``customer_links`` maps them);
  stage (6 stages, 20 % none), added over two years;
- customer_tags: about 2.3 per customer from 40 tags (merged customers' tags count for their
  live customer);
- orders: 3 per live customer on average, skewed (a few buy often, many never), over two
  years, 8 % refunded (half in full), 2 % matched to nobody;
- events: 10 per live customer on average over the last year, 60 % ``page_view``;
- customer_scores: an RFM segment for 70 % of the customers (drawn, not computed: the count
  reads the stored segment, not how it was made) and a P(alive);
- the order summary (customer_orders, customer_order_days): built from those orders by the
  sync's own whole rebuild (``siyu.services.order_summary.refresh``), timed.

Each rule is counted with ``SegmentCountQuery.run`` (compile + execute + typed result), the
median of --runs after a warm-up, against hand-written DuckDB SQL for the same question on the
same connection; the counts must agree. The hand-written SQL reads the raw orders (the question
as it was asked before the summary existed); the order rules are also written by hand over the
order summary (the same shape as ours), a second baseline. The SQL Ibis compiled is also executed alone, which
splits the fixed cost of building and compiling the expression (about 0.1-0.2 s) from the
query's own shape. ``all_members`` (every id, what the smart tag reads)
is timed for the tag rule too. Peak memory is this process's ru_maxrss. The goal from the
issue: a count under 1 s.

Part 2, SQLite. A fresh operational database (migrated) with --members + 20 % customers,
inserted with one recursive-CTE ``INSERT``; then ``services.smart_tags.refresh_segment_tags``
for one kept segment whose members are the first --members customers (the members callable
returns them, so this times the operational side: reconcile, tag rows, timeline entries):
the first materialisation, the same again (nothing to change), and a 10 % turnover.
Nothing passes or fails on time: it prints figures.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import BENCH_SCHEMA, Backend  # noqa: E402

TODAY = date(2026, 11, 23)
T = 1  # the tenant


def _median(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    fn()  # warm-up
    times, out = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def _u(salt: int, of: str = "i") -> str:
    """A uniform draw in [0, 1) from the row number ``of`` and a salt."""
    return f"((hash({of}, {salt}) % 1000000000)::DOUBLE / 1000000000)"


def build_warehouse(duck: Any, n: int) -> dict[str, int]:
    merged = n // 50
    start = f"TIMESTAMP '{TODAY - timedelta(days=730)} 00:00:00'"
    steps = [
        f"""INSERT INTO customers SELECT {T}, i, {start} + INTERVAL 1 SECOND * (hash(i, 1) % (730 * 86400)),
              CASE WHEN hash(i, 2) % 5 = 0 THEN NULL ELSE 'r' || (hash(i, 2) % 30) END,
              CASE WHEN hash(i, 3) % 5 = 0 THEN NULL ELSE 1 + hash(i, 3) % 6 END,
              1 + hash(i, 4) % 500,
              CASE WHEN i > {n} THEN 1 + hash(i, 5) % {n} END,
              'c' || i, CASE hash(i, 6) % 3 WHEN 0 THEN 'male' WHEN 1 THEN 'female' ELSE 'unknown' END, NULL, '{{}}'
            FROM range(1, {n + merged + 1}) t(i)""",
        f"""INSERT INTO customer_links SELECT tenant_id, customer_id, merged_into_id FROM customers
            WHERE tenant_id = {T} AND merged_into_id IS NOT NULL""",
        f"""INSERT INTO customer_tags SELECT DISTINCT {T}, i, 1 + hash(i, 10 + k) % 40, 'manual', {start}
            FROM range(1, {n + merged + 1}) t(i), range(3) s(k) WHERE hash(i, 20 + k) % 100 < 77""",
        # orders: customer = floor(N * u^2) skews towards low ids (some buy often, many never)
        f"""INSERT INTO orders SELECT {T}, o,
              CASE WHEN hash(o, 30) % 50 = 0 THEN NULL ELSE 1 + floor({n + merged} * pow({_u(31, 'o')}, 2))::BIGINT END,
              'mall', NULL, NULL, NULL,
              TIMESTAMP '{TODAY} 00:00:00' - INTERVAL 1 SECOND * (hash(o, 32) % (730 * 86400)),
              (20 + hash(o, 33) % 800)::DECIMAL(12, 2),
              CASE WHEN hash(o, 34) % 25 = 0 THEN (20 + hash(o, 33) % 800)::DECIMAL(12, 2)
                   WHEN hash(o, 34) % 25 = 1 THEN 10::DECIMAL(12, 2) ELSE 0::DECIMAL(12, 2) END,
              'paid', TIMESTAMP '{TODAY} 00:00:00'
            FROM range(1, {3 * n + 1}) t(o)""",
        f"""INSERT INTO events SELECT {T}, e,
              CASE WHEN hash(e, 40) % 10 < 6 THEN 'page_view' WHEN hash(e, 40) % 10 < 8 THEN 'link_open'
                   WHEN hash(e, 40) % 10 < 9 THEN 'coupon_use' ELSE 'live_view' END,
              TIMESTAMP '{TODAY} 00:00:00' - INTERVAL 1 SECOND * (hash(e, 41) % (365 * 86400)),
              CASE WHEN hash(e, 42) % 100 = 0 THEN NULL ELSE 1 + hash(e, 43) % {n} END,
              'mini', TIMESTAMP '{TODAY} 00:00:00', TIMESTAMP '{TODAY} 00:00:00'
            FROM range(1, {10 * n + 1}) t(e)""",
        f"""INSERT INTO customer_scores SELECT {T}, i,
              (['champions', 'loyal', 'potential_loyalists', 'new', 'promising', 'need_attention', 'about_to_sleep',
                'at_risk', 'cant_lose', 'hibernating'])[(1 + hash(i, 50) % 10)::BIGINT],
              {_u(51)}, {_u(52)} * 2, {_u(53)} * 5, {_u(54)} * 300, {_u(55)} * 1000
            FROM range(1, {n + 1}) t(i) WHERE hash(i, 56) % 10 < 7""",
    ]
    for sql in steps:
        duck.execute(sql)
    return {name: duck.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            for name in ("customers", "customer_tags", "orders", "events", "customer_scores")}


def _day_start(day: date) -> str:
    return f"TIMESTAMP '{day - timedelta(days=1)} 16:00:00'"  # 00:00 Shanghai is 16:00 UTC the day before


LIVE = f"SELECT customer_id FROM customers WHERE tenant_id = {T} AND merged_into_id IS NULL"
LINKS = f"SELECT customer_id, live_customer_id FROM customer_links WHERE tenant_id = {T}"


def _live_of(table: str, where: str) -> str:
    return (f"SELECT coalesce(l.live_customer_id, x.customer_id) AS cid, x.* FROM {table} x "
            f"LEFT JOIN ({LINKS}) l ON l.customer_id = x.customer_id WHERE x.tenant_id = {T} AND {where}")


def _purchases(where: str = "TRUE") -> str:
    return _live_of("orders", f"x.amount > x.refunded_amount AND x.customer_id IS NOT NULL AND {where}")


def on_summary(label: str, tag: int, stage: int, other_tag: int) -> str | None:
    """The order rules written by hand over the order summary the sync keeps (None: not an order rule)."""
    d90, day365 = _day_start(TODAY - timedelta(days=90)), f"DATE '{TODAY - timedelta(days=365)}'"
    tagged = f"SELECT cid FROM ({_live_of('customer_tags', f'x.tag_id = {other_tag}')})"
    return {
        "orders count >= 2 and last purchase within 90 days":
            f"SELECT count(*) FROM ({LIVE}) c WHERE c.customer_id IN (SELECT customer_id FROM customer_orders "
            f"WHERE tenant_id = {T} AND orders >= 2 AND last_purchase_at >= {d90})",
        "(tag and stage) or gmv >= 500 in 365 days":
            f"SELECT count(*) FROM customers c WHERE c.tenant_id = {T} AND c.merged_into_id IS NULL AND ("
            f"(c.stage_id = {stage} AND c.customer_id IN ({tagged})) OR c.customer_id IN (SELECT customer_id "
            f"FROM customer_order_days WHERE tenant_id = {T} AND day >= {day365} GROUP BY customer_id HAVING sum(gmv) >= 500))",
    }.get(label)


def questions(tag: int, stage: int, other_tag: int) -> list[tuple[str, dict[str, Any], str]]:
    rfm_in = "x.rfm_segment IN ('champions', 'loyal', 'at_risk')"
    views = "x.name = 'page_view' AND x.occurred_at >= " + _day_start(TODAY - timedelta(days=30))
    d90, d365 = _day_start(TODAY - timedelta(days=90)), _day_start(TODAY - timedelta(days=365))
    return [
        ("tags any [one tag]", {"groups": [{"conditions": [{"kind": "tags", "op": "any", "value": [tag]}]}]},
         f"SELECT count(*) FROM ({LIVE}) c WHERE c.customer_id IN (SELECT cid FROM ({_live_of('customer_tags', f'x.tag_id = {tag}')}))"),
        ("orders count >= 2 and last purchase within 90 days", {"groups": [{"conditions": [
            {"kind": "orders", "attribute": "count", "op": "gte", "value": 2},
            {"kind": "orders", "attribute": "last_purchase", "op": "within_days", "value": 90}]}]},
         f"SELECT count(*) FROM (SELECT cid, count(*) AS n, max(ordered_at) AS last FROM ({_purchases()}) GROUP BY cid) p "
         f"JOIN ({LIVE}) c ON c.customer_id = p.cid WHERE p.n >= 2 AND p.last >= {d90}"),
        ("rfm segment in [champions, loyal, at_risk]", {"groups": [{"conditions": [
            {"kind": "rfm", "op": "in", "value": ["champions", "loyal", "at_risk"]}]}]},
         f"SELECT count(*) FROM ({LIVE}) c WHERE c.customer_id IN (SELECT cid FROM "
         f"({_live_of('customer_scores', rfm_in)}))"),
        ("page_view at least 3 times in 30 days", {"groups": [{"conditions": [
            {"kind": "event", "attribute": "page_view", "op": "at_least", "value": 3, "days": 30}]}]},
         f"SELECT count(*) FROM (SELECT cid FROM ({_live_of('events', views)}) "
         f"GROUP BY cid HAVING count(*) >= 3) e JOIN ({LIVE}) c ON c.customer_id = e.cid"),
        ("(tag and stage) or gmv >= 500 in 365 days", {"groups": [
            {"conditions": [{"kind": "tags", "op": "any", "value": [other_tag]}, {"kind": "stage", "op": "in", "value": [stage]}]},
            {"conditions": [{"kind": "orders", "attribute": "gmv", "op": "gte", "value": 500, "days": 365}]}]},
         f"SELECT count(*) FROM customers c WHERE c.tenant_id = {T} AND c.merged_into_id IS NULL AND ("
         f"(c.stage_id = {stage} AND c.customer_id IN (SELECT cid FROM ({_live_of('customer_tags', f'x.tag_id = {other_tag}')})))"
         f" OR c.customer_id IN (SELECT cid FROM ({_purchases(f'x.ordered_at >= {d365}')}) GROUP BY cid "
         f"HAVING sum(amount - refunded_amount) >= 500))"),
    ]


def bench_refresh(wh: Any, duck: Any) -> None:
    """What a sync pays to keep the summary: recompute the summary of 100, 1,000 and 10,000 buyers
    (as after their orders changed) against the whole rebuild."""
    from siyu.services import order_summary

    print()
    print("| order summary refresh | customers recomputed | elapsed |")
    print("|---|---:|---:|")
    buyers = [r[0] for r in duck.execute(f"SELECT customer_id FROM customer_orders WHERE tenant_id = {T} ORDER BY hash(customer_id)").fetchall()]
    for size in (100, 1_000, 10_000):
        started = time.perf_counter()
        recomputed = order_summary.refresh(wh, T, buyers[:size])
        print(f"| incremental, {size:,} buyers' orders changed | {recomputed:,} | {(time.perf_counter() - started) * 1000:,.0f} ms |",
              flush=True)
    started = time.perf_counter()
    recomputed = order_summary.refresh(wh, T, None)
    print(f"| whole rebuild | {recomputed:,} | {(time.perf_counter() - started) * 1000:,.0f} ms |", flush=True)


def bench_warehouse(n: int, runs: int, data_dir: Path, *, rules: bool = True) -> None:
    from siyu.adapters.warehouse import open_warehouse
    from siyu.services import order_summary

    wh_file = data_dir / "segments.duckdb"
    wh_file.unlink(missing_ok=True)
    with open_warehouse(f"duckdb:///{wh_file.resolve()}") as wh:
        wh.ensure_schema()
        duck = wh.backend.con
        started = time.perf_counter()
        counts = build_warehouse(duck, n)
        print(f"warehouse built in {time.perf_counter() - started:.1f} s: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()),
              flush=True)
        started = time.perf_counter()
        buyers = order_summary.refresh(wh, T, None)
        days = duck.execute("SELECT count(*) FROM customer_order_days").fetchone()[0]
        print(f"order summary rebuilt whole in {time.perf_counter() - started:.1f} s: {buyers:,} buyers, "
              f"{days:,} buyer-days", flush=True)
        if rules:
            bench_rules(wh, duck, runs)
        else:
            bench_refresh(wh, duck)
    print(f"peak memory after part 1 (ru_maxrss, this process): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024:,} MB")
    wh_file.unlink(missing_ok=True)


def bench_rules(wh: Any, duck: Any, runs: int) -> None:
    from siyu.analytics.segments import SegmentCountQuery, SegmentMembersQuery, all_members
    from siyu.domain.segments import SegmentRule

    print()
    print("| rule | members | SegmentCountQuery.run() | its compiled SQL, execute only | hand-written DuckDB SQL "
          "| run() / SQL | compiled / SQL | hand SQL on the summary | run() / that | under 1 s | same count |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for label, raw, sql in questions(tag=5, stage=2, other_tag=7):
        rule = SegmentRule.parse(raw)
        query = SegmentCountQuery(tenant_id=T, rule=rule, as_of=TODAY)
        ours_s, ours = _median(lambda q=query: q.run(wh), runs)
        compiled = str(wh.backend.compile(query.build(wh)))
        exec_s, _ = _median(lambda c=compiled: duck.execute(c).fetchone(), runs)
        hand_s, hand = _median(lambda s=sql: duck.execute(s).fetchone()[0], runs)
        summary_sql, summary_cell = on_summary(label, tag=5, stage=2, other_tag=7), "| - | - "
        if summary_sql is not None:
            summary_s, on_it = _median(lambda s=summary_sql: duck.execute(s).fetchone()[0], runs)
            hand = hand if on_it == hand else f"{hand:,} by hand, {on_it:,} on the summary"
            summary_cell = f"| {summary_s * 1000:,.0f} ms | {ours_s / summary_s:.2f} "
        print(f"| {label} | {ours:,} | {ours_s * 1000:,.0f} ms | {exec_s * 1000:,.0f} ms | {hand_s * 1000:,.0f} ms | "
              f"{ours_s / hand_s:.2f} | {exec_s / hand_s:.2f} {summary_cell}| {'yes' if ours_s < 1 else 'no'} | "
              f"{'yes' if ours == hand else f'no ({hand})'} |", flush=True)
    tag_rule = SegmentRule.parse(questions(5, 2, 7)[0][1])
    members_s, members = _median(lambda: all_members(wh, SegmentMembersQuery(tenant_id=T, rule=tag_rule, as_of=TODAY)), runs)
    print()
    print(f"all_members (every id, ascending) of the tag rule: {len(members):,} ids in {members_s * 1000:,.0f} ms")


def bench_materialise(members: int, data_dir: Path) -> None:
    from sqlalchemy import func, select, text

    from siyu.adapters.db.tables import customer_tags, timeline_events
    from siyu.services import segments, smart_tags, tags, tenants
    from siyu.services.auth import system_actor

    backend = Backend.named("sqlite", data_dir, BENCH_SCHEMA)
    ctx = backend.fresh_context()
    tenant = tenants.create_tenant(ctx.uow(), slug="bench-segments", name="分群")
    admin = system_actor(tenant.id)
    total = members + members // 5
    with ctx.engine.begin() as conn:
        conn.execute(text(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :total) "
            "INSERT INTO customers (tenant_id, name, gender, fields, added_at, created_at, updated_at) "
            "SELECT :t, 'c' || i, 0, '{}', '2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00' FROM n"),
            {"total": total, "t": tenant.id})
        ids = list(conn.execute(text("SELECT id FROM customers WHERE tenant_id = :t ORDER BY id"), {"t": tenant.id}).scalars())
    vip = tags.create_tag(ctx.uow(), admin, group="价值", name="VIP").id
    kept = tags.create_tag(ctx.uow(), admin, group="人群", name="高价值").id
    segments.create_segment(ctx.uow(), admin, name="高价值", rule={"groups": [{"conditions": [
        {"kind": "tags", "op": "any", "value": [vip]}]}]}, materialise_as_tag_id=kept)
    print()
    print(f"SQLite: {total:,} customers; one segment kept as a tag")
    print()
    print("| refresh | members | added | removed | elapsed | tag rows | timeline entries |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    turnover = members // 10
    for label, chosen in (("first materialisation", ids[:members]), ("again, nothing changed", ids[:members]),
                          ("10 % turnover", ids[turnover : members + turnover])):
        started = time.perf_counter()
        (report,) = smart_tags.refresh_segment_tags(ctx.uow(), tenant.id, lambda *_, c=chosen: list(c))
        elapsed = time.perf_counter() - started
        with ctx.engine.connect() as conn:
            tag_rows = conn.execute(select(func.count()).select_from(customer_tags).where(customer_tags.c.tag_id == kept)).scalar_one()
            events = conn.execute(select(func.count()).select_from(timeline_events)
                                  .where(timeline_events.c.tenant_id == tenant.id)).scalar_one()
        print(f"| {label} | {report.members:,} | {report.added:,} | {report.removed:,} | {elapsed:.2f} s | {tag_rows:,} | "
              f"{events:,} |", flush=True)
    print(f"peak memory (ru_maxrss, this process): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024:,} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="live customers in the warehouse")
    parser.add_argument("--members", type=int, default=100_000, help="members of the segment materialised on SQLite")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench-segments"))
    parser.add_argument("--only", choices=("warehouse", "sqlite", "summary"), default=None,
                        help="summary: build the warehouse, then time the order summary's refreshes only")
    args = parser.parse_args()
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))  # figures only on stdout
    args.data_dir.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "warehouse"):
        bench_warehouse(args.customers, args.runs, args.data_dir)
    if args.only == "summary":
        bench_warehouse(args.customers, args.runs, args.data_dir, rules=False)
    if args.only in (None, "sqlite"):
        bench_materialise(args.members, args.data_dir)


if __name__ == "__main__":
    main()
