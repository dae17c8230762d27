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
