"""The demo brand's replies: an experiment and guide tasks whose customers answer, so the pages show replies."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from siyu.adapters.db.tables import events
from siyu.domain.guide_tasks import BoardLevel
from siyu.domain.paging import PageRequest
from siyu.services import experiments, guide_tasks
from siyu.services.auth import system_actor
from siyu.services.demo import load_demo_brand
from siyu.services.demo.replies import EXPERIMENT_NAME

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 4, tzinfo=UTC)  # noon in Shanghai


def load(context, slug: str, seed: int = 3):
    return load_demo_brand(context.uow, seed=seed, customers=300, slug=slug, today=TODAY)


def task_replies(context, tenant_id: int) -> list[tuple[str, datetime]]:
    e = events.c
    with context.session_factory() as session:
        rows = session.execute(select(e.event_id, e.occurred_at).where(
            e.tenant_id == tenant_id, e.name == "message_replied", e.event_id.like("demo-msg-t%")).order_by(e.event_id))
        return [(event_id, at) for event_id, at in rows]


def test_the_demo_brand_shows_replies_in_its_experiment_and_on_the_leaderboards(context):
    loaded = load(context, "demo-replies")
    summary = loaded.replies
    assert summary is not None and summary.assigned > 100 and summary.tasks > 0 and summary.replies > 0
    actor = system_actor(loaded.tenant_id)
    [made] = experiments.list_experiments(context.uow(), actor, PageRequest()).items
    assert made.name == EXPERIMENT_NAME
    report = experiments.experiment_report(context.uow(), actor, made.id, now=NOW)
    holdout, send = report.arms
    assert report.complete and holdout.customers + send.customers == summary.assigned
    assert send.repliers > 0 and send.reply_rate > holdout.reply_rate  # type: ignore[operator]
    nation = guide_tasks.leaderboard(context.uow(), actor, BoardLevel.NATION, now=NOW).rows[0]
    assert 0 < nation.replied <= nation.done <= nation.due == summary.tasks
    assert all(at < datetime(2026, 11, 22, 16, tzinfo=UTC) for _, at in task_replies(context, loaded.tenant_id))  # before today


def test_the_same_seed_gives_the_same_task_replies(context):
    first, second, other = load(context, "demo-r1"), load(context, "demo-r2"), load(context, "demo-r3", seed=4)
    assert first.replies.tasks == second.replies.tasks  # type: ignore[union-attr]
    assert task_replies(context, first.tenant_id) == task_replies(context, second.tenant_id) != []
    assert task_replies(context, first.tenant_id) != task_replies(context, other.tenant_id)


def test_live_demo_customers_answer_delivered_sends_and_done_tasks_once(context):
    from sqlalchemy import insert

    from siyu.adapters.db.tables import mass_send_targets, mass_sends
    from siyu.services.demo.live import link_sandbox
    from siyu.services.demo.replies import simulate_replies
    from tests import factories as f
    from tests.integration.test_demo_live import _brand

    tenant, admin, guides = _brand(context)
    link_sandbox(context.uow, context.secret_box, context.wecom_channel, tenant.id, seed=3)
    people = [c.id for c in f.customers_of(context, admin, 60)]
    sent_at = datetime(2026, 11, 20, 2, tzinfo=UTC)
    with context.uow() as uow:
        send_id = uow.session.execute(insert(mass_sends).values(
            tenant_id=tenant.id, name="周末上新", text="新品上架", material_ids=[], variant_texts={}, status="finished",
            scheduled_at=sent_at, created_by="system", created_at=sent_at)).inserted_primary_key[0]
        uow.session.execute(insert(mass_send_targets), [
            {"tenant_id": tenant.id, "mass_send_id": send_id, "customer_id": c, "staff_id": guides[0].id,
             "status": "sent" if n < 40 else "unsent", "sent_at": sent_at if n < 40 else None} for n, c in enumerate(people[:50])])
        uow.commit()
    for c in people[50:]:
        task = guide_tasks.create_task(context.uow(), admin, staff_id=guides[1].id, customer_id=c, kind="follow_up", title="回访",
                                       due_at=sent_at + timedelta(hours=3))
        guide_tasks.complete_task(context.uow(), admin, task.id, now=sent_at)

    early = simulate_replies(context.uow, context.secret_box, slug=tenant.slug, now=sent_at + timedelta(minutes=30), seed=3)
    later = simulate_replies(context.uow, context.secret_box, slug=tenant.slug, now=sent_at + timedelta(hours=5), seed=3)
    assert simulate_replies(context.uow, context.secret_box, slug=tenant.slug, now=sent_at + timedelta(hours=6), seed=3) == 0
    e = events.c
    with context.session_factory() as session:
        rows = session.execute(select(e.customer_id, e.occurred_at, e.event_id).where(e.tenant_id == tenant.id,
                                                                                         e.name == "message_replied")).all()
    assert len(rows) == early + later and later > 0
    assert {r.customer_id for r in rows} <= set(people[:40]) | set(people[50:])  # never those the send did not reach
    assert any(r.event_id.startswith("demo-live-send-") for r in rows) and any(r.event_id.startswith("demo-live-task-") for r in rows)
    assert all(sent_at < r.occurred_at <= sent_at + timedelta(hours=4) for r in rows)
    unlinked, _ = f.tenant(context)  # a brand not linked to the sandbox is not simulated
    assert simulate_replies(context.uow, context.secret_box, slug=unlinked.slug, now=sent_at + timedelta(hours=5)) == 0
