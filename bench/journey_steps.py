"""Journey steps per second: N customers through a 4-step journey (tag, branch, stage, guide task).

    .venv/bin/python bench/journey_steps.py --customers 3000
    SIYU_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/journey_steps.py --customers 3000

A fresh database per backend; customers inserted in bulk, entered at once
(``journey_triggers.enter``), then ``journey_runner.run_due`` (one worker) until nothing is due:
each step is a claim (batched), one transaction and a version-checked move. The guide-task port
is a counting fake (the real one is one INSERT more). Prints figures only.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import BENCH_SCHEMA, backends  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench-journeys"))
    args = parser.parse_args()
    from sqlalchemy import insert

    from siyu.adapters.db.tables import customers
    from siyu.services import journey_runner, journey_triggers, journeys, stages, tags, tenants
    from siyu.services.auth import system_actor

    for backend in backends(args.data_dir, f"{BENCH_SCHEMA}_journeys"):
        ctx = backend.fresh_context()
        tenant = tenants.create_tenant(ctx.uow(), slug="bench", name="基准")
        admin = system_actor(tenant.id)
        now = datetime.now(UTC)
        with ctx.uow() as uow:
            uow.session.execute(insert(customers), [{"tenant_id": tenant.id, "name": f"客户{i}", "gender": 0, "fields": {},
                                                     "added_at": now, "created_at": now, "updated_at": now}
                                                    for i in range(args.customers)])
            ids = [r[0] for r in uow.session.execute(customers.select().with_only_columns(customers.c.id)
                                                     .where(customers.c.tenant_id == tenant.id))]
            uow.commit()
        vip = tags.create_tag(ctx.uow(), admin, group="基准", name="VIP").id
        stage = stages.create_stage(ctx.uow(), admin, "旅程中").id
        journey = journeys.create_journey(ctx.uow(), admin, name="基准", definition={
            "trigger": {"kind": "tag_applied", "tag_ids": [vip]},
            "steps": [{"id": "tag", "kind": "tag", "action": "apply", "tag_ids": [vip]},
                      {"id": "b", "kind": "branch", "rule": {"groups": [{"conditions": [
                          {"kind": "tags", "op": "any", "value": [vip]}]}]}, "then": "stage", "else": "end"},
                      {"id": "stage", "kind": "stage", "stage_id": stage},
                      {"id": "task", "kind": "guide_task", "title": "回访"}]})
        journeys.start_journey(ctx.uow(), admin, journey.id)
        with ctx.uow() as uow:
            journey_triggers.enter(uow, tenant.id, journeys.get_journey(ctx.uow(), admin, journey.id), {c: "once" for c in ids},
                                   now=now)
            uow.commit()
        made = {"n": 0}

        def tasks(uow, tenant_id, **_):  # type: ignore[no-untyped-def]
            made["n"] += 1
            return made["n"]

        started = time.perf_counter()
        report = journey_runner.run_due(ctx.uow, messenger=lambda *a, **k: "m", guide_tasks=tasks, now=now, max_rounds=10_000)
        elapsed = time.perf_counter() - started
        print(f"{backend.name}: {args.customers} customers, {report.steps} steps in {elapsed:.1f} s = "
              f"{report.steps / elapsed:,.0f} steps/s (rounds {report.rounds}, failed {report.failed})")
        ctx.engine.dispose()
        backend.drop()


if __name__ == "__main__":
    main()
