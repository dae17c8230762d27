"""Journey message steps per second, screened for contact pressure, against the same run unscreened.

    .venv/bin/python bench/journey_messages.py --customers 1000
    SIYU_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/journey_messages.py --customers 1000

A fresh database per backend and per run; N customers (bulk inserted, each followed by one staff
member and carrying a WeCom external_userid, 10 % opted out, every customer with 2 mass-send
messages logged earlier in the week) go through a one-step journey (a message) with
``journey_runner.run_due`` (one worker, a counting messenger). The tenant's rules: 3 a day,
5 a week. Run 1, **screened**: what the worker does (per round: lock the customers, one
``screen_in``, outbox rows + one ``record_each_in``; then per step: send, finish). Run 2,
**baseline**, in the same process: the same journey with ``screen_in`` allowing everyone and
``record_each_in`` writing nothing. The ratio is the cost of contact pressure per message step.
Prints figures only, with the SQL statements a step took (which the machine's load does not change).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import BENCH_SCHEMA, backends  # noqa: E402


def _run(backend, n: int, *, screened: bool) -> tuple[float, object, int, int]:  # type: ignore[no-untyped-def]
    from sqlalchemy import event, insert, select

    from siyu.adapters.db.tables import customer_identities, customer_messages, customer_opt_outs, customers, staff, staff_relations
    from siyu.domain.contact_pressure import ContactRules
    from siyu.services import contact_pressure, journey_runner, journey_triggers, journeys, tags, tenants
    from siyu.services.auth import system_actor

    ctx = backend.fresh_context()
    tenant = tenants.create_tenant(ctx.uow(), slug="bench", name="基准")
    admin = system_actor(tenant.id)
    now = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)  # Thursday 12:00 in Shanghai
    t = tenant.id
    with ctx.uow() as uow:
        s = uow.session
        staff_id = s.execute(insert(staff).values(tenant_id=t, wecom_userid="bench", name="导购", role="guide", status="active",
                                                  created_at=now).returning(staff.c.id)).scalar_one()
        s.execute(insert(customers), [{"tenant_id": t, "name": f"客户{i}", "gender": 0, "fields": {}, "owner_staff_id": staff_id,
                                       "added_at": now, "created_at": now, "updated_at": now} for i in range(n)])
        ids = list(s.execute(select(customers.c.id).where(customers.c.tenant_id == t).order_by(customers.c.id)).scalars())
        s.execute(insert(customer_identities), [{"tenant_id": t, "customer_id": c, "kind": "wecom_external", "value": f"wm{c}",
                                                 "source": "manual", "created_at": now} for c in ids])
        s.execute(insert(staff_relations), [{"tenant_id": t, "customer_id": c, "staff_id": staff_id, "state": "active",
                                             "added_at": now} for c in ids])
        s.execute(insert(customer_opt_outs), [{"tenant_id": t, "customer_id": c, "source": "manual", "actor": "bench",
                                               "created_at": now} for c in ids[::10]])
        s.execute(insert(customer_messages), [{"tenant_id": t, "customer_id": c, "staff_id": staff_id, "source_kind": "mass_send",
                                               "source_id": k, "sent_at": now - timedelta(days=k), "counts_toward_wecom_cap": True}
                                              for c in ids for k in (1, 2)])
        uow.commit()
    contact_pressure.update_rules(ctx.uow(), admin, ContactRules.parse(per_day=3, per_week=5))
    vip = tags.create_tag(ctx.uow(), admin, group="基准", name="VIP").id
    journey = journeys.create_journey(ctx.uow(), admin, name="基准", definition={
        "trigger": {"kind": "tag_applied", "tag_ids": [vip]}, "steps": [{"id": "m", "kind": "message", "text": "你好"}]})
    journeys.start_journey(ctx.uow(), admin, journey.id)
    with ctx.uow() as uow:
        journey_triggers.enter(uow, t, journeys.get_journey(ctx.uow(), admin, journey.id), {c: "once" for c in ids}, now=now)
        uow.commit()
    sent = {"n": 0}

    def messenger(*_a, **_k):  # type: ignore[no-untyped-def]
        sent["n"] += 1
        return "m"

    statements = {"n": 0}

    def count(*_a):  # type: ignore[no-untyped-def]
        statements["n"] += 1

    real_screen, real_record = contact_pressure.screen_in, contact_pressure.record_each_in
    if not screened:
        contact_pressure.screen_in = lambda uow, tenant_id, customer_ids, **_: contact_pressure.Screening(list(customer_ids))
        contact_pressure.record_each_in = lambda *_a, **_k: 0
    event.listen(ctx.engine, "before_cursor_execute", count)
    try:
        started = time.perf_counter()
        report = journey_runner.run_due(ctx.uow, messenger=messenger, guide_tasks=lambda *a, **k: 0, now=now, max_rounds=10_000)
        elapsed = time.perf_counter() - started
    finally:
        event.remove(ctx.engine, "before_cursor_execute", count)
        contact_pressure.screen_in, contact_pressure.record_each_in = real_screen, real_record
    ctx.engine.dispose()
    backend.drop()
    return elapsed, report, sent["n"], statements["n"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench-journey-messages"))
    args = parser.parse_args()
    for backend in backends(args.data_dir, f"{BENCH_SCHEMA}_jmsg"):
        screened, report, sent, statements = _run(backend, args.customers, screened=True)
        base, base_report, base_sent, base_statements = _run(backend, args.customers, screened=False)
        print(f"{backend.name}: {args.customers} message steps; screened {screened:.1f} s = {args.customers / screened:,.0f}/s "
              f"(sent {sent}, excluded {report.excluded}, {statements / args.customers:.1f} statements a step); "  # type: ignore[attr-defined]
              f"baseline {base:.1f} s = {args.customers / base:,.0f}/s (sent {base_sent}, "
              f"{base_statements / args.customers:.1f} statements a step); screened/baseline time {screened / base:.2f}x")


if __name__ == "__main__":
    main()
