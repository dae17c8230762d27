"""The customer list's relation filters at 1,000,000 customers on PostgreSQL: a guide's own list
(customers the guide actively follows) and the store filter, alone and combined with a tag, a stage,
an added-date range or a name search, with EXPLAIN ANALYZE of the count.

    SIYU_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/customer_list_scopes.py
    ... --keep                  # leave the schema for the next run (reused when it is there)
    ... --explain               # print EXPLAIN ANALYZE of each query the list runs

The brand is written with SQL (``generate_series``; about a minute, where the demo loader takes
hours on PostgreSQL) with the demo brand's shape: 1,094,180 live customers and 32,000 merged
ones, 10 stores of 3 guides, 82% of the customers followed by one guide and 3% of those by a
second guide of the same store too (so a store's list must not count them twice). One guide
follows about 28,900 customers, one store about 92,000. Six stages (a sixth of the customers
each), twenty tags (60% of customers carry one, 30% a second; each tag about 4.5% of them) and
a rare tag on one customer in a thousand. For each case:
``services.customers.list_customers`` (page 1 of 50 and its total, counted up to 10,000, with the
rows' identities, tags, stage and owner), the median of --runs runs after a warm-up, against
the same page and capped count written by hand (relations first) in the same process. The
issue's target is a list page under 200 ms. Prints figures only.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, timedelta
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from customer_list import _median  # noqa: E402
from databases import Backend, _admin  # noqa: E402

TARGET_MS = 200
LIVE, MERGED, STORES, GUIDES_PER_STORE = 1_094_180, 32_000, 10, 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--schema", default="siyu_bench_list_scopes")
    parser.add_argument("--keep", action="store_true", help="keep the schema (and reuse it next time)")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the list's queries")
    parser.add_argument("--only", nargs="*", help="run only the cases whose label holds one of these words")
    args = parser.parse_args()
    if not os.environ.get("SIYU_BENCH_DATABASE_URL"):
        raise SystemExit("set SIYU_BENCH_DATABASE_URL to a PostgreSQL server")
    backend = Backend.named("postgresql", Path("var/bench"), args.schema)
    with _admin().begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{args.schema}"'))
    context = backend.context(migrate=True)
    try:
        tenant_id, guide, store = _brand(context)
        run(context, tenant_id, guide, store, args)
    finally:
        context.close()
        if not args.keep:
            backend.drop()


def _brand(context: Any) -> tuple[int, tuple[int, int], int]:
    """(tenant, (a guide's staff id, its store), a store): the brand there is, else a new one."""
    with context.engine.begin() as conn:
        found = conn.execute(text("SELECT id FROM tenants WHERE slug = 'list-scopes'")).scalar()
        if found is None:
            started = time.perf_counter()
            found = _load(conn)
            print(f"loaded the brand in {time.perf_counter() - started:.0f} s")
        guide = conn.execute(text("SELECT id, store_id FROM staff WHERE tenant_id = :t ORDER BY id LIMIT 1"), {"t": found}).one()
        store = conn.execute(text("SELECT id FROM stores WHERE tenant_id = :t ORDER BY id OFFSET 2 LIMIT 1"), {"t": found}).scalar_one()
        if conn.execute(text("SELECT count(*) FROM stages WHERE tenant_id = :t"), {"t": found}).scalar_one() == 0:
            started = time.perf_counter()
            _tags_and_stages(conn, found)
            print(f"added tags and stages in {time.perf_counter() - started:.0f} s")
    return found, (guide.id, guide.store_id), store


def _tags_and_stages(conn: Any, t: int) -> None:
    """Six stages, twenty tags and a rare one, on the brand _load wrote (kept brands get them too)."""
    p = {"t": t}
    conn.execute(text("INSERT INTO stages (tenant_id, name, position, created_at) "
                      "SELECT :t, 'stage ' || s, s, now() FROM generate_series(1, 6) s"), p)
    conn.execute(text("""UPDATE customers c SET stage_id = s.id FROM stages s
                         WHERE c.tenant_id = :t AND s.tenant_id = :t AND s.position = 1 + abs(hashint4(c.id)) % 6"""), p)
    g = conn.execute(text("INSERT INTO tag_groups (tenant_id, name, position, created_at) VALUES (:t, 'bench', 0, now()) RETURNING id"), p).scalar_one()
    conn.execute(text("INSERT INTO tags (tenant_id, group_id, name, position, created_at) "
                      "SELECT :t, :g, 'tag ' || n, n, now() FROM generate_series(0, 20) n"), {**p, "g": g})
    for share, step in ((60, 13), (30, 17)):
        conn.execute(text(f"""
            INSERT INTO customer_tags (tenant_id, customer_id, tag_id, source, applied_at)
            SELECT :t, c.id, g.id, 'import', now() FROM customers c JOIN tags g ON g.tenant_id = :t AND g.position = abs(hashint4(c.id + {step})) % 20
            WHERE c.tenant_id = :t AND c.merged_into_id IS NULL AND abs(hashint4(c.id * {step})) % 100 < {share}
            ON CONFLICT DO NOTHING"""), p)
    conn.execute(text("""
        INSERT INTO customer_tags (tenant_id, customer_id, tag_id, source, applied_at)
        SELECT :t, c.id, g.id, 'import', now() FROM customers c JOIN tags g ON g.tenant_id = :t AND g.position = 20
        WHERE c.tenant_id = :t AND c.merged_into_id IS NULL AND abs(hashint4(c.id - 1)) % 1000 = 0"""), p)
    for table in ("stages", "tags", "customers", "customer_tags"):
        conn.execute(text(f"ANALYZE {table}"))


def _load(conn: Any) -> int:
    t = conn.execute(text("INSERT INTO tenants (slug, name, created_at) VALUES ('list-scopes', 'List', now()) RETURNING id")).scalar_one()
    p = {"t": t, "stores": STORES, "per": GUIDES_PER_STORE, "live": LIVE, "all": LIVE + MERGED}
    conn.execute(text("INSERT INTO stores (tenant_id, name, code, is_open, created_at) "
                      "SELECT :t, 'store ' || s, 'S' || lpad(s::text, 3, '0'), true, now() FROM generate_series(1, :stores) s"), p)
    conn.execute(text("INSERT INTO staff (tenant_id, wecom_userid, name, store_id, role, status, created_at) "
                      "SELECT :t, 'g' || s.id || '-' || g, 'guide ' || s.id || '-' || g, s.id, 'guide', 'active', now() "
                      "FROM stores s, generate_series(1, :per) g WHERE s.tenant_id = :t ORDER BY s.id, g"), p)
    conn.execute(text("INSERT INTO customers (tenant_id, name, gender, fields, added_at, created_at, updated_at) "
                      "SELECT :t, 'c' || i, i % 3, '{}', now() - (i || ' minutes')::interval, now(), now() "
                      "FROM generate_series(1, :all) i"), p)
    first = conn.execute(text("SELECT min(id) FROM customers WHERE tenant_id = :t"), p).scalar_one()
    p["first"] = first
    conn.execute(text("UPDATE customers SET merged_into_id = id - 1 WHERE tenant_id = :t AND id >= :first + :live"), p)
    # 82% followed by one guide (spread over all), 3% of those by a second guide of its store
    conn.execute(text("""
        WITH guides AS (SELECT id, store_id, row_number() OVER (ORDER BY id) - 1 AS n FROM staff WHERE tenant_id = :t)
        INSERT INTO staff_relations (tenant_id, customer_id, staff_id, state, added_at)
        SELECT :t, c.id, g.id, CASE WHEN c.id % 20 = 0 THEN 'deleted_by_customer' ELSE 'active' END, c.added_at
        FROM customers c JOIN guides g ON g.n = (c.id::bigint * 7919) % (:stores * :per)
        WHERE c.tenant_id = :t AND (c.id::bigint * 31) % 100 < 82"""), p)
    conn.execute(text("""
        INSERT INTO staff_relations (tenant_id, customer_id, staff_id, state, added_at)
        SELECT :t, r.customer_id, o.id, 'active', r.added_at
        FROM staff_relations r JOIN staff s ON s.id = r.staff_id
        JOIN LATERAL (SELECT id FROM staff x WHERE x.store_id = s.store_id AND x.id <> s.id ORDER BY x.id LIMIT 1) o ON true
        WHERE r.tenant_id = :t AND r.customer_id % 33 = 0"""), p)
    for table in ("stores", "staff", "customers", "staff_relations"):
        conn.execute(text(f"ANALYZE {table}"))
    return t


def run(context: Any, tenant_id: int, guide: tuple[int, int], store: int, args: argparse.Namespace) -> None:
    from siyu.adapters.db.repositories.customers import CustomerFilter
    from siyu.domain.access import Actor, Role
    from siyu.services import customers

    guide_id, guide_store = guide
    with context.engine.connect() as conn:
        tag = conn.execute(text("SELECT id FROM tags WHERE tenant_id = :t AND position = 3"), {"t": tenant_id}).scalar_one()
        rare = conn.execute(text("SELECT id FROM tags WHERE tenant_id = :t AND position = 20"), {"t": tenant_id}).scalar_one()
        stage = conn.execute(text("SELECT id FROM stages WHERE tenant_id = :t AND position = 2"), {"t": tenant_id}).scalar_one()
        newest = conn.execute(text("SELECT max(added_at) FROM customers WHERE tenant_id = :t"), {"t": tenant_id}).scalar_one()
    since = (newest if newest.tzinfo else newest.replace(tzinfo=UTC)) - timedelta(days=30)
    as_guide = Actor(tenant_id=tenant_id, role=Role.GUIDE, staff_id=guide_id, store_id=guide_store)
    as_admin = Actor(tenant_id=tenant_id, role=Role.ADMIN)
    of_guide = "c.id IN (SELECT r.customer_id FROM staff_relations r WHERE r.tenant_id = :t AND r.state = 'active' AND r.staff_id = :s)"
    of_store = ("c.id IN (SELECT r.customer_id FROM staff_relations r WHERE r.tenant_id = :t AND r.state = 'active' AND "
                "r.staff_id IN (SELECT id FROM staff WHERE tenant_id = :t AND store_id = :st))")
    has_tag = "c.id IN (SELECT g.customer_id FROM customer_tags g WHERE g.tenant_id = :t AND g.tag_id = :tag)"
    named = "c.name LIKE '%' || :q || '%'"
    p = {"s": guide_id, "st": store, "tag": tag, "rare": rare, "stage": stage, "since": since, "q": "c12345"}

    def listed(actor: Actor, **flt: Any) -> Callable[[], Any]:
        return lambda: _shown(customers.list_customers(context.uow(), actor, CustomerFilter(**flt)))

    def by_hand(*conditions: str) -> Callable[[], Any]:
        return lambda: _by_hand(context, tenant_id, list(conditions), p)

    cases: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
        ("guide's own list (guide signed in)", listed(as_guide), by_hand(of_guide)),
        ("followed-by filter (the same guide)", listed(as_admin, staff_id=guide_id), by_hand(of_guide)),
        ("store filter", listed(as_admin, store_id=store), by_hand(of_store)),
        ("no filter", listed(as_admin), by_hand()),
        ("tag (4.5% of customers)", listed(as_admin, tag_ids=(tag,)), by_hand(has_tag)),
        ("rare tag (0.1%)", listed(as_admin, tag_ids=(rare,)), by_hand(has_tag.replace(":tag", ":rare"))),
        ("store + tag", listed(as_admin, store_id=store, tag_ids=(tag,)), by_hand(of_store, has_tag)),
        ("store + rare tag", listed(as_admin, store_id=store, tag_ids=(rare,)), by_hand(of_store, has_tag.replace(":tag", ":rare"))),
        ("store + stage", listed(as_admin, store_id=store, stage_id=stage), by_hand(of_store, "c.stage_id = :stage")),
        ("guide signed in + tag", listed(as_guide, tag_ids=(tag,)), by_hand(of_guide, has_tag)),
        ("stage + added in the last 30 days", listed(as_admin, stage_id=stage, added_from=since),
         by_hand("c.stage_id = :stage", "c.added_at >= :since")),
        ("store + name search (c12345)", listed(as_admin, store_id=store, q="c12345"), by_hand(of_store, named)),
        ("guide signed in + name search (c12345)", listed(as_guide, q="c12345"), by_hand(of_guide, named)),
    ]
    print(f"\npostgresql: customer list, page 1 of 50, {LIVE:,} live customers, median of {args.runs} runs")
    print("| case | list_customers shows | list_customers (ms) | by hand: page + capped count (ms) | ratio | under 200 ms |")
    print("|---|---:|---:|---:|---:|---|")
    for label, service, hand in cases:
        if args.only and not any(word in label for word in args.only):
            continue
        shown, service_ms = _median(service, args.runs)
        _, hand_ms = _median(hand, args.runs)
        print(f"| {label} | {shown} | {service_ms:,.1f} | {hand_ms:,.1f} | {service_ms / hand_ms:.2f} | "
              f"{'yes' if service_ms < TARGET_MS else '**no**'} |", flush=True)
        if args.explain:
            _explain(context, service)


def _shown(page: Any) -> str:
    return f"{page.total:,}+" if page.total_capped else f"{page.total:,}"


def _by_hand(context: Any, tenant_id: int, conditions: list[str], params: dict[str, Any]) -> int:
    where = " AND ".join(["c.tenant_id = :t", "c.merged_into_id IS NULL", *conditions])
    with context.engine.connect() as conn:
        conn.execute(text(f"SELECT * FROM customers c WHERE {where} ORDER BY c.added_at DESC, c.id DESC LIMIT 51"),
                     {"t": tenant_id, **params}).all()
        return int(conn.execute(text(f"SELECT count(*) FROM (SELECT 1 FROM customers c WHERE {where} LIMIT 10001) x"),
                                {"t": tenant_id, **params}).scalar_one())


def _explain(context: Any, call: Callable[[], Any]) -> None:
    seen: list[tuple[str, Any]] = []

    def note(conn: Any, cursor: Any, statement: str, parameters: Any, ctx: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM customers" in statement:
            seen.append((statement, parameters))

    event.listen(context.engine, "before_cursor_execute", note)
    try:
        call()
    finally:
        event.remove(context.engine, "before_cursor_execute", note)
    raw = context.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in seen:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + statement, parameters)
            print("    " + "\n    ".join(r[0] for r in cursor.fetchall()))
    finally:
        raw.close()


if __name__ == "__main__":
    main()
